// SPDX-License-Identifier: GPL-2.0-or-later
// Every instant at which what the policy says changes: monitor periods, phase
// starts and ends, exemption starts and expiries, the submission port opening.
#pragma once

#include <nlohmann/json_fwd.hpp>  // the declarations; the .cc has the whole library
#include <string>
#include <vector>

#include "op25bc/eval/effective.h"
#include "op25bc/policy/model.h"

namespace op25bc::timeline {

struct Change {
  // phase-monitor, phase-start, phase-end, exemption-start, exemption-end, submission-open
  std::string kind;
  std::string id;  // phase or exemption id ("" for submission-open)
  std::string pointer;
  std::string text;
};

struct Event {
  Instant at;
  std::vector<Change> changes;
  bool ruleset_changes = false;  // whether the compiled ruleset differs across `at`
  eval::EffectiveState after;
};

std::vector<Event> build(const policy::Policy& policy);

// The first event after `t` that changes the ruleset, or null.
const Event* next_change(const std::vector<Event>& events, Instant t);

std::string to_text(const policy::Policy& policy, const std::vector<Event>& events);
nlohmann::json to_json(const policy::Policy& policy, const std::vector<Event>& events);

}  // namespace op25bc::timeline
