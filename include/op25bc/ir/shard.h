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
#include <optional>
#include <string>

#include "op25bc/ir/ruleset.h"

namespace op25bc::ir {

// The dispatch map of a family: "dispatch4", "dispatch6".
std::string dispatch_map(net::Family f);

// The chain a dispatch map sends an aligned block to, e.g. "src4_0a000_17"
// for 10.0.0.0/17: the block's leading hex digits and its prefix length.
std::string block_chain(net::Family f, const net::Interval& block);

// The slice of set `set` inside `block`, e.g. "phase_all_src4_0a000_17".
std::string block_set(const std::string& set, net::Family f, const net::Interval& block);

// The set a slice was cut from ("phase_all_src4" for
// "phase_all_src4_0a000_17"), or nullopt for a name that is no slice.
std::optional<std::string> sliced_from(const std::string& name);

void shard(Ruleset& ruleset, std::size_t max_intervals);

}  // namespace op25bc::ir
