// SPDX-License-Identifier: GPL-2.0-or-later
// apply, diff and status on the iptables backend (xt_access.h).
#include <chrono>
#include <map>
#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/apply/history.h"
#include "op25bc/compile.h"
#include "op25bc/kernel/xt_tools.h"
#include "op25bc/policy/resolve.h"
#include "op25bc/policy/router.h"
#include "support.h"
#include "xt_access.h"

namespace op25bc::cli {

int apply_iptables(const Loaded& loaded, const ApplyArgs& args, ApplyRole role, Io io) {
  const auto start = std::chrono::steady_clock::now();
  const policy::Policy& p = *loaded.policy;
  const auto at = parse_at(args.at, p, io);
  if (!at) return kExitUsage;
  Diagnostics diags;
  backend::xt::Ruleset desired = compile_iptables(p, *at, args.kernel_timed, 1, diags);
  if (!report_backend(diags, args.policy, io)) return kExitFailure;
  const XtRequest request{reconcile_options(args, loaded.fingerprint, p, *at, io.clock.now()),
                          {args.lock, args.lock_wait, args.state},
                          args.dry_run};
  const apply::ReconcileOptions& ask = request.options;
  const auto session = open_xt_session(request.access, io);
  if (!session) return kExitFailure;
  const std::string state = xt_state_path(args.state, p.table);
  apply::FileHistoryStore history(apply::FileHistoryStore::folder_for(state));
  if (!ask.check_only && role == ApplyRole::apply && !pin_allows(history, loaded.fingerprint, io))
    return kExitFailure;
  const auto out = xt_reconcile(p, std::move(desired), request, io);
  if (!out) return kExitFailure;
  const bool in_sync = out->plan.in_sync();
  if (out->committed)
    keep_history(history,
                 {format_utc(io.clock.now()), ask.applied_at, loaded.fingerprint,
                  role == ApplyRole::rollback ? "rollback" : "apply", absolute_path(args.policy),
                  ask.active_phases, true, std::nullopt, args.router, "iptables"},
                 loaded.text, loaded.named_prefix_files(), args.keep, io);
  if (args.format == "json") {
    nlohmann::json j = apply::xt::to_json(out->plan);
    j["ok"] = out->checks_ok;
    j["backend"] = "iptables";
    j["table"] = p.table;
    j["in_sync"] = in_sync;
    j["committed"] = out->committed;
    const policy::Router* router = policy::selected_router(p);
    j["router"] = router ? nlohmann::json(router->id) : nlohmann::json(nullptr);
    j["fingerprint"] = loaded.fingerprint;
    j["at"] = ask.applied_at;
    j["checks"] = out->checks;
    j["seconds"] = seconds_since(start);
    io.out << json_text(j);
  } else if (ask.check_only) {
    for (const std::string& line : apply::xt::describe(out->plan)) io.out << line << "\n";
  }
  if (in_sync) {
    if (args.format != "json")
      io.out << "op25bc's iptables chains and sets (table " << p.table << ") are in sync with "
             << args.policy << " at " << ask.applied_at << "\n";
    return kExitOk;
  }
  if (ask.check_only) {
    if (args.dry_run) {
      io.err << "dry run: " << apply::xt::summary(out->plan) << " pending";
      for (const std::string& c : out->checks) io.err << "; " << c;
      io.err << "\n";
      if (!out->checks_ok) return kExitFailure;
    }
    return kExitPending;
  }
  if (args.format != "json")
    io.out << "applied to iptables and ipset (table " << p.table << ") at " << ask.applied_at
           << ": " << apply::xt::summary(out->plan) << " in " << seconds_since(start) << " s\n";
  if (out->plan.drift)
    io.err << "op25bc: warning: op25bc's sets differed from its record (changed by someone "
              "else); read back from the kernel and repaired\n";
  return kExitOk;
}

int run_status_iptables(const StatusArgs& args, Io io) {
  try {
    const auto status = xt_status(args.table, xt_state_path(args.state, args.table));
    if (!status) {
      io.err << "op25bc: there is no chain " << backend::xt::check_chain(args.table)
             << " in iptables or ip6tables\n";
      if (args.format == "json")
        io.out << json_text({{"backend", "iptables"}, {"table", args.table}, {"present", false}});
      return kExitFailure;
    }
    if (args.format == "json") {
      nlohmann::json j = apply::to_json(*status);
      j["present"] = true;
      io.out << json_text(j);
    } else {
      io.out << apply::to_text(*status);
    }
    return kExitOk;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace op25bc::cli
