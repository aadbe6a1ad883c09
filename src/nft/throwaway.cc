// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/throwaway.h"

#include "op25bc/nft/differ.h"
#include "op25bc/nft/netlink_kernel.h"

namespace op25bc::nft {

io::ThrowawayResult commit_in_throwaway_netns(const ir::Ruleset& ruleset) {
  return io::in_throwaway_netns([&] {
    NetlinkKernel kernel;
    const CommitResult r = kernel.commit(create(ruleset), kernel.generation(), false);
    return r.ok ? std::string{} : r.error.empty() ? std::string{"rejected"} : r.error;
  });
}

}  // namespace op25bc::nft
