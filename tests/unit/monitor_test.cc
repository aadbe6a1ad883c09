// SPDX-License-Identifier: GPL-2.0-or-later
// Monitor periods through every stage: the policy keys and their checks, the
// effective state and the timeline, explain, the ruleset (counted, recorded,
// no verdict; the recording sets), and apply against the fake kernel, where
// what the rules recorded is never op25bc's to diff.
#include <doctest/doctest.h>

#include "op25bc/backend/status.h"
#include "op25bc/compile/compile.h"
#include "op25bc/eval/effective.h"
#include "op25bc/explain/explain.h"
#include "op25bc/nft/diff_text.h"
#include "op25bc/nft/reconcile.h"
#include "op25bc/nft/status.h"
#include "op25bc/report/metrics.h"
#include "op25bc/timeline/timeline.h"
#include "support/fake_kernel.h"
#include "support/memory_state_store.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;
using test::find_set;
using test::rule_texts;

namespace {

// minimal_policy with phase "all" monitoring from September 1.
json monitored() {
  json doc = test::minimal_policy();
  doc["phases"][1]["monitor_from"] = "2006-09-01";
  doc["submission"]["effective"] = "2006-05-15";
  return doc;
}

policy::Policy load(const json& doc) {
  return test::load_valid(doc);
}

}  // namespace

TEST_CASE("monitor_from must come before effective; the monitoring keys are bounded") {
  json doc = monitored();
  doc["phases"][1]["monitor_from"] = "2006-10-01";
  doc["monitoring"] = {{"retention_days", 0}, {"max_sources", 16777217}};
  Diagnostics diags;
  CHECK_FALSE(test::load_json(doc, diags));
  const std::string text = test::describe(diags);
  CHECK(text.find("/phases/1/monitor_from: error: the monitor period ends before it starts") !=
        std::string::npos);
  CHECK(text.find("/monitoring/retention_days: error: retention_days 0 is out of range") !=
        std::string::npos);
  CHECK(text.find("/monitoring/max_sources: error: max_sources 16777217 is out of range") !=
        std::string::npos);
}

TEST_CASE("a monitor period shorter than a week, or before submission opens, is warned about") {
  json doc = monitored();
  doc["phases"][1]["monitor_from"] = "2006-09-28";
  doc["submission"]["effective"] = "2006-09-29";
  Diagnostics diags;
  REQUIRE(test::load_json(doc, diags));
  const std::string text = test::describe(diags);
  CHECK(text.find("/phases/1/monitor_from: warning: phase \"all\" monitors for less than a week") !=
        std::string::npos);
  CHECK(text.find("/phases/1/monitor_from: warning: phase \"all\" starts monitoring on "
                  "2006-09-28, before submission ports open on 2006-09-29") != std::string::npos);
  Diagnostics quiet;
  REQUIRE(test::load_json(monitored(), quiet));
  CHECK(test::describe(quiet).find("monitor") == std::string::npos);
}

TEST_CASE("the effective state and the timeline know the monitor period") {
  const auto p = load(monitored());
  CHECK(eval::evaluate(p, test::at(p, "2006-08-31")).monitoring.empty());
  CHECK(eval::evaluate(p, test::at(p, "2006-09-01")).monitoring == std::vector<std::size_t>{1});
  const auto october = eval::evaluate(p, test::at(p, "2006-10-01"));
  CHECK(october.monitoring.empty());
  CHECK(october.phases == std::vector<std::size_t>{0, 1});
  const auto events = timeline::build(p);
  const auto september = std::find_if(events.begin(), events.end(), [&](const auto& e) {
    return e.at == test::at(p, "2006-09-01");
  });
  REQUIRE(september != events.end());
  CHECK(september->ruleset_changes);
  REQUIRE(september->changes.size() == 1);
  CHECK(september->changes[0].kind == "phase-monitor");
  CHECK(september->changes[0].pointer == "/phases/1/monitor_from");
  CHECK(timeline::next_change(events, test::at(p, "2006-08-01"))->at == september->at);
  const json j = timeline::to_json(p, events);
  bool listed = false;
  for (const auto& e : j["events"])
    if (e["monitoring_phases"] == json::array({"all"})) listed = true;
  CHECK(listed);
}

