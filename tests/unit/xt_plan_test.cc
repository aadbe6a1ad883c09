// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include <map>

#include "op25bc/compile/compile.h"
#include "op25bc/xt/plan.h"
#include "support/fake_xt_kernel.h"
#include "support/policies.h"

using namespace op25bc;
namespace ax = xt;
using nlohmann::json;

namespace {

class MemoryRecords final : public ax::RecordStore {
 public:
  std::optional<ax::Record> load() override { return record; }
  void save(const ax::Record& r) override { record = r; }
  void save_held(const xt::Ruleset& target) override {
    held_sets.clear();
    for (const auto& s : target.sets) held_sets[s.name] = s.elements;
  }
  std::optional<net::Intervals> held(const ax::Record::Set& set) override {
    const auto it = held_sets.find(set.name);
    if (it == held_sets.end() || net::digest(it->second) != set.digest) return std::nullopt;
    return it->second;
  }
  std::optional<ax::Record> record;
  std::map<std::string, net::Intervals> held_sets;
};

// One op25bc run against the fake: plan, then (unless in sync or refused) run.
struct Runner {
  test::FakeXtKernel kernel;
  MemoryRecords records;
  ax::PlanOptions options;

  ax::Plan plan_for(const json& doc, const std::string& at) {
    Diagnostics diags;
    const auto p = test::load_json(doc, diags);
    REQUIRE(p);
    const auto desired = xt::compile(*p, test::at(*p, at), false, 1, diags);
    std::string error;
    const auto view = ax::read_view(kernel, error);
    REQUIRE_MESSAGE(view, error);
    const ax::ReadSet read = [&](const std::string& name, net::Family f, std::string& e) {
      return ax::parse_ipset_members(kernel.save_set(name).output, f, e);
    };
    const ax::HeldSet held = [&](const ax::Record::Set& set) { return records.held(set); };
    auto plan = ax::plan(desired, *view, records.load(), options, read, held, error);
    REQUIRE_MESSAGE(plan, error);
    return std::move(*plan);
  }

  ax::RunOutcome apply(const json& doc, const std::string& at) {
    const ax::Plan plan = plan_for(doc, at);
    REQUIRE(plan.conflicts.empty());
    if (plan.in_sync()) return {true, {}, false};
    return ax::run(plan, kernel, records, records.load().value_or(ax::Record{}));
  }

  bool in_sync(const json& doc, const std::string& at) { return plan_for(doc, at).in_sync(); }
};

std::size_t count_calls(const test::FakeXtKernel& k, const std::string& call) {
  return static_cast<std::size_t>(std::count(k.calls.begin(), k.calls.end(), call));
}

}  // namespace

TEST_CASE("xt plan: a first apply builds every set and both families' chains; then in sync") {
  Runner r;
  const json doc = test::minimal_policy();
  CHECK(r.apply(doc, "2006-10-01").ok);
  CHECK(r.kernel.sets.contains("op25b-phase_all_src4.1"));
  CHECK(r.kernel.v4.rules["FORWARD"].front().text ==
        "-p tcp -m multiport --dports 25,465,587 -j OP25B-CHECK");
  // The mobile carriers' servers have no IPv6 prefix: no IPv6 rule, no chain.
  CHECK_FALSE(r.kernel.v6.rules.contains("OP25B-P-mobile"));
  CHECK(r.kernel.v6.rules.contains("OP25B-P-all"));
  REQUIRE(r.records.record);
  CHECK_FALSE(r.records.record->pending);
  CHECK(r.in_sync(doc, "2006-10-01"));
}

TEST_CASE("xt plan: one prefix added to a pool is one ipset add, no restore, no new set") {
  Runner r;
  json doc = test::minimal_policy();
  REQUIRE(r.apply(doc, "2006-10-01").ok);
  r.kernel.calls.clear();
  r.kernel.ipset_lines = 0;
  doc["pools"][1]["prefixes"].push_back("198.18.200.0/24");  // osaka: phase mobile's set only
  const ax::Plan plan = r.plan_for(doc, "2006-10-01");
  CHECK(plan.create.empty());
  CHECK(plan.restore_v4.empty());
  CHECK(plan.restore_v6.empty());
  REQUIRE(plan.deltas.size() == 1);
  CHECK(plan.deltas[0].add.size() == 1);
  CHECK(plan.deltas[0].del.empty());
  CHECK(ax::delta_script(plan) == "add op25b-phase_mobile_src4.1 198.18.200.0/24\n");
  CHECK(plan.sets_read_back == 0);  // the old members came from beside the record
  REQUIRE(ax::run(plan, r.kernel, r.records, *r.records.load()).ok);
  CHECK(r.kernel.ipset_lines == 1);
  CHECK(count_calls(r.kernel, "iptables restore") == 0);
  CHECK(r.in_sync(doc, "2006-10-01"));
}

