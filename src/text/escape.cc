// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/text/escape.h"

#include <cstdio>

namespace op25bc::text {

namespace {

struct Decoded {
  std::uint32_t codepoint;
  std::size_t length;  // 0: not UTF-8 at this byte
};

// One UTF-8 sequence at `i`, strictly (no overlong forms, no surrogates).
Decoded decode(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1};
  std::size_t n = 0;
  std::uint32_t cp = 0, min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {b0, 0};
  }
  if (i + n > s.size()) return {b0, 0};
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {b0, 0};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {b0, 0};
  return {cp, n};
}

bool forbidden(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

std::string hex(const char* format, std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, static_cast<unsigned>(v));
  return buf;
}

// Calls clean(begin, end) for runs of allowed text and bad(Forbidden) between.
template <typename Clean, typename Bad>
void scan(std::string_view s, Clean clean, Bad bad) {
  std::size_t run = 0, i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {  // the common case: printable ASCII
      ++i;
      continue;
    }
    const Decoded d = decode(s, i);
    if (d.length != 0 && !forbidden(d.codepoint)) {
      i += d.length;
      continue;
    }
    clean(run, i);
    if (!bad(Forbidden{i, d.codepoint, d.length == 0})) return;
    i += d.length == 0 ? 1 : d.length;
    run = i;
  }
  clean(run, s.size());
}

}  // namespace

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const Decoded d = decode(text, i);
    if (d.length == 0) return i;
    i += d.length;
  }
  return std::nullopt;
}

std::optional<Forbidden> find_forbidden(std::string_view text) {
  std::optional<Forbidden> found;
  scan(
      text, [](std::size_t, std::size_t) {},
      [&](const Forbidden& f) {
        found = f;
        return false;
      });
  return found;
}

std::string describe(const Forbidden& f) {
  if (f.invalid_utf8) return "byte " + hex("0x%02X", f.codepoint) + " (not UTF-8)";
  std::string name;
  if (f.codepoint == 0) name = "NUL";
  if (f.codepoint == '\n') name = "line feed";
  if (f.codepoint == '\r') name = "carriage return";
  if (f.codepoint == '\t') name = "tab";
  if (f.codepoint == 0x2028 || f.codepoint == 0x2029) name = "line or paragraph separator";
  if (name.empty())
    name = f.codepoint == 0x061C || f.codepoint >= 0x200E ? "bidirectional formatting character"
                                                          : "control character";
  return hex("U+%04X", f.codepoint) + " (" + name + ")";
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  scan(
      text, [&](std::size_t b, std::size_t e) { out.append(text.substr(b, e - b)); },
      [&](const Forbidden& f) {
        out += f.invalid_utf8 ? hex("\\x%02X", f.codepoint) : hex("\\u{%04X}", f.codepoint);
        return true;
      });
  return out;
}

std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string{text};
  std::size_t cut = max_bytes;
  // Back up over continuation bytes to the start of the character that does not fit.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string{text.substr(0, cut)};
}

std::string comment_line(std::string_view text) {
  std::string out = printable(text);
  if (!out.empty() && out.back() == '\\') out.replace(out.size() - 1, 1, "\\x5C");
  return out;
}

std::string nft_quoted(std::string_view text) {
  std::string out = "\"" + printable(text) + "\"";
  for (std::size_t i = 1; i + 1 < out.size(); ++i)
    if (out[i] == '"') out[i] = '\'';
  return out;
}

std::string shell_word(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string cron_word(std::string_view text) {
  std::string out;
  for (char c : shell_word(text)) {
    if (c == '%' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

namespace {

std::string systemd_quoted(std::string_view text, bool expand_variables) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\\' || c == '"')
      out += {'\\', c};
    else if (c == '%')
      out += "%%";
    else if (c == '$' && expand_variables)
      out += "$$";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      out += hex("\\x%02x", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out + "\"";
}

}  // namespace

std::string systemd_word(std::string_view text) {
  return systemd_quoted(text, true);
}

std::string systemd_executable(std::string_view path) {
  return systemd_quoted(path, false);
}

bool systemd_executable_ok(std::string_view path) {
  return path.find_first_of("\"'\\") == path.npos && !find_forbidden(path);
}

std::string html_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string markdown_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  // At the start: spaces that would make a code block, then a block marker.
  std::size_t i = 0;
  for (; i < text.size() && text[i] == ' '; ++i) out += "&#32;";
  std::size_t digits = i;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const bool ordered =
      digits > i && digits < text.size() && (text[digits] == '.' || text[digits] == ')');
  const bool marker =
      i < text.size() && std::string_view("-+=").find(text[i]) != std::string_view::npos;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    const auto b = static_cast<unsigned char>(c);
    const std::string_view rest = text.substr(i);
    const bool escape =
        (std::string_view("\\`*_[]<>#|!~&").find(c) != std::string_view::npos && b < 0x80) ||
        (ordered && i == digits) || (marker && i == text.find_first_not_of(' ')) ||
        (c == ':' && rest.starts_with("://")) ||
        (c == '.' && i >= 3 && (text.substr(i - 3, 3) == "www" || text.substr(i - 3, 3) == "WWW"));
    if (escape) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace op25bc::text
