// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/policy/prefix_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/text/escape.h"

namespace op25bc::policy {

namespace {

// A prefix list from an IPAM can be large: the same limit as the policy's.
constexpr std::size_t kMaxFileBytes = std::size_t{512} << 20;

// The longest prefix text ("ffff:...:ffff/128"): a longer line is quoted
// only in part.
constexpr std::size_t kLongestPrefix = 43;
constexpr std::size_t kExcerpt = 24;

// At most kExcerpt bytes of a bad line, escaped, so a diagnostic never
// carries a whole line of a file that is not what the policy meant.
std::string excerpt(std::string_view line) {
  if (line.size() <= kLongestPrefix) return quote(text::printable(line));
  return quote(text::printable(line.substr(0, kExcerpt))) + "... (" + std::to_string(line.size()) +
         " bytes)";
}

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

PrefixFileContent parse_prefix_file(std::string_view text) {
  PrefixFileContent out;
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  out.prefixes.reserve(lines);
  out.lines.reserve(lines);
  std::uint32_t number = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++number;
    // The history keeps the file as JSON text: comments must be UTF-8 too.
    if (const auto bad = text::find_invalid_utf8(line)) {
      out.bad.push_back({number, "byte " + std::to_string(*bad + 1) + " of the line is not UTF-8",
                         "a prefix file is UTF-8 (or ASCII) text"});
      continue;
    }
    line = trim(line.substr(0, std::min(line.find('#'), line.size())));
    if (line.empty()) continue;
    net::PrefixParse parsed = net::parse_prefix(line);
    if (parsed.prefix) {
      out.prefixes.push_back(*parsed.prefix);
      out.lines.push_back(number);
    } else if (const auto f = text::find_forbidden(line)) {
      out.bad.push_back({number, "line contains " + text::describe(*f), {}});
    } else if (line.size() > kLongestPrefix ||
               line.find_first_of(" \t") != std::string_view::npos) {
      out.bad.push_back({number, "expected one prefix, found " + excerpt(line),
                         "write one prefix per line; '#' starts a comment"});
    } else {
      out.bad.push_back({number, std::move(parsed.error), std::move(parsed.hint)});
    }
  }
  return out;
}

FolderPrefixFiles::FolderPrefixFiles(const std::string& policy_path, const std::string& base)
    : folder_(base.empty() ? std::filesystem::path(policy_path).parent_path().string() : base) {}

std::string FolderPrefixFiles::display_name(const std::string& path) const {
  return folder_.empty() ? path : (std::filesystem::path(folder_) / path).string();
}

std::optional<std::string_view> FolderPrefixFiles::read(const std::string& path,
                                                        std::string& error) {
  for (const auto& [name, bytes] : read_)
    if (name == path) return bytes.view();
  int e = 0;
  auto bytes = io::read_file_beneath(folder_, path, e, kMaxFileBytes);
  if (!bytes) {
    error = e == EFBIG    ? "it is larger than 512 MiB"
            : e == EXDEV  ? "it lies outside the policy's folder"
            : e == EINVAL ? "it is not a regular file"
                          : std::strerror(e);
    return std::nullopt;
  }
  read_.emplace_back(path, std::move(*bytes));
  return read_.back().second.view();
}

std::vector<std::pair<std::string, std::string_view>> FolderPrefixFiles::files_read() const {
  std::vector<std::pair<std::string, std::string_view>> out;
  for (const auto& [path, bytes] : read_) out.emplace_back(path, bytes.view());
  return out;
}

std::optional<std::string_view> StoredPrefixFiles::read(const std::string& path,
                                                        std::string& error) {
  const auto it = files_.find(path);
  if (it == files_.end()) {
    error = "the history kept no copy of it";
    return std::nullopt;
  }
  if (std::find(read_.begin(), read_.end(), path) == read_.end()) read_.push_back(path);
  return it->second;
}

std::string StoredPrefixFiles::display_name(const std::string& path) const {
  return name_ + "#" + path;
}

std::vector<std::pair<std::string, std::string_view>> StoredPrefixFiles::files_read() const {
  std::vector<std::pair<std::string, std::string_view>> out;
  for (const std::string& path : read_) out.emplace_back(path, files_.at(path));
  return out;
}

}  // namespace op25bc::policy
