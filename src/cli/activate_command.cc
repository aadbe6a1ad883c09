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
#include "op25bc/report/gather.h"
#include "op25bc/run/run.h"
#include "op25bc/schedule/activation.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "op25bc/timeline/timeline.h"
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
void write_metrics(const ActivateArgs& args, const run::Target& target, const std::string& table,
                   const Loaded* applied, const report::ActivateRun& run, Io io) {
  if (args.metrics.empty()) return;
  const auto written = report::write_metrics_file(
      args.metrics, {target, table, applied, args.warn_days, run}, io.clock);
  if (!written)
    log_line(LOG_WARNING, "op25bc activate: metrics not written: " + written.failure().message,
             args.syslog, io);
}

}  // namespace

int run_activate(const ActivateArgs& args, Io io) {
  const policy::DropIns dropins = args.strict ? policy::DropIns::strict : policy::DropIns::lenient;
  const Loaded file = load(args.policy, io, args.router, {}, dropins);
  const auto log = [&](int priority, const std::string& what) {
    log_line(priority, "op25bc activate " + args.policy + what, args.syslog, io);
  };
  if (!file.policy) {
    log(LOG_ERR, ": " + file.first_error() + "; nothing changed");
    return kExitFailure;
  }
  const run::Target target = run::Target::make(args.target, io.backends, file.policy->table);

  // The plan is made under the lock, once the policy in force (the file, or
  // a rollback's pinned copy) is known, from the record of the last run.
  std::optional<schedule::Activation> plan;
  std::optional<Instant> now;
  bool usage = false, had_record = false;
  run::Request request;
  request.role = run::Role::activate;
  request.file = &file;
  request.policy_path = args.policy;
  request.router = args.router;
  request.dropins = dropins;
  request.kernel_timed = args.kernel_timed;
  request.plan = [&](const Loaded& applied) -> Result<run::Plan> {
    const policy::Policy& p = *applied.policy;
    const std::optional<backend::LastApply> record = target.backend->last_applied(target.state);
    now = parse_at(args.at, p, io);  // says what is wrong with it
    if (!now) {
      usage = true;
      return Failure{"--at"};
    }
    schedule::ActivationInput in;
    in.now = *now;
    in.fingerprint = applied.fingerprint;
    in.record = record;
    in.allow_rollback = args.allow_rollback;
    in.warn_expiry = std::chrono::hours(static_cast<long>(args.warn_days * 24));
    plan = schedule::plan(p, timeline::build(p), in);
    // Between full read-backs the record vouches for the sets. What it cannot
    // see (an ipset member swapped with the count unchanged) is found by
    // reading every set back, at least every --verify-every seconds.
    const bool verify = args.verify || !record ||
                        schedule::verification_due(record->verified_at, io.clock.now(),
                                                   std::chrono::seconds(args.verify_every));
    had_record = record.has_value();
    std::optional<std::int64_t> late;
    if (plan->late_by) late = plan->late_by->count();
    return run::Plan{plan->apply_at, verify, late};
  };
  const auto result = run::run(target, io.backends, request, io.clock);
  if (!result) {
    if (usage) return kExitUsage;
    report(result.failure(), io, kExitFailure, args.policy);
    log(LOG_ERR, ": failed, nothing changed");
    write_metrics(args, target, file.policy->table, nullptr, {io.clock.now(), false, std::nullopt},
                  io);
    return kExitFailure;
  }
  const run::Report& r = *result;
  const Loaded& applied = r.applied();
  const policy::Policy& p = *applied.policy;
  // A rollback's pin wins over the file, and says so every run.
  if (r.pin)
    log(LOG_WARNING, ": a rollback pinned policy " + r.pin->fingerprint + " on " + r.pin->since +
                         "; applying it, not the policy file (" + file.fingerprint +
                         "); release with op25bc rollback --release");
  if (!p.skipped_dropins.empty())
    log(LOG_WARNING, ": warning: invalid drop-in exemption file(s) " +
                         text::join(p.skipped_files(), text::printable) +
                         " left out, every other exemption enforced (op25bc validate names the "
                         "problems)");
  for (const auto& w : plan->warnings) log(LOG_WARNING, ": warning: " + w);
  for (const std::string& w : r.warnings) note(w, io);
  const backend::Outcome& out = r.outcome;
  std::string line = " at " + format_time(*now, p.zone);
  if (plan->apply_at != *now) line += " (keeping the state of " + r.applied_at + ")";
  const std::string phases = text::join(r.active_phases);
  line += phases.empty() ? ": no phase active; " : ": phases " + phases + " active; ";
  line += out.in_sync ? std::string{"no change"} : out.summary;
  if (!out.drift_repaired.empty()) line += "; " + out.drift_repaired;
  if (r.plan.verify && had_record) line += "; every set verified in the kernel";
  if (plan->late_by)
    line += "; the boundary of " + format_time(*plan->boundary, p.zone) + " was applied late by " +
            schedule::duration_text(*plan->late_by);
  else if (plan->catch_up)
    line += "; first run: caught up with the boundary of " + format_time(*plan->boundary, p.zone);
  line +=
      plan->next ? "; next change " + format_time(plan->next->at, p.zone) : "; no further change";
  log(plan->late_by ? LOG_WARNING : LOG_INFO, line);
  write_metrics(args, target, p.table, &applied, {io.clock.now(), true, plan->late_by}, io);
  return kExitOk;
}

}  // namespace op25bc::cli
