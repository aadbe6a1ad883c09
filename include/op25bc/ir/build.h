// SPDX-License-Identifier: GPL-2.0-or-later
// The build pass: effective state -> ruleset IR.
//
// Layout (rule count depends on the number of active phases, never on prefixes):
//   chain forward  hook forward: tcp dport {ports} jump check
//   chain check    smarthost and exempt sets return; one rule per active phase
//                  and family: ip saddr @<phase>_src4 [ip daddr @<phase>_dst4]
//                  counter name "<phase>" goto block
//   chain block    [limit] log; the enforcement action
// Phases selecting the same pools share one source set, named after the first
// such phase in policy order, so names stay stable across phase boundaries.
#pragma once

#include <optional>

#include "op25bc/eval/effective.h"
#include "op25bc/ir/ruleset.h"
#include "op25bc/policy/model.h"
#include "op25bc/session/table.h"

namespace op25bc::ir {

// Kernel-timed mode: the next boundary's change installed ahead of time, the
// kernel switching at the exact instant. Phases ending at `at` get
// "meta time < at", phases starting get "meta time >= at"; exemptions ending or
// starting there sit in exempt_until4/6 and exempt_from4/6 behind the same guards.
struct Boundary {
  Instant at;
  eval::EffectiveState after;
};

// `sessions`: the live sessions whose addresses subscriber exemptions cover
// (none: the session sets are empty). A policy with a subscriber exemption
// has the session sets and their return rules whatever they hold.
Ruleset build(const policy::Policy& policy, const eval::EffectiveState& state,
              const std::optional<Boundary>& next = std::nullopt,
              const session::Table* sessions = nullptr);

}  // namespace op25bc::ir
