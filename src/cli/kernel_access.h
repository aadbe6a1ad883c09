// What apply and activate share on their way to the kernel: where the state
// record lives, the lock, the kernel and the reconcile loop, and how their
// outcomes are worded.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "op25bc/apply/reconcile.h"
#include "op25bc/policy/model.h"

namespace op25bc::cli {

// --state if given, else /var/lib/op25bc/TABLE.state. Computes; creates nothing.
std::string state_path(const std::string& given, const std::string& table);

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

// Lock, kernel, state record, reconcile; nullopt after reporting a failure.
std::optional<apply::ReconcileOutcome> reconcile_kernel(const policy::Policy& p,
                                                        const ir::Ruleset& desired,
                                                        const apply::ReconcileOptions& options,
                                                        const KernelAccess& access, Io io);

// The ids of the phases active at `at`, recorded with a commit.
std::vector<std::string> active_phase_ids(const policy::Policy& p, Instant at);

}  // namespace op25bc::cli
