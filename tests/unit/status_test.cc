// SPDX-License-Identifier: GPL-2.0-or-later
// status against the fake kernel: the model read once through the port, and
// the JSON and text reports made from it.
#include "op25bc/nft/status.h"

#include <doctest/doctest.h>

#include "op25bc/compile/compile.h"
#include "op25bc/nft/reconcile.h"
#include "op25bc/report/metrics.h"
#include "support/fake_kernel.h"
#include "support/memory_state_store.h"
#include "support/policies.h"

using namespace op25bc;

namespace {

struct Setup {
  test::FakeKernel kernel;
  test::MemoryStateStore state;
  policy::Policy policy = test::load_example("spinnet");

  void apply_at(const char* when) {
    const auto out = nft::reconcile(kernel, state, compile(policy, test::at(policy, when)), {});
    REQUIRE_MESSAGE(out.ok, out.error);
  }
  backend::Status status(bool verify = false) {
    auto s = nft::read_status(kernel, "op25b", state, verify);
    REQUIRE(s);
    return *s;
  }
};

}  // namespace

TEST_CASE("status of a table op25bc applied: phases, counts vouched by the record, counters") {
  Setup s;
  s.apply_at("2006-10-01");
  s.kernel.count("op25b", "phase_all", 12, 720);
  const auto status = s.status();
  CHECK(status.active_phases == std::vector<std::string>{"mobile", "all"});
  // Nothing was read back: the record vouches for every set's count.
  for (const auto& set : status.sets) CHECK_MESSAGE(set.elements, set.name);
  CHECK(s.kernel.reads_with_elements() == 0);

  const auto j = backend::to_json(status);
  CHECK(j["owned_by_op25bc"] == true);
  CHECK(j["last_apply"]["current"] == true);
  CHECK(j["last_apply"]["at"] == s.state.load()->applied_at);
  CHECK(j["counters"] == nlohmann::json::parse(R"([
    {"phase": "mobile", "counter": "phase_mobile", "packets": 0, "bytes": 0},
    {"phase": "all", "counter": "phase_all", "packets": 12, "bytes": 720}])"));

  const auto text = backend::to_text(status);
  CHECK(text.starts_with("table inet op25b: "));
  CHECK(text.find("active phases: mobile, all\n") != std::string::npos);
  CHECK(text.find("phase all blocked 12 packets, 720 bytes\n") != std::string::npos);
  CHECK(text.find("? elements") == std::string::npos);
  CHECK(text.find(", current)\n") != std::string::npos);
}

TEST_CASE("status element counts agree with the kernel's, read back or vouched") {
  Setup s;
  s.apply_at("2006-10-01");
  const auto vouched = s.status(false);
  const auto read = s.status(true);
  REQUIRE(vouched.sets.size() == read.sets.size());
  for (std::size_t i = 0; i < read.sets.size(); ++i) {
    CHECK(read.sets[i].name == vouched.sets[i].name);
    CHECK(read.sets[i].elements == vouched.sets[i].elements);
  }
  CHECK(s.kernel.reads_with_elements() == 1);
}

TEST_CASE("after someone else's commit status does not trust the record for counts") {
  Setup s;
  s.apply_at("2006-10-01");
  s.kernel.bump_generation();
  const auto status = s.status();
  for (const auto& set : status.sets) CHECK_MESSAGE(!set.elements, set.name);
  CHECK(backend::to_json(status)["last_apply"]["current"] == false);
  const auto text = backend::to_text(status);
  CHECK(text.find("? elements (--verify reads them)\n") != std::string::npos);
  CHECK(text.find(", the ruleset changed since)\n") != std::string::npos);
  // --verify reads them.
  for (const auto& set : s.status(true).sets) CHECK(set.elements);
}

TEST_CASE("counters survive an apply that keeps their phase and restart with a new phase") {
  Setup s;
  s.apply_at("2006-07-01");  // only the mobile phase
  s.kernel.count("op25b", "phase_mobile", 5, 300);
  s.apply_at("2006-10-01");  // the all phase joins
  const auto counters = s.status().counters;
  REQUIRE(counters.size() == 2);
  CHECK(counters[0].phase == "mobile");
  CHECK(counters[0].counter == "phase_mobile");
  CHECK(counters[0].packets == 5);
  CHECK(counters[1].phase == "all");
  CHECK(counters[1].packets == 0);
}

