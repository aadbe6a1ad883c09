// SPDX-License-Identifier: GPL-2.0-or-later
// apply (and diff, its dry-run form): compile, reconcile with the kernel, report.
#include <chrono>
#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/apply/diff_text.h"
#include "op25bc/apply/history.h"
#include "op25bc/compile.h"
#include "op25bc/kernel/throwaway.h"
#include "op25bc/policy/router.h"
#include "support.h"

namespace op25bc::cli {

namespace {

// Where the elements the diff started from came from, when not from the record.
std::string read_back_note(const apply::ReconcileOutcome& out) {
  if (out.elements_read_back) return " (set elements read back from the kernel)";
  if (out.sets_read_back == 0) return "";
  return " (" + std::to_string(out.sets_read_back) + " changed set" +
         (out.sets_read_back == 1 ? "" : "s") + " read back from the kernel)";
}

// Pins a rolled-back policy so that activate keeps it.
bool pin(apply::HistoryStore& history, const std::string& fingerprint, Io io) {
  try {
    apply::History h = history.load();
    h.pin = apply::Pin{fingerprint, format_utc(io.clock.now())};
    history.save(h);
    return true;
  } catch (const std::exception& e) {
    io.err << "op25bc: the rollback is applied, but it could not be pinned (" << e.what()
           << "): the next activate applies the policy file again\n";
    return false;
  }
}

}  // namespace

apply::ReconcileOptions reconcile_options(const ApplyArgs& args, const std::string& fingerprint,
                                          const policy::Policy& p, Instant at, Instant wall) {
  apply::ReconcileOptions options;
  options.now = wall.time_since_epoch().count();
  options.check_only = args.diff_only || args.dry_run;
  options.adopt = args.adopt;
  options.verify = args.verify;
  options.fingerprint = fingerprint;
  options.applied_at = format_time(at, p.zone);
  options.active_phases = active_phase_ids(p, at);
  return options;
}

int run_apply(const ApplyArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io, args.router);
  if (!loaded.policy && args.format == "json")
    io.out << json_text({{"ok", false},
                         {"error", loaded.first_error},
                         {"diagnostics", diagnostics_json(loaded.diagnostics, args.policy)}});
  if (!loaded.policy) return kExitFailure;  // invalid input never reaches the kernel
  return apply_policy(loaded, args, ApplyRole::apply, io);
}

int apply_policy(const Loaded& loaded, const ApplyArgs& args, ApplyRole role, Io io) {
  if (args.backend == "iptables") return apply_iptables(loaded, args, role, io);
  const auto start = std::chrono::steady_clock::now();
  const policy::Policy& p = *loaded.policy;
  const auto at = parse_at(args.at, p, io);
  if (!at) return kExitUsage;
  const ir::Ruleset desired = compile(p, *at, args.kernel_timed);
  const apply::ReconcileOptions options =
      reconcile_options(args, loaded.fingerprint, p, *at, io.clock.now());
  const bool check_only = options.check_only;
  const auto session = open_session({args.lock, args.lock_wait, args.state}, io);
  if (!session) return kExitFailure;
  apply::FileHistoryStore history(history_folder(args.state, p.table));
  if (!check_only && role == ApplyRole::apply && !pin_allows(history, loaded.fingerprint, io))
    return kExitFailure;
  const auto result = reconcile_kernel(*session, p, desired, options, args.state, io);
  if (!result) return kExitFailure;
  const apply::ReconcileOutcome& out = *result;
  if (!check_only) {
    const bool rollback = role == ApplyRole::rollback;
    keep_history(history,
                 {format_utc(io.clock.now()), options.applied_at, loaded.fingerprint,
                  rollback ? "rollback" : "apply", absolute_path(args.policy),
                  options.active_phases, !out.in_sync, std::nullopt, args.router, "nftables"},
                 loaded.text, loaded.named_prefix_files(), args.keep, io);
    if (rollback && !pin(history, loaded.fingerprint, io)) return kExitFailure;
  }
  if (args.format == "json") {
    nlohmann::json j = apply::to_json(out.transaction);
    j["ok"] = true;
    j["backend"] = "nftables";
    j["committed"] = !check_only && !out.in_sync;
    const policy::Router* router = policy::selected_router(p);
    j["router"] = router ? nlohmann::json(router->id) : nlohmann::json(nullptr);
    j["fingerprint"] = loaded.fingerprint;
    j["drift_repaired"] = out.drift_repaired;
    j["elements_read_back"] = out.elements_read_back;
    j["sets_read_back"] = out.sets_read_back;
    j["at"] = format_time(*at, p.zone);
    j["seconds"] = seconds_since(start);
    io.out << json_text(j);
  } else if (check_only) {
    io.out << apply::to_text(out.transaction);
  }
  if (out.in_sync) {
    if (args.format != "json")
      io.out << "table inet " << p.table << " is in sync with " << args.policy << " at "
             << format_time(*at, p.zone) << "\n";
    return kExitOk;
  }
  if (args.dry_run) {
    const kernel::ThrowawayResult trial = kernel::commit_in_throwaway_netns(desired);
    io.err << "dry run: " << apply::summary(out.transaction)
           << " pending; the kernel validated this exact batch in check mode and aborted it";
    if (!trial.ran) {
      io.err << "; the commit of the complete desired table in a throwaway network namespace "
                "was skipped ("
             << trial.error
             << "; it needs CAP_SYS_ADMIN). Not verified: errors the kernel raises only at "
                "commit, behaviour of traffic, and changes others may commit before a real "
                "apply\n";
      return kExitPending;
    }
    if (!trial.error.empty()) {
      io.err << "; but committing the complete desired table in a throwaway network namespace "
                "failed: "
             << trial.error << "\n";
      return kExitFailure;
    }
    io.err << "; the complete desired table also committed cleanly in a throwaway network "
              "namespace. Not verified: behaviour of traffic, and changes others may commit "
              "before a real apply\n";
    return kExitPending;
  }
  if (args.diff_only) return kExitPending;
  if (args.format != "json")
    io.out << "applied to table inet " << p.table << " at " << format_time(*at, p.zone) << ": "
           << apply::summary(out.transaction) << " in " << seconds_since(start) << " s"
           << read_back_note(out) << "\n";
  if (out.drift_repaired) io.err << "op25bc: warning: " << drift_text(p.table) << "\n";
  return kExitOk;
}

}  // namespace op25bc::cli
