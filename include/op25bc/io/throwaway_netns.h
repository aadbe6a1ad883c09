// SPDX-License-Identifier: GPL-2.0-or-later
// Work done in a private, throwaway network namespace: errors that a check
// mode cannot see (the kernel raises some only at commit) show up there, and
// the namespace vanishes with the child process that made it. Every backend's
// dry run loads its whole ruleset this way.
#pragma once

#include <functional>
#include <string>

namespace op25bc::io {

struct ThrowawayResult {
  bool ran = false;   // false: no namespace could be made (needs CAP_SYS_ADMIN)
  std::string error;  // "" when the work succeeded (or did not run)
};

// Runs `work` in a child process inside a new network namespace; its return
// value (or what it throws) is the error, "" for success.
ThrowawayResult in_throwaway_netns(const std::function<std::string()>& work);

}  // namespace op25bc::io
