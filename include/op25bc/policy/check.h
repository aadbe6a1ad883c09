// SPDX-License-Identifier: GPL-2.0-or-later
// The check pass (last; see load.cc): semantic checks that a schema cannot
// express: port conflicts, pool overlaps, smarthosts inside blocked pools,
// exemptions outside every pool, and warnings about risky rollouts.
#pragma once

#include "op25bc/diag/diagnostics.h"
#include "op25bc/policy/model.h"

namespace op25bc::policy {

void check(const Policy& policy, Diagnostics& diags);

}  // namespace op25bc::policy
