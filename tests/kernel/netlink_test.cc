// SPDX-License-Identifier: GPL-2.0-or-later
// Real-kernel tests of op25bc's netlink path. Every test case enters a fresh
// network namespace of its own (unshare), so the host's ruleset is never
// touched; `nft` is the independent oracle of what the kernel holds.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <sched.h>
#include <unistd.h>
#include <algorithm>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "op25bc/compile/compile.h"
#include "op25bc/nft/differ.h"
#include "op25bc/nft/netlink_kernel.h"
#include "op25bc/nft/reconcile.h"
#include "support/forwarding_kernel.h"
#include "support/memory_state_store.h"
#include "support/netns.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

namespace {

using test::fresh_netns;
using test::sh;

ir::Ruleset at(const policy::Policy& p, const char* when) {
  return compile(p, test::at(p, when));
}

nft::ReconcileOutcome apply_now(nft::Kernel& k, nft::StateStore& s, const ir::Ruleset& r) {
  auto out = nft::reconcile(k, s, r, {});
  REQUIRE_MESSAGE(out.ok, out.error);
  return out;
}

}  // namespace

TEST_CASE("read-back decodes exactly what apply wrote, for every action and port list") {
  json doc = test::minimal_policy();
  for (const json& enforcement :
       {json{{"ports", {25}}, {"action", "reject"}, {"log", {{"rate", "3/second"}}}},
        json{{"ports", {2525, 25}}, {"action", "icmp"}}, json{{"action", "drop"}}}) {
    CAPTURE(enforcement.dump());
    fresh_netns();
    doc["enforcement"] = enforcement;
    Diagnostics diags;
    auto p = test::load_json(doc, diags);
    REQUIRE(p);
    nft::NetlinkKernel k;
    test::MemoryStateStore state;
    const auto desired = at(*p, "2006-10-01");
    apply_now(k, state, desired);
    const auto read = k.read("op25b", nft::ElementRead::all());
    REQUIRE(read);
    CHECK(read->ruleset.comment == desired.comment);
    for (const auto& want : desired.chains) {
      bool found = false;
      for (const auto& have : read->ruleset.chains)
        if (have.name == want.name) {
          found = true;
          CHECK(have == want);
        }
      CHECK(found);
    }
    for (const auto& want : desired.sets)
      for (const auto& have : read->ruleset.sets)
        if (have.name == want.name) CHECK(have == want);
    CHECK(nft::reconcile(k, state, desired, {}).in_sync);
  }
}

TEST_CASE("a rejected batch leaves the previous ruleset intact and names the failing operation") {
  fresh_netns();
  const auto p = test::load_example("spinnet");
  nft::NetlinkKernel k;
  test::MemoryStateStore state;
  apply_now(k, state, at(p, "2006-06-15"));
  const std::string before = sh("nft list ruleset");
  REQUIRE(before.find("table inet op25b") != std::string::npos);

  auto current = k.read("op25b", nft::ElementRead::all());
  nft::Transaction t = nft::diff(current, at(p, "2006-10-01"));
  REQUIRE_FALSE(t.empty());
  t.ops.push_back(nft::DeleteSet{"no_such_set"});  // one bad message at the end
  const auto result = k.commit(t, k.generation(), false);
  CHECK_FALSE(result.ok);
  CHECK(result.failed_op == t.ops.size() - 1);
  CHECK(result.error == "No such file or directory");
  CHECK(sh("nft list ruleset") == before);
}

TEST_CASE("a commit based on a stale generation is refused (ERESTART) and changes nothing") {
  fresh_netns();
  const auto p = test::load_example("netlaputa");
  nft::NetlinkKernel k;
  const std::uint32_t generation = k.generation();
  sh("nft add table ip someone_else");
  const auto result = k.commit(nft::create(at(p, "2006-07-01")), generation, false);
  CHECK(result.generation_changed);
  CHECK_FALSE(result.ok);
  CHECK(sh("nft list tables") == "table ip someone_else\n");
}

TEST_CASE("reconcile retries when someone commits between its read and its commit") {
  fresh_netns();
  struct Racing : test::ForwardingKernel<nft::NetlinkKernel> {
    int races = 1;
    nft::CommitResult commit(const nft::Transaction& t, std::uint32_t g, bool c) override {
      if (races-- > 0) sh("nft add table ip racer" + std::to_string(races + 1));
      return inner.commit(t, g, c);
    }
  } racing;
  const auto p = test::load_example("spinnet");
  test::MemoryStateStore state;
  const auto out = nft::reconcile(racing, state, at(p, "2006-10-01"), {});
  CHECK(out.ok);
  CHECK(out.attempts == 2);
  CHECK(sh("nft list tables") == "table ip racer1\ntable inet op25b\n");
}