TEST_CASE("status speaks policy ids and counts in the singular for one") {
  Setup s;
  s.apply_at("2006-07-01");
  s.kernel.count("op25b", "phase_mobile", 1, 1);
  const auto text = backend::to_text(s.status());
  CHECK(text.find("phase mobile blocked 1 packet, 1 byte\n") != std::string::npos);
  // A recorded id whose '-' the kernel name spells '_' maps back to itself.
  CHECK(nft::phase_of_counter("phase_late_adopters", {"late-adopters"}) == "late-adopters");
  CHECK(nft::phase_of_counter("phase_late_adopters", {}) == "late_adopters");
  backend::Status one;
  one.table = "op25b";
  one.sets = {{"smarthost4", 1}, {"phase_all_src4_0a000_17", 1}};
  const auto lines = backend::to_text(one);
  CHECK(lines.find("set smarthost4: 1 element\n") != std::string::npos);
  CHECK(lines.find("set phase_all_src4: 1 element in 1 block\n") != std::string::npos);
}

TEST_CASE("status of a table that is not there, and of one op25bc did not make") {
  Setup s;
  CHECK_FALSE(nft::read_status(s.kernel, "op25b", s.state, false));
  s.kernel.add_foreign_table("theirs");
  const auto theirs = nft::read_status(s.kernel, "theirs", s.state, false);
  REQUIRE(theirs);
  const auto j = backend::to_json(*theirs);
  CHECK(j["owned_by_op25bc"] == false);
  CHECK(j["last_apply"] == nullptr);
  CHECK(backend::to_text(*theirs) ==
        "table inet theirs: someone else's\n"
        "active phases: none\n"
        "last applied: no record\n");
}

TEST_CASE("status names a state record it cannot use, apart from no record, and drift") {
  Setup s;
  s.apply_at("2006-10-01");
  s.state.corrupt();
  auto status = s.status();
  CHECK(status.record_unusable);
  CHECK(backend::to_text(status).find("last applied: unknown: the state record is unusable") !=
        std::string::npos);
  CHECK(backend::to_json(status)["record_unusable"] == true);
  test::MemoryStateStore none;
  const auto fresh = nft::read_status(s.kernel, "op25b", none, false);
  REQUIRE(fresh);
  CHECK_FALSE(fresh->record_unusable);
  CHECK(backend::to_text(*fresh).find("last applied: no record") != std::string::npos);

  s.kernel.tamper("op25b", [](nft::TableState& t) { t.table_flags = nft::kTableDormant; });
  status = s.status();
  CHECK(backend::to_text(status).starts_with(
      "table inet op25b: managed by op25bc: JENS SpinNet OP25B\n"
      "warning: table inet op25b has flags dormant: dormant, its hooks are off and it blocks "
      "nothing (apply or activate repairs it)\n"));
  CHECK(backend::to_json(status)["drift"].size() == 1);
}

TEST_CASE("submission adoption: status and metrics show it with or without a phase") {
  Setup s;
  s.apply_at("2006-05-01");  // before any phase
  s.kernel.count("op25b", "submission4", 40, 2400);
  s.kernel.count("op25b", "smarthost6", 7, 420);
  const auto before = s.status();
  CHECK(before.active_phases.empty());  // the adoption counters are no phase's
  CHECK(before.counters.size() == 2);   // the phases' own, at zero
  const auto j = backend::to_json(before);
  CHECK(j["adoption"] == nlohmann::json::parse(R"([
    {"kind": "submission", "family": "IPv4", "counter": "submission4", "connections": 40},
    {"kind": "submission", "family": "IPv6", "counter": "submission6", "connections": 0},
    {"kind": "smarthost", "family": "IPv4", "counter": "smarthost4", "connections": 0},
    {"kind": "smarthost", "family": "IPv6", "counter": "smarthost6", "connections": 7}])"));
  const auto text = backend::to_text(before);
  CHECK(text.find("pools' connections to submission ports: IPv4 40, IPv6 0\n") !=
        std::string::npos);
  CHECK(text.find("pools' connections to smarthosts on enforcement ports: IPv4 0, IPv6 7\n") !=
        std::string::npos);
  report::MetricsInput in;
  in.status = before;
  in.table = "op25b";
  const std::string metrics = report::prometheus_text(in);
  CHECK(metrics.find("# TYPE op25bc_submission_connections_total counter\n"
                     "op25bc_submission_connections_total{family=\"IPv4\"} 40\n"
                     "op25bc_submission_connections_total{family=\"IPv6\"} 0\n") !=
        std::string::npos);
  CHECK(metrics.find("op25bc_smarthost_connections_total{family=\"IPv6\"} 7\n") !=
        std::string::npos);
  CHECK(metrics.find("op25bc_blocked_packets_total{phase=\"submission4\"}") == std::string::npos);

  // A phase starts: the counters and what they counted stay.
  s.apply_at("2006-10-01");
  const auto after = s.status();
  CHECK(after.active_phases == std::vector<std::string>{"mobile", "all"});
  REQUIRE(after.adoption.size() == 4);
  CHECK(after.adoption[0].connections == 40);
  CHECK(after.adoption[3].connections == 7);
}
