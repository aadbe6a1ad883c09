// SPDX-License-Identifier: GPL-2.0-or-later
// One op25bc run at a time: an exclusive flock on a lock file, held while
// the LockFile lives.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "op25bc/diag/result.h"

namespace op25bc::history {

class LockFile {
 public:
  // Waits up to `wait` for the lock; a failure when another run kept it that
  // long or the file cannot be opened.
  static Result<std::unique_ptr<LockFile>> take(const std::string& path,
                                                std::chrono::milliseconds wait);
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace op25bc::history
