// SPDX-License-Identifier: GPL-2.0-or-later
// Cutting large source sets into blocks (ir/shard): names, where blocks fall,
// and that a change stays as small as the policy change through the differ
// and the fake kernel. That the cut ruleset means the same is held against an
// independent evaluator in explain_agrees_test.cc and the kernel in
// tests/kernel/.
#include <doctest/doctest.h>

#include <algorithm>

#include "op25bc/compile/compile.h"
#include "op25bc/eval/effective.h"
#include "op25bc/ir/build.h"
#include "op25bc/ir/names.h"
#include "op25bc/ir/shard.h"
#include "op25bc/nft/diff_text.h"
#include "op25bc/nft/differ.h"
#include "op25bc/nft/reconcile.h"
#include "op25bc/nft/render_text.h"
#include "support/fake_kernel.h"
#include "support/memory_state_store.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

namespace {

net::Interval block(const char* prefix) {
  return test::prefix(prefix).interval();
}

// The minimal policy plus pool "big": `n` IPv4 /30s, 8 addresses apart from
// 10.0.0.0, so 512 per /20 and nothing merges.
json big_policy(int n, std::size_t max_set_intervals) {
  json doc = test::minimal_policy();
  json prefixes = json::array();
  for (int i = 0; i < n; ++i)
    prefixes.push_back("10.0." + std::to_string(i / 32) + "." + std::to_string((i % 32) * 8) +
                       "/30");
  doc["pools"].push_back({{"id", "big"}, {"service", "adsl"}, {"prefixes", prefixes}});
  doc["enforcement"]["max_set_intervals"] = max_set_intervals;
  return doc;
}

policy::Policy load(const json& doc) {
  return test::load_valid(doc);
}

ir::Ruleset at(const policy::Policy& p) {
  return compile(p, test::at(p, "2006-10-01"));
}

// The kernel lists objects in the order they were made; compare by name.
std::string in_name_order(ir::Ruleset r) {
  const auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(r.sets.begin(), r.sets.end(), by_name);
  std::sort(r.chains.begin(), r.chains.end(), by_name);
  return nft::render_nft_table(r);
}

const ir::Chain* chain(const ir::Ruleset& r, const std::string& name) {
  for (const auto& c : r.chains)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("block names: the leading hex digits and the prefix length") {
  CHECK(ir::block_chain(net::Family::v4, block("10.0.0.0/17")) == "src4_0a000_17");
  CHECK(ir::block_chain(net::Family::v4, block("0.0.0.0/0")) == "src4_0_0");
  CHECK(ir::block_chain(net::Family::v4, block("128.0.0.0/1")) == "src4_8_1");
  CHECK(ir::block_chain(net::Family::v4, block("198.18.3.4/32")) == "src4_c6120304_32");
  CHECK(ir::block_chain(net::Family::v6, block("2001:db8::/32")) == "src6_20010db8_32");
  CHECK(ir::block_set("phase_all_src4", net::Family::v4, block("10.0.0.0/17")) ==
        "phase_all_src4_0a000_17");
  CHECK(ir::dispatch_map(net::Family::v6) == "dispatch6");
  CHECK(ir::sliced_from("phase_all_src4_0a000_17") == "phase_all_src4");
  CHECK(ir::sliced_from("exempt6_20010db8_32") == "exempt6");
  CHECK(ir::sliced_from("phase_all_src4") == std::nullopt);
  CHECK(ir::sliced_from("phase_a_1_src6") == std::nullopt);
  CHECK(ir::sliced_from("dispatch4") == std::nullopt);
  CHECK(ir::sliced_from("x_0g_1") == std::nullopt);
}

TEST_CASE("a ruleset whose sets are all small is left exactly as built") {
  const auto p = test::load_example("spinnet");
  const auto t = test::at(p, "2006-10-01");
  const ir::Ruleset built = ir::build(p, eval::evaluate(p, t));
  ir::Ruleset sharded = built;
  ir::shard(sharded, p.enforcement.max_set_intervals);
  CHECK(sharded == built);
  CHECK(compile(p, t) == built);
}

TEST_CASE("a large set is halved into aligned blocks until each slice fits") {
  const auto r = at(load(big_policy(2000, 512)));  // 10.0.0.0 - 10.0.62.255
  std::vector<std::string> slices;
  std::size_t elements = 0;
  for (const auto& s : r.sets) {
    if (s.name.rfind("phase_mobile_src4_", 0) != 0) continue;
    slices.push_back(s.name);
    elements += s.elements.size();
    CHECK(s.elements.size() <= 512);
  }
  // Four /20s of 512 (the last holds 464), and the minimal policy's pools in
  // 128.0.0.0/1: 10.0.64.0 and above holds nothing, so no block goes there.
  CHECK(slices == std::vector<std::string>{"phase_mobile_src4_0a000_20",
                                           "phase_mobile_src4_0a001_20",
                                           "phase_mobile_src4_0a002_20",
                                           "phase_mobile_src4_0a003_20", "phase_mobile_src4_8_1"});
  CHECK(elements == 2000 + 1);  // 198.18.0.0/19 merged from the two small pools
  // IPv6 stays as built: its sets are small.
  const ir::Chain* check = chain(r, "check");
  REQUIRE(check);
  std::string rules;
  for (const auto& rule : check->rules) rules += nft::rule_text(rule) + "\n";
  // The adoption counters come first: the dispatch goes where they were, and
  // every later rule for IPv4 is also in each block's chain.
  CHECK(rules ==
        "ip saddr vmap @dispatch4\n"
        "tcp dport 465 tcp flags syn / syn,ack ct status ! confirmed ip6 saddr @phase_mobile_src6 "
        "counter name "
        "\"submission6\"\n"
        "tcp dport 587 tcp flags syn / syn,ack ct status ! confirmed ip6 saddr @phase_mobile_src6 "
        "counter name "
        "\"submission6\"\n"
        "tcp dport 465 return\n"
        "tcp dport 587 return\n"
        "tcp flags syn / syn,ack ct status ! confirmed ip6 daddr @smarthost6 ip6 saddr "
        "@phase_mobile_src6 counter name "
        "\"smarthost6\"\n"
        "ip daddr @smarthost4 return\n"
        "ip6 daddr @smarthost6 return\n"
        "ip6 saddr @exempt6 return\n"
        "ip6 saddr @phase_all_src6 counter name \"phase_all\" goto block\n");
  const ir::Chain* last = chain(r, "src4_8_1");
  REQUIRE(last);
  std::string block_rules;
  for (const auto& rule : last->rules) block_rules += nft::rule_text(rule) + "\n";
  CHECK(block_rules ==
        "tcp dport 465 tcp flags syn / syn,ack ct status ! confirmed ip saddr "
        "@phase_mobile_src4_8_1 counter name "
        "\"submission4\"\n"
        "tcp dport 587 tcp flags syn / syn,ack ct status ! confirmed ip saddr "
        "@phase_mobile_src4_8_1 counter name "
        "\"submission4\"\n"
        "tcp dport 465 return\n"
        "tcp dport 587 return\n"
        "tcp flags syn / syn,ack ct status ! confirmed ip daddr @smarthost4 ip saddr "
        "@phase_mobile_src4_8_1 counter name "
        "\"smarthost4\"\n"
        "ip daddr @smarthost4 return\n"
        "ip saddr @exempt4 return\n"
        "ip saddr @phase_mobile_src4_8_1 ip daddr @phase_mobile_dst4 counter name "
        "\"phase_mobile\" goto block\n"
        "ip saddr @phase_all_src4 counter name \"phase_all\" goto block\n");
  // exempt4 (198.18.3.4) has nothing in 10.0.0.0/20: its rule is left out
  // there, and so is phase all's (its pools are not in the block).
  REQUIRE(chain(r, "src4_0a000_20"));
  CHECK(chain(r, "src4_0a000_20")->rules.size() == 7);
}

TEST_CASE("moving one prefix inside a block changes one slice by one element each way") {
  json doc = big_policy(2000, 512);
  const auto before = at(load(doc));
  doc["pools"][2]["prefixes"][5] = "10.0.63.0/30";  // from 10.0.0.40/30 into the 4th block
  const auto after = at(load(doc));
  test::FakeKernel k;
  test::MemoryStateStore state;
  REQUIRE(nft::reconcile(k, state, before, {}).ok);
  const auto t = nft::diff(k.read("op25b", nft::ElementRead::all()), after);
  INFO(nft::to_text(t));
  REQUIRE(t.ops.size() == 2);
  const auto* del = std::get_if<nft::DeleteElements>(&t.ops[0]);
  const auto* add = std::get_if<nft::AddElements>(&t.ops[1]);
  REQUIRE(del);
  REQUIRE(add);
  CHECK(del->set == "phase_mobile_src4_0a000_20");
  CHECK(add->set == "phase_mobile_src4_0a003_20");
  CHECK(del->elements.size() == 1);
  CHECK(add->elements.size() == 1);
}

TEST_CASE("blocks appear and disappear with their chains, slices and map elements") {
  json doc = big_policy(2000, 512);
  const auto before = at(load(doc));
  // Grow a block: 10.0.0.0/20 splits into /21s when it holds 513.
  json grown = doc;
  grown["pools"][2]["prefixes"].push_back("10.0.0.6");  // between two /30s, touching neither
  json far = doc;                                       // a block of its own, far away
  far["pools"][2]["prefixes"].push_back("10.200.0.0/30");
  json shrunk = doc;  // the last block emptied: 10.0.32.0/19 is no longer cut
  auto& list = shrunk["pools"][2]["prefixes"];
  list.erase(list.begin() + 1536, list.end());
  const std::pair<const json*, const char*> cases[] = {
      {&grown, "src4_0a0000_21"}, {&far, "src4_0a8_9"}, {&shrunk, "src4_0a002_19"}, {&doc, ""}};
  for (const auto& [next, new_chain] : cases) {
    CAPTURE(new_chain);
    test::FakeKernel k;
    test::MemoryStateStore state;
    REQUIRE(nft::reconcile(k, state, before, {}).ok);
    const auto want = at(load(*next));
    CHECK((chain(want, "src4_0a003_20") != nullptr) == (next != &shrunk));
    if (*new_chain) CHECK(chain(want, new_chain) != nullptr);
    const auto out = nft::reconcile(k, state, want, {});
    REQUIRE_MESSAGE(out.ok, out.error);
    const auto held = k.read("op25b", nft::ElementRead::all());
    REQUIRE(held);
    CHECK(in_name_order(held->ruleset) == in_name_order(want));
    CHECK(nft::diff(k.read("op25b", nft::ElementRead::all()), want).empty());
  }
}

TEST_CASE("the other names op25bc gives, and the mark of its tables") {
  CHECK(ir::set_name(ir::kExemptSet, net::Family::v4) == "exempt4");
  CHECK(ir::set_name(ir::source_set_base("tokyo-flets"), net::Family::v6) ==
        "phase_tokyo_flets_src6");
  CHECK(ir::destination_set_base("all") == "phase_all_dst");
  CHECK(ir::table_comment("") == "managed by op25bc");
  CHECK(ir::table_comment("SpinNet") == "managed by op25bc: SpinNet OP25B");
  CHECK(ir::owned_by_op25bc(ir::table_comment("SpinNet")));
  CHECK_FALSE(ir::owned_by_op25bc("managed by someone else"));
  CHECK_FALSE(ir::owned_by_op25bc("managed by op25"));
  CHECK_FALSE(ir::owned_by_op25bc(""));
  // nft's words for the IR's enums, including values only a foreign kernel object has.
  CHECK(ir::hook_name(ir::Hook::forward) == "forward");
  CHECK(ir::hook_name(static_cast<ir::Hook>(7)) == "hook 7");
  CHECK(ir::unit_name(ir::RateUnit::minute) == "minute");
  CHECK(ir::unit_name(static_cast<ir::RateUnit>(120)) == "120 seconds");
  CHECK(ir::policy_name(ir::ChainPolicy::drop) == "drop");
  CHECK(ir::type_name(ir::ChainType::filter) == "filter");
}