TEST_CASE("explain: allowed while monitored, with the dates and the advice of a blocked one") {
  const auto p = load(monitored());
  const explain::Query q{*net::parse_address("198.18.1.5"), *net::parse_address("198.51.100.7"), 25,
                         test::at(p, "2006-09-10")};
  const auto e = explain::explain(p, q);
  CHECK_FALSE(e.blocked());
  REQUIRE(e.monitored);
  CHECK(*e.monitored == 1);
  const json j = explain::to_json(p, q, e);
  CHECK(j["verdict"] == "allowed");
  CHECK(j["monitoring"]["phase"] == "all");
  CHECK(j["monitoring"]["since"] == "2006-09-01T00:00:00+09:00");
  CHECK(j["monitoring"]["blocks_from"] == "2006-10-01T00:00:00+09:00");
  CHECK(j["advice"].size() == 2);
  const std::string text = explain::to_text(p, q, e);
  CHECK(text.find("monitoring: phase \"all\" monitors this since 2006-09-01T00:00:00+09:00") !=
        std::string::npos);
  // Not monitored: an exempt source, a smarthost, another pool's phase scope.
  const explain::Query exempt{*net::parse_address("198.18.3.4"), q.destination, 25, q.at};
  CHECK_FALSE(explain::explain(p, exempt).monitored);
  const explain::Query smarthost{q.source, *net::parse_address("192.0.2.25"), 25, q.at};
  CHECK_FALSE(explain::explain(p, smarthost).monitored);
  const explain::Query osaka{*net::parse_address("198.18.17.1"), q.destination, 25, q.at};
  CHECK_FALSE(explain::explain(p, osaka).monitored);
  CHECK(explain::to_json(p, osaka, explain::explain(p, osaka))["monitoring"].is_null());
}

TEST_CASE("the ruleset counts and records a monitored connection and gives it no verdict") {
  json doc = monitored();
  doc["monitoring"] = {{"retention_days", 7}, {"max_sources", 1000}};
  const auto p = load(doc);
  const auto r = compile(p, test::at(p, "2006-09-10"));
  const auto check = rule_texts(r, "check");
  CHECK(std::find(check.begin(), check.end(),
                  "tcp flags syn / syn,ack ct status ! confirmed ip saddr @phase_all_src4 counter "
                  "name \"monitor_all\" "
                  "update @phase_all_seen4 { ip saddr }") != check.end());
  for (const auto& rule : r.chains[1].rules)  // chain check
    if (!rule.statements.empty() &&
        std::holds_alternative<ir::RecordSource>(rule.statements.back()))
      CHECK(rule.verdict.kind == ir::Verdict::Kind::none);
  const ir::Set* seen = find_set(r, "phase_all_seen4");
  REQUIRE(seen);
  REQUIRE(seen->recording);
  CHECK(seen->recording->timeout_seconds == 7 * 86400);
  CHECK(seen->recording->size == 1000);
  CHECK(seen->elements.empty());
  CHECK(find_set(r, "phase_all_seen6"));  // the scope's pool has IPv6 too
  // Before the period: nothing of it; after: blocking, and the recording kept.
  const auto august = compile(p, test::at(p, "2006-08-31"));
  CHECK_FALSE(find_set(august, "phase_all_seen4"));
  const auto october = compile(p, test::at(p, "2006-10-01"));
  CHECK(find_set(october, "phase_all_seen4"));
  for (const auto& line : rule_texts(october, "check"))
    CHECK(line.find("update") == std::string::npos);
  // Kernel-timed across the switch: monitor before, block from, at the second.
  const auto timed = rule_texts(compile(p, test::at(p, "2006-09-30"), true), "check");
  CHECK(std::count_if(timed.begin(), timed.end(), [](const std::string& l) {
          return l.starts_with("meta time < 1159628400 tcp flags syn / syn,ack") &&
                 l.find("update @phase_all_seen") != std::string::npos;
        }) == 2);
  CHECK(std::count(timed.begin(), timed.end(),
                   "meta time >= 1159628400 ip saddr @phase_all_src4 counter name \"phase_all\" "
                   "goto block") == 1);
}

