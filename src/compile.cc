// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/compile.h"

#include "op25bc/backend/nft_json.h"
#include "op25bc/backend/nft_text.h"
#include "op25bc/eval/effective.h"
#include "op25bc/ir/build.h"
#include "op25bc/ir/shard.h"
#include "op25bc/policy/router.h"
#include "op25bc/timeline/timeline.h"

namespace op25bc {

namespace {

ir::Ruleset build_unsharded(const policy::Policy& policy, Instant at, bool kernel_timed) {
  const eval::EffectiveState state = eval::evaluate(policy, at);
  std::optional<ir::Boundary> next;
  if (kernel_timed)
    for (const auto& e : timeline::build(policy))
      if (e.ruleset_changes && e.at > at) {
        next = ir::Boundary{e.at, e.after};
        break;
      }
  return ir::build(policy, state, next);
}

}  // namespace

ir::Ruleset compile(const policy::Policy& policy, Instant at, bool kernel_timed) {
  ir::Ruleset ruleset = build_unsharded(policy, at, kernel_timed);
  ir::shard(ruleset, policy.enforcement.max_set_intervals);
  return ruleset;
}

backend::xt::Ruleset compile_iptables(const policy::Policy& policy, Instant at, bool kernel_timed,
                                      std::uint64_t generation, Diagnostics& diags) {
  return backend::xt::lower(build_unsharded(policy, at, kernel_timed), generation, diags);
}

std::string render(const policy::Policy& policy, const ir::Ruleset& ruleset, Instant at,
                   OutputFormat format) {
  if (format == OutputFormat::json) return backend::render_nft_json(ruleset);
  std::vector<std::string> header{
      "op25bc " OP25BC_VERSION ": outbound port 25 blocking" +
          (policy.operator_name.empty() ? std::string{} : " for " + policy.operator_name),
      "ruleset in effect at " + format_time(at, policy.zone) + " (" + policy.timezone + ")"};
  if (const policy::Router* router = policy::selected_router(policy))
    header.push_back("router \"" + router->id + "\": source sets hold only the pools it carries");
  header.push_back("replaces table inet " + policy.table + " atomically and touches nothing else");
  return backend::render_nft_text(ruleset, header);
}

}  // namespace op25bc
