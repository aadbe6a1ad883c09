// activate: what cron and systemd run; applies the policy's state at now.
#include <syslog.h>

#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/apply/diff_text.h"
#include "op25bc/compile.h"
#include "op25bc/schedule/activation.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "support.h"

namespace op25bc::cli {

namespace {

// One line to stderr and, when asked, to syslog (the journal picks it up).
void log_line(int priority, const std::string& raw, bool to_syslog, Io io) {
  const std::string line = text::printable(raw);  // one log line, whatever a path holds
  io.err << line << "\n";
  if (!to_syslog) return;
  openlog("op25bc", LOG_PID, LOG_DAEMON);
  syslog(priority, "%s", line.c_str());
  closelog();
}

}  // namespace

int run_activate(const ActivateArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io);
  if (!loaded.policy) {
    log_line(LOG_ERR,
             "op25bc activate " + args.policy + ": " + loaded.first_error + "; nothing changed",
             args.syslog, io);
    return kExitFailure;
  }
  const policy::Policy& p = *loaded.policy;
  const auto now = parse_at(args.at, p, io);
  if (!now) return kExitUsage;
  make_state_folder(args.state);
  const std::string state = state_path(args.state, p.table);
  schedule::ActivationInput in;
  in.now = *now;
  in.fingerprint = loaded.fingerprint;
  in.record = apply::FileStateStore(state).load();
  in.allow_rollback = args.allow_rollback;
  in.warn_expiry = std::chrono::hours(static_cast<long>(args.warn_days * 24));
  const auto events = timeline::build(p);
  const schedule::Activation plan = schedule::plan(p, events, in);
  for (const auto& w : plan.warnings)
    log_line(LOG_WARNING, "op25bc activate " + args.policy + ": warning: " + w, args.syslog, io);

  apply::ReconcileOptions options;
  options.fingerprint = loaded.fingerprint;
  options.applied_at = format_time(plan.apply_at, p.zone);
  options.active_phases = active_phase_ids(p, plan.apply_at);
  const auto out = reconcile_kernel(p, compile(p, plan.apply_at, args.kernel_timed), options,
                                    {args.lock, args.lock_wait, state}, io);
  if (!out) {
    log_line(LOG_ERR, "op25bc activate " + args.policy + ": failed, nothing changed", args.syslog,
             io);
    return kExitFailure;
  }
  std::string line = "op25bc activate " + args.policy + " at " + format_time(*now, p.zone);
  if (plan.apply_at != *now) line += " (keeping the state of " + options.applied_at + ")";
  const std::string phases = text::join(options.active_phases);
  line += phases.empty() ? ": no phase active; " : ": phases " + phases + " active; ";
  line += out->in_sync ? std::string{"no change"} : apply::summary(out->transaction);
  if (out->drift_repaired) line += "; " + drift_text(p.table);
  if (plan.late_by)
    line += "; the boundary of " + format_time(*plan.boundary, p.zone) + " was applied late by " +
            schedule::duration_text(*plan.late_by);
  line += plan.next ? "; next change " + format_time(plan.next->at, p.zone) : "; no further change";
  log_line(plan.late_by ? LOG_WARNING : LOG_INFO, line, args.syslog, io);
  return kExitOk;
}

}  // namespace op25bc::cli
