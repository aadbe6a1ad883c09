// SPDX-License-Identifier: GPL-2.0-or-later
// The check pass (last; see load.cc): semantic checks that a schema cannot
// express: port conflicts, pool overlaps, smarthosts inside blocked pools,
// exemptions not inside one pool prefix, and warnings about risky rollouts.
#pragma once

#include "op25bc/diag/diagnostics.h"
#include "op25bc/policy/model.h"

namespace op25bc::policy {

void check(const Policy& policy, Diagnostics& diags);

// Where `rest` ("/until", "/prefixes/2") of exemption `x` was written: in
// the policy's "exemptions", or in its drop-in file.
Location exemption_place(const Policy& p, std::size_t x, std::string_view rest);

// Exemption `x`'s prefixes against the pools (the pool index must be built):
// each must lie inside one pool prefix (equal is fine); anything else,
// outside every pool, partly outside, across two pools, is an error.
void check_exemption_prefixes(const Policy& p, std::size_t x, Diagnostics& diags);

}  // namespace op25bc::policy