TEST_CASE("check mode: the kernel validates the batch and aborts it") {
  fresh_netns();
  const auto p = test::load_example("spinnet");
  nft::NetlinkKernel k;
  const auto ok = k.commit(nft::create(at(p, "2006-10-01")), k.generation(), true);
  CHECK(ok.ok);
  CHECK(sh("nft list ruleset").empty());
  nft::Transaction bad = nft::create(at(p, "2006-10-01"));
  bad.ops.push_back(nft::DeleteChain{"no_such_chain"});
  const auto rejected = k.commit(bad, k.generation(), true);
  CHECK_FALSE(rejected.ok);
  CHECK(rejected.failed_op == bad.ops.size() - 1);
  CHECK(sh("nft list ruleset").empty());
}

TEST_CASE("large sets are cut into blocks, load in one transaction and change by single elements") {
  fresh_netns();
  json doc = test::minimal_policy();
  json prefixes = json::array();
  for (int i = 0; i < 50000; ++i)  // 10.x /30s, 8 apart: nothing merges; 4,096 per /17
    prefixes.push_back("10." + std::to_string(i / 8192) + "." + std::to_string((i / 32) % 256) +
                       "." + std::to_string((i % 32) * 8) + "/30");
  doc["pools"].push_back({{"id", "big"}, {"service", "adsl"}, {"prefixes", prefixes}});
  doc["enforcement"]["max_set_intervals"] = 4096;
  Diagnostics diags;
  auto p = test::load_json(doc, diags);
  REQUIRE_MESSAGE(p, test::describe(diags));
  nft::NetlinkKernel k;
  test::MemoryStateStore state;
  const auto first = apply_now(k, state, at(*p, "2006-10-01"));
  CHECK(first.commit.messages > 25);  // 50,000 intervals in chunks, one batch
  // nft sees every prefix, in slices of at most 4,096 behind dispatch4: twelve
  // full /17s, 10.6.0.0/15 with the last 848, and 128.0.0.0/1 with the pools
  // of the minimal policy (198.18.0.0/19): blocks halve only while too full.
  const std::string slices = "nft list ruleset | awk '/set phase_mobile_src4_/,/}/'";
  CHECK(sh(slices + " | grep -o '/30' | wc -l") == "50000\n");
  CHECK(sh(slices + " | grep -c 'set phase_mobile_src4_'") == "14\n");
  CHECK(sh("nft list chain inet op25b check | grep -c 'ip saddr vmap @dispatch4'") == "1\n");
  const auto read = k.read("op25b", nft::ElementRead::all());
  REQUIRE(read);
  for (const auto& set : read->ruleset.sets) CHECK(set.elements.size() <= 4096);

  // Within a block: one element out of one slice, one into another.
  doc["pools"][2]["prefixes"][17] = "10.6.100.0/30";
  auto moved = test::load_json(doc, diags);
  REQUIRE(moved);
  const auto change = apply_now(k, state, at(*moved, "2006-10-01"));
  CHECK(change.commit.messages == 2);
  CHECK_FALSE(change.elements_read_back);
  CHECK(change.sets_read_back == 2);  // the two slices that change, from the kernel
  CHECK(sh("nft list set inet op25b phase_mobile_src4_0a06_15").find("10.6.100.0/30") !=
        std::string::npos);
  CHECK(sh("nft list set inet op25b phase_mobile_src4_0a000_17").find("10.0.0.136/30") ==
        std::string::npos);

  // Into a new block: its slice, chain, map element and rules, and nothing else.
  doc["pools"][2]["prefixes"][17] = "10.200.0.0/30";
  auto far = test::load_json(doc, diags);
  REQUIRE(far);
  const ir::Ruleset want = at(*far, "2006-10-01");
  const auto grow = apply_now(k, state, want);
  CHECK(grow.commit.ok);
  // Its slice (a set and its element), its map element, its chain and that
  // chain's rules, and the prefix out of its old slice: nothing else. The
  // count of messages sent is the one the transaction says (a rule with a
  // port list sends its anonymous set first).
  const auto grown = std::find_if(want.chains.begin(), want.chains.end(),
                                  [](const ir::Chain& c) { return c.name == "src4_0a8_9"; });
  REQUIRE(grown != want.chains.end());
  const nft::TransactionStats stats = nft::stats(grow.transaction);
  CHECK(stats.rules_added == grown->rules.size());
  CHECK(stats.rules_deleted == 0);
  CHECK(stats.elements_added == 2);
  CHECK(stats.elements_deleted == 1);
  CHECK(stats.objects_changed == 2);
  CHECK(grow.commit.messages == nft::message_count(grow.transaction));
  CHECK(sh("nft list map inet op25b dispatch4").find("10.128.0.0/9 : goto src4_0a8_9") !=
        std::string::npos);
  const auto after = k.read("op25b", nft::ElementRead::all());
  REQUIRE(after);
  CHECK(nft::diff(after, want).empty());
}

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    if (const char* ci = std::getenv("CI"); ci && std::string{ci} == "true") {
      std::cerr << "FAIL: the real-kernel tests need root, and CI must run them\n";
      return 1;
    }
    std::cerr << "SKIP: the real-kernel tests need root (network namespaces)\n";
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
