// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/timeline/timeline.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

TEST_CASE("timeline: the SpinNet rollout in order, with what changes") {
  const auto p = test::load_example("spinnet");
  const json j = timeline::to_json(p, timeline::build(p));
  REQUIRE(j["events"].size() == 5);
  const char* expected[][3] = {
      {"2006-06-01T00:00:00+09:00", "phase-start", "true"},
      {"2006-06-15T00:00:00+09:00", "submission-open", "false"},
      {"2006-09-01T00:00:00+09:00", "phase-monitor", "true"},
      {"2006-10-01T00:00:00+09:00", "phase-start", "true"},
      {"2007-03-31T00:00:00+09:00", "exemption-end", "true"},
  };
  for (std::size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(j["events"][i]["at"] == expected[i][0]);
    CHECK(j["events"][i]["changes"][0]["kind"] == expected[i][1]);
    CHECK(j["events"][i]["ruleset_changes"].dump() == expected[i][2]);
  }
  CHECK(j["events"][2]["monitoring_phases"] == json{"all"});
  CHECK(j["events"][3]["active_phases"] == json{"mobile", "all"});
  CHECK(j["events"][3]["monitoring_phases"] == json::array());
  CHECK(j["events"][4]["active_exemptions"] == json::array());
}

TEST_CASE("timeline: phase ends and DST-zone instants") {
  json doc = test::minimal_policy();
  doc["timezone"] = "America/New_York";
  doc["phases"][0]["until"] = "2006-11-05T01:30:00-05:00";  // the repeated hour's second pass
  Diagnostics diags;
  auto p = test::load_json(doc, diags);
  REQUIRE_MESSAGE(p, test::describe(diags));
  const json j = timeline::to_json(*p, timeline::build(*p));
  std::vector<std::string> at;
  for (const auto& e : j["events"]) at.push_back(e["at"]);
  CHECK(at == std::vector<std::string>{"2006-05-15T00:00:00-04:00", "2006-06-01T00:00:00-04:00",
                                       "2006-10-01T00:00:00-04:00", "2006-11-05T01:30:00-05:00",
                                       "2007-03-31T00:00:00-04:00"});
  CHECK(j["events"][3]["changes"][0]["kind"] == "phase-end");
  CHECK(j["events"][3]["utc"] == "2006-11-05T06:30:00Z");
}
