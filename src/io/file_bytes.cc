#include "op25bc/io/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>

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

std::optional<FileBytes> read_bytes(const std::string& path, int& error, std::size_t max_bytes,
                                    std::chrono::milliseconds fifo_wait) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = errno;
    return std::nullopt;
  }
  // A regular file's size (plus one byte, to see the end in the same read) is
  // the first guess; a pipe starts at 64 KiB. Either grows if more comes, up
  // to `max_bytes` (a device such as /dev/zero never ends).
  struct stat st {};
  std::size_t guess = 64 * 1024;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    guess = static_cast<std::size_t>(st.st_size) + 1;
  if (S_ISFIFO(st.st_mode) && !wait_for_writer(fd, fifo_wait)) {
    ::close(fd);
    error = ETIMEDOUT;
    return std::nullopt;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
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
  }
  ::close(fd);
  buffer.resize(used);
  return file;
}

FileBytes FileBytes::copy_of(std::string_view bytes) {
  FileBytes out;
  out.bytes_.assign(bytes.begin(), bytes.end());
  return out;
}

}  // namespace op25bc::io
