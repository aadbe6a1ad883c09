// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/compile/compile.h"

#include "op25bc/eval/effective.h"
#include "op25bc/ir/build.h"
#include "op25bc/ir/shard.h"
#include "op25bc/timeline/timeline.h"

namespace op25bc {

namespace {

// The next boundary that changes the ruleset, for a kernel-timed ruleset.
std::optional<ir::Boundary> next_boundary(const policy::Policy& policy, Instant at) {
  for (const auto& e : timeline::build(policy))
    if (e.ruleset_changes && e.at > at) return ir::Boundary{e.at, e.after};
  return std::nullopt;
}

}  // namespace

ir::Ruleset compile_whole(const policy::Policy& policy, Instant at, bool kernel_timed,
                          const session::Table* sessions) {
  const eval::EffectiveState state = eval::evaluate(policy, at);              // what holds at `at`
  const auto next = kernel_timed ? next_boundary(policy, at) : std::nullopt;  // what holds next
  return ir::build(policy, state, next, sessions);                            // as a ruleset
}

ir::Ruleset compile(const policy::Policy& policy, Instant at, bool kernel_timed,
                    const session::Table* sessions) {
  ir::Ruleset ruleset = compile_whole(policy, at, kernel_timed, sessions);
  ir::shard(ruleset, policy.enforcement.max_set_intervals);  // sets in slices
  return ruleset;
}

}  // namespace op25bc
