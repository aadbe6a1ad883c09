// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/schedule/activation.h"
#include "op25bc/schedule/units.h"
#include "support/policies.h"

using namespace op25bc;
using namespace std::chrono;
using nlohmann::json;

namespace {

backend::LastApply applied(const policy::Policy& p, const char* at, std::string fingerprint,
                           std::vector<std::string> phases) {
  backend::LastApply r;
  r.applied_at = format_time(test::at(p, at), p.zone);
  r.policy_fingerprint = std::move(fingerprint);
  r.active_phases = std::move(phases);
  return r;
}

schedule::Activation plan(const policy::Policy& p, const char* now,
                          std::optional<backend::LastApply> record, bool allow_rollback = false,
                          std::string fingerprint = "fp") {
  schedule::ActivationInput in;
  in.now = test::at(p, now);
  in.fingerprint = std::move(fingerprint);
  in.record = std::move(record);
  in.allow_rollback = allow_rollback;
  return schedule::plan(p, timeline::build(p), in);
}

}  // namespace

TEST_CASE("activate applies now and names the next change") {
  const auto p = test::load_example("spinnet");
  const auto a = plan(p, "2006-06-02", std::nullopt);
  CHECK(a.apply_at == test::at(p, "2006-06-02"));
  REQUIRE(a.next);
  CHECK(format_time(a.next->at, p.zone) == "2006-09-01T00:00:00+09:00");  // "all" starts monitoring
  CHECK(a.warnings.empty());
}

TEST_CASE("a boundary crossed while the machine was off is applied late, and said so") {
  const auto p = test::load_example("spinnet");
  const auto on_time =
      plan(p, "2006-10-01T00:01:00+09:00", applied(p, "2006-09-30", "fp", {"mobile"}));
  CHECK_FALSE(on_time.late_by);
  const auto late =
      plan(p, "2006-10-03T06:30:00+09:00", applied(p, "2006-09-30", "fp", {"mobile"}));
  REQUIRE(late.late_by);
  CHECK(schedule::duration_text(*late.late_by) == "2 d 6 h 30 min");
  CHECK(format_time(*late.boundary, p.zone) == "2006-10-01T00:00:00+09:00");
  // Already applied at that boundary: not late again.
  CHECK_FALSE(
      plan(p, "2006-10-03", applied(p, "2006-10-01T00:00:30+09:00", "fp", {"mobile", "all"}))
          .late_by);
}

TEST_CASE("the first run long after a boundary catches up: it is not late") {
  const auto p = test::load_example("spinnet");
  for (const char* now : {"2006-10-03", "2026-12-07"}) {
    const auto first = plan(p, now, std::nullopt);
    CHECK_FALSE(first.late_by);
    CHECK(first.catch_up);
    REQUIRE(first.boundary);
  }
  CHECK_FALSE(plan(p, "2006-10-03", applied(p, "2006-09-30", "fp", {"mobile"})).catch_up);
}

TEST_CASE("no silent rollback: a clock gone back keeps the applied state unless allowed") {
  const auto p = test::load_example("spinnet");
  const auto record = applied(p, "2006-10-02", "fp", {"mobile", "all"});
  const auto kept = plan(p, "2006-09-15", record);
  CHECK(kept.apply_at == test::at(p, "2006-10-02"));
  REQUIRE(kept.warnings.size() == 1);
  CHECK(kept.warnings[0] ==
        "the clock is at 2006-09-15T00:00:00+09:00, before the boundary of "
        "2006-10-01T00:00:00+09:00 that was already applied; keeping the applied state (use "
        "--allow-rollback to undo)");
  const auto rolled = plan(p, "2006-09-15", record, true);
  CHECK(rolled.apply_at == test::at(p, "2006-09-15"));
  // Back in time but not across a boundary: nothing to protect.
  CHECK(plan(p, "2006-10-01T12:00:00+09:00", record).apply_at ==
        test::at(p, "2006-10-01T12:00:00+09:00"));
}

TEST_CASE("an edited policy that moves a date later is applied, with a warning naming the phase") {
  json doc = test::minimal_policy();
  doc["phases"][1]["effective"] = "2006-12-01";  // "all" moved from October 1
  Diagnostics diags;
  auto p = test::load_json(doc, diags);
  REQUIRE(p);
  const auto a =
      plan(*p, "2006-10-15", applied(*p, "2006-10-02", "old", {"mobile", "all"}), false, "new");
  CHECK(a.apply_at == test::at(*p, "2006-10-15"));
  REQUIRE(a.warnings.size() == 1);
  CHECK(a.warnings[0] ==
        "phase \"all\" was active and the edited policy moves it to 2006-12-01T00:00:00+09:00: "
        "applying the policy");
}

TEST_CASE("exemptions about to expire are announced ahead") {
  const auto p = test::load_example("spinnet");
  const auto a = plan(p, "2007-03-25", std::nullopt);
  REQUIRE(a.warnings.size() == 1);
  CHECK(a.warnings[0] == "exemption \"cust-1234\" expires on 2007-03-31T00:00:00+09:00, in 6 d");
  CHECK(plan(p, "2007-02-01", std::nullopt).warnings.empty());
}

TEST_CASE("timer calendars use local time, or UTC where DST makes local time ambiguous") {
  json doc = test::minimal_policy();
  doc["timezone"] = "America/New_York";
  doc["phases"][1]["effective"] = "2006-10-29T01:30:00-05:00";  // the repeated hour
  Diagnostics diags;
  auto p = test::load_json(doc, diags);
  REQUIRE(p);
  CHECK(schedule::on_calendar(test::at(*p, "2006-06-01"), *p) ==
        "2006-06-01 00:00:00 America/New_York");
  CHECK(schedule::on_calendar(*p->phases[1].effective, *p) == "2006-10-29 06:30:00 UTC");
}
