// Stage 3: effective state -> ruleset IR.
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

#include "op25bc/eval/effective.h"
#include "op25bc/ir/ruleset.h"
#include "op25bc/policy/model.h"

namespace op25bc::ir {

Ruleset build(const policy::Policy& policy, const eval::EffectiveState& state);

}  // namespace op25bc::ir
