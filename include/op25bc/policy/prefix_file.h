// SPDX-License-Identifier: GPL-2.0-or-later
// Prefix files: a pool's "prefixes_file", so address lists exported from an
// IPAM live in files of their own beside the policy. One prefix per line;
// '#' starts a comment; blank lines and surrounding spaces are allowed.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
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
  // A hint that read() will be asked for these files, in this order (a
  // folder's drop-ins): an implementation may read them ahead, side by side.
  // What read() and files_read() give does not change.
  virtual void prefetch(const std::vector<std::string>& paths) { (void)paths; }
  // What read() gave, each file once, in the order first read: (path as the
  // policy writes it, bytes), for the fingerprint and the history's copy.
  virtual std::vector<std::pair<std::string, std::string_view>> files_read() const = 0;
};

// Files beside the policy file, each read once and kept. As sshd's
// StrictModes, the folder, a prefix file, the drop-in folder and each drop-in
// must be writable by root or the policy file's owner alone (io::untrusted);
// a drop-in is at most 64 KiB, one exemption taking a few hundred bytes.
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
  // Starts reading the files on a few threads, while the parse goes on with
  // the files read so far (each file is a few system calls, which cost most
  // on a virtual machine): 10,000 drop-ins read and parsed in about half the time.
  void prefetch(const std::vector<std::string>& paths) override;
  std::vector<std::pair<std::string, std::string_view>> files_read() const override;

 private:
  struct File {
    std::string path;
    io::FileBytes bytes;
    bool forgotten = false;
  };
  // Files read ahead by worker threads; read() waits for the one it wants.
  struct Ahead {
    std::vector<std::string> paths;
    std::unordered_map<std::string_view, std::size_t> at;  // path -> its index in paths
    std::vector<std::optional<io::FileBytes>> bytes;       // or, without, the errno value:
    std::vector<int> errors;
    std::unique_ptr<std::atomic<bool>[]> done;
    std::vector<std::jthread> workers;  // last: joined before the rest goes
  };
  bool open_folder(int& error);
  std::size_t max_bytes(const std::string& path) const;
  std::string folder_;  // "" for the working folder
  // Whose files are trusted besides root's (io::untrusted): the policy file's owner.
  uid_t owner_ = 0;
  int dir_ = -1;                                     // folder_, opened at the first read
  std::string folder_problem_;                       // why folder_ is not trusted, if it is not
  std::unordered_set<std::string> dropins_;          // the paths list() gave
  std::deque<File> read_;                            // never moves an element
  std::unordered_map<std::string, std::size_t> at_;  // path -> its index in read_
  std::unique_ptr<Ahead> ahead_;                     // the last prefetch
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
  void prefetch(const std::vector<std::string>& paths) override;
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

// Another PrefixFiles with one more drop-in, not written yet: file `name` in
// the folder the policy lists (its exemptions_dir; no other folder is
// listed). `op25bc exempt add` checks and applies the policy as it will be
// once the file is written: the file is read in its place in name order, so
// files_read() and the fingerprint are those the written file will give.
class PendingDropIn final : public PrefixFiles {
 public:
  PendingDropIn(std::unique_ptr<PrefixFiles> base, std::string name, std::string bytes)
      : base_(std::move(base)), name_(std::move(name)), bytes_(std::move(bytes)) {}
  std::optional<std::string_view> read(const std::string& path, std::string& error) override;
  std::string display_name(const std::string& path) const override;
  std::optional<std::vector<std::string>> list(const std::string& dir, std::string& error) override;
  void forget(const std::string& path) override;
  void prefetch(const std::vector<std::string>& paths) override;
  std::vector<std::pair<std::string, std::string_view>> files_read() const override;

  // The drop-in's path ("exemptions.d/acme.json"); "" until the folder is listed.
  const std::string& path() const { return path_; }

 private:
  std::unique_ptr<PrefixFiles> base_;
  std::string name_;
  std::string bytes_;
  std::string path_;
  bool read_ = false;
  std::vector<std::string> order_;        // every path read, in the order first read
  std::unordered_set<std::string> seen_;  // what order_ holds
};

}  // namespace op25bc::policy
