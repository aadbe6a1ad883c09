// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

namespace op25bc::io {

namespace {

std::string failure(const std::string& what, const std::string& path, int e) {
  return "cannot " + what + " " + path + ": " + std::strerror(e);
}

// The folder and the file name of `path`.
std::pair<std::string, std::string> split(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

bool write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// A temporary file of `name` left in `folder` by a writer that was killed
// before its rename (".NAME." and mkstemp's six characters), at least a
// minute old so that no writer still at work loses it: removed.
void sweep_abandoned(const std::string& folder, const std::string& name) {
  DIR* d = ::opendir(folder.c_str());
  if (d == nullptr) return;
  const std::string prefix = "." + name + ".";
  const auto now = std::chrono::system_clock::now();
  while (const dirent* e = ::readdir(d)) {
    const std::string_view entry = e->d_name;
    if (entry.size() != prefix.size() + 6 || !entry.starts_with(prefix) ||
        !std::all_of(entry.begin() + static_cast<std::ptrdiff_t>(prefix.size()), entry.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }))
      continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      continue;
    const auto modified = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
    if (now - modified >= std::chrono::minutes{1}) ::unlinkat(::dirfd(d), e->d_name, 0);
  }
  ::closedir(d);
}

}  // namespace

Result<Done> write_atomically(const std::string& path, std::string_view bytes, mode_t mode) {
  struct stat st {};  // follows a link: what matters is what it names
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return Failure{"cannot write " + path +
                   ": not a regular file (op25bc replaces files atomically)"};
  const auto [folder, name] = split(path);
  sweep_abandoned(folder, name);
  const std::string pattern = folder + "/." + name + ".XXXXXX";
  std::vector<char> tmp(pattern.c_str(), pattern.c_str() + pattern.size() + 1);
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // O_CREAT | O_EXCL, mode 0600
  if (fd < 0) return Failure{failure("create a file in", folder, errno)};
  const std::string temporary(tmp.data());
  const auto abandon = [&](const std::string& what) {
    const int e = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    return Failure{failure(what, path, e)};
  };
  if (::fchmod(fd, mode) != 0) return abandon("set the mode of");
  if (!write_all(fd, bytes)) return abandon("write");
  if (::fsync(fd) != 0) return abandon("write");
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(temporary.c_str());
    return Failure{failure("write", path, e)};
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(temporary.c_str());
    return Failure{failure("replace", path, e)};
  }
  if (const int dfd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Done{};
}

Result<Done> make_folder(const std::string& path, mode_t mode) {
  std::error_code ec;
  const bool made = std::filesystem::create_directories(path, ec);
  if (ec) return Failure{"cannot create " + path + ": " + ec.message()};
  if (made && ::chmod(path.c_str(), mode) != 0)
    return Failure{failure("set the mode of", path, errno)};
  return Done{};
}

}  // namespace op25bc::io
