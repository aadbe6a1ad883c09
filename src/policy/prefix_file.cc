// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/policy/prefix_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/text/escape.h"

namespace op25bc::policy {

namespace {

// A prefix list from an IPAM can be large: the same limit as the policy's.
constexpr std::size_t kMaxFileBytes = std::size_t{512} << 20;
// A drop-in holds one exemption: a few hundred bytes, some KiB with long text.
constexpr std::size_t kMaxDropInBytes = std::size_t{64} << 10;

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
    : folder_(base.empty() ? std::filesystem::path(policy_path).parent_path().string() : base) {
  struct stat st {};
  if (::stat(policy_path.empty() ? (folder_.empty() ? "." : folder_.c_str()) : policy_path.c_str(),
             &st) == 0)
    owner_ = st.st_uid;
}

FolderPrefixFiles::~FolderPrefixFiles() {
  ahead_.reset();  // its workers read beneath dir_
  if (dir_ >= 0) ::close(dir_);
}

std::string FolderPrefixFiles::display_name(const std::string& path) const {
  return folder_.empty() ? path : (std::filesystem::path(folder_) / path).string();
}

bool FolderPrefixFiles::open_folder(int& error) {
  if (dir_ < 0) {
    dir_ = ::open(folder_.empty() ? "." : folder_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat st {};
    if (dir_ >= 0 && ::fstat(dir_, &st) == 0) folder_problem_ = io::untrusted(st, owner_);
  }
  if (dir_ < 0) error = errno;
  if (dir_ >= 0 && !folder_problem_.empty()) error = EPERM;
  return dir_ >= 0 && folder_problem_.empty();
}

std::size_t FolderPrefixFiles::max_bytes(const std::string& path) const {
  return dropins_.contains(path) ? kMaxDropInBytes : kMaxFileBytes;
}

namespace {

std::string read_problem(int e, std::size_t max_bytes, const std::string& folder_problem) {
  if (e == EPERM)
    return folder_problem.empty()
               ? "someone other than root and the policy's owner may write it, so op25bc does "
                 "not trust it"
               : "the policy's folder is not trusted: " + folder_problem;
  if (e == EFBIG)
    return max_bytes == kMaxDropInBytes ? "it is larger than 64 KiB" : "it is larger than 512 MiB";
  if (e == EXDEV) return "it lies outside the policy's folder";
  if (e == EINVAL) return "it is not a regular file";
  return std::strerror(e);
}

}  // namespace

std::optional<std::string_view> FolderPrefixFiles::read(const std::string& path,
                                                        std::string& error) {
  if (const auto it = at_.find(path); it != at_.end()) return read_[it->second].bytes.view();
  int e = 0;
  std::optional<io::FileBytes> bytes;
  const auto ahead = ahead_ ? ahead_->at.find(path) : decltype(ahead_->at)::iterator{};
  if (ahead_ && ahead != ahead_->at.end()) {
    const std::size_t i = ahead->second;
    ahead_->done[i].wait(false);
    bytes = std::move(ahead_->bytes[i]);
    e = ahead_->errors[i];
    ahead_->at.erase(ahead);  // read once; a second read() finds it in at_
  } else if (open_folder(e)) {
    bytes = io::read_file_beneath(dir_, folder_, path, e, max_bytes(path), owner_);
  }
  if (!bytes) {
    error = read_problem(e, max_bytes(path), folder_problem_);
    return std::nullopt;
  }
  at_.emplace(path, read_.size());
  read_.push_back({path, std::move(*bytes)});
  return read_.back().bytes.view();
}

void FolderPrefixFiles::prefetch(const std::vector<std::string>& paths) {
  constexpr std::size_t kPerThread = 256;  // fewer files are not worth a thread
  int e = 0;
  const std::size_t threads = std::min<std::size_t>(
      std::clamp(std::thread::hardware_concurrency(), 1u, 4u), paths.size() / kPerThread);
  if (threads < 1 || !open_folder(e)) return;
  ahead_.reset();  // joins an earlier prefetch's workers
  auto ahead = std::make_unique<Ahead>();
  ahead->paths = paths;
  for (std::size_t i = 0; i < paths.size(); ++i) ahead->at.emplace(ahead->paths[i], i);
  ahead->bytes.resize(paths.size());
  ahead->errors.resize(paths.size());
  ahead->done = std::make_unique<std::atomic<bool>[]>(paths.size());
  // Worker t reads files t, t + threads, ...: in the order the parse asks.
  for (std::size_t t = 0; t < threads; ++t)
    ahead->workers.emplace_back([this, a = ahead.get(), t, threads] {
      for (std::size_t i = t; i < a->paths.size(); i += threads) {
        a->bytes[i] = io::read_file_beneath(dir_, folder_, a->paths[i], a->errors[i],
                                            max_bytes(a->paths[i]), owner_);
        a->done[i].store(true, std::memory_order_release);
        a->done[i].notify_one();
      }
    });
  ahead_ = std::move(ahead);
}

namespace {

// "dir/name" for the names io::list_beneath found in `dir`.
std::vector<std::string> paths_in(std::string dir, const std::vector<std::string>& names) {
  while (dir.size() > 1 && dir.ends_with('/')) dir.pop_back();
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const std::string& name : names) out.push_back(dir + "/" + name);
  return out;
}

}  // namespace

std::optional<std::vector<std::string>> FolderPrefixFiles::list(const std::string& dir,
                                                                std::string& error) {
  int e = 0;
  if (!open_folder(e)) {
    error = read_problem(e, kMaxFileBytes, folder_problem_);
    return std::nullopt;
  }
  const auto names = io::list_beneath(folder_, dir, ".json", e, owner_);
  if (!names) {
    error = e == EPERM     ? "someone other than root and the policy's owner may write in it, so "
                             "op25bc does not trust it"
            : e == EXDEV   ? "it lies outside the policy's folder"
            : e == ENOTDIR ? "it is not a folder"
                           : std::strerror(e);
    return std::nullopt;
  }
  auto paths = paths_in(dir, *names);
  dropins_.insert(paths.begin(), paths.end());
  return paths;
}

void FolderPrefixFiles::forget(const std::string& path) {
  if (const auto it = at_.find(path); it != at_.end()) read_[it->second].forgotten = true;
}

std::vector<std::pair<std::string, std::string_view>> FolderPrefixFiles::files_read() const {
  std::vector<std::pair<std::string, std::string_view>> out;
  for (const File& f : read_)
    if (!f.forgotten) out.emplace_back(f.path, f.bytes.view());
  return out;
}

bool StoredPrefixFiles::live(const std::string& path) const {
  return listed_.contains(path);
}

std::optional<std::vector<std::string>> StoredPrefixFiles::list(const std::string& dir,
                                                                std::string& error) {
  if (dropins_) {
    auto paths = dropins_->list(dir, error);
    if (paths) listed_.insert(paths->begin(), paths->end());
    return paths;
  }
  std::string head = dir;
  while (head.size() > 1 && head.ends_with('/')) head.pop_back();
  head += '/';
  std::vector<std::string> out;
  for (const auto& [path, bytes] : files_)
    if (path.starts_with(head) && path.ends_with(".json") &&
        path.find('/', head.size()) == std::string::npos)
      out.push_back(path);
  return out;  // the map keeps them sorted
}

std::optional<std::string_view> StoredPrefixFiles::read(const std::string& path,
                                                        std::string& error) {
  if (live(path)) {
    const auto bytes = dropins_->read(path, error);
    if (bytes && seen_.insert(path).second) read_.push_back(path);
    return bytes;
  }
  const auto it = files_.find(path);
  if (it == files_.end()) {
    error = "the history kept no copy of it";
    return std::nullopt;
  }
  if (seen_.insert(path).second) read_.push_back(path);
  return it->second;
}

void StoredPrefixFiles::prefetch(const std::vector<std::string>& paths) {
  if (dropins_) dropins_->prefetch(paths);
}

void StoredPrefixFiles::forget(const std::string& path) {
  forgotten_.insert(path);
  if (live(path)) dropins_->forget(path);
}

std::string StoredPrefixFiles::display_name(const std::string& path) const {
  return live(path) ? dropins_->display_name(path) : name_ + "#" + path;
}

std::vector<std::pair<std::string, std::string_view>> StoredPrefixFiles::files_read() const {
  std::vector<std::pair<std::string, std::string_view>> out;
  const auto from_live =
      dropins_ ? dropins_->files_read() : std::vector<std::pair<std::string, std::string_view>>{};
  std::unordered_map<std::string_view, std::string_view> live_bytes;
  for (const auto& [name, bytes] : from_live) live_bytes.emplace(name, bytes);
  for (const std::string& path : read_) {
    if (forgotten_.contains(path)) continue;
    if (!live(path)) {
      out.emplace_back(path, files_.at(path));
      continue;
    }
    if (const auto it = live_bytes.find(path); it != live_bytes.end())
      out.emplace_back(path, it->second);
  }
  return out;
}

std::optional<std::string_view> PendingDropIn::read(const std::string& path, std::string& error) {
  const bool pending = !path_.empty() && path == path_;
  const auto bytes = pending ? std::optional<std::string_view>(bytes_) : base_->read(path, error);
  if (bytes && seen_.insert(path).second) order_.push_back(path);
  if (pending) read_ = true;
  return bytes;
}

std::string PendingDropIn::display_name(const std::string& path) const {
  return base_->display_name(path);
}

std::optional<std::vector<std::string>> PendingDropIn::list(const std::string& dir,
                                                            std::string& error) {
  auto paths = base_->list(dir, error);
  if (!paths) return paths;
  path_ = paths_in(dir, {name_}).front();
  if (!std::binary_search(paths->begin(), paths->end(), path_))
    paths->insert(std::upper_bound(paths->begin(), paths->end(), path_), path_);
  return paths;
}

void PendingDropIn::prefetch(const std::vector<std::string>& paths) {
  std::vector<std::string> written;
  written.reserve(paths.size());
  for (const std::string& path : paths)
    if (path != path_) written.push_back(path);
  base_->prefetch(written);
}

void PendingDropIn::forget(const std::string& path) {
  if (!path_.empty() && path == path_)
    read_ = false;
  else
    base_->forget(path);
}

std::vector<std::pair<std::string, std::string_view>> PendingDropIn::files_read() const {
  std::unordered_map<std::string, std::string_view> held;
  for (auto& [path, bytes] : base_->files_read()) held.emplace(std::move(path), bytes);
  if (read_) held.emplace(path_, bytes_);
  std::vector<std::pair<std::string, std::string_view>> out;
  for (const std::string& path : order_)
    if (const auto it = held.find(path); it != held.end()) out.emplace_back(path, it->second);
  return out;
}

}  // namespace op25bc::policy
