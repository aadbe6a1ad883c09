// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/eval/effective.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

namespace {

std::vector<std::string> active(const policy::Policy& p, const std::string& at) {
  std::vector<std::string> ids;
  for (std::size_t i : eval::evaluate(p, test::at(p, at)).phases) ids.push_back(p.phases[i].id);
  return ids;
}

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("effective state across the rollout: effective inclusive, until exclusive") {
  const auto p = test::load_example("spinnet");
  CHECK(active(p, "2006-05-31T23:59:59+09:00") == Ids{});
  CHECK(active(p, "2006-06-01T00:00:00+09:00") == Ids{"mobile"});
  CHECK(active(p, "2006-05-31T15:00:00Z") == Ids{"mobile"});  // the same instant in UTC
  CHECK(active(p, "2006-09-30T23:59:59+09:00") == Ids{"mobile"});
  CHECK(active(p, "2006-10-01") == Ids{"mobile", "all"});
  const auto before = eval::evaluate(p, test::at(p, "2006-06-14T23:59:59+09:00"));
  const auto after = eval::evaluate(p, test::at(p, "2006-06-15"));
  CHECK_FALSE(before.submission_open);
  CHECK(after.submission_open);
  CHECK(eval::evaluate(p, test::at(p, "2007-03-30T23:59:59+09:00")).exemptions.size() == 1);
  CHECK(eval::evaluate(p, test::at(p, "2007-03-31")).exemptions.empty());
}

TEST_CASE("effective state in a DST zone: dates follow local midnight, offsets disambiguate") {
  json doc = test::minimal_policy();
  doc["timezone"] = "America/New_York";
  doc["submission"]["effective"] = "2006-03-01";
  doc["phases"][0]["effective"] = "2006-04-02";  // DST begins 02:00 that day; midnight is EST
  doc["phases"][1]["effective"] = "2006-10-29T01:30:00-05:00";  // second pass of 01:30
  Diagnostics diags;
  auto p = test::load_json(doc, diags);
  REQUIRE_MESSAGE(p, test::describe(diags));
  CHECK(active(*p, "2006-04-01T23:59:59-05:00") == Ids{});
  CHECK(active(*p, "2006-04-02T05:00:00Z") == Ids{"mobile"});
  CHECK(active(*p, "2006-07-01") == Ids{"mobile"});  // midnight EDT = 04:00Z
  CHECK(format_utc(test::at(*p, "2006-07-01")) == "2006-07-01T04:00:00Z");
  // 01:30 happens twice on 2006-10-29; the first pass (EDT) is before the phase.
  CHECK(active(*p, "2006-10-29T01:30:00-04:00") == Ids{"mobile"});
  CHECK(active(*p, "2006-10-29T01:29:59-05:00") == Ids{"mobile"});
  CHECK(active(*p, "2006-10-29T01:30:00-05:00") == Ids{"mobile", "all"});
}
