// SPDX-License-Identifier: GPL-2.0-or-later
// Free text from a policy, a command line or the kernel, and the one rule for
// it: the policy may not contain characters that end a line or reorder what a
// reader sees, and every writer quotes what it embeds by its own format's rules,
// so no text can add a line to an nft script, a crontab, a unit, a log or a
// report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace op25bc::text {

// A character free text may not hold: C0 and C1 controls, DEL, the line and
// paragraph separators, and the bidirectional marks, embeddings, overrides and
// isolates (U+061C, U+200E/F, U+202A-E, U+2066-9). Bytes that are not UTF-8
// count too (`codepoint` is then the byte).
struct Forbidden {
  std::size_t offset;  // byte offset in the text
  std::uint32_t codepoint;
  bool invalid_utf8 = false;
};
std::optional<Forbidden> find_forbidden(std::string_view text);

// The offset of the first byte that is not UTF-8, if any.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

// "U+000A (line feed)" for messages.
std::string describe(const Forbidden& f);

// The text with every forbidden character written as \u{XXXX} (a bad byte as
// \xHH): safe to put on one line of any human-readable output.
std::string printable(std::string_view text);

// At most `max_bytes` bytes, cut on a character boundary.
std::string truncate_utf8(std::string_view text, std::size_t max_bytes);

// One line of a '#' comment (nft, cron, systemd): printable, and never ending
// in a backslash, which some formats read as a line continuation.
std::string comment_line(std::string_view text);

// A quoted nft string. nft's grammar has no escapes inside quotes, so '"'
// becomes '\'' and forbidden characters are written printable.
std::string nft_quoted(std::string_view text);

// One POSIX shell word: 'text', with ' written as '\''.
std::string shell_word(std::string_view text);

// A shell word inside a cron command. cron (Debian's, Vixie's) turns an
// unescaped '%' into a newline and reads a backslash before '%' or another
// backslash as an escape, so '%' is written '\%' and '\' is written '\\'
// (cron removes one backslash of each); any path comes through exactly.
std::string cron_word(std::string_view text);

// One argument of a systemd Exec*= line: double-quoted, '\' and '"' escaped,
// '%' written '%%' (specifiers) and '$' written '$$' (variables).
std::string systemd_word(std::string_view text);

// The executable of a systemd Exec*= line: systemd expands no variables there
// ('$' stays) and refuses names with quotes or backslashes, which
// `systemd_executable_ok` tells beforehand.
std::string systemd_executable(std::string_view path);
bool systemd_executable_ok(std::string_view path);

// Text in HTML, as element content or a double- or single-quoted attribute
// value: '&', '<', '>', '"' and '\'' as character references.
std::string html_text(std::string_view text);

// Text in Markdown (CommonMark and GitHub's dialect): the characters that
// open markup (\ ` * _ [ ] < > # | ! ~ &) backslash-escaped, so no text opens a
// link, an emphasis, code, a heading, a table cell, an entity or an HTML tag;
// at its start, a list, quote, rule or heading marker ("1. ", "- ", "+ ",
// "---", "=") escaped and leading spaces written as &#32; (no code block);
// "://" and "www." escaped so that no bare web address becomes a link. The
// text shows as written. (GitHub's renderer still links a bare e-mail
// address, as a mailto: link; no escape stops that.)
std::string markdown_text(std::string_view text);

}  // namespace op25bc::text
