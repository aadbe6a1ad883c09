// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/eval/effective.h"

namespace op25bc::eval {

EffectiveState evaluate(const policy::Policy& p, Instant at) {
  EffectiveState state;
  state.at = at;
  for (std::size_t i = 0; i < p.phases.size(); ++i)
    if (p.phases[i].effective && policy::is_active(p.phases[i].effective, p.phases[i].until, at))
      state.phases.push_back(i);
    else if (p.phases[i].effective && p.phases[i].monitor_from &&
             policy::is_active(p.phases[i].monitor_from, p.phases[i].effective, at))
      state.monitoring.push_back(i);
  for (std::size_t i = 0; i < p.exemptions.size(); ++i)
    if (policy::is_active(p.exemptions[i].effective, p.exemptions[i].until, at))
      state.exemptions.push_back(i);
  state.submission_open = policy::is_active(p.submission.effective, std::nullopt, at);
  return state;
}

}  // namespace op25bc::eval
