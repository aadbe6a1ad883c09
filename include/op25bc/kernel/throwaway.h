// SPDX-License-Identifier: GPL-2.0-or-later
// Commits a whole ruleset into a private, throwaway network namespace: errors
// that check mode cannot see (the kernel raises some only at commit) show up
// there, and the namespace vanishes with the child process that made it.
#pragma once

#include <functional>
#include <string>

#include "op25bc/ir/ruleset.h"

namespace op25bc::kernel {

struct ThrowawayResult {
  bool ran = false;   // false: no namespace could be made (needs CAP_SYS_ADMIN)
  std::string error;  // "" when the ruleset committed cleanly (or did not run)
};
ThrowawayResult commit_in_throwaway_netns(const ir::Ruleset& ruleset);

// Runs `work` in a child process inside a new network namespace; its return
// value is the error ("" for success).
ThrowawayResult in_throwaway_netns(const std::function<std::string()>& work);

}  // namespace op25bc::kernel
