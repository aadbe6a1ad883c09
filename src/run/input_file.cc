// SPDX-License-Identifier: GPL-2.0-or-later
#include "input_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "op25bc/io/file_bytes.h"
#include "op25bc/run/source.h"
#include "op25bc/text/escape.h"

namespace op25bc::run {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string errno_text(int e) {
  return std::strerror(e);
}

std::optional<std::string> read_at(int fd, std::uint64_t offset, std::size_t size) {
  std::string out(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

Result<Done> trusted(const struct stat& st, uid_t writer, const std::string& what,
                     const std::string& outcome, const std::string& hint) {
  if (const std::string why = io::untrusted(st, writer); !why.empty())
    return Failure{what + ": " + why + "; " + outcome, hint};
  return Done{};
}

Result<Input> open_input(const std::string& path, uid_t writer, std::uint64_t max_bytes,
                         const std::string& hint) {
  const std::string shown = text::printable(path);
  Input in{Fd{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)}, {}};
  if (!in.fd || ::fstat(in.fd.get(), &in.st) != 0)
    return Failure{shown + ": " + errno_text(errno) + "; nothing changed"};
  if (!S_ISREG(in.st.st_mode)) return Failure{shown + ": not a regular file; nothing changed"};
  if (static_cast<std::uint64_t>(in.st.st_size) > max_bytes)
    return Failure{shown + ": larger than " + std::to_string(max_bytes >> 20) +
                   " MiB; nothing changed"};
  if (auto ok = trusted(in.st, writer, shown, "nothing changed", hint); !ok) return ok.failure();
  const std::string dir = folder_of(absolute_path(path));
  struct stat folder {};
  if (::stat(dir.c_str(), &folder) != 0)
    return Failure{text::printable(dir) + ": " + errno_text(errno) + "; nothing changed"};
  if (auto ok = trusted(folder, writer, text::printable(dir), "nothing changed", hint); !ok)
    return ok.failure();
  return in;
}

Result<std::string> read_input(const std::string& path, uid_t writer, std::uint64_t max_bytes,
                               const std::string& hint) {
  auto in = open_input(path, writer, max_bytes, hint);
  if (!in) return in.failure();
  auto bytes = read_at(in->fd.get(), 0, static_cast<std::size_t>(in->st.st_size));
  if (!bytes)
    return Failure{text::printable(path) + ": " + errno_text(errno) + "; nothing changed"};
  return std::move(*bytes);
}

}  // namespace op25bc::run
