// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/session/radius.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "op25bc/session/table.h"

namespace op25bc::session::radius {

namespace {

constexpr std::string_view kPositionHeader = "op25bc-radius-position 1\n";
// A record longer than this is not one FreeRADIUS wrote for a session (a
// RADIUS packet is at most 4096 bytes; printed, each byte at most 4).
constexpr std::size_t kMaxRecordBytes = 64 * 1024;

Status status_of(std::string_view value) {
  if (value == "Start" || value == "1" || value == "Interim-Update" || value == "Alive" ||
      value == "3")
    return Status::start;
  if (value == "Stop" || value == "2") return Status::stop;
  if (value == "Accounting-On" || value == "7" || value == "Accounting-Off" || value == "8")
    return Status::nas_off;
  return Status::other;
}

bool is_address_attribute(std::string_view name) {
  return name == "Framed-IP-Address" || name == "Framed-IPv6-Address" ||
         name == "Framed-IPv6-Prefix" || name == "Delegated-IPv6-Prefix";
}

// The value as text: unquoted when quoted, else as written.
std::optional<std::string> text_of(std::string_view value) {
  if (value.starts_with('"')) return unquote(value);
  return std::string{value};
}

// One record (its lines without the empty one), or why it is not one.
struct One {
  std::optional<Record> record;
  std::string problem;
};

One read_record(std::string_view text, std::string_view attribute) {
  One out;
  const auto fail = [&](std::string why) {
    out.problem = std::move(why);
    return out;
  };
  Record r;
  bool has_status = false, has_subscriber = false;
  std::string address_problem;
  std::string nas_ip, nas_ip6, nas_id;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (++line_number == 1) {
      if (line.empty() || line.front() == '\t') return fail("it has no header line");
      continue;
    }
    const std::size_t eq = line.find(" = ");
    if (!line.starts_with('\t') || eq == std::string_view::npos || eq < 2)
      return fail("line " + std::to_string(line_number) + " is not \"\\tAttribute = value\"");
    const std::string_view name = line.substr(1, eq - 1);
    const std::string_view value = line.substr(eq + 3);
    if (name == attribute) {
      if (has_subscriber) return fail("it has two " + std::string{attribute});
      const auto text_value = text_of(value);
      if (!text_value) return fail(std::string{attribute} + " is not a well-quoted value");
      r.subscriber = *text_value;
      has_subscriber = true;
    } else if (name == "Acct-Status-Type") {
      if (has_status) return fail("it has two Acct-Status-Type");
      r.status = status_of(value);
      has_status = true;
    } else if (is_address_attribute(name)) {
      const net::PrefixParse parsed = net::parse_prefix(value);
      if (parsed.prefix)
        r.addresses.push_back(*parsed.prefix);
      else if (address_problem.empty())
        address_problem = std::string{name} + " " + std::string{value} + ": " + parsed.error;
    } else if (name == "Timestamp") {
      std::int64_t t = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), t);
      if (ec == std::errc{} && end == value.data() + value.size()) r.written = t;
    } else if (name == "NAS-IP-Address" || name == "NAS-IPv6-Address" || name == "NAS-Identifier") {
      const auto text_value = text_of(value);
      if (!text_value) return fail(std::string{name} + " is not a well-quoted value");
      (name == "NAS-IP-Address"     ? nas_ip
       : name == "NAS-IPv6-Address" ? nas_ip6
                                    : nas_id) = std::string{name} + " " + *text_value;
    }
  }
  if (!has_status) return fail("it has no Acct-Status-Type");
  r.nas = !nas_ip.empty() ? nas_ip : !nas_ip6.empty() ? nas_ip6 : nas_id;
  switch (r.status) {
    case Status::start:
      // A Start that cannot be read whole exempts nothing.
      if (!address_problem.empty()) return fail(address_problem);
      if (r.addresses.size() > kMaxAddresses)
        return fail(std::to_string(r.addresses.size()) + " addresses; a session holds at most " +
                    std::to_string(kMaxAddresses));
      [[fallthrough]];
    case Status::stop:
      // A Stop needs its subscriber alone: its addresses all go, readable or not.
      if (!has_subscriber) return fail("it has no " + std::string{attribute});
      break;
    case Status::nas_off:
      if (r.nas.empty()) return fail("it names no NAS (NAS-IP-Address or NAS-Identifier)");
      break;
    case Status::other:
      break;
  }
  std::sort(r.addresses.begin(), r.addresses.end());
  r.addresses.erase(std::unique(r.addresses.begin(), r.addresses.end()), r.addresses.end());
  out.record = std::move(r);
  return out;
}

bool read_number(std::string_view field, std::uint64_t& n) {
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), n);
  return ec == std::errc{} && end == field.data() + field.size() && !field.empty();
}

}  // namespace

