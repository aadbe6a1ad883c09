// SPDX-License-Identifier: GPL-2.0-or-later
// The shard pass (after build): cut large source sets by address block.
//
// The kernel dumps an interval set in time quadratic in its size and walks
// the whole set on a commit that touches it, so no set may grow without
// bound. When a source set of one family (pools, exemptions) holds more than
// `max_intervals` intervals, that family's source rules leave chain `check`:
//
//   chain check       ... ip saddr vmap @dispatch4 ...
//   map dispatch4     aligned address blocks: 10.0.0.0/17 : goto src4_0a000_17, ...
//   chain src4_0a000_17
//                     the same rules, in the same order, each against the
//                     block's slice of its sets (phase_all_src4_0a000_17, ...);
//                     a rule whose set has nothing in the block is left out
//
// Blocks are halved until no large set has more than `max_intervals` of its
// intervals in one block, so they depend only on the addresses and stay put
// when a prefix changes elsewhere. A packet does one map lookup and then the
// rules it did before; `goto` keeps `return` and the end of a block chain
// meaning what they meant in `check`. Families without a large set, and
// rulesets without one, are left exactly as built.
#pragma once

#include <cstddef>

#include "op25bc/ir/ruleset.h"

namespace op25bc::ir {

void shard(Ruleset& ruleset, std::size_t max_intervals);

}  // namespace op25bc::ir
