// SPDX-License-Identifier: GPL-2.0-or-later
// The resolve pass (after parse): ids and references. Reports duplicate ids
// and dangling references, then resolves each phase's scope to pool indexes
// and its block list to destination indexes, and each router's scope to the
// pools it carries.
#pragma once

#include "op25bc/diag/diagnostics.h"
#include "op25bc/policy/model.h"

namespace op25bc::policy {

void resolve(Policy& policy, Diagnostics& diags);

// The nftables name of a phase's objects: "phase_" and the id with '-' spelled
// '_'. The prefix keeps ids such as "all" from reading as nft keywords.
std::string nft_name(std::string_view id);

// True when the scope selects the pool (given keys must all match).
bool scope_selects(const Scope& scope, const Pool& pool);

// The indexes of the pools the scope selects, in policy order.
std::vector<std::size_t> selected_pools(const Policy& p, const Scope& scope);

}  // namespace op25bc::policy
