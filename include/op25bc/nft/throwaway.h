// SPDX-License-Identifier: GPL-2.0-or-later
// The nftables dry run's last check: the complete desired table committed in
// a throwaway network namespace (io/throwaway_netns.h).
#pragma once

#include "op25bc/io/throwaway_netns.h"
#include "op25bc/ir/ruleset.h"

namespace op25bc::nft {

io::ThrowawayResult commit_in_throwaway_netns(const ir::Ruleset& ruleset);

}  // namespace op25bc::nft
