// SPDX-License-Identifier: GPL-2.0-or-later
// A file's bytes, read once into one buffer (huge-page backed when large), so
// a 20 MB policy costs one read, not a growing string. The file is read, not
// mapped: a policy truncated by an editor while op25bc reads it must give a
// parse error, not SIGBUS.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/net/bulk_allocator.h"

namespace op25bc::io {

class FileBytes {
 public:
  std::string_view view() const { return {bytes_.data(), bytes_.size()}; }
  operator std::string_view() const { return view(); }
  // Bytes that came from elsewhere (a copy the history kept), held the same way.
  static FileBytes copy_of(std::string_view bytes);

 private:
  friend struct OpenFileReader;  // file_bytes.cc
  std::vector<char, net::BulkAllocator<char>> bytes_;
};

// nullopt, with the errno value in `error`, when the file cannot be read:
// EFBIG past `max_bytes`, ETIMEDOUT for a FIFO nobody writes to in `fifo_wait`.
std::optional<FileBytes> read_bytes(const std::string& path, int& error,
                                    std::size_t max_bytes = std::size_t{1} << 30,
                                    std::chrono::milliseconds fifo_wait = std::chrono::seconds{30});

// op25bc's own files (state records, history, the session table and index):
// a regular file, read at once. Anything else at the path (a FIFO, a device,
// a socket) is EINVAL without waiting, so no command hangs on it; EFBIG past
// `max_bytes`, before reading.
std::optional<FileBytes> read_regular(const std::string& path, int& error,
                                      std::size_t max_bytes = std::size_t{1} << 30);

// strerror(3), but "not a regular file" for read_regular's EINVAL.
std::string error_text(int error);

// As sshd's StrictModes: an input that someone other than root or `owner`
// could have written is not trusted. "" when `st` (a file or a folder) is
// owned by root or `owner` and writable by neither its group nor others (a
// folder with the sticky bit, such as /tmp, may be: nobody replaces another's
// file there); else why not, for the operator.
std::string untrusted(const struct stat& st, uid_t owner);

// The regular file `path` names inside `folder`, never outside it: `path` is
// resolved beneath the folder (openat2 RESOLVE_BENEATH), so neither "..", an
// absolute path nor a symbolic link may leave it. nullopt, with the errno
// value in `error`: EXDEV when the path leads outside the folder, EINVAL when
// it names something other than a regular file (a FIFO, a device, a socket, a
// folder), EFBIG past `max_bytes` (seen before reading), EPERM when `owner`
// is given and the file is untrusted() for it, or what open() said.
std::optional<FileBytes> read_file_beneath(const std::string& folder, const std::string& path,
                                           int& error, std::size_t max_bytes);

// The names of the entries of folder `path` inside `folder` (resolved as
// read_file_beneath resolves a file) that end in `suffix` and do not start
// with '.' (an editor's or an atomic writer's temporary file), sorted; nullopt
// with the errno value in `error`, EXDEV when the path leads outside, EPERM
// when `owner` is given and the folder is untrusted() for it.
std::optional<std::vector<std::string>> list_beneath(const std::string& folder,
                                                     const std::string& path,
                                                     std::string_view suffix, int& error,
                                                     std::optional<uid_t> owner = std::nullopt);

// The same beneath `dir`, an open O_PATH descriptor of `folder` (which names
// it for the fallback before Linux 5.6): many files, one open of the folder.
std::optional<FileBytes> read_file_beneath(int dir, const std::string& folder,
                                           const std::string& path, int& error,
                                           std::size_t max_bytes = std::size_t{1} << 30,
                                           std::optional<uid_t> owner = std::nullopt);

// Reads the open file `fd` to its end and closes it (read_bytes's loop).
std::optional<FileBytes> read_open_file(int fd, int& error, std::size_t max_bytes,
                                        std::chrono::milliseconds fifo_wait);

}  // namespace op25bc::io
