// SPDX-License-Identifier: GPL-2.0-or-later
// A folder held open by its descriptor, for the files op25bc writes and
// removes in a folder others may also touch (exemptions_dir). Every create,
// rename and unlink is made relative to the descriptor (openat, renameat,
// unlinkat), so exchanging the folder for a symbolic link, or renaming it,
// while a command runs never moves a write or a removal outside it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "op25bc/diag/result.h"

namespace op25bc::io {

class Folder {
 public:
  // `relative` inside `base`: each of its components is opened as a folder
  // without following a symbolic link (O_DIRECTORY | O_NOFOLLOW), and none
  // may be "..", so the folder held is beneath `base` whatever the path says.
  static Result<Folder> open_beneath(const std::string& base, const std::string& relative);

  Folder(Folder&& other) noexcept;
  Folder& operator=(Folder&& other) noexcept;
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  ~Folder();

  // The folder's path as it was opened, for messages.
  const std::string& path() const { return path_; }

  // Whether the folder has an entry `name`, of any kind (a link is not followed).
  bool has(const std::string& name) const;

  // Replaces or creates the regular file `name` all at once: a temporary
  // file ".NAME.XXXXXX" made in the folder (O_EXCL, never through a link)
  // with `mode` whatever the umask, fsynced, renamed over `name`, and the
  // folder fsynced. An entry `name` that is not a regular file is refused.
  Result<Done> write_atomically(const std::string& name, std::string_view bytes, mode_t mode) const;

  // Removes the entry `name` (a file or a link, never what a link names).
  Result<Done> remove(const std::string& name) const;

 private:
  Folder(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  std::string where(const std::string& name) const;

  int fd_ = -1;
  std::string path_;
};

}  // namespace op25bc::io
