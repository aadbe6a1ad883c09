// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/schedule/activation.h"

#include "op25bc/eval/effective.h"

namespace op25bc::schedule {

namespace {

using namespace std::chrono;

std::optional<Instant> latest_change_at_or_before(const std::vector<timeline::Event>& events,
                                                  Instant t) {
  std::optional<Instant> out;
  for (const auto& e : events)
    if (e.ruleset_changes && e.at <= t) out = e.at;
  return out;
}

std::optional<Instant> parse_recorded(const policy::Policy& p, const std::string& text) {
  if (text.empty()) return std::nullopt;
  return parse_time(text, p.zone).instant;
}

}  // namespace

std::string duration_text(seconds d) {
  const auto days = duration_cast<hours>(d).count() / 24;
  const auto h = duration_cast<hours>(d).count() % 24;
  const auto m = duration_cast<minutes>(d).count() % 60;
  const auto s = d.count() % 60;
  std::string out;
  if (days) out += std::to_string(days) + " d ";
  if (h) out += std::to_string(h) + " h ";
  if (m) out += std::to_string(m) + " min ";
  if (s || out.empty()) out += std::to_string(s) + " s ";
  out.pop_back();
  return out;
}

Activation plan(const policy::Policy& p, const std::vector<timeline::Event>& events,
                const ActivationInput& in) {
  Activation a;
  a.apply_at = in.now;
  const std::optional<Instant> applied =
      in.record ? parse_recorded(p, in.record->applied_at) : std::nullopt;
  const bool same_policy = in.record && in.record->policy_fingerprint == in.fingerprint;

  // No silent rollback: with the same policy, never go back across a boundary
  // that was already applied, unless asked to.
  if (applied && same_policy && in.now < *applied) {
    const auto crossed = latest_change_at_or_before(events, *applied);
    if (crossed && in.now < *crossed) {
      const std::string msg = "the clock is at " + format_time(in.now, p.zone) +
                              ", before the boundary of " + format_time(*crossed, p.zone) +
                              " that was already applied";
      if (in.allow_rollback) {
        a.warnings.push_back(msg + "; rolling back (--allow-rollback)");
      } else {
        a.warnings.push_back(msg + "; keeping the applied state (use --allow-rollback to undo)");
        a.apply_at = *applied;
      }
    }
  }

  // An edited policy that moves a date later: the policy is the truth, say so.
  if (in.record && !same_policy && applied) {
    const auto now = eval::evaluate(p, a.apply_at);
    for (std::size_t i = 0; i < p.phases.size(); ++i) {
      const bool was = !in.record->active_phases.empty() &&
                       std::find(in.record->active_phases.begin(), in.record->active_phases.end(),
                                 p.phases[i].id) != in.record->active_phases.end();
      const bool is = std::find(now.phases.begin(), now.phases.end(), i) != now.phases.end();
      if (was && !is && p.phases[i].effective && *p.phases[i].effective > a.apply_at)
        a.warnings.push_back("phase \"" + p.phases[i].id +
                             "\" was active and the edited policy moves it to " +
                             format_time(*p.phases[i].effective, p.zone) + ": applying the policy");
    }
  }

  a.boundary = latest_change_at_or_before(events, a.apply_at);
  // A boundary crossed since the last run, applied more than late_after after
  // it. With no run before (a new router, a new state file) it is a catch-up:
  // nothing was due to apply it earlier.
  if (a.boundary && applied && *applied < *a.boundary && a.apply_at == in.now &&
      in.now - *a.boundary > in.late_after)
    a.late_by = duration_cast<seconds>(in.now - *a.boundary);
  a.catch_up = a.boundary && !in.record;

  if (const auto* next = timeline::next_change(events, a.apply_at)) a.next = *next;

  for (auto& w : expiry_warnings(p, a.apply_at, in.warn_expiry)) a.warnings.push_back(std::move(w));
  return a;
}

std::vector<const policy::Exemption*> expiring(const policy::Policy& p, Instant now, hours within) {
  std::vector<const policy::Exemption*> out;
  for (const auto& x : p.exemptions)
    if (x.until && *x.until > now && *x.until - now <= within) out.push_back(&x);
  return out;
}

std::vector<std::string> expiry_warnings(const policy::Policy& p, Instant now, hours within) {
  std::vector<std::string> out;
  for (const auto* x : expiring(p, now, within))
    out.push_back("exemption \"" + x->id + "\" expires on " + format_time(*x->until, p.zone) +
                  ", in " + duration_text(duration_cast<seconds>(*x->until - now)));
  return out;
}

bool verification_due(std::int64_t verified_at, Instant wall, std::chrono::seconds every) {
  const std::int64_t now = wall.time_since_epoch().count();
  return verified_at <= 0 || every.count() <= 0 || now < verified_at ||
         now - verified_at >= every.count();
}

}  // namespace op25bc::schedule
