// Commits a whole ruleset into a private, throwaway network namespace: errors
// that check mode cannot see (the kernel raises some only at commit) show up
// there, and the namespace vanishes with the child process that made it.
#pragma once

#include <string>

#include "op25bc/ir/ruleset.h"

namespace op25bc::kernel {

// "" when the ruleset committed cleanly, otherwise what went wrong.
std::string commit_in_throwaway_netns(const ir::Ruleset& ruleset);

}  // namespace op25bc::kernel
