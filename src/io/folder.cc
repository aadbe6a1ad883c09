// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/io/folder.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace op25bc::io {

namespace {

Failure failed(const std::string& what, const std::string& path, int e) {
  return Failure{"cannot " + what + " " + path + ": " + std::strerror(e)};
}

// A name of one component, as the folder's entries are named.
bool is_entry_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// ".NAME.XXXXXX" with six random letters and digits: a name the folder's
// listing skips (a leading dot), made with O_EXCL so nothing planted is
// reused. Should getrandom fail, the attempt number still varies the name.
std::string temporary_name(const std::string& name, int attempt) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char random[6] = {};
  if (::getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
    random[0] = static_cast<unsigned char>(attempt);
  std::string out = "." + name + ".";
  for (unsigned char r : random) out += kAlphabet[r % (sizeof kAlphabet - 1)];
  return out;
}

}  // namespace

Result<Folder> Folder::open_beneath(const std::string& base, const std::string& relative) {
  const std::string start = base.empty() ? "." : base;
  if (relative.starts_with('/'))
    return Failure{"cannot open the folder " + relative + ": it is an absolute path",
                   "name a folder inside the policy's folder"};
  int fd = ::open(start.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return failed("open the folder", start, errno);
  std::string path = start;
  std::size_t from = 0;
  while (from <= relative.size()) {
    const std::size_t slash = std::min(relative.find('/', from), relative.size());
    const std::string part = relative.substr(from, slash - from);
    from = slash + 1;
    if (part.empty() || part == ".") continue;
    path += "/" + part;
    if (part == "..") {
      ::close(fd);
      return Failure{"cannot open the folder " + path + ": it leads outside " + start,
                     "name a folder inside the policy's folder"};
    }
    const int next = ::openat(fd, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int e = errno;
    ::close(fd);
    if (next < 0)
      return e == ENOTDIR || e == ELOOP
                 ? Failure{"cannot open the folder " + path +
                               ": it is a symbolic link or not a folder",
                           "op25bc writes only into a real folder beneath the policy's folder"}
                 : failed("open the folder", path, e);
    fd = next;
  }
  return Folder(fd, path);
}

Folder::Folder(Folder&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

Folder& Folder::operator=(Folder&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

Folder::~Folder() {
  if (fd_ >= 0) ::close(fd_);
}

std::string Folder::where(const std::string& name) const {
  return path_ + "/" + name;
}

bool Folder::has(const std::string& name) const {
  struct stat st {};
  return ::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

Result<Done> Folder::write_atomically(const std::string& name, std::string_view bytes,
                                      mode_t mode) const {
  if (!is_entry_name(name)) return Failure{"cannot write " + where(name) + ": not a file name"};
  struct stat st {};
  if (::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
    return Failure{"cannot write " + where(name) +
                   ": not a regular file (op25bc replaces files atomically)"};
  // O_PATH descriptors serve openat and renameat; the fsync needs a real open.
  std::string temporary;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 16; ++attempt) {
    temporary = temporary_name(name, attempt);
    fd = ::openat(fd_, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return failed("create a file in", path_, errno);
  const auto abandon = [&](const std::string& what) {
    const int e = errno;
    ::close(fd);
    ::unlinkat(fd_, temporary.c_str(), 0);
    return failed(what, where(name), e);
  };
  if (::fchmod(fd, mode) != 0) return abandon("set the mode of");
  if (!write_all(fd, bytes) || ::fsync(fd) != 0) return abandon("write");
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlinkat(fd_, temporary.c_str(), 0);
    return failed("write", where(name), e);
  }
  if (::renameat(fd_, temporary.c_str(), fd_, name.c_str()) != 0) {
    const int e = errno;
    ::unlinkat(fd_, temporary.c_str(), 0);
    return failed("replace", where(name), e);
  }
  if (const int dir = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Done{};
}

Result<Done> Folder::remove(const std::string& name) const {
  if (!is_entry_name(name)) return Failure{"cannot remove " + where(name) + ": not a file name"};
  if (::unlinkat(fd_, name.c_str(), 0) != 0) return failed("remove", where(name), errno);
  if (const int dir = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Done{};
}

}  // namespace op25bc::io
