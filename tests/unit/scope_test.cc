// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/policy/resolve.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

namespace {

std::vector<std::string> selected(const json& scope) {
  json doc = test::minimal_policy();
  doc["pools"].push_back({{"id", "osaka-b"},
                          {"service", "flets-b"},
                          {"region", "osaka"},
                          {"prefixes", {"198.18.32.0/20"}}});
  doc["phases"][0]["scope"] = scope;
  if (scope.is_null()) doc["phases"][0].erase("scope");
  Diagnostics diags;
  auto p = test::load_json(doc, diags);
  REQUIRE_MESSAGE(p, test::describe(diags));
  std::vector<std::string> ids;
  for (std::size_t k : p->phases[0].pool_indexes) ids.push_back(p->pools[k].id);
  return ids;
}

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("an omitted scope selects every pool") {
  CHECK(selected(nullptr) == Ids{"tokyo", "osaka", "osaka-b"});
}

TEST_CASE("within a key any listed id matches") {
  CHECK(selected({{"services", {"flets-b"}}}) == Ids{"tokyo", "osaka-b"});
  CHECK(selected({{"regions", {"osaka", "tokyo"}}}) == Ids{"tokyo", "osaka", "osaka-b"});
  CHECK(selected({{"pools", {"osaka"}}}) == Ids{"osaka"});
}

TEST_CASE("across keys every given key must match") {
  CHECK(selected({{"services", {"flets-b"}}, {"regions", {"osaka"}}}) == Ids{"osaka-b"});
  CHECK(selected({{"services", {"adsl"}}, {"pools", {"tokyo"}}}) == Ids{});
}

TEST_CASE("phase object names are prefixed so ids never read as nft keywords") {
  CHECK(policy::nft_name("all") == "phase_all");
  CHECK(policy::nft_name("tokyo-flets-b") == "phase_tokyo_flets_b");
}
