// SPDX-License-Identifier: GPL-2.0-or-later
// The evaluation: what the policy says at one instant.
#pragma once

#include <vector>

#include "op25bc/policy/model.h"

namespace op25bc::eval {

struct EffectiveState {
  Instant at;
  std::vector<std::size_t> phases;      // active phases, in policy order
  std::vector<std::size_t> monitoring;  // phases in their monitor period, in policy order
  std::vector<std::size_t> exemptions;  // active exemptions, in policy order
  bool submission_open = false;

  friend bool operator==(const EffectiveState&, const EffectiveState&) = default;
};

EffectiveState evaluate(const policy::Policy& policy, Instant at);

}  // namespace op25bc::eval
