// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/history/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

namespace op25bc::history {

Result<std::unique_ptr<LockFile>> LockFile::take(const std::string& path,
                                                 std::chrono::milliseconds wait) {
  // Never through a planted link; only root may open it.
  const auto open_lock = [&] {
    return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  };
  int fd = open_lock();
  if (fd < 0 && errno == ENOENT) {
    // The lock's own folder (/run/op25bc) is gone after a reboot until
    // op25bc.service runs; its parent must exist.
    const std::string folder = std::filesystem::path(path).parent_path().string();
    if (!folder.empty() && (::mkdir(folder.c_str(), 0755) == 0 || errno == EEXIST))
      fd = open_lock();
    else
      errno = ENOENT;
  }
  if (fd < 0) return Failure{"cannot open lock file " + path + ": " + std::strerror(errno)};
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return std::unique_ptr<LockFile>(new LockFile(fd));
    if (errno != EWOULDBLOCK && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return Failure{"another op25bc run holds the lock " + path,
                     "wait for it, or give a longer --lock-wait"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const int e = errno;
  ::close(fd);
  return Failure{"cannot lock " + path + ": " + std::strerror(e)};
}

LockFile::~LockFile() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace op25bc::history
