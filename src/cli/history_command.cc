// SPDX-License-Identifier: GPL-2.0-or-later
// history and rollback: what op25bc applied, and going back to it.
#include <ostream>

#include "commands.h"
#include "run_report.h"
#include "support.h"

namespace op25bc::cli {

int run_history(const HistoryArgs& args, Io io) {
  const run::Target target = run::Target::make(args.target, io.backends, args.table);
  const auto h = run::history_of(target, io.backends);
  if (!h) return report(h.failure(), io);
  if (args.format == "json") {
    nlohmann::json j = history::to_json(*h);  // the index as kept, plus the output's version
    j["schema_version"] = kSchemaVersion;
    io.out << json_text(j);
  } else {
    io.out << history::to_text(*h);
  }
  return kExitOk;
}

int run_rollback(const RollbackArgs& args, Io io) {
  const run::Target target = run::Target::make(args.target, io.backends, args.table);
  if (args.release) {
    const auto released = run::release_pin(target, io.backends);
    if (!released) return report(released.failure(), io);
    if (!*released)
      io.out << "no rollback is pinned in " << target.history_folder() << "\n";
    else
      io.out << "released the rollback pin of policy " << **released
             << "; the next activate applies the policy file again\n";
    return kExitOk;
  }
  const auto source = run::rollback_source(target, io.backends, args.to, args.table);
  if (!source) return report(source.failure(), io);
  const run::Rollback& back = *source;
  say_loaded(back.loaded, io);
  if (!back.loaded.policy) return kExitFailure;
  const auto at = parse_at(args.at, *back.loaded.policy, io);
  if (!at) return kExitUsage;
  io.out << "rolling back to policy " << back.entry.fingerprint << " (" << back.entry.command
         << " of " << back.entry.when << ", from " << back.entry.policy_path << ")\n";
  // The same router's share of the policy.
  run::Request request =
      request_at(run::Role::rollback, back.loaded, back.loaded.name, back.entry.router, *at);
  request.check_only = args.dry_run;
  request.dry_run = args.dry_run;
  const auto result = run::run(target, io.backends, request, io.clock);
  const int status = show_run(result, {"text", args.dry_run, args.dry_run, back.loaded.name}, io);
  if (status != kExitOk || args.dry_run) return status;
  if (!result->pin_failure.empty())
    return report("the rollback is applied, but it could not be pinned (" + result->pin_failure +
                      "): the next activate applies the policy file again",
                  io);
  io.out << "pinned: activate keeps policy " << back.entry.fingerprint
         << " instead of the policy file until op25bc rollback --release\n";
  return status;
}

}  // namespace op25bc::cli
