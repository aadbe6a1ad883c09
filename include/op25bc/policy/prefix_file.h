// SPDX-License-Identifier: GPL-2.0-or-later
// Prefix files: a pool's "prefixes_file", so address lists exported from an
// IPAM live in files of their own beside the policy. One prefix per line;
// '#' starts a comment; blank lines and surrounding spaces are allowed.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "op25bc/io/file_bytes.h"
#include "op25bc/net/prefix.h"

namespace op25bc::policy {

struct PrefixFileContent {
  net::Prefixes prefixes;            // the good lines' prefixes, in file order
  std::vector<std::uint32_t> lines;  // the 1-based line of each
  struct Bad {
    std::uint32_t line;
    std::string message;
    std::string hint;
  };
  std::vector<Bad> bad;
};

PrefixFileContent parse_prefix_file(std::string_view text);

// Where the parse pass reads prefix files from. Paths are as the policy
// writes them, relative to the policy file's folder.
class PrefixFiles {
 public:
  virtual ~PrefixFiles() = default;
  // The file's bytes (valid while this object lives), or nullopt with `error`.
  virtual std::optional<std::string_view> read(const std::string& path, std::string& error) = 0;
  // How diagnostics name the file.
  virtual std::string display_name(const std::string& path) const = 0;
  // What read() gave, each file once, in the order first read: (path as the
  // policy writes it, bytes), for the fingerprint and the history's copy.
  virtual std::vector<std::pair<std::string, std::string_view>> files_read() const = 0;
};

// Files beside the policy file, each read once and kept.
class FolderPrefixFiles final : public PrefixFiles {
 public:
  // `policy_path` as the user gave it: display names are relative to it too.
  // `base`, when given, is the folder to read from instead of the policy's.
  explicit FolderPrefixFiles(const std::string& policy_path, const std::string& base = {});
  std::optional<std::string_view> read(const std::string& path, std::string& error) override;
  std::string display_name(const std::string& path) const override;
  std::vector<std::pair<std::string, std::string_view>> files_read() const override;

 private:
  std::string folder_;                                      // "" for the working folder
  std::deque<std::pair<std::string, io::FileBytes>> read_;  // never moves an element
};

// Files held in memory: the copies the history kept with a policy.
class StoredPrefixFiles final : public PrefixFiles {
 public:
  StoredPrefixFiles(std::map<std::string, std::string> files, std::string name)
      : files_(std::move(files)), name_(std::move(name)) {}
  std::optional<std::string_view> read(const std::string& path, std::string& error) override;
  std::string display_name(const std::string& path) const override;
  std::vector<std::pair<std::string, std::string_view>> files_read() const override;

 private:
  std::map<std::string, std::string> files_;
  std::string name_;  // where they are kept
  std::vector<std::string> read_;
};

}  // namespace op25bc::policy