TEST_CASE("xt plan: a prefix in two phases' pools changes both sets in place, adds only") {
  Runner r;
  json doc = test::minimal_policy();
  REQUIRE(r.apply(doc, "2006-10-01").ok);
  doc["pools"][0]["prefixes"].push_back("198.18.200.0/24");  // tokyo: both phases
  const ax::Plan plan = r.plan_for(doc, "2006-10-01");
  CHECK(plan.create.empty());
  CHECK(plan.restore_v4.empty());
  CHECK(ax::delta_script(plan) ==
        "add op25b-phase_mobile_src4.1 198.18.200.0/24\n"
        "add op25b-phase_all_src4.1 198.18.200.0/24\n");
}

TEST_CASE(
    "xt plan: changes that move a family's blocking both ways switch generations in one restore") {
  Runner r;
  json doc = test::minimal_policy();
  REQUIRE(r.apply(doc, "2006-10-01").ok);
  // A new pool prefix (blocks more) and a new exemption (blocks less): in
  // place, a packet could meet a ruleset that is neither.
  doc["pools"][0]["prefixes"].push_back("198.18.200.0/24");
  doc["exemptions"].push_back({{"id", "cust-2"}, {"prefixes", {"198.18.5.5/32"}}});
  const ax::Plan plan = r.plan_for(doc, "2006-10-01");
  CHECK(plan.deltas.empty());
  CHECK(plan.create == std::vector<std::string>{"op25b-exempt4.2", "op25b-phase_mobile_src4.2",
                                                "op25b-phase_all_src4.2"});
  CHECK_FALSE(plan.restore_v4.empty());
  CHECK(plan.restore_v6.empty());
  CHECK(plan.destroy == std::vector<std::string>{"op25b-exempt4.1", "op25b-phase_all_src4.1",
                                                 "op25b-phase_mobile_src4.1"});
  REQUIRE(ax::run(plan, r.kernel, r.records, *r.records.load()).ok);
  CHECK_FALSE(r.kernel.sets.contains("op25b-exempt4.1"));
  CHECK(r.in_sync(doc, "2006-10-01"));
}

TEST_CASE(
    "xt plan: a phase's counter survives a boundary; a phase that ends takes its chain along") {
  Runner r;
  const json doc = test::minimal_policy();
  REQUIRE(r.apply(doc, "2006-06-01").ok);
  r.kernel.v4.rules["OP25B-P-mobile"].front().packets = 12;
  REQUIRE(r.apply(doc, "2006-10-01").ok);
  CHECK(r.kernel.v4.rules["OP25B-P-mobile"].front().packets == 12);
  CHECK(r.kernel.v4.rules.contains("OP25B-P-all"));
  REQUIRE(r.apply(doc, "2006-05-01").ok);
  CHECK_FALSE(r.kernel.v4.rules.contains("OP25B-P-mobile"));
  CHECK(std::find(r.kernel.v4.chains.begin(), r.kernel.v4.chains.end(), "OP25B-P-all") ==
        r.kernel.v4.chains.end());
}

TEST_CASE("xt plan: a same-named chain op25bc did not create is refused, or adopted") {
  Runner r;
  r.kernel.v4.chains.push_back("OP25B-CHECK");
  r.kernel.v4.rules["OP25B-CHECK"].push_back({"-j ACCEPT", 5});
  const json doc = test::minimal_policy();
  CHECK(r.plan_for(doc, "2006-10-01").conflicts ==
        std::vector<std::string>{"chain OP25B-CHECK in iptables (IPv4) was not created by op25bc"});
  r.options.adopt = true;
  REQUIRE(r.apply(doc, "2006-10-01").ok);
  CHECK(r.kernel.v4.rules["OP25B-CHECK"].front().text != "-j ACCEPT");
  r.options.adopt = false;
  CHECK(r.in_sync(doc, "2006-10-01"));
}

TEST_CASE("xt run: a refused IPv6 restore takes IPv4 back and removes the new sets") {
  Runner r;
  json doc = test::minimal_policy();
  REQUIRE(r.apply(doc, "2006-06-01").ok);
  const auto v4 = r.kernel.v4.rules;
  const auto sets = r.kernel.sets.size();
  r.kernel.refuse_next("ip6tables");
  const ax::RunOutcome out = r.apply(doc, "2006-10-01");
  CHECK_FALSE(out.ok);
  CHECK_FALSE(out.partial);
  CHECK(out.error ==
        "ip6tables-legacy-restore refused op25bc's chains: ip6tables-restore: line 3 "
        "failed (injected)");
  CHECK(r.kernel.v4.rules.size() == v4.size());
  for (const auto& [chain, rules] : v4) {
    REQUIRE(r.kernel.v4.rules[chain].size() == rules.size());
    for (std::size_t i = 0; i < rules.size(); ++i)
      CHECK(r.kernel.v4.rules[chain][i].text == rules[i].text);
  }
  CHECK(r.kernel.sets.size() == sets);
  CHECK(r.records.record->pending);  // the next run trusts nothing it says about elements
  CHECK(r.apply(doc, "2006-10-01").ok);
  CHECK(r.in_sync(doc, "2006-10-01"));
}

