// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/diag/diagnostics.h"

#include <algorithm>
#include <numeric>

#include "op25bc/text/escape.h"

namespace op25bc {

void Diagnostics::error(std::string pointer, std::string message, std::string hint) {
  entries_.push_back({Severity::error, std::move(pointer), std::move(message), std::move(hint)});
  ++errors_;
}

void Diagnostics::warning(std::string pointer, std::string message, std::string hint) {
  entries_.push_back({Severity::warning, std::move(pointer), std::move(message), std::move(hint)});
}

void Diagnostics::syntax_error(std::size_t line, std::size_t column, std::string message) {
  entries_.push_back({Severity::error, {}, std::move(message), {}, line, column});
  ++errors_;
}

void Diagnostics::report(Severity severity, Location where, std::string message, std::string hint) {
  Diagnostic d{severity, std::move(where.pointer), std::move(message), std::move(hint)};
  d.file = std::move(where.file);
  d.line = where.line;
  entries_.push_back(std::move(d));
  if (severity == Severity::error) ++errors_;
}

void Diagnostics::note(std::string pointer, std::string text) {
  note(Location{std::move(pointer)}, std::move(text));
}

void Diagnostics::note(Location where, std::string text) {
  if (!entries_.empty()) entries_.back().related.push_back({std::move(where), std::move(text)});
}

std::string format_diagnostic(const Diagnostic& d, std::string_view file) {
  // Messages quote what the user wrote: written printable, so none adds a line.
  std::string out = text::printable(d.file.empty() ? file : d.file);
  if (!d.file.empty()) {
    // A line of another file (a prefix file), or a pointer into one (a drop-in).
    if (d.line != 0)
      out += ':' + std::to_string(d.line);
    else if (!d.pointer.empty())
      out += ": " + text::printable(d.pointer);
  } else if (d.line != 0) {
    out += ':' + std::to_string(d.line) + ':' + std::to_string(d.column);
  } else if (!d.pointer.empty()) {
    out += ": ";
    out += text::printable(d.pointer);
  }
  out += d.severity == Severity::error ? ": error: " : ": warning: ";
  out += text::printable(d.message);
  out += '\n';
  for (const Related& r : d.related) {
    const Location& w = r.where;
    if (!w.file.empty())
      out += text::printable(w.file) + (w.line != 0          ? ':' + std::to_string(w.line)
                                        : !w.pointer.empty() ? ": " + text::printable(w.pointer)
                                                             : std::string{});
    else
      out += text::printable(file) + (w.pointer.empty() ? "" : ": " + text::printable(w.pointer));
    out += ": note: " + text::printable(r.note) + '\n';
  }
  if (!d.hint.empty()) {
    out += "  hint: ";
    out += text::printable(d.hint);
    out += '\n';
  }
  return out;
}

std::string pointer_append(std::string_view base, std::string_view key) {
  std::string out{base};
  out += '/';
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string pointer_append(std::string_view base, std::size_t index) {
  std::string out{base};
  out += '/';
  out += std::to_string(index);
  return out;
}

std::string quote(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out.append(1, '"').append(value).append(1, '"');
  return out;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

}  // namespace op25bc
