// What apply, diff, activate and status share on the iptables backend: the
// tools and capability checks, the lock, the record and the reconcile run,
// and how their outcomes are worded.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "op25bc/apply/state.h"
#include "op25bc/apply/xt_plan.h"
#include "op25bc/policy/model.h"

namespace op25bc::cli {

// --state if given, else /var/lib/op25bc/TABLE.iptables.state.
std::string xt_state_path(const std::string& given, const std::string& table);

struct XtRequest {
  bool check_only = false;  // diff and dry run
  bool dry_run = false;     // also the kernel checks (restore --test, a throwaway namespace)
  bool adopt = false;
  bool verify = false;
  std::string lock;
  double lock_wait = 10;
  std::string state;  // as given ("" = default for the table)
  std::string fingerprint;
  std::string applied_at;
  std::vector<std::string> active_phases;
};

struct XtOutcome {
  apply::xt::Plan plan;
  bool committed = false;
  std::vector<std::string> checks;  // dry run: what the kernel was asked, and said
  bool checks_ok = true;
};

// Tools, capability, lock, record, plan and (unless checking) the run.
// nullopt after reporting the failure on stderr.
std::optional<XtOutcome> xt_reconcile(const policy::Policy& p, backend::xt::Ruleset desired,
                                      const XtRequest& request, Io io);

// The iptables record as activate's scheduler reads a state record.
std::optional<apply::StateRecord> xt_schedule_record(const std::string& state_file);

}  // namespace op25bc::cli
