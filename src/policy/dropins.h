// SPDX-License-Identifier: GPL-2.0-or-later
// Admitting the drop-in exemptions of exemptions_dir (parse.h's DropIn) once
// the pools are known: each file is checked as an inline exemption is (its
// prefixes inside a pool, an id of its own), then either joins the policy's
// exemptions or, when it is invalid, is reported: as errors (strict) or left
// out with one warning (lenient), so one bad file never stops the others.
#pragma once

#include <vector>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/policy/load.h"
#include "op25bc/policy/model.h"
#include "parse.h"

namespace op25bc::policy {

void admit_dropins(Policy& p, std::vector<DropIn>& dropins, DropIns mode, Diagnostics& diags);

}  // namespace op25bc::policy