TEST_CASE("apply: recorded sources are the kernel's, never drift, and stay across phase changes") {
  test::FakeKernel kernel;
  test::MemoryStateStore state;
  const auto p = load(monitored());
  const auto apply = [&](const char* when) {
    const auto out = nft::reconcile(kernel, state, compile(p, test::at(p, when)), {});
    REQUIRE_MESSAGE(out.ok, out.error);
    return out;
  };
  const auto first = apply("2006-09-10");
  CHECK(nft::to_text(first.transaction)
            .find("+ set phase_all_seen4 { type ipv4_addr; size 65536; flags dynamic,timeout; "
                  "timeout 2592000s; }\n") != std::string::npos);
  const net::Address a{net::Family::v4, 0xc6120105};  // 198.18.1.5
  kernel.record("op25b", "phase_all_seen4", a, 86400000);
  CHECK(apply("2006-09-10").in_sync);
  nft::ReconcileOutcome verified = [&] {
    backend::RunOptions o;
    o.verify = true;
    return nft::reconcile(kernel, state, compile(p, test::at(p, "2006-09-10")), o);
  }();
  CHECK(verified.in_sync);
  const auto october = apply("2006-10-01");
  for (const auto& op : october.transaction.ops) {
    CHECK_FALSE(std::holds_alternative<nft::DeleteSet>(op));
    CHECK_FALSE(std::holds_alternative<nft::DeleteElements>(op));
  }
  const auto held = kernel.read("op25b", nft::ElementRead::none());
  REQUIRE(held);
  const auto recorded = nft::read_recordings(kernel, held->ruleset);
  REQUIRE(recorded.size() == 2);
  CHECK(recorded[0].base == "phase_all_seen4");
  CHECK(recorded[0].phase == "all");
  REQUIRE(recorded[0].sources.size() == 1);
  CHECK(recorded[0].sources[0].address == a);
  CHECK(recorded[0].sources[0].expires_in == 86400);
}

TEST_CASE("status and metrics: monitored connections and sources apart from what was blocked") {
  test::FakeKernel kernel;
  test::MemoryStateStore state;
  json doc = monitored();
  doc["monitoring"] = {{"max_sources", 2}};
  const auto p = load(doc);
  REQUIRE(nft::reconcile(kernel, state, compile(p, test::at(p, "2006-09-10")), {}).ok);
  kernel.count("op25b", "monitor_all", 3, 180);
  kernel.record("op25b", "phase_all_seen4", {net::Family::v4, 0xc6120105}, 1000);
  kernel.record("op25b", "phase_all_seen4", {net::Family::v4, 0xc6120106}, 1000);
  const auto s = nft::read_status(kernel, "op25b", state, false);
  REQUIRE(s);
  for (const auto& c : s->counters) CHECK(c.counter != "monitor_all");
  CHECK(std::find(s->active_phases.begin(), s->active_phases.end(), "all") ==
        s->active_phases.end());
  REQUIRE(s->monitor_counters.size() == 1);
  CHECK(s->monitor_counters[0].packets == 3);
  for (const auto& set : s->sets) CHECK(set.name.find("_seen") == std::string::npos);
  const std::string text = backend::to_text(*s);
  CHECK(text.find("phase all monitored 3 connections it would have blocked; IPv4 sources 2 of 2 "
                  "(full: new sources are not recorded); IPv6 sources 0 of 2\n") !=
        std::string::npos);
  const json j = backend::to_json(*s);
  CHECK(j["monitoring"][0]["sets"][0]["full"] == true);
  report::MetricsInput in;
  in.status = *s;
  in.table = "op25b";
  const std::string metrics = report::prometheus_text(in);
  CHECK(metrics.find("op25bc_monitored_connections_total{phase=\"all\"} 3\n") != std::string::npos);
  CHECK(metrics.find("op25bc_monitored_sources{phase=\"all\",family=\"IPv4\"} 2\n") !=
        std::string::npos);
  CHECK(metrics.find("op25bc_monitor_set_full{phase=\"all\",family=\"IPv4\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find("op25bc_monitor_set_full{phase=\"all\",family=\"IPv6\"} 0\n") !=
        std::string::npos);
}
