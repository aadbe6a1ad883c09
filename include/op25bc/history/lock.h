// SPDX-License-Identifier: GPL-2.0-or-later
// One op25bc run at a time: an exclusive flock on a lock file.
#pragma once

#include <chrono>
#include <string>

namespace op25bc::history {

class LockFile {
 public:
  // Waits up to `wait` for the lock; held() says whether it was taken.
  LockFile(const std::string& path, std::chrono::milliseconds wait);
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  bool held() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

}  // namespace op25bc::history
