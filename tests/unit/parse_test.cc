// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include <fstream>

#include "op25bc/policy/load.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

TEST_CASE("the minimal policy is valid and resolves its references") {
  Diagnostics diags;
  auto p = test::load_json(test::minimal_policy(), diags);
  REQUIRE_MESSAGE(p, test::describe(diags));
  CHECK(diags.entries().empty());
  CHECK(p->table == "op25b");
  CHECK(p->enforcement.ports == std::vector<std::uint16_t>{25});
  CHECK(p->enforcement.action == policy::Action::reject);
  CHECK(p->pools[1].service_index == std::size_t{1});
  CHECK(p->phases[0].pool_indexes == std::vector<std::size_t>{0, 1});
  CHECK(p->phases[0].destination_indexes == std::vector<std::size_t>{0});
  CHECK(p->phases[1].block_all);
  CHECK(p->phases[1].pool_indexes == std::vector<std::size_t>{0});
}

TEST_CASE("every problem is reported at once, in document order") {
  json doc = test::minimal_policy();
  doc["pools"][0]["prefixes"][1] = "2001:db8:1000::1/40";
  doc["pools"][1]["service"] = "adls";
  doc["phases"][0]["block"][0] = "mobile";
  doc["timezone"] = "Asia/Tokio";
  Diagnostics diags;
  CHECK_FALSE(test::load_json(doc, diags));
  CHECK(test::describe(diags) ==
        "/timezone: error: unknown time zone \"Asia/Tokio\"\n"
        "/pools/0/prefixes/1: error: prefix \"2001:db8:1000::1/40\" has host bits set\n"
        "/pools/1/service: error: unknown service \"adls\"\n"
        "/phases/0/block/0: error: unknown destination \"mobile\"\n");
  CHECK(diags.entries()[2].hint == "did you mean \"adsl\"?");
}

TEST_CASE("a dropped prefix keeps later pointers aligned with the document") {
  json doc = test::minimal_policy();
  doc["pools"][0]["prefixes"] = {"bogus", "198.18.0.0/20", 7, "198.18.16.0/24"};
  Diagnostics diags;
  CHECK_FALSE(test::load_json(doc, diags));
  // 198.18.16.0/24 (index 3) overlaps the osaka pool.
  CHECK(test::describe(diags) ==
        "/pools/0/prefixes/0: error: \"bogus\" is not an IPv4 or IPv6 prefix\n"
        "/pools/0/prefixes/2: error: expected a string, found an integer\n"
        "/pools/1/prefixes/0: error: 198.18.16.0/20 of pool \"osaka\" overlaps 198.18.16.0/24 of "
        "pool \"tokyo\"\n"
        "/pools/0/prefixes/3: note: the prefix it overlaps\n");
}

TEST_CASE("malformed JSON reports line and column") {
  Diagnostics diags;
  CHECK_FALSE(
      policy::load_text("{\n  \"version\": 1,\n  \"timezone\": \"Asia/Tokyo\",,\n}", diags));
  REQUIRE(diags.entries().size() == 1);
  CHECK(diags.entries()[0].line == 3);
  CHECK(diags.entries()[0].column == 28);
}

TEST_CASE("unknown keys get a did-you-mean hint") {
  json doc = test::minimal_policy();
  doc["phases"][0]["efective"] = doc["phases"][0]["effective"];
  doc["phases"][0].erase("effective");
  Diagnostics diags;
  CHECK_FALSE(test::load_json(doc, diags));
  CHECK(test::describe(diags) ==
        "/phases/0/efective: error: unknown key \"efective\"\n"
        "/phases/0/effective: error: missing required key \"effective\"\n");
  CHECK(diags.entries()[0].hint == "did you mean \"effective\"?");
}

TEST_CASE("warnings do not make a policy invalid") {
  json doc = test::minimal_policy();
  doc["submission"]["effective"] = "2006-06-15";
  doc["phases"][0]["block"] = "all";
  Diagnostics diags;
  CHECK(test::load_json(doc, diags));
  CHECK(test::describe(diags) ==
        "/phases/0/effective: warning: phase \"mobile\" blocks from 2006-06-01, before submission "
        "ports open on 2006-06-15\n");
}

TEST_CASE("a duplicate id points at both definitions") {
  json doc = test::minimal_policy();
  doc["pools"].push_back(doc["pools"][0]);
  doc["pools"].back()["prefixes"] = {"198.18.200.0/24"};
  Diagnostics diags;
  CHECK_FALSE(test::load_json(doc, diags));
  const std::string last = "/pools/" + std::to_string(doc["pools"].size() - 1) + "/id";
  CHECK(test::describe(diags).find(
            last + ": error: duplicate pool id \"" + doc["pools"][0]["id"].get<std::string>() +
            "\"\n/pools/0/id: note: first defined here\n") != std::string::npos);
}

TEST_CASE("blocking before submission opens is a warning only for a phase that blocks everything") {
  for (const bool all : {false, true}) {
    json doc = test::minimal_policy();
    doc["submission"]["effective"] = "2006-06-15";  // after the mobile phase's June 1
    if (all) doc["phases"][0]["block"] = "all";
    Diagnostics diags;
    REQUIRE(test::load_json(doc, diags));
    const bool warned =
        test::describe(diags).find("before submission ports open") != std::string::npos;
    CHECK(warned == all);
  }
  // The seed's own policy: its June phase blocks only the mobile carriers' servers.
  Diagnostics diags;
  const auto p = test::load_json(
      nlohmann::json::parse(std::ifstream(test::source_path("examples/spinnet.json"))), diags);
  REQUIRE(p);
  CHECK(diags.entries().empty());
}
