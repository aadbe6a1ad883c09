// SPDX-License-Identifier: GPL-2.0-or-later
// activate: what cron and systemd run; applies the policy's state at now.
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "metrics_file.h"
#include "op25bc/report/metrics.h"
#include "op25bc/schedule/activation.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "support.h"

namespace op25bc::cli {

namespace {

// Whether standard error is the journal's stream (systemd sets JOURNAL_STREAM
// to its device and inode for a service whose stderr it connected there).
bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  unsigned long long device = 0, inode = 0;
  struct stat st {};
  return stream != nullptr && std::sscanf(stream, "%llu:%llu", &device, &inode) == 2 &&
         ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == device && st.st_ino == inode;
}

// One line to stderr and, when asked, to syslog. Under systemd, where stderr
// is the journal already, the line goes there once, with its priority as the
// "<N>" prefix the journal reads, and not to syslog again.
void log_line(int priority, const std::string& raw, bool to_syslog, Io io) {
  const std::string line = text::printable(raw);  // one log line, whatever a path holds
  if (to_syslog && &io.err == &std::cerr && stderr_is_journal()) {
    io.err << "<" << priority << ">" << line << "\n";
    return;
  }
  io.err << line << "\n";
  if (!to_syslog) return;
  openlog("op25bc", LOG_PID, LOG_DAEMON);
  syslog(priority, "%s", line.c_str());
  closelog();
}

// The textfile for Prometheus, when asked for: failing to write it is
// logged, never a reason to fail a run whose kernel work is done.
void write_metrics(const ActivateArgs& args, const backend::Backend& b, const std::string& table,
                   const std::string& state, const Loaded* applied, const report::ActivateRun& run,
                   Io io) {
  if (args.metrics.empty()) return;
  const std::string error =
      write_metrics_file(args.metrics, {b, table, state, applied, args.warn_days, run}, io);
  if (!error.empty())
    log_line(LOG_WARNING, "op25bc activate: metrics not written: " + error, args.syslog, io);
}

}  // namespace

