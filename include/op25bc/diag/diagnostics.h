// SPDX-License-Identifier: GPL-2.0-or-later
// Diagnostics: user errors are data. Every pass appends to one collector; the
// driver reports them all at a phase boundary and stops before any output.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace op25bc {

enum class Severity { error, warning };

// Where in the input something is: a JSON pointer into the policy, or into
// another file the policy names (a drop-in exemption), or a line of one (a
// pool's prefixes_file).
struct Location {
  std::string pointer;    // into the policy when `file` is empty, else into `file`
  std::string file = {};  // as diagnostics name it ("pools/tokyo.txt")
  std::size_t line = 0;
};

// Another place in the input a diagnostic concerns ("first defined here").
struct Related {
  Location where;
  std::string note;
};

struct Diagnostic {
  Severity severity;
  std::string pointer;  // RFC 6901 JSON pointer into the policy ("" = document)
  std::string message;
  std::string hint;        // optional advice, "" when none
  std::size_t line = 0;    // for syntax errors: 1-based position in the file
  std::size_t column = 0;  // (0 when the pointer says where)
  std::vector<Related> related = {};
  std::string file = {};  // set: the diagnostic is about `line` of this other file
};

class Diagnostics {
 public:
  void error(std::string pointer, std::string message, std::string hint = {});
  void warning(std::string pointer, std::string message, std::string hint = {});
  void syntax_error(std::size_t line, std::size_t column, std::string message);
  // At a location that may be a line of a prefix file.
  void report(Severity severity, Location where, std::string message, std::string hint = {});
  // Adds a related place to the diagnostic reported last.
  void note(std::string pointer, std::string note);
  void note(Location where, std::string note);

  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  std::size_t warning_count() const { return entries_.size() - errors_; }
  const std::vector<Diagnostic>& entries() const { return entries_; }

 private:
  std::vector<Diagnostic> entries_;
  std::size_t errors_ = 0;
};

// "FILE: POINTER: error: message" ("FILE:LINE:COLUMN: error: ..." for syntax
// errors, "FILE: error: ..." for the document itself, "PREFIXFILE:LINE:
// error: ..." for a line of a prefix file), one
// "FILE: POINTER: note: ..." line per related place, and an indented "hint:"
// line when present.
std::string format_diagnostic(const Diagnostic& d, std::string_view file);

// JSON pointer building with RFC 6901 escaping ("~" -> "~0", "/" -> "~1").
std::string pointer_append(std::string_view base, std::string_view key);
std::string pointer_append(std::string_view base, std::size_t index);

// A user value in a message: "value" with double quotes.
std::string quote(std::string_view value);

// Closest candidate by edit distance, or "" when none is plausibly meant.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace op25bc
