// SPDX-License-Identifier: GPL-2.0-or-later
// What apply, activate, rollback, status, history and metrics share on their
// way to a backend: which backend and state file, the session, and the
// history kept beside the state file. Every backend alike: nothing here
// knows one from another.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "op25bc/backend/backend.h"
#include "op25bc/history/history.h"
#include "op25bc/history/lock.h"
#include "op25bc/policy/model.h"
#include "op25bc/session/table.h"
#include "support.h"

namespace op25bc::cli {

// The backend --backend names ("" for the default one).
const backend::Backend& backend_named(const std::string& name, Io io);

// The state file of `b`: --state if given, else the backend's default.
std::string state_file(const backend::Backend& b, const std::string& given,
                       const std::string& table);

// false, after saying why, when `path` holds the record of another backend
// than `b`: no command of one backend reads, trusts or overwrites the
// other's state file (or, through it, its history). true when there is none.
bool state_belongs_to(const backend::Backend& b, const std::string& path, Io io);

// Prints a backend's failure: "op25bc: MESSAGE", its hint, and the policy
// diagnostics it carries (pointers into `policy_path`).
void report(const Failure& failure, const std::string& policy_path, Io io);

// A backend's session and op25bc's lock, held by the caller for a whole run:
// whatever the run reads first (the history's pin, the state record) and
// writes last (the history) is seen by no other op25bc run in between.
struct Held {
  std::unique_ptr<backend::Session> session;
  std::unique_ptr<history::LockFile> lock;
};

// The backend's checks (before any file is touched), then the lock, waiting
// up to `lock_wait` seconds; nullptr after reporting why. `given_state` "":
// the default state folder is made for the record.
std::unique_ptr<Held> open_session(const backend::Backend& b, const std::string& state,
                                   const std::string& lock, double lock_wait,
                                   const std::string& given_state, Io io);

// The same with op25bc's lock already held (taken before the policy was
// read): the backend's checks, then the session that keeps the lock.
std::unique_ptr<Held> open_session(const backend::Backend& b, const std::string& state,
                                   std::unique_ptr<history::LockFile> lock,
                                   const std::string& given_state, Io io);

// The run within a session, its notes on stderr; nullopt after reporting a failure.
std::optional<backend::Outcome> run_session(Held& held, const backend::RunRequest& request,
                                            const std::string& policy_path, Io io);

double seconds_since(std::chrono::steady_clock::time_point start);

// The live sessions a run of `p` enforces (session/table.h), read while the
// lock is held from the session table: `given` (--sessions), else the one
// named after `state`. nullopt when `p` has no subscriber exemption. The
// table is trusted only while the index beside `state` names it (else it
// starts empty), and an address no session may hold under `p`'s pools is
// left out with a warning (`rewrite`: the table is written back so). A
// table that cannot be read is a failure: whose sessions are live is unknown.
struct LiveSessions {
  std::string path;
  session::Table table;
  bool rewrite = false;  // the file differs from `table`: keep_session_index writes it
};
Result<std::optional<LiveSessions>> live_sessions(const policy::Policy& p, const std::string& state,
                                                  const std::string& given, Io io);

// After a run that made the kernel hold `p` (still under the lock): the index
// of its subscriber exemptions beside `state`, for session events (removed
// when it has none), and the session table without the subscribers whose
// exemption is gone. A failure is a warning: the kernel holds the ruleset.
void keep_session_index(const policy::Policy& p, const backend::Backend& b,
                        const std::string& state, const std::optional<LiveSessions>& live, Io io);

// The pools' bounds beside `state` (session/bounds.h) for session events,
// written only when they changed; "" or what went wrong.
std::string keep_pool_bounds(const policy::Policy& p, const std::string& state);

// Writes a session table (its folder made, as op25bc.service's
// RuntimeDirectory would be); "" or what went wrong.
std::string write_session_table(const std::string& path, const session::Table& table);

// false, after saying why, when a rollback pinned another policy than
// `fingerprint` (or the history cannot be read, so nobody knows).
bool pin_allows(history::HistoryStore& history, const std::string& fingerprint, Io io);

// Remembers this run's policy in the history; a failure is only a warning:
// the kernel already holds the ruleset.
void keep_history(history::HistoryStore& history, history::HistoryEntry entry,
                  std::string_view policy_bytes,
                  const std::vector<history::NamedBytes>& prefix_files, std::size_t keep, Io io);

// The policy a rollback pinned, as activate applies it: the kept copy, with
// the drop-in exemptions of the folder of `policy_path` (the policy file in
// use); nullopt when the copy is missing (history.policy_path names it).
std::optional<Loaded> load_pinned(history::HistoryStore& history, const history::Pin& pin,
                                  const std::string& policy_path, Io io, const std::string& router,
                                  policy::DropIns dropins = policy::DropIns::lenient);

// The absolute path of a policy file, as the history names it.
std::string absolute_path(const std::string& path);
// The folder holding `path` ("." for a bare file name).
std::string folder_of(const std::string& path);

// What apply asks of a run at `at`, at wall-clock time `wall`.
backend::RunOptions run_options(const ApplyArgs& args, const std::string& fingerprint,
                                const policy::Policy& p, Instant at, Instant wall);

// The ids of the phases active at `at`, recorded with a change.
std::vector<std::string> active_phase_ids(const policy::Policy& p, Instant at);

}  // namespace op25bc::cli
