// SPDX-License-Identifier: GPL-2.0-or-later
// apply (and diff, its dry-run form): compile, reconcile with the kernel
// through the chosen backend, report.
#include <chrono>
#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/history/history.h"
#include "op25bc/policy/router.h"
#include "op25bc/text/join.h"
#include "support.h"

namespace op25bc::cli {

namespace {

// Pins a rolled-back policy so that activate keeps it.
bool pin(history::HistoryStore& history, const std::string& fingerprint, Io io) {
  auto h = history.load();
  if (h) h->pin = history::Pin{fingerprint, format_utc(io.clock.now())};
  const Result<Done> saved = h ? history.save(*h) : Result<Done>(h.failure());
  if (saved) return true;
  io.err << "op25bc: the rollback is applied, but it could not be pinned ("
         << saved.failure().message << "): the next activate applies the policy file again\n";
  return false;
}

}  // namespace

int run_apply(const ApplyArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io, args.router, {},
                             args.strict ? policy::DropIns::strict : policy::DropIns::lenient);
  if (!loaded.policy && args.format == "json")
    io.out << json_text({{"schema_version", kSchemaVersion},
                         {"ok", false},
                         {"error", loaded.first_error},
                         {"diagnostics", diagnostics_json(loaded.diagnostics, args.policy)}});
  if (!loaded.policy) return kExitFailure;  // invalid input never reaches the kernel
  return apply_policy(loaded, args, ApplyRole::apply, io);
}

int apply_policy(const Loaded& loaded, const ApplyArgs& args, ApplyRole role, Io io, Held* held) {
  const auto start = std::chrono::steady_clock::now();
  const policy::Policy& p = *loaded.policy;
  const auto at = parse_at(args.at, p, io);
  if (!at) return kExitUsage;
  const backend::Backend& b = backend_named(args.backend, io);
  const std::string state = state_file(b, args.state, p.table);
  backend::RunRequest request{p, *at, args.kernel_timed,
                              run_options(args, loaded.fingerprint, p, *at, io.clock.now()),
                              args.dry_run};
  const backend::RunOptions& ask = request.options;
  std::unique_ptr<Held> opened;
  if (held == nullptr) {
    opened = open_session(b, state, args.lock, args.lock_wait, args.state, io);
    if (!opened) return kExitFailure;
    held = opened.get();
  }
  const auto sessions = live_sessions(p, state, args.sessions, io);  // under the lock
  if (!sessions) {
    report(sessions.failure(), {}, io);
    return kExitFailure;
  }
  const std::optional<LiveSessions>& live = *sessions;
  if (live) request.sessions = &live->table;
  history::FileHistoryStore history(history::FileHistoryStore::folder_for(state));
  if (!ask.check_only && role == ApplyRole::apply && !pin_allows(history, loaded.fingerprint, io))
    return kExitFailure;
  const auto out = run_session(*held, request, args.policy, io);
  if (!out) return kExitFailure;
  if (!ask.check_only) {  // the history adds an entry only when it says something new
    keep_session_index(p, b, state, live, io);
    const bool rollback = role == ApplyRole::rollback;
    keep_history(history,
                 {format_utc(io.clock.now()), ask.applied_at, loaded.fingerprint,
                  rollback ? "rollback" : "apply", absolute_path(args.policy), ask.active_phases,
                  out->committed, std::nullopt, args.router, b.name()},
                 loaded.text, loaded.named_prefix_files(), args.keep, io);
    if (rollback && !pin(history, loaded.fingerprint, io)) return kExitFailure;
  }
  if (args.format == "json") {
    nlohmann::json j = out->report;
    j["schema_version"] = kSchemaVersion;
    j["ok"] = out->checks_ok;
    j["backend"] = b.name();
    j["table"] = p.table;
    j["in_sync"] = out->in_sync;
    j["committed"] = out->committed;
    const policy::Router* router = policy::selected_router(p);
    j["router"] = router ? nlohmann::json(router->id) : nlohmann::json(nullptr);
    j["fingerprint"] = loaded.fingerprint;
    j["at"] = ask.applied_at;
    j["seconds"] = seconds_since(start);
    io.out << json_text(j);
  } else if (ask.check_only) {
    io.out << out->changes;
  }
  if (out->in_sync) {
    if (args.format != "json")
      io.out << b.describe(p.table) << ": in sync with " << args.policy << " at " << ask.applied_at
             << "\n";
    return kExitOk;
  }
  if (ask.check_only) {
    if (args.dry_run) {
      io.err << "dry run: " << out->summary << " pending";
      for (const std::string& c : out->checks) io.err << "; " << c;
      io.err << "\n";
      if (!out->checks_ok) return kExitFailure;
    }
    return kExitPending;
  }
  if (args.format != "json")
    io.out << "applied to " << b.describe(p.table) << " at " << ask.applied_at << ": "
           << out->summary << " in " << seconds_since(start) << " s"
           << (out->read_back.empty() ? "" : " (" + out->read_back + ")") << "\n";
  if (!out->drift_repaired.empty()) io.err << "op25bc: warning: " << out->drift_repaired << "\n";
  return kExitOk;
}

}  // namespace op25bc::cli
