// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/compile/compile.h"
#include "op25bc/explain/explain.h"
#include "op25bc/nft/render_text.h"
#include "op25bc/policy/router.h"
#include "op25bc/timeline/timeline.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

namespace {

// minimal_policy with a router per region.
json fleet() {
  json doc = test::minimal_policy();
  doc["routers"] = json::parse(R"([
    { "id": "bng-tokyo", "scope": { "regions": ["tokyo"] } },
    { "id": "bng-osaka", "description": "Osaka ADSL", "scope": { "services": ["adsl"] } }
  ])");
  return doc;
}

policy::Policy narrowed(const json& doc, const std::string& router) {
  Diagnostics diags;
  auto p = test::load_json(doc, diags);
  REQUIRE_MESSAGE(p, test::describe(diags));
  std::string error;
  REQUIRE_MESSAGE(policy::select_router(*p, router, error), error);
  return std::move(*p);
}

std::vector<std::string> phase_ids(const policy::Policy& p) {
  std::vector<std::string> ids;
  for (const auto& phase : p.phases) ids.push_back(phase.id);
  return ids;
}

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("a router's scope resolves to the pools it carries") {
  Diagnostics diags;
  auto p = test::load_json(fleet(), diags);
  REQUIRE_MESSAGE(p, test::describe(diags));
  CHECK(diags.entries().empty());
  CHECK(p->routers.at(0).pool_indexes == std::vector<std::size_t>{0});
  CHECK(p->routers.at(1).pool_indexes == std::vector<std::size_t>{1});
}

TEST_CASE("selecting a router keeps its pools in each phase and drops phases left empty") {
  const policy::Policy tokyo = narrowed(fleet(), "bng-tokyo");
  CHECK(phase_ids(tokyo) == Ids{"mobile", "all"});
  CHECK(tokyo.phases.at(0).pool_indexes == std::vector<std::size_t>{0});
  // "all" selects flets-b only: Osaka's ADSL router never enforces it.
  const policy::Policy osaka = narrowed(fleet(), "bng-osaka");
  CHECK(phase_ids(osaka) == Ids{"mobile"});
  CHECK(osaka.phases.at(0).pool_indexes == std::vector<std::size_t>{1});
  // Its timeline knows no October boundary: nothing changes on that router.
  const auto events = timeline::build(osaka);
  CHECK(timeline::next_change(events, test::at(osaka, "2006-07-01")) != nullptr);
  for (const auto& e : events) CHECK(e.at != test::at(osaka, "2006-10-01"));
}

TEST_CASE("a router's ruleset holds only its pools as sources, everything else as before") {
  const policy::Policy whole = [] {
    Diagnostics diags;
    return *test::load_json(fleet(), diags);
  }();
  const policy::Policy osaka = narrowed(fleet(), "bng-osaka");
  const Instant t = test::at(osaka, "2006-10-01");
  const std::string all = nft::render(whole, compile(whole, t), t, nft::Format::script);
  const std::string mine = nft::render(osaka, compile(osaka, t), t, nft::Format::script);
  CHECK(all.find("198.18.0.0/20") != std::string::npos);
  CHECK(mine.find("198.18.0.0/20") == std::string::npos);  // Tokyo's pool
  CHECK(mine.find("198.18.16.0/20") != std::string::npos);
  CHECK(mine.find("192.0.2.25") != std::string::npos);  // smarthosts as today
  CHECK(mine.find("phase_all") == std::string::npos);
  CHECK(mine.find("# router \"bng-osaka\": source sets hold only the pools it carries") !=
        std::string::npos);
}

TEST_CASE("an unknown router is an error naming the known ones") {
  Diagnostics diags;
  auto p = test::load_json(fleet(), diags);
  REQUIRE(p);
  std::string error;
  CHECK_FALSE(policy::select_router(*p, "bng-tokio", error));
  CHECK(error ==
        "unknown router \"bng-tokio\" (did you mean \"bng-tokyo\"?); the policy's routers: "
        "bng-tokyo, bng-osaka");
  CHECK_FALSE(p->router);
  auto plain = test::load_json(test::minimal_policy(), diags);
  REQUIRE(plain);
  CHECK_FALSE(policy::select_router(*plain, "bng-tokyo", error));
  CHECK(error == "unknown router \"bng-tokyo\": the policy defines no routers");
}

TEST_CASE("validate: a router that carries nothing is an error, an uncarried pool a warning") {
  json doc = fleet();
  doc["routers"][1]["scope"] = {{"regions", {"tokyo"}}, {"services", {"adsl"}}};
  doc["routers"].push_back({{"id", "bng-tokyo"}, {"scope", {{"pools", {"nowhere"}}}}});
  Diagnostics diags;
  CHECK_FALSE(test::load_json(doc, diags));
  CHECK(test::describe(diags) ==
        "/routers/2/id: error: duplicate router id \"bng-tokyo\"\n"
        "/routers/0/id: note: first defined here\n"
        "/routers/2/scope/pools/0: error: unknown pool \"nowhere\"\n"
        "/routers/1/scope: error: router \"bng-osaka\" carries no pool: its scope selects "
        "nothing\n"
        "/routers/2/scope: error: router \"bng-tokyo\" carries no pool: its scope selects "
        "nothing\n"
        "/pools/1: warning: pool \"osaka\" is carried by no router\n");
  CHECK(diags.entries().back().hint ==
        "no --router ruleset blocks it; add its service, region or id to a router's scope");
}

TEST_CASE("explain --router says when the router does not carry the source's pool") {
  const policy::Policy osaka = narrowed(fleet(), "bng-osaka");
  const auto src = net::parse_address("198.18.1.1");  // Tokyo
  const auto dst = net::parse_address("198.51.100.7");
  const explain::Query q{*src, *dst, 25, test::at(osaka, "2006-10-01")};
  const auto e = explain::explain(osaka, q);
  CHECK(e.reason == explain::Reason::not_carried);
  CHECK_FALSE(e.blocked());
  const std::string text = explain::to_text(osaka, q, e);
  CHECK(text.find("reason: router \"bng-osaka\" does not carry this pool, so its ruleset does "
                  "not block it; carried by router \"bng-tokyo\"\n") != std::string::npos);
  const policy::Policy tokyo = narrowed(fleet(), "bng-tokyo");
  CHECK(explain::explain(tokyo, q).blocked());
}
