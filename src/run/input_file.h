// SPDX-License-Identifier: GPL-2.0-or-later
// Files another daemon writes and op25bc reads as a session source
// (FreeRADIUS's detail file, Kea's and dnsmasq's lease files): opened once,
// never through a link, used by descriptor, and trusted only as sshd's
// StrictModes would (io::untrusted). Private to the run layer.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "op25bc/diag/result.h"

namespace op25bc::run {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

std::string errno_text(int e);

// Up to `size` bytes of `fd` from `offset` (fewer at its end); nullopt, with
// errno, when the file cannot be read.
std::optional<std::string> read_at(int fd, std::uint64_t offset, std::size_t size);

// A failure when someone other than root or `writer` could have changed
// `st` (a file or its folder, named `what`): "WHAT: why; OUTCOME", `hint`.
Result<Done> trusted(const struct stat& st, uid_t writer, const std::string& what,
                     const std::string& outcome, const std::string& hint);

// `path` opened for reading: a regular file of at most `max_bytes`, which
// it and its folder say only root or `writer` could have written. A failure
// ends with "; nothing changed".
struct Input {
  Fd fd;
  struct stat st {};
};
Result<Input> open_input(const std::string& path, uid_t writer, std::uint64_t max_bytes,
                         const std::string& hint);

// The whole of such a file.
Result<std::string> read_input(const std::string& path, uid_t writer, std::uint64_t max_bytes,
                               const std::string& hint);

}  // namespace op25bc::run
