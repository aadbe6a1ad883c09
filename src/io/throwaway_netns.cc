// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/io/throwaway_netns.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

namespace op25bc::io {

namespace {

constexpr int kNoNamespace = 3;  // the child's exit status when unshare was refused

}  // namespace

ThrowawayResult in_throwaway_netns(const std::function<std::string()>& work) {
  int fds[2];
  if (::pipe(fds) != 0) return {true, std::string{"pipe: "} + std::strerror(errno)};
  const pid_t pid = ::fork();
  if (pid < 0) return {true, std::string{"fork: "} + std::strerror(errno)};
  if (pid == 0) {
    ::close(fds[0]);
    std::string error;
    int status = 0;
    if (::unshare(CLONE_NEWNET) != 0) {
      error = std::string{"cannot create a network namespace: "} + std::strerror(errno);
      status = kNoNamespace;
    } else {
      try {
        error = work();
      } catch (const std::exception& e) {
        error = e.what();
      }
      status = error.empty() ? 0 : 1;
    }
    (void)!::write(fds[1], error.data(), error.size());
    ::_exit(status);
  }
  ::close(fds[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    message.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, {}};
  if (WIFEXITED(status) && WEXITSTATUS(status) == kNoNamespace) return {false, message};
  return {true, message.empty() ? "the throwaway namespace check failed" : message};
}

}  // namespace op25bc::io