std::optional<std::string> unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::nullopt;
  value = value.substr(1, value.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '"') return std::nullopt;  // only \" inside
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == value.size()) return std::nullopt;
    switch (value[i]) {
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      default: {
        const auto octal = [](char d) { return d >= '0' && d <= '7'; };
        if (i + 2 >= value.size() || !octal(value[i]) || !octal(value[i + 1]) ||
            !octal(value[i + 2]) || value[i] > '3')
          return std::nullopt;
        out += static_cast<char>((value[i] - '0') * 64 + (value[i + 1] - '0') * 8 +
                                 (value[i + 2] - '0'));
        i += 2;
      }
    }
  }
  return out;
}

Parsed parse(std::string_view bytes, std::size_t base, std::string_view attribute,
             std::size_t max_records) {
  Parsed out;
  std::size_t at = 0;
  while (out.records.size() < max_records && at < bytes.size()) {
    if (bytes[at] == '\n') {  // an empty line between records
      out.consumed = ++at;
      continue;
    }
    const std::size_t end = bytes.find("\n\n", at);
    if (end == std::string_view::npos || end - at > kMaxRecordBytes) {
      if (bytes.size() - at <= kMaxRecordBytes) break;  // still being written
      // Too long to be a record: skipped through its end, or all there is.
      const std::size_t skip = end == std::string_view::npos ? bytes.size() : end + 2;
      out.problems.push_back({base + at, "a record longer than 64 KiB"});
      out.consumed = at = skip;
      continue;
    }
    One one = read_record(bytes.substr(at, end + 1 - at), attribute);
    if (one.record) {
      one.record->end = base + end + 2;
      out.records.push_back(std::move(*one.record));
    } else {
      out.problems.push_back({base + at, std::move(one.problem)});
    }
    out.consumed = at = end + 2;
  }
  return out;
}

std::string encode(const Position& p) {
  std::string out{kPositionHeader};
  out += "file " + std::to_string(p.device) + ' ' + std::to_string(p.inode) + ' ' +
         std::to_string(p.offset) + '\n';
  out += "detail ";
  append_field(out, p.detail);
  out += "\nstats " + std::to_string(p.records) + ' ' + std::to_string(p.skipped) + ' ' +
         std::to_string(p.last_record) + ' ' + std::to_string(p.last_batch) + '\n';
  for (const auto& [subscriber, nas] : p.nas_of) {
    append_field(out, subscriber);
    out += ' ';
    append_field(out, nas);
    out += '\n';
  }
  return out + "end\n";  // a file cut at a line's end is still refused
}

std::optional<Position> decode_position(std::string_view bytes, std::string& error) {
  const auto fail = [&](std::string why) -> std::optional<Position> {
    error = std::move(why);
    return std::nullopt;
  };
  if (!bytes.starts_with(kPositionHeader))
    return fail("it does not start with \"" +
                std::string{kPositionHeader.substr(0, kPositionHeader.size() - 1)} + "\"");
  if (!bytes.ends_with("\nend\n")) return fail("it is cut off (no \"end\" line)");
  std::string_view rest =
      bytes.substr(kPositionHeader.size(), bytes.size() - kPositionHeader.size() - 4);
  const auto next_line = [&] {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    return line;
  };
  // The fields of a line "NAME F1 F2 ..." when it has `count` of them.
  const auto fields = [](std::string_view line, std::string_view name, std::size_t count) {
    std::vector<std::string_view> out;
    if (!line.starts_with(name) || line.size() <= name.size() || line[name.size()] != ' ')
      return out;
    line.remove_prefix(name.size() + 1);
    for (std::size_t at = 0;;) {
      const std::size_t space = line.find(' ', at);
      out.push_back(line.substr(at, space - at));
      if (space == std::string_view::npos) break;
      at = space + 1;
    }
    if (out.size() != count) out.clear();
    return out;
  };
  Position p;
  const auto file = fields(next_line(), "file", 3);
  if (file.empty() || !read_number(file[0], p.device) || !read_number(file[1], p.inode) ||
      !read_number(file[2], p.offset))
    return fail("its second line is not \"file DEVICE INODE OFFSET\"");
  const auto detail = fields(next_line(), "detail", 1);
  const auto path = detail.empty() ? std::nullopt : field_text(detail[0]);
  if (!path || path->empty()) return fail("its third line is not \"detail PATH\"");
  p.detail = *path;
  const auto stats = fields(next_line(), "stats", 4);
  if (stats.empty() || !read_number(stats[0], p.records) || !read_number(stats[1], p.skipped) ||
      !read_number(stats[2], p.last_record) || !read_number(stats[3], p.last_batch))
    return fail("its fourth line is not \"stats RECORDS SKIPPED LAST-RECORD LAST-BATCH\"");
  while (!rest.empty()) {
    const std::string_view line = next_line();
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) return fail("a line is not \"SUBSCRIBER NAS\"");
    const auto subscriber = field_text(line.substr(0, space));
    const auto nas = field_text(line.substr(space + 1));
    if (!subscriber || !nas || subscriber->empty() || nas->empty())
      return fail("a line is not \"SUBSCRIBER NAS\"");
    p.nas_of.emplace(*subscriber, *nas);
  }
  if (encode(p) != bytes) return fail("it is not written as op25bc writes it");
  return p;
}

}  // namespace op25bc::session::radius
