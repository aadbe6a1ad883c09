// The resolve pass (after parse): ids and references. Reports duplicate ids
// and dangling references, then resolves each phase's scope to pool indexes
// and its block list to destination indexes.
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

}  // namespace op25bc::policy
