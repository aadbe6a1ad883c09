// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/io/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace op25bc::io {

namespace {

// A FIFO opened without a writer would block open() forever: it is opened
// without blocking, then waited for, boundedly.
bool wait_for_writer(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

}  // namespace

// Reads an open file whose fstat(2) the caller has, to its end, and closes it.
struct OpenFileReader {
  static std::optional<FileBytes> read(int fd, const struct stat& st, int& error,
                                       std::size_t max_bytes, std::chrono::milliseconds fifo_wait) {
    // A regular file's size (plus one byte, to see the end in the same read)
    // is the first guess; a pipe starts at 64 KiB. Either grows if more
    // comes, up to `max_bytes` (a device such as /dev/zero never ends).
    const bool regular = S_ISREG(st.st_mode);
    if (regular && static_cast<std::uint64_t>(st.st_size) > max_bytes) {  // before reading
      ::close(fd);
      error = EFBIG;
      return std::nullopt;
    }
    const std::size_t guess = regular ? static_cast<std::size_t>(st.st_size) + 1 : 64 * 1024;
    if (S_ISFIFO(st.st_mode) && !wait_for_writer(fd, fifo_wait)) {
      ::close(fd);
      error = ETIMEDOUT;
      return std::nullopt;
    }
    // O_NONBLOCK (set by the callers' open) matters for a FIFO only.
    if (!regular) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FileBytes file;
    auto& buffer = file.bytes_;
    std::size_t used = 0;
    for (;;) {
      if (used > max_bytes) {
        ::close(fd);
        error = EFBIG;
        return std::nullopt;
      }
      if (used == buffer.size())
        buffer.resize(std::min(std::max(guess, 2 * buffer.size()), max_bytes + 1));
      const ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = errno;
        ::close(fd);
        return std::nullopt;
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
      // A regular file holds the size fstat(2) gave: once that much is read
      // there is no second read to see the end (thousands of drop-in files,
      // one read(2) each). One that says 0 (procfs) is read to its end.
      if (regular && st.st_size > 0 && used == static_cast<std::size_t>(st.st_size)) break;
    }
    ::close(fd);
    buffer.resize(used);
    return file;
  }
};

std::optional<FileBytes> read_bytes(const std::string& path, int& error, std::size_t max_bytes,
                                    std::chrono::milliseconds fifo_wait) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = errno;
    return std::nullopt;
  }
  return read_open_file(fd, error, max_bytes, fifo_wait);
}

std::optional<FileBytes> read_regular(const std::string& path, int& error, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    error = errno == ENXIO ? EINVAL : errno;  // ENXIO: a socket
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = S_ISREG(st.st_mode) ? errno : EINVAL;
    ::close(fd);
    return std::nullopt;
  }
  return OpenFileReader::read(fd, st, error, max_bytes, std::chrono::milliseconds{0});
}

std::string error_text(int error) {
  return error == EINVAL ? "not a regular file" : std::strerror(error);
}

namespace {

// openat2(2) beneath `dir`; ENOSYS before Linux 5.6.
int open_beneath(int dir, const std::string& path, std::uint64_t flags = 0) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    const long fd = ::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);  // EAGAIN: a rename raced
  }
}

// Without openat2: the canonical path must lie in the canonical folder.
int open_checked_by_name(const std::string& folder, const std::string& path) {
  std::error_code ec;
  const auto base = std::filesystem::canonical(folder, ec);
  if (ec) return errno = ec.value(), -1;
  const auto file = std::filesystem::canonical(base / path, ec);
  if (ec) return errno = ec.value(), -1;
  const auto [end, _] = std::mismatch(base.begin(), base.end(), file.begin(), file.end());
  if (end != base.end() || file == base) return errno = EXDEV, -1;
  return ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
}

}  // namespace

std::optional<FileBytes> read_file_beneath(const std::string& folder, const std::string& path,
                                           int& error, std::size_t max_bytes) {
  const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    error = errno;
    return std::nullopt;
  }
  auto out = read_file_beneath(dir, folder, path, error, max_bytes);
  ::close(dir);
  return out;
}

std::string untrusted(const struct stat& st, uid_t owner) {
  if (st.st_uid != 0 && st.st_uid != owner)
    return "it is owned by uid " + std::to_string(st.st_uid) + ", neither root nor uid " +
           std::to_string(owner);
  const bool sticky_folder = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !sticky_folder) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return std::string{"its group or others may write it (mode "} + mode + ")";
  }
  return {};
}

std::optional<FileBytes> read_file_beneath(int dir, const std::string& folder,
                                           const std::string& path, int& error,
                                           std::size_t max_bytes, std::optional<uid_t> owner) {
  if (path.starts_with('/')) {
    error = EXDEV;
    return std::nullopt;
  }
  int fd = open_beneath(dir, path);
  if (fd < 0 && errno == ENOSYS) fd = open_checked_by_name(folder.empty() ? "." : folder, path);
  error = errno == ENXIO ? EINVAL : errno;  // ENXIO: a socket
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = S_ISREG(st.st_mode) ? errno : EINVAL;
    ::close(fd);
    return std::nullopt;
  }
  if (owner && !untrusted(st, *owner).empty()) {
    error = EPERM;
    ::close(fd);
    return std::nullopt;
  }
  return OpenFileReader::read(fd, st, error, max_bytes, std::chrono::milliseconds{0});
}

std::optional<std::vector<std::string>> list_beneath(const std::string& folder,
                                                     const std::string& path,
                                                     std::string_view suffix, int& error,
                                                     std::optional<uid_t> owner) {
  const std::string base = folder.empty() ? "." : folder;
  if (path.starts_with('/')) {
    error = EXDEV;
    return std::nullopt;
  }
  const int dir = ::open(base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    error = errno;
    return std::nullopt;
  }
  int fd = open_beneath(dir, path, O_DIRECTORY);
  if (fd < 0 && errno == ENOSYS) {
    std::error_code ec;
    const auto canonical_base = std::filesystem::canonical(base, ec);
    const auto target = ec ? canonical_base : std::filesystem::canonical(canonical_base / path, ec);
    const auto [end, _] =
        std::mismatch(canonical_base.begin(), canonical_base.end(), target.begin(), target.end());
    if (ec)
      errno = ec.value();
    else if (end != canonical_base.end())
      errno = EXDEV;
    else
      fd = ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  error = errno;
  ::close(dir);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (owner && (::fstat(fd, &st) != 0 || !untrusted(st, *owner).empty())) {
    error = EPERM;
    ::close(fd);
    return std::nullopt;
  }
  DIR* d = ::fdopendir(fd);  // owns fd from here
  if (d == nullptr) {
    error = errno;
    ::close(fd);
    return std::nullopt;
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (!name.starts_with('.') && name.size() > suffix.size() && name.ends_with(suffix))
      names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<FileBytes> read_open_file(int fd, int& error, std::size_t max_bytes,
                                        std::chrono::milliseconds fifo_wait) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) st.st_mode = 0;  // read as a stream
  return OpenFileReader::read(fd, st, error, max_bytes, fifo_wait);
}

FileBytes FileBytes::copy_of(std::string_view bytes) {
  FileBytes out;
  out.bytes_.assign(bytes.begin(), bytes.end());
  return out;
}

}  // namespace op25bc::io
