// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/compile/compile.h"
#include "op25bc/ir/names.h"
#include "op25bc/net/address_set.h"
#include "op25bc/nft/render_text.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;
using test::find_set;
using test::rule_texts;

namespace {

using Lines = std::vector<std::string>;

// SpinNet's check chain begins with the adoption counters: its phases select
// the same pools, so they share the phases' source set.
const Lines kSpinnetAdoption{
    "tcp dport 587 tcp flags syn / syn,ack ct status ! confirmed ip saddr @phase_mobile_src4 "
    "counter name "
    "\"submission4\"",
    "tcp dport 587 tcp flags syn / syn,ack ct status ! confirmed ip6 saddr @phase_mobile_src6 "
    "counter name "
    "\"submission6\"",
    "tcp dport 587 return",
    "tcp flags syn / syn,ack ct status ! confirmed ip daddr @smarthost4 ip saddr "
    "@phase_mobile_src4 counter name "
    "\"smarthost4\"",
    "tcp flags syn / syn,ack ct status ! confirmed ip6 daddr @smarthost6 ip6 saddr "
    "@phase_mobile_src6 counter name "
    "\"smarthost6\""};

Lines after_adoption(Lines rest) {
  Lines out = kSpinnetAdoption;
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace

TEST_CASE("before any phase: the structure exists, nothing blocks") {
  const auto p = test::load_example("spinnet");
  const auto r = compile(p, test::at(p, "2006-05-31"));
  // Submission ports go to check too, to be counted.
  CHECK(rule_texts(r, "forward") == Lines{"tcp dport { 25, 587 } jump check"});
  CHECK(rule_texts(r, "check") ==
        after_adoption({"ip daddr @smarthost4 return", "ip6 daddr @smarthost6 return",
                        "ip saddr @exempt4 return", "ip6 saddr @exempt6 return"}));
  CHECK(rule_texts(r, "block") == Lines{"limit rate 10/minute log prefix \"op25b \"",
                                        "meta l4proto tcp reject with tcp reset"});
  // A phase's each, four adoption counters, and "all"'s monitor period's.
  CHECK(r.counters.size() == 7);
  // The pools the phases select are there before any phase, by the name the
  // phases will use: activating one changes no set.
  CHECK(find_set(r, "phase_mobile_src4")->elements.size() == 2);
}

TEST_CASE("submission adoption: the pools the phases cover, counted before any return") {
  const auto spinnet = test::load_example("spinnet");
  const auto r = compile(spinnet, test::at(spinnet, "2006-10-01"));
  Lines names;
  for (const auto& c : r.counters)
    if (ir::adoption_of(c.name)) names.push_back(c.name);
  CHECK(names == Lines{"submission4", "submission6", "smarthost4", "smarthost6"});
  // business-static, which no phase selects, is not counted: 198.18.64.0/24.
  const net::Word business = net::parse_address("198.18.64.1")->value;
  for (const auto& iv : find_set(r, "phase_mobile_src4")->elements)
    CHECK_FALSE((iv.first <= business && business <= iv.last));

  // NetLaputa's phases select regions: the adoption counters get their own
  // set, the union of every phase's pools.
  const auto netlaputa = test::load_example("netlaputa");
  const auto n = compile(netlaputa, test::at(netlaputa, "2006-05-01"));
  const ir::Set* pools = find_set(n, "pools4");
  REQUIRE(pools);
  CHECK(pools->comment ==
        "pools the phases select: counts connections to submission ports and "
        "smarthosts");
  net::AddressSet want;
  for (const auto& phase : netlaputa.phases)
    for (std::size_t k : phase.pool_indexes)
      for (const auto& prefix : netlaputa.pools[k].prefixes.items) want.add(prefix);
  want.merge();
  CHECK(pools->elements == want.of(net::Family::v4));
  CHECK(rule_texts(n, "check").at(0) ==
        "tcp dport 587 tcp flags syn / syn,ack ct status ! confirmed ip saddr @pools4 counter name "
        "\"submission4\"");

  // Without any phase: the counters stay, nothing is counted.
  json doc = test::minimal_policy();
  doc["phases"] = json::array();
  Diagnostics diags;
  const auto none = test::load_json(doc, diags);
  REQUIRE_MESSAGE(none, test::describe(diags));
  const auto e = compile(*none, test::at(*none, "2006-10-01"));
  // One rule per port (no anonymous set: see ir/build.cc).
  CHECK(rule_texts(e, "check") == Lines{"tcp dport 465 return", "tcp dport 587 return",
                                        "ip daddr @smarthost4 return",
                                        "ip6 daddr @smarthost6 return", "ip saddr @exempt4 return",
                                        "ip6 saddr @exempt6 return"});
  CHECK(e.counters.size() == 4);
}

TEST_CASE("phases sharing a scope share one source set, counters stay per phase") {
  const auto p = test::load_example("spinnet");
  const auto r = compile(p, test::at(p, "2006-10-01"));
  CHECK(rule_texts(r, "check") ==
        after_adoption({"ip daddr @smarthost4 return", "ip6 daddr @smarthost6 return",
                        "ip saddr @exempt4 return", "ip6 saddr @exempt6 return",
                        "ip saddr @phase_mobile_src4 ip daddr @phase_mobile_dst4 counter name "
                        "\"phase_mobile\" goto block",
                        "ip6 saddr @phase_mobile_src6 ip6 daddr @phase_mobile_dst6 counter name "
                        "\"phase_mobile\" goto block",
                        "ip saddr @phase_mobile_src4 counter name \"phase_all\" goto block",
                        "ip6 saddr @phase_mobile_src6 counter name \"phase_all\" goto block"}));
  const ir::Set* src = find_set(r, "phase_mobile_src4");
  REQUIRE(src);
  // eadsl 198.18.0.0/20 + flets-east 198.18.16.0/20, 198.18.32.0/21 + flets-west 198.18.48.0/20
  // merge; business-static is not selected.
  CHECK(src->elements.size() == 2);
  CHECK(net::to_string(net::Family::v4, src->elements[0]) == "198.18.0.0-198.18.39.255");
  CHECK(net::to_string(net::Family::v4, src->elements[1]) == "198.18.48.0/20");
  CHECK(src->comment == "pools selected by phases mobile, all");
}

TEST_CASE("exemptions are in the ruleset only while active") {
  const auto p = test::load_example("spinnet");
  CHECK(find_set(compile(p, test::at(p, "2007-03-30")), "exempt4")->elements.size() == 1);
  CHECK(find_set(compile(p, test::at(p, "2007-03-31")), "exempt4")->elements.empty());
}

TEST_CASE("the number of rules does not grow with the number of prefixes") {
  json doc = test::minimal_policy();
  Diagnostics diags;
  auto small = test::load_json(doc, diags);
  for (int i = 0; i < 2000; ++i)
    doc["pools"][1]["prefixes"].push_back("198.19." + std::to_string(i / 8) + "." +
                                          std::to_string((i % 8) * 32) + "/28");
  auto large = test::load_json(doc, diags);
  REQUIRE_MESSAGE((small && large), test::describe(diags));
  const auto t = test::at(*small, "2006-10-01");
  const auto a = compile(*small, t), b = compile(*large, t);
  CHECK(rule_texts(a, "check") == rule_texts(b, "check"));
  // tokyo and osaka are adjacent and merge into one element; the /28s do not merge.
  CHECK(find_set(a, "phase_mobile_src4")->elements.size() == 1);
  CHECK(find_set(b, "phase_mobile_src4")->elements.size() == 1 + 2000);
}

TEST_CASE("output is byte-identical for the same policy and instant") {
  const auto p = test::load_example("netlaputa");
  const auto t = test::at(p, "2006-07-01");
  for (auto format : {nft::Format::script, nft::Format::json})
    CHECK(nft::render(p, compile(p, t), t, format) == nft::render(p, compile(p, t), t, format));
  const auto again = test::load_example("netlaputa");
  CHECK(nft::render(p, compile(p, t), t, nft::Format::script) ==
        nft::render(again, compile(again, t), t, nft::Format::script));
}

TEST_CASE("enforcement actions and multiple ports") {
  json doc = test::minimal_policy();
  doc["enforcement"] = {{"ports", {25, 2525}}, {"action", "icmp"}};
  Diagnostics diags;
  auto p = test::load_json(doc, diags);
  REQUIRE(p);
  auto r = compile(*p, test::at(*p, "2006-10-01"));
  CHECK(rule_texts(r, "forward") == Lines{"tcp dport { 25, 465, 587, 2525 } jump check"});
  CHECK(rule_texts(r, "block") == Lines{"reject with icmpx admin-prohibited"});
  doc["enforcement"] = {{"action", "drop"}, {"log", json::object()}};
  p = test::load_json(doc, diags);
  REQUIRE(p);
  r = compile(*p, test::at(*p, "2006-10-01"));
  CHECK(rule_texts(r, "block") == Lines{"log prefix \"op25b \"", "drop"});
}

TEST_CASE("kernel-timed: the next boundary's rules are installed behind meta time guards") {
  const auto p = test::load_example("spinnet");
  const auto r = compile(p, test::at(p, "2006-09-30T23:00:00+09:00"), true);
  const auto boundary = std::to_string(test::at(p, "2006-10-01").time_since_epoch().count());
  CHECK(
      rule_texts(r, "check") ==
      after_adoption({"ip daddr @smarthost4 return", "ip6 daddr @smarthost6 return",
                      "ip saddr @exempt4 return", "ip6 saddr @exempt6 return",
                      "meta time < " + boundary + " ip saddr @exempt_until4 return",
                      "meta time < " + boundary + " ip6 saddr @exempt_until6 return",
                      "meta time >= " + boundary + " ip saddr @exempt_from4 return",
                      "meta time >= " + boundary + " ip6 saddr @exempt_from6 return",
                      "ip saddr @phase_mobile_src4 ip daddr @phase_mobile_dst4 counter name "
                      "\"phase_mobile\" goto block",
                      "ip6 saddr @phase_mobile_src6 ip6 daddr @phase_mobile_dst6 counter name "
                      "\"phase_mobile\" goto block",
                      "meta time < " + boundary +
                          " tcp flags syn / syn,ack ct status ! confirmed ip saddr "
                          "@phase_mobile_src4 counter name "
                          "\"monitor_all\" update @phase_all_seen4 { ip saddr }",
                      "meta time < " + boundary +
                          " tcp flags syn / syn,ack ct status ! confirmed ip6 saddr "
                          "@phase_mobile_src6 counter name "
                          "\"monitor_all\" update @phase_all_seen6 { ip6 saddr }",
                      "meta time >= " + boundary +
                          " ip saddr @phase_mobile_src4 counter name \"phase_all\" goto block",
                      "meta time >= " + boundary +
                          " ip6 saddr @phase_mobile_src6 counter name \"phase_all\" goto block"}));
  // The exemption that expires at the following boundary moves to exempt_until.
  const auto later = compile(p, test::at(p, "2007-03-30T23:00:00+09:00"), true);
  CHECK(find_set(later, "exempt4")->elements.empty());
  CHECK(find_set(later, "exempt_until4")->elements.size() == 1);
}

TEST_CASE("every object built from the policy knows where in it it comes from") {
  const auto p = test::load_example("spinnet");
  const ir::Ruleset r = compile(p, test::at(p, "2006-10-01"));
  const auto origin_of_set = [&](const std::string& name) {
    for (const auto& s : r.sets)
      if (s.name == name) return s.origin.pointers();
    FAIL("no set " << name);
    return std::vector<std::string>{};
  };
  using V = std::vector<std::string>;
  CHECK(r.counters.at(0).origin.pointers() == V{"/phases/0"});
  CHECK(r.counters.at(1).origin.pointers() == V{"/phases/1"});
  CHECK(origin_of_set("phase_mobile_dst4") == V{"/phases/0", "/destinations/0"});
  CHECK(origin_of_set("smarthost4") == V{"/smarthosts/0"});
  CHECK(origin_of_set("exempt4") == V{"/exemptions/0"});
  // A source set shared by phases selecting the same pools comes from each.
  CHECK(origin_of_set("phase_mobile_src4") == V{"/phases/0", "/phases/1"});
  std::vector<V> phase_rules;
  for (const auto& chain : r.chains)
    for (const auto& rule : chain.rules)
      if (rule.verdict.target == "block") phase_rules.push_back(rule.origin.pointers());
  CHECK(phase_rules == std::vector<V>{{"/phases/0"}, {"/phases/0"}, {"/phases/1"}, {"/phases/1"}});
  // Origins never make two objects differ: the kernel's copy has none.
  ir::Set bare = r.sets.at(0);
  bare.origin = {};
  CHECK(bare == r.sets.at(0));
}

TEST_CASE("the slices of a cut set keep the origin of the set") {
  auto p = test::load_example("spinnet");
  p.enforcement.max_set_intervals = 1;
  const ir::Ruleset r = compile(p, test::at(p, "2006-10-01"));
  std::size_t slices = 0;
  for (const auto& s : r.sets)
    if (s.name.rfind("phase_mobile_src4_", 0) == 0) {
      ++slices;
      CHECK(s.origin.pointers() == std::vector<std::string>{"/phases/0", "/phases/1"});
    }
  CHECK(slices > 1);
}
