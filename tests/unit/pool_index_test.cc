// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <tuple>

#include "op25bc/policy/load.h"
#include "support/policies.h"

using namespace op25bc;

namespace {

policy::Policy load(nlohmann::json pools) {
  nlohmann::json doc = test::minimal_policy();
  doc["pools"] = std::move(pools);
  doc["exemptions"] = nlohmann::json::array();
  Diagnostics diags;
  auto p = test::load_json(doc, diags);
  REQUIRE_MESSAGE(p, test::describe(diags));
  return *p;
}

std::string text(const policy::Policy& p, const policy::PoolIndex::Entry& e) {
  return p.pools[e.pool].id + " " + net::to_string(p.pools[e.pool].prefixes.items[e.item]);
}

net::Address A(const char* text) {
  auto a = net::parse_address(text);
  REQUIRE(a);
  return *a;
}

}  // namespace

TEST_CASE("the pool index orders prefixes listed out of order, pool by pool") {
  const policy::Policy p = load(nlohmann::json::parse(R"([
    { "id": "b", "service": "adsl", "prefixes": ["198.18.64.0/20", "2001:db8:2::/48", "198.18.0.0/20"] },
    { "id": "a", "service": "adsl", "prefixes": ["198.18.32.0/20", "198.18.16.0/24", "198.18.16.0/20"] }
  ])"));
  std::vector<std::string> v4;
  for (const auto& e : p.pool_index.entries(net::Family::v4)) v4.push_back(text(p, e));
  // Pools may not overlap each other, but a pool may list a prefix inside another of its own.
  CHECK(v4 == std::vector<std::string>{"b 198.18.0.0/20", "a 198.18.16.0/24", "a 198.18.16.0/20",
                                       "a 198.18.32.0/20", "b 198.18.64.0/20"});
  REQUIRE(p.pool_index.entries(net::Family::v6).size() == 1);
  CHECK(text(p, p.pool_index.entries(net::Family::v6)[0]) == "b 2001:db8:2::/48");
  CHECK(p.pool_index.size() == 6);

  auto found = p.pool_index.find(A("198.18.17.1"));  // in a/20 only: the /24 ends at .16.255
  REQUIRE(found);
  CHECK(text(p, *found) == "a 198.18.16.0/20");
  CHECK_FALSE(p.pool_index.find(A("198.18.48.1")));
  CHECK_FALSE(p.pool_index.find(A("2001:db8:3::1")));

  std::vector<std::string> touching;  // 198.18.16.128/25 lies in both of a's nested prefixes
  p.pool_index.for_each_overlap(net::Family::v4,
                                net::parse_prefix("198.18.16.128/25").prefix->interval(),
                                [&](const auto& e) { touching.push_back(text(p, e)); });
  std::sort(touching.begin(), touching.end());
  CHECK(touching == std::vector<std::string>{"a 198.18.16.0/20", "a 198.18.16.0/24"});
}

TEST_CASE("a copy of a policy keeps its prefixes after the original is gone") {
  auto original = std::make_unique<policy::Policy>(test::load_example("spinnet"));
  REQUIRE_FALSE(original->pools.at(0).prefixes.items.empty());
  const std::string first = net::to_string(original->pools.at(0).prefixes.items[0]);
  const policy::Policy copy = *original;
  original.reset();
  CHECK(net::to_string(copy.pools.at(0).prefixes.items[0]) == first);
  CHECK(copy.pool_index.size() > 0);
}

TEST_CASE("tens of thousands of shuffled IPv4 prefixes are indexed in (start, pool, item) order") {
  // Enough entries for the radix sort; nested prefixes give equal starts,
  // which the index orders by pool, then by position in the pool.
  std::mt19937 random(25);
  nlohmann::json pools = nlohmann::json::array();
  for (int k = 0; k < 3; ++k) {
    std::vector<std::string> prefixes;
    for (int i = 0; i < 8000; ++i)
      prefixes.push_back("10." + std::to_string(k * 64 + i / 256 % 64) + "." +
                         std::to_string(i % 256) + "." + std::to_string(i / 16384 * 128) + "/32");
    for (int i = 0; i < 64; i += 3)
      prefixes.push_back("10." + std::to_string(k * 64 + i) + ".0.0/" + std::to_string(16 + k));
    std::shuffle(prefixes.begin(), prefixes.end(), random);
    pools.push_back({{"id", "p" + std::to_string(k)}, {"service", "adsl"}, {"prefixes", prefixes}});
  }
  const policy::Policy p = load(pools);
  std::vector<std::tuple<net::Word, std::uint32_t, std::uint32_t>> want, got;
  for (std::uint32_t k = 0; k < p.pools.size(); ++k)
    for (std::uint32_t i = 0; i < p.pools[k].prefixes.items.size(); ++i)
      want.emplace_back(p.pools[k].prefixes.items[i].base, k, i);
  std::sort(want.begin(), want.end());
  for (const auto& e : p.pool_index.entries(net::Family::v4))
    got.emplace_back(e.first, e.pool, e.item);
  CHECK(got.size() == 3 * (8000 + 22));
  CHECK(got == want);
}