TEST_CASE("xt plan: a set changed behind op25bc's back is read back and repaired") {
  Runner r;
  const json doc = test::minimal_policy();
  REQUIRE(r.apply(doc, "2006-10-01").ok);
  r.kernel.sets["op25b-phase_all_src4.1"].members.push_back("10.0.0.0/8");
  const ax::Plan plan = r.plan_for(doc, "2006-10-01");
  CHECK(plan.drift);  // the count differs from the record's: read back, not taken from beside it
  CHECK(plan.sets_read_back == 1);
  REQUIRE(plan.deltas.size() == 1);
  CHECK(ax::delta_script(plan) == "del op25b-phase_all_src4.1 10.0.0.0/8\n");
  REQUIRE(ax::run(plan, r.kernel, r.records, *r.records.load()).ok);
  CHECK(r.in_sync(doc, "2006-10-01"));
}

TEST_CASE("xt record: encodes and decodes; anything else is unusable") {
  ax::Record r;
  r.table = "op25b";
  r.generation = 7;
  r.applied_at = "2006-10-01T00:00:00+09:00";
  r.active_phases = {"all"};
  r.chains_v4 = {"OP25B-CHECK"};
  r.sets = {{"op25b-exempt4.7", net::Family::v4, 3, {2, 0x0123456789abcdefULL, 42}}};
  r.leftover_sets = {"op25b-exempt4.6"};
  CHECK(ax::decode(ax::encode(r)) == r);
  CHECK_FALSE(ax::decode("{}"));
  std::string bad = ax::encode(r);
  bad.replace(bad.find("\"family\": \"ipv4\""), 16, "\"family\": \"ipv5\"");
  CHECK_FALSE(ax::decode(bad));
}

// Monitor periods on iptables: a chain per phase whose one rule records the
// source with the SET target (and counts the connection), a hash:ip set with
// a timeout; the set is kept across applies and phases, its members never
// diffed.
TEST_CASE("xt plan: a monitor period records through its chain into a set the plan keeps") {
  Runner r;
  json doc = test::minimal_policy();
  doc["phases"][1]["monitor_from"] = "2006-09-01";
  doc["monitoring"] = {{"retention_days", 30}, {"max_sources", 100}};
  REQUIRE(r.apply(doc, "2006-09-10").ok);
  const auto& check = r.kernel.v4.rules["OP25B-CHECK"];
  CHECK(std::any_of(check.begin(), check.end(), [](const auto& rule) {
    return rule.text ==
           "-p tcp -m tcp --tcp-flags SYN,ACK SYN -m conntrack ! --ctstatus CONFIRMED -m set "
           "--match-set op25b-phase_all_src4.1 src "
           "-j OP25B-M-all";
  }));
  REQUIRE(r.kernel.v4.rules["OP25B-M-all"].size() == 1);
  CHECK(r.kernel.v4.rules["OP25B-M-all"][0].text ==
        "-j SET --add-set op25b-phase_all_seen4.1 src --exist");
  REQUIRE(r.kernel.sets.contains("op25b-phase_all_seen4.1"));
  const auto& seen = r.kernel.sets["op25b-phase_all_seen4.1"];
  CHECK(seen.type == "hash:ip");
  CHECK(seen.maxelem == 100);
  CHECK(seen.timeout == ax::kIpsetMaxTimeout);  // 30 days is more than ipset keeps
  // What the rules record is theirs: still in sync, even with --verify.
  r.kernel.sets["op25b-phase_all_seen4.1"].members.push_back("198.18.1.5");
  CHECK(r.in_sync(doc, "2006-09-10"));
  r.options.verify = true;
  CHECK(r.in_sync(doc, "2006-09-10"));
  r.options.verify = false;
  // Another prefix builds a new generation of the changed sets; the recording set stays.
  doc["pools"][0]["prefixes"].push_back("198.18.64.0/24");
  REQUIRE(r.apply(doc, "2006-09-10").ok);
  CHECK(r.kernel.sets["op25b-phase_all_seen4.1"].members == std::vector<std::string>{"198.18.1.5"});
  // From effective the phase blocks; the recording set and its members stay.
  REQUIRE(r.apply(doc, "2006-10-02").ok);
  CHECK_FALSE(r.kernel.v4.rules.contains("OP25B-M-all"));
  CHECK(r.kernel.sets["op25b-phase_all_seen4.1"].members == std::vector<std::string>{"198.18.1.5"});
  // A recording set of another size is made anew.
  doc["monitoring"]["max_sources"] = 50;
  REQUIRE(r.apply(doc, "2006-10-02").ok);
  CHECK_FALSE(r.kernel.sets.contains("op25b-phase_all_seen4.1"));
  bool remade = false;
  for (const auto& [name, set] : r.kernel.sets)
    if (name.starts_with("op25b-phase_all_seen4."))
      remade = set.maxelem == 50 && set.members.empty();
  CHECK(remade);
}

