// SPDX-License-Identifier: GPL-2.0-or-later
// What `op25bc activate` decides before touching the kernel: which instant to
// apply (now, unless the clock went backwards across a boundary already
// applied with the same policy), whether a boundary was applied late, what the
// next scheduled change is, and which exemptions expire soon. Pure: no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/backend/status.h"
#include "op25bc/policy/model.h"
#include "op25bc/timeline/timeline.h"

namespace op25bc::schedule {

struct ActivationInput {
  Instant now;
  std::string fingerprint;                   // of the policy being activated
  std::optional<backend::LastApply> record;  // what the last completed run applied
  bool allow_rollback = false;
  std::chrono::seconds late_after{120};     // a boundary applied later than this is "late"
  std::chrono::hours warn_expiry{24 * 14};  // warn about exemptions expiring this soon
};

struct Activation {
  Instant apply_at;                             // the instant whose ruleset is applied
  std::optional<Instant> boundary;              // the latest ruleset change at or before apply_at
  std::optional<std::chrono::seconds> late_by;  // the boundary was crossed since the last run
  bool catch_up = false;  // the first run (no record): it applies what is due, late by nobody
  std::optional<timeline::Event> next;  // the next ruleset change after apply_at
  std::vector<std::string> warnings;
};

Activation plan(const policy::Policy& policy, const std::vector<timeline::Event>& events,
                const ActivationInput& in);

// Exemptions that end after `now` and within `within` of it.
std::vector<const policy::Exemption*> expiring(const policy::Policy& policy, Instant now,
                                               std::chrono::hours within);

// Exemptions expiring within `within` of `now`, as warnings.
std::vector<std::string> expiry_warnings(const policy::Policy& policy, Instant now,
                                         std::chrono::hours within);

// "3 d 4 h 5 min 6 s", compact.
std::string duration_text(std::chrono::seconds d);

// Whether a run at wall-clock time `wall` reads every set back from the
// kernel: the last full verification (StateRecord::verified_at, 0 for never)
// is `every` old or older, or lies in the future (the clock went back).
// `every` of zero: each run verifies.
bool verification_due(std::int64_t verified_at, Instant wall, std::chrono::seconds every);

inline constexpr std::chrono::seconds kDefaultVerifyEvery{3600};

}  // namespace op25bc::schedule
