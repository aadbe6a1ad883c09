// SPDX-License-Identifier: GPL-2.0-or-later
// The run layer: the one place the workflow around the backend port is
// written. A run takes op25bc's lock and the backend's session, applies the
// pin rule, reads the live sessions, asks the backend to run, keeps the
// subscriber index and the history, and returns what happened as a value.
// It prints nothing: apply, diff, activate, rollback and exempt --apply are
// option parsing above it and a formatter of its report below it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/backend/backend.h"
#include "op25bc/backend/registry.h"
#include "op25bc/diag/result.h"
#include "op25bc/history/history.h"
#include "op25bc/run/source.h"
#include "op25bc/run/target.h"
#include "op25bc/time/instant.h"

namespace op25bc::history {
class LockFile;
}

namespace op25bc::run {

// op25bc's lock and, once opened, the backend's session: whatever a run reads
// first (the pin, the state record) and writes last (the history) is seen by
// no other op25bc run in between.
class Hold {
 public:
  // The lock alone (`target`'s lock and wait): op25bc exempt takes it before
  // it reads the policy and its drop-in folder, so before the table, and so
  // the default state file, is known.
  static Result<Hold> lock(const Target& target);
  // The backend's checks (before any file is touched), its session, then the
  // lock (unless held already).
  static Result<Hold> open(const Target& target, const backend::Registry& backends);
  // A held lock's session, for `target` (the same lock).
  Result<Done> join(const Target& target, const backend::Registry& backends);

  const Target& target() const { return target_; }
  backend::Session* session() { return session_.get(); }

  Hold(Hold&&) noexcept;
  Hold& operator=(Hold&&) noexcept;
  ~Hold();

 private:
  explicit Hold(Target target);
  Target target_;
  std::unique_ptr<history::LockFile> lock_;
  std::unique_ptr<backend::Session> session_;
};

// Who runs decides the pin rule and what the history calls the run.
enum class Role {
  apply,     // refuses another policy while a rollback's pin holds
  activate,  // follows a pin: the pinned copy, with the live drop-ins
  exempt,    // follows a pin as activate does; the history says "apply"
  rollback,  // applies a kept copy, then pins it
};

// The instant a run applies and how it reads the kernel, decided under the
// lock once the policy in force (the file or the pinned copy) is known; a
// planner that needs the backend's record of the last run (activate's) reads
// it then. A failure ends the run with nothing changed.
struct Plan {
  Instant at;
  bool verify = false;
  std::optional<std::int64_t> late_by;  // seconds; activate's boundary applied late
};
using Planner = std::function<Result<Plan>(const Loaded& applied)>;

struct Request {
  Role role = Role::apply;
  const Loaded* file = nullptr;  // the policy file, or a rollback's copy; valid
  std::string policy_path;       // where `file` came from: for the history, and the live drop-ins
  std::string router;            // --router, for the history and a pinned copy
  policy::DropIns dropins = policy::DropIns::lenient;  // for a pinned copy
  Planner plan;
  bool check_only = false;  // diff, dry run: nothing is changed, no history
  bool dry_run = false;     // also let the kernel check the change
  bool adopt = false;
  bool kernel_timed = false;
};

struct Report {
  const backend::Backend* backend = nullptr;
  const Loaded* file = nullptr;
  std::optional<history::Pin> pin;  // the pin the run followed (activate, exempt)
  std::unique_ptr<Loaded> pinned;   // its policy, applied instead of `file`
  Plan plan;
  std::string applied_at;                  // plan.at in the policy's zone
  std::vector<std::string> active_phases;  // ids, at plan.at
  backend::Outcome outcome;
  // Worth telling, in order, without "op25bc: ": the backend's notes, an
  // address left out of the session table, an index or history not kept.
  std::vector<std::string> warnings;
  std::string pin_failure;  // rollback: applied, but not pinned (why)

  const Loaded& applied() const { return pinned ? *pinned : *file; }
};

// The whole run under `hold` (a lock and an open session).
Result<Report> run(Hold& hold, const Request& request, const Clock& clock);
// The same, taking the lock and the session first.
Result<Report> run(const Target& target, const backend::Registry& backends, const Request& request,
                   const Clock& clock);

// The ids of the phases active at `at`, recorded with a change.
std::vector<std::string> active_phase_ids(const policy::Policy& p, Instant at);

// A rollback's policy: the history's entry `to` (a fingerprint or a prefix;
// "" for the policy before the newest), its kept copy loaded for `table`,
// with the live drop-ins of the folder the entry's policy file was in.
struct Rollback {
  history::HistoryEntry entry;
  Loaded loaded;  // named by the kept copy's path; diagnostics included; no policy when invalid
};
Result<Rollback> rollback_source(const Target& target, const backend::Registry& backends,
                                 const std::string& to, const std::string& table);

// Drops a rollback's pin; the fingerprint it held, or nullopt when none did.
Result<std::optional<std::string>> release_pin(const Target& target,
                                               const backend::Registry& backends);

// The history beside the target's state file.
Result<history::History> history_of(const Target& target, const backend::Registry& backends);

}  // namespace op25bc::run
