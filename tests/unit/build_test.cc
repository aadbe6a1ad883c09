// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/compile/compile.h"
#include "op25bc/nft/render_text.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;
using test::find_set;
using test::rule_texts;

namespace {

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("before any phase: the structure exists, nothing blocks") {
  const auto p = test::load_example("spinnet");
  const auto r = compile(p, test::at(p, "2006-05-31"));
  CHECK(rule_texts(r, "forward") == Lines{"tcp dport 25 jump check"});
  CHECK(rule_texts(r, "check") == Lines{"ip daddr @smarthost4 return",
                                        "ip6 daddr @smarthost6 return", "ip saddr @exempt4 return",
                                        "ip6 saddr @exempt6 return"});
  CHECK(rule_texts(r, "block") == Lines{"limit rate 10/minute log prefix \"op25b \"",
                                        "meta l4proto tcp reject with tcp reset"});
  CHECK(r.counters.size() == 3);  // a phase's each, and "all"'s monitor period's
}

TEST_CASE("phases sharing a scope share one source set, counters stay per phase") {
  const auto p = test::load_example("spinnet");
  const auto r = compile(p, test::at(p, "2006-10-01"));
  CHECK(rule_texts(r, "check") ==
        Lines{"ip daddr @smarthost4 return", "ip6 daddr @smarthost6 return",
              "ip saddr @exempt4 return", "ip6 saddr @exempt6 return",
              "ip saddr @phase_mobile_src4 ip daddr @phase_mobile_dst4 counter name "
              "\"phase_mobile\" goto block",
              "ip6 saddr @phase_mobile_src6 ip6 daddr @phase_mobile_dst6 counter name "
              "\"phase_mobile\" goto block",
              "ip saddr @phase_mobile_src4 counter name \"phase_all\" goto block",
              "ip6 saddr @phase_mobile_src6 counter name \"phase_all\" goto block"});
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
  CHECK(rule_texts(r, "forward") == Lines{"tcp dport { 25, 2525 } jump check"});
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
  CHECK(rule_texts(r, "check") ==
        Lines{"ip daddr @smarthost4 return", "ip6 daddr @smarthost6 return",
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
                  " tcp flags syn / syn,ack ip saddr @phase_mobile_src4 counter name "
                  "\"monitor_all\" update @phase_all_seen4 { ip saddr }",
              "meta time < " + boundary +
                  " tcp flags syn / syn,ack ip6 saddr @phase_mobile_src6 counter name "
                  "\"monitor_all\" update @phase_all_seen6 { ip6 saddr }",
              "meta time >= " + boundary +
                  " ip saddr @phase_mobile_src4 counter name \"phase_all\" goto block",
              "meta time >= " + boundary +
                  " ip6 saddr @phase_mobile_src6 counter name \"phase_all\" goto block"});
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
