#include "op25bc/io/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace op25bc::io {

std::optional<FileBytes> read_bytes(const std::string& path, int& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = errno;
    return std::nullopt;
  }
  // A regular file's size (plus one byte, to see the end in the same read) is
  // the first guess; a pipe starts at 64 KiB. Either grows if more comes.
  struct stat st {};
  std::size_t guess = 64 * 1024;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    guess = static_cast<std::size_t>(st.st_size) + 1;
  FileBytes file;
  auto& buffer = file.bytes_;
  std::size_t used = 0;
  for (;;) {
    if (used == buffer.size()) buffer.resize(std::max(guess, 2 * buffer.size()));
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

}  // namespace op25bc::io