TEST_CASE("xt status: recording sets and monitor chains apart from sets and blocked counts") {
  Runner r;
  json doc = test::minimal_policy();
  doc["phases"][1]["monitor_from"] = "2006-09-01";
  doc["monitoring"] = {{"max_sources", 2}};
  REQUIRE(r.apply(doc, "2006-09-10").ok);
  r.kernel.sets["op25b-phase_all_seen4.1"].members = {"198.18.1.5", "198.18.1.6"};
  r.kernel.v4.rules["OP25B-M-all"][0].packets = 5;
  std::string error;
  const auto view = ax::read_view(r.kernel, error);
  REQUIRE(view);
  const auto s = ax::read_status(*view, r.records.load(), false, "op25b");
  REQUIRE(s);
  for (const auto& set : s->sets) CHECK(set.name.find("_seen") == std::string::npos);
  REQUIRE(s->recordings.size() == 2);
  CHECK(s->recordings[0].base == "phase_all_seen4");
  CHECK(s->recordings[0].phase == "all");
  CHECK(s->recordings[0].recorded == 2);
  CHECK(s->recordings[0].full());
  REQUIRE(s->monitor_counters.size() == 1);
  CHECK(s->monitor_counters[0].counter == "OP25B-M-all");
  CHECK(s->monitor_counters[0].packets == 5);
  const auto sources = ax::parse_ipset_recorded(r.kernel.save_set("op25b-phase_all_seen4.1").output,
                                                net::Family::v4, error);
  REQUIRE(sources);
  REQUIRE(sources->size() == 2);
  CHECK((*sources)[0].address == *net::parse_address("198.18.1.5"));
  CHECK((*sources)[0].expires_in == ax::kIpsetMaxTimeout);
  CHECK_FALSE(ax::parse_ipset_recorded("add s 198.18.1.0/24\n", net::Family::v4, error));
  CHECK(error == "ipset save: an element the rules did not record: add s 198.18.1.0/24");
  // Once the phase blocks, its monitor chain is gone and its sources still show.
  REQUIRE(r.apply(doc, "2006-10-02").ok);
  const auto later_view = ax::read_view(r.kernel, error);
  REQUIRE(later_view);
  const auto later = ax::read_status(*later_view, r.records.load(), false, "op25b");
  REQUIRE(later);
  CHECK(later->monitor_counters.empty());
  CHECK(backend::to_text(*later).find(
            "phase all monitored 0 connections it would have blocked; IPv4 sources 2 of 2 (full: "
            "new sources are not recorded); IPv6 sources 0 of 2\n") != std::string::npos);
  CHECK(backend::to_json(*later)["monitoring"][0]["counter"].is_null());
}

TEST_CASE("xt status: adoption counts per family, each chain's one rule kept across applies") {
  Runner r;
  const json doc = test::minimal_policy();
  REQUIRE(r.apply(doc, "2006-05-01").ok);  // before any phase
  CHECK(r.kernel.v4.rules["OP25B-C-submission4"].size() == 1);
  CHECK(r.kernel.v6.rules["OP25B-C-smarthost6"].size() == 1);
  r.kernel.v4.rules["OP25B-C-submission4"][0].packets = 9;
  r.kernel.v6.rules["OP25B-C-smarthost6"][0].packets = 2;
  REQUIRE(r.apply(doc, "2006-10-01").ok);  // phases start: the chains stay, so do their counts
  std::string error;
  const auto view = ax::read_view(r.kernel, error);
  REQUIRE_MESSAGE(view, error);
  const auto s = ax::read_status(*view, r.records.load(), false, "op25b");
  REQUIRE(s);
  const json j = backend::to_json(*s);
  CHECK(j["adoption"] == json::parse(R"([
    {"kind": "submission", "family": "IPv4", "counter": "OP25B-C-submission4", "connections": 9},
    {"kind": "submission", "family": "IPv6", "counter": "OP25B-C-submission6", "connections": 0},
    {"kind": "smarthost", "family": "IPv4", "counter": "OP25B-C-smarthost4", "connections": 0},
    {"kind": "smarthost", "family": "IPv6", "counter": "OP25B-C-smarthost6", "connections": 2}])"));
}
