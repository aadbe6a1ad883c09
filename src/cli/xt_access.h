// SPDX-License-Identifier: GPL-2.0-or-later
// What apply, diff, activate and status share on the iptables backend: the
// tools and capability checks, the lock, the record and the reconcile run,
// and how their outcomes are worded.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/apply/lock.h"
#include "op25bc/apply/state.h"
#include "op25bc/apply/xt_plan.h"
#include "op25bc/policy/model.h"

namespace op25bc::cli {

// --state if given, else /var/lib/op25bc/TABLE.iptables.state.
std::string xt_state_path(const std::string& given, const std::string& table);

// What a run asks: the options the nft backend takes too (check_only, adopt,
// verify, and what the record says of the policy), the lock and state file,
// and for a dry run the kernel checks (restore --test, a throwaway namespace).
struct XtRequest {
  apply::ReconcileOptions options;
  KernelAccess access;  // its state: as given ("" = default for the table)
  bool dry_run = false;
};

struct XtOutcome {
  apply::xt::Plan plan;
  bool committed = false;
  std::vector<std::string> checks;  // dry run: what the kernel was asked, and said
  bool checks_ok = true;
};

// The tools and CAP_NET_ADMIN (before any file is touched), then op25bc's
// lock, held by the caller for the whole run; nullptr after saying why.
std::unique_ptr<apply::LockFile> open_xt_session(const KernelAccess& access, Io io);

// Record, plan and (unless checking) the run, within a session. nullopt
// after reporting the failure on stderr.
std::optional<XtOutcome> xt_reconcile(const policy::Policy& p, backend::xt::Ruleset desired,
                                      const XtRequest& request, Io io);

// status on the iptables backend, in the model both backends fill: nullopt
// when op25bc has no chains there. Throws std::runtime_error when the tools
// are missing or fail.
std::optional<apply::Status> xt_status(const std::string& table, const std::string& state_file);

// The iptables record as activate's scheduler reads a state record.
std::optional<apply::StateRecord> xt_schedule_record(const std::string& state_file);

}  // namespace op25bc::cli
