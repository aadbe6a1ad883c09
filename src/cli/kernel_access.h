// SPDX-License-Identifier: GPL-2.0-or-later
// What apply and activate share on their way to the kernel: where the state
// record lives, the lock, the kernel and the reconcile loop, and how their
// outcomes are worded.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "op25bc/apply/history.h"
#include "op25bc/apply/lock.h"
#include "op25bc/apply/reconcile.h"
#include "op25bc/kernel/netlink_kernel.h"
#include "op25bc/policy/model.h"

namespace op25bc::cli {

// --state if given, else /var/lib/op25bc/TABLE.state. Computes; creates nothing.
std::string state_path(const std::string& given, const std::string& table);

// The state file of `backend`: --state if given, else its default
// (TABLE.state for nftables, TABLE.iptables.state for iptables).
std::string backend_state_path(const std::string& backend, const std::string& given,
                               const std::string& table);

// false, after saying why, when `path` holds the record of another backend
// than `backend`: no command of one backend reads, trusts or overwrites the
// other's state file (or, through it, its history). true when there is none.
bool state_belongs_to(const std::string& backend, const std::string& path, Io io);

// The default state folder, for a run that will write the record there (a
// failure to make it shows when the record is written).
void make_state_folder(const std::string& given);

std::string drift_text(const std::string& table);

double seconds_since(std::chrono::steady_clock::time_point start);

struct KernelAccess {
  std::string lock;
  double lock_wait;
  std::string state;  // "" = default for the table
};

// The kernel and op25bc's lock, held for a whole run: whatever the run reads
// first (the history's pin, the state record) and writes last (the history)
// is seen by no other op25bc run in between.
struct Session {
  kernel::NetlinkKernel kernel;
  std::optional<apply::LockFile> lock;
};

// nullptr after reporting why (no CAP_NET_ADMIN: before any file is touched;
// the lock held by another run for longer than the wait).
std::unique_ptr<Session> open_session(const KernelAccess& access, Io io);

// State record and reconcile within a session; nullopt after reporting a failure.
std::optional<apply::ReconcileOutcome> reconcile_kernel(Session& session, const policy::Policy& p,
                                                        const ir::Ruleset& desired,
                                                        const apply::ReconcileOptions& options,
                                                        const std::string& state, Io io);

// The history kept beside a state file (apply/history.h).
std::string history_folder(const std::string& state_file, const std::string& table);

// false, after saying why, when a rollback pinned another policy than
// `fingerprint` (or the history cannot be read, so nobody knows).
bool pin_allows(apply::HistoryStore& history, const std::string& fingerprint, Io io);

// Remembers this run's policy in the history; a failure is only a warning:
// the kernel already holds the ruleset.
void keep_history(apply::HistoryStore& history, apply::HistoryEntry entry,
                  std::string_view policy_bytes, const std::vector<apply::NamedBytes>& prefix_files,
                  std::size_t keep, Io io);

// The absolute path of a policy file, as the history names it.
std::string absolute_path(const std::string& path);

// What apply (either backend) asks of a reconcile run at `at`, at wall-clock time `wall`.
apply::ReconcileOptions reconcile_options(const ApplyArgs& args, const std::string& fingerprint,
                                          const policy::Policy& p, Instant at, Instant wall);

// The ids of the phases active at `at`, recorded with a commit.
std::vector<std::string> active_phase_ids(const policy::Policy& p, Instant at);

}  // namespace op25bc::cli
