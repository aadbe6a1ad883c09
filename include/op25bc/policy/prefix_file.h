// SPDX-License-Identifier: GPL-2.0-or-later
// Prefix files: a pool's "prefixes_file", so address lists exported from an
// IPAM live in files of their own beside the policy. One prefix per line;
// '#' starts a comment; blank lines and surrounding spaces are allowed.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
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
  // The *.json files of folder `dir` (exemptions_dir), as paths read() takes
  // ("exemptions.d/cust-1.json"), sorted; nullopt with `error`.
  virtual std::optional<std::vector<std::string>> list(const std::string& dir,
                                                       std::string& error) = 0;
  // Drops a file read() gave from files_read(): a drop-in left out.
  virtual void forget(const std::string& path) = 0;
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
  ~FolderPrefixFiles() override;
  FolderPrefixFiles(const FolderPrefixFiles&) = delete;
  FolderPrefixFiles& operator=(const FolderPrefixFiles&) = delete;
  std::optional<std::string_view> read(const std::string& path, std::string& error) override;
  std::string display_name(const std::string& path) const override;
  std::optional<std::vector<std::string>> list(const std::string& dir, std::string& error) override;
  void forget(const std::string& path) override;
  std::vector<std::pair<std::string, std::string_view>> files_read() const override;

 private:
  struct File {
    std::string path;
    io::FileBytes bytes;
    bool forgotten = false;
  };
  std::string folder_;                               // "" for the working folder
  int dir_ = -1;                                     // folder_, opened at the first read
  std::deque<File> read_;                            // never moves an element
  std::unordered_map<std::string, std::size_t> at_;  // path -> its index in read_
};

// Files held in memory: the copies the history kept with a policy. With
// `dropins`, the exemptions_dir is listed and its files read there instead
// (the live folder): a rollback restores the policy and its prefix files,
// never withdraws an exemption granted since.
class StoredPrefixFiles final : public PrefixFiles {
 public:
  StoredPrefixFiles(std::map<std::string, std::string> files, std::string name,
                    std::unique_ptr<PrefixFiles> dropins = nullptr)
      : files_(std::move(files)), name_(std::move(name)), dropins_(std::move(dropins)) {}
  std::optional<std::string_view> read(const std::string& path, std::string& error) override;
  std::string display_name(const std::string& path) const override;
  std::optional<std::vector<std::string>> list(const std::string& dir, std::string& error) override;
  void forget(const std::string& path) override;
  std::vector<std::pair<std::string, std::string_view>> files_read() const override;

 private:
  bool live(const std::string& path) const;

  std::map<std::string, std::string> files_;
  std::string name_;  // where they are kept
  std::unique_ptr<PrefixFiles> dropins_;
  std::unordered_set<std::string> listed_;  // paths dropins_ listed
  std::vector<std::string> read_;           // in the order first read
  std::unordered_set<std::string> seen_;    // what read_ holds
  std::unordered_set<std::string> forgotten_;
};

// Another PrefixFiles with one more file that is not written yet (a drop-in
// `op25bc exempt add` checks before it writes it).
class OverlayPrefixFiles final : public PrefixFiles {
 public:
  OverlayPrefixFiles(PrefixFiles& base, std::string path, std::string bytes)
      : base_(base), path_(std::move(path)), bytes_(std::move(bytes)) {}
  std::optional<std::string_view> read(const std::string& path, std::string& error) override;
  std::string display_name(const std::string& path) const override;
  std::optional<std::vector<std::string>> list(const std::string& dir, std::string& error) override;
  void forget(const std::string& path) override;
  std::vector<std::pair<std::string, std::string_view>> files_read() const override;

 private:
  PrefixFiles& base_;
  std::string path_;
  std::string bytes_;
  bool read_ = false;
};

}  // namespace op25bc::policy