int run_activate(const ActivateArgs& args, Io io) {
  const policy::DropIns dropins = args.strict ? policy::DropIns::strict : policy::DropIns::lenient;
  const Loaded file = load(args.policy, io, args.router, {}, dropins);
  if (!file.policy) {
    log_line(LOG_ERR,
             "op25bc activate " + args.policy + ": " + file.first_error + "; nothing changed",
             args.syslog, io);
    return kExitFailure;
  }
  const backend::Backend& b = backend_named(args.backend, io);
  const std::string state = state_file(b, args.state, file.policy->table);
  const auto failed = [&](const std::string& why) {
    log_line(LOG_ERR, "op25bc activate " + args.policy + ": " + why, args.syslog, io);
    write_metrics(args, b, file.policy->table, state, nullptr,
                  {io.clock.now(), false, std::nullopt}, io);
    return kExitFailure;
  };
  const auto session = open_session(b, state, args.lock, args.lock_wait, args.state, io);
  if (!session) return failed("failed, nothing changed");

  // A rollback's pin wins over the file, and says so every run.
  history::FileHistoryStore history(history::FileHistoryStore::folder_for(state));
  const auto kept = history.load();
  if (!kept)
    return failed(kept.failure().message +
                  "; whether a rollback is pinned is unknown, nothing changed");
  const std::optional<history::Pin> pin = kept->pin;
  Loaded pinned;
  if (pin) {
    auto kept_copy = load_pinned(history, *pin, args.policy, io, args.router, dropins);
    if (!kept_copy)
      return failed("the pinned policy " + history.policy_path(pin->fingerprint) +
                    " is missing; nothing changed");
    pinned = std::move(*kept_copy);
    if (!pinned.policy) return failed("the pinned policy is refused: " + pinned.first_error);
    log_line(LOG_WARNING,
             "op25bc activate " + args.policy + ": a rollback pinned policy " + pin->fingerprint +
                 " on " + pin->since + "; applying it, not the policy file (" + file.fingerprint +
                 "); release with op25bc rollback --release",
             args.syslog, io);
  }
  const Loaded& loaded = pin ? pinned : file;
  const policy::Policy& p = *loaded.policy;
  if (!p.skipped_dropins.empty())
    log_line(LOG_WARNING,
             "op25bc activate " + args.policy + ": warning: invalid drop-in exemption file(s) " +
                 text::join(p.skipped_files(), text::printable) +
                 " left out, every other exemption enforced (op25bc validate names the problems)",
             args.syslog, io);
  const auto now = parse_at(args.at, p, io);
  if (!now) return kExitUsage;
  schedule::ActivationInput in;
  in.now = *now;
  in.fingerprint = loaded.fingerprint;
  in.record = b.last_applied(state);
  in.allow_rollback = args.allow_rollback;
  in.warn_expiry = std::chrono::hours(static_cast<long>(args.warn_days * 24));
  const auto events = timeline::build(p);
  const schedule::Activation plan = schedule::plan(p, events, in);
  for (const auto& w : plan.warnings)
    log_line(LOG_WARNING, "op25bc activate " + args.policy + ": warning: " + w, args.syslog, io);

  backend::RunRequest request{p, plan.apply_at, args.kernel_timed, {}, false};
  backend::RunOptions& options = request.options;
  options.now = io.clock.now().time_since_epoch().count();
  // Between full read-backs the record vouches for the sets. What it cannot
  // see (an ipset member swapped with the count unchanged) is found by
  // reading every set back, at least every --verify-every seconds.
  options.verify = args.verify || !in.record ||
                   schedule::verification_due(in.record->verified_at, io.clock.now(),
                                              std::chrono::seconds(args.verify_every));
  options.fingerprint = loaded.fingerprint;
  options.applied_at = format_time(plan.apply_at, p.zone);
  options.active_phases = active_phase_ids(p, plan.apply_at);
  const auto sessions = live_sessions(p, state, args.sessions, io);
  if (!sessions) return failed(sessions.failure().message + " (" + sessions.failure().hint + ")");
  const std::optional<LiveSessions>& live = *sessions;
  if (live) request.sessions = &live->table;
  const auto out = run_session(*session, request, args.policy, io);
  if (!out) return failed("failed, nothing changed");
  keep_session_index(p, b, state, live, io);
  std::optional<std::int64_t> late;
  if (plan.late_by) late = plan.late_by->count();
  keep_history(history,
               {format_utc(io.clock.now()), options.applied_at, loaded.fingerprint, "activate",
                pin ? history.policy_path(pin->fingerprint) : absolute_path(args.policy),
                options.active_phases, out->committed, late, args.router, b.name()},
               loaded.text, loaded.named_prefix_files(), args.keep, io);
  std::string line = "op25bc activate " + args.policy + " at " + format_time(*now, p.zone);
  if (plan.apply_at != *now) line += " (keeping the state of " + options.applied_at + ")";
  const std::string phases = text::join(options.active_phases);
  line += phases.empty() ? ": no phase active; " : ": phases " + phases + " active; ";
  line += out->in_sync ? std::string{"no change"} : out->summary;
  if (!out->drift_repaired.empty()) line += "; " + out->drift_repaired;
  if (options.verify && in.record) line += "; every set verified in the kernel";
  if (plan.late_by)
    line += "; the boundary of " + format_time(*plan.boundary, p.zone) + " was applied late by " +
            schedule::duration_text(*plan.late_by);
  else if (plan.catch_up)
    line += "; first run: caught up with the boundary of " + format_time(*plan.boundary, p.zone);
  line += plan.next ? "; next change " + format_time(plan.next->at, p.zone) : "; no further change";
  log_line(plan.late_by ? LOG_WARNING : LOG_INFO, line, args.syslog, io);
  write_metrics(args, b, p.table, state, &loaded, {io.clock.now(), true, plan.late_by}, io);
  return kExitOk;
}

}  // namespace op25bc::cli
