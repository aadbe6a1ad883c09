// SPDX-License-Identifier: GPL-2.0-or-later
// The one run: lock, pin, live sessions, the backend's run, the subscriber
// index and the history, in that order, for every command that applies.
#include "op25bc/run/run.h"

#include <chrono>

#include "live.h"
#include "op25bc/eval/effective.h"
#include "op25bc/history/lock.h"
#include "op25bc/io/atomic_file.h"

namespace op25bc::run {

Hold::Hold(Target target) : target_(std::move(target)) {}
Hold::Hold(Hold&&) noexcept = default;
Hold& Hold::operator=(Hold&&) noexcept = default;
Hold::~Hold() = default;

Result<Hold> Hold::lock(const Target& target) {
  auto lock = history::LockFile::take(
      target.lock, std::chrono::milliseconds(static_cast<long>(target.lock_wait * 1000)));
  if (!lock) return lock.failure();
  Hold h(target);
  h.lock_ = std::move(*lock);
  return h;
}

Result<Done> Hold::join(const Target& target, const backend::Registry& backends) {
  if (session_) return Done{};
  target_ = target;
  if (auto owned = check_owner(target_, backends); !owned) return owned;
  auto session = target_.backend->open({target_.state});
  if (!session) return session.failure();
  if (!lock_) {
    auto taken = lock(target_);
    if (!taken) return taken.failure();
    lock_ = std::move(taken->lock_);
  }
  session_ = std::move(*session);
  // The default folder, for the record (a failure to make it shows when the
  // record is written).
  if (target_.default_state) (void)io::make_folder(backend::kStateFolder, 0700);
  return Done{};
}

Result<Hold> Hold::open(const Target& target, const backend::Registry& backends) {
  Hold h(target);
  if (auto opened = h.join(target, backends); !opened) return opened.failure();
  return h;
}

std::vector<std::string> active_phase_ids(const policy::Policy& p, Instant at) {
  std::vector<std::string> ids;
  for (std::size_t i : eval::evaluate(p, at).phases) ids.push_back(p.phases[i].id);
  return ids;
}

namespace {

// The pin rule. apply: refused while a rollback pinned another policy.
// activate and exempt: the pinned copy, with the drop-ins beside the policy
// file. rollback: nothing to follow, it pins afterwards.
Result<Done> apply_pin_rule(history::HistoryStore& store, const Request& r, Report& report) {
  if (r.role == Role::rollback || r.check_only) return Done{};
  const auto h = store.load();
  if (!h)
    return Failure{h.failure().message +
                   "; whether a rollback is pinned is unknown, the kernel was not changed"};
  if (!h->pin) return Done{};
  const history::Pin& pin = *h->pin;
  if (r.role == Role::apply) {
    if (pin.fingerprint == r.file->fingerprint) return Done{};
    return Failure{"a rollback pinned policy " + pin.fingerprint + " on " + pin.since +
                       "; apply refuses another policy while the pin holds, so the rollback is "
                       "not undone by accident",
                   "release the pin with op25bc rollback --release (same --state), then apply"};
  }
  auto copy = store.policy(pin.fingerprint);
  if (!copy)
    return Failure{"the pinned policy " + store.policy_path(pin.fingerprint) +
                   " is missing; the kernel was not changed"};
  auto pinned = std::make_unique<Loaded>(load_copy(std::move(*copy), pin.fingerprint,
                                                   store.policy_path(pin.fingerprint), r.router,
                                                   folder_of(r.policy_path), r.dropins));
  // Its first problem, named in the copy ("(and N more)"): validate the copy for all.
  if (!pinned->policy) return Failure{"the pinned policy is refused: " + pinned->first_error()};
  report.pin = pin;
  report.pinned = std::move(pinned);
  return Done{};
}

// The history's entry for this run.
history::HistoryEntry entry_of(const Request& r, const Report& report,
                               const history::HistoryStore& store, const Clock& clock) {
  const char* command = r.role == Role::activate   ? "activate"
                        : r.role == Role::rollback ? "rollback"
                                                   : "apply";
  const Loaded& applied = report.applied();
  return {format_utc(clock.now()),
          report.applied_at,
          applied.fingerprint,
          command,
          report.pin ? store.policy_path(report.pin->fingerprint) : absolute_path(r.policy_path),
          report.active_phases,
          report.outcome.committed,
          report.plan.late_by,
          r.router,
          report.backend->name()};
}

}  // namespace

Result<Report> run(Hold& hold, const Request& r, const Clock& clock) {
  const Target& t = hold.target();
  Report report;
  report.backend = t.backend;
  report.file = r.file;
  history::FileHistoryStore store(t.history_folder());
  if (auto pinned = apply_pin_rule(store, r, report); !pinned) return pinned.failure();
  const Loaded& applied = report.applied();
  const policy::Policy& p = *applied.policy;
  auto plan = r.plan(applied);
  if (!plan) return plan.failure();
  report.plan = *plan;
  report.applied_at = format_time(plan->at, p.zone);
  report.active_phases = active_phase_ids(p, plan->at);

  backend::RunRequest request{p, plan->at, r.kernel_timed, {}, r.dry_run};
  backend::RunOptions& options = request.options;
  options.now = clock.now().time_since_epoch().count();
  options.check_only = r.check_only;
  options.adopt = r.adopt;
  options.verify = plan->verify;
  options.fingerprint = applied.fingerprint;
  options.applied_at = report.applied_at;
  options.active_phases = report.active_phases;
  const auto live = live_sessions(p, t.state, t.sessions, report.warnings);  // under the lock
  if (!live) return live.failure();
  if (*live) request.sessions = &(*live)->table;

  auto out = hold.session()->run(request);
  if (!out) return out.failure();
  report.outcome = std::move(*out);
  for (const std::string& note : report.outcome.notes) report.warnings.push_back(note);
  if (r.check_only) return report;

  keep_session_index(p, t.backend->name(), t.state, *live, report.warnings);
  // The history adds an entry only when it says something new; failing to
  // keep it is a warning: the kernel already holds the ruleset.
  if (const auto kept = history::remember(store, entry_of(r, report, store, clock), applied.text,
                                          applied.named_prefix_files(), t.keep);
      !kept)
    report.warnings.push_back("warning: the ruleset is applied, but the history was not kept: " +
                              kept.failure().message);
  if (r.role == Role::rollback) {  // activate keeps it until the pin is released
    auto h = store.load();
    if (h) h->pin = history::Pin{applied.fingerprint, format_utc(clock.now())};
    const Result<Done> saved = h ? store.save(*h) : Result<Done>(h.failure());
    if (!saved) report.pin_failure = saved.failure().message;
  }
  return report;
}

Result<Report> run(const Target& target, const backend::Registry& backends, const Request& request,
                   const Clock& clock) {
  auto hold = Hold::open(target, backends);
  if (!hold) return hold.failure();
  return run(*hold, request, clock);
}

Result<Rollback> rollback_source(const Target& target, const backend::Registry& backends,
                                 const std::string& to, const std::string& table) {
  if (auto owned = check_owner(target, backends); !owned) return owned.failure();
  const std::string folder = target.history_folder();
  history::FileHistoryStore store(folder);
  const auto h = store.load();
  if (!h) return Failure{"rollback: " + h.failure().message};
  std::string error;
  const auto entry = history::rollback_target(*h, to, error);
  if (!entry) return Failure{"rollback: " + error + " (" + folder + ")"};
  auto kept = store.policy(entry->fingerprint);
  if (!kept)
    return Failure{"rollback: the copy of policy " + entry->fingerprint + " is missing (" +
                   store.policy_path(entry->fingerprint) + ")"};
  if (entry->backend != target.backend->name())
    return Failure{"rollback: policy " + entry->fingerprint + " was applied through the " +
                       entry->backend + " backend; this rollback is on the " +
                       target.backend->name() + " backend, so nothing was changed",
                   "roll back with --backend " + entry->backend};
  Rollback out{*entry, {}};
  // Drop-in exemptions come from the folder of the policy file the entry
  // applied (unless that was itself a kept copy): never withdrawn by a rollback.
  const bool from_file = !entry->policy_path.starts_with(folder + "/");
  out.loaded =
      load_copy(std::move(*kept), entry->fingerprint, store.policy_path(entry->fingerprint),
                entry->router, from_file ? folder_of(entry->policy_path) : std::string{});
  if (out.loaded.policy && out.loaded.policy->table != table)
    return Failure{"rollback: policy " + entry->fingerprint + " is for table " +
                   out.loaded.policy->table + ", not " + table};
  return out;
}

Result<std::optional<std::string>> release_pin(const Target& target,
                                               const backend::Registry& backends) {
  if (auto owned = check_owner(target, backends); !owned) return owned.failure();
  history::FileHistoryStore store(target.history_folder());
  auto h = store.load();
  if (!h) return h.failure();
  if (!h->pin) return std::optional<std::string>{};
  const std::string was = h->pin->fingerprint;
  h->pin.reset();
  if (auto saved = store.save(*h); !saved) return saved.failure();
  (void)store.forget_policies_except(history::referenced(*h));  // leftovers are only clutter
  return std::optional<std::string>{was};
}

Result<history::History> history_of(const Target& target, const backend::Registry& backends) {
  if (auto owned = check_owner(target, backends); !owned) return owned.failure();
  return history::FileHistoryStore(target.history_folder()).load();
}

}  // namespace op25bc::run
