// SPDX-License-Identifier: GPL-2.0-or-later
// The compiler driver: the pipeline as a list of named passes. The front end
// (policy text -> validated model) is policy::load_text.
#pragma once

#include <string>

#include "op25bc/backend/iptables.h"
#include "op25bc/diag/diagnostics.h"
#include "op25bc/ir/ruleset.h"
#include "op25bc/policy/model.h"

namespace op25bc {

enum class OutputFormat { nft, json };

// Middle: the ruleset the policy calls for at `at`. Kernel-timed: plus the
// next boundary's change, guarded by "meta time" so the kernel switches itself.
ir::Ruleset compile(const policy::Policy& policy, Instant at, bool kernel_timed = false);

// The same ruleset for the iptables backend: not cut into slices (an ipset
// holds a million prefixes), lowered to ipsets of `generation` and chains.
// What iptables cannot say is an error in `diags`.
backend::xt::Ruleset compile_iptables(const policy::Policy& policy, Instant at, bool kernel_timed,
                                      std::uint64_t generation, Diagnostics& diags);

// Back end: the ruleset as an nft script or nftables JSON.
std::string render(const policy::Policy& policy, const ir::Ruleset& ruleset, Instant at,
                   OutputFormat format);

}  // namespace op25bc
