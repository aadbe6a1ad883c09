// SPDX-License-Identifier: GPL-2.0-or-later
// explain must agree with the compiled rules. For every instant around every
// timeline boundary, and sources and destinations around every pool,
// exemption, smarthost and destination-group edge (IPv4 and IPv6), the
// verdict of explain is held against an independent evaluation of the
// compiled nftables JSON.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "op25bc/compile/compile.h"
#include "op25bc/explain/explain.h"
#include "op25bc/ir/names.h"
#include "op25bc/nft/render_text.h"
#include "op25bc/timeline/timeline.h"
#include "support/nft_json_eval.h"
#include "support/policies.h"

using namespace op25bc;

namespace {

// Addresses just inside and just outside each prefix.
void edges(const policy::PrefixList& list, std::set<std::pair<int, net::Word>>& out) {
  for (const auto& prefix : list.items) {
    const auto iv = prefix.interval();
    const int f = static_cast<int>(prefix.family);
    out.insert({f, iv.first});
    out.insert({f, iv.last});
    out.insert({f, iv.first + (iv.last - iv.first) / 2});
    if (iv.first > 0) out.insert({f, iv.first - 1});
    if (iv.last < net::max_word(prefix.family)) out.insert({f, iv.last + 1});
  }
}

std::vector<Instant> instants(const policy::Policy& p) {
  std::vector<Instant> out{test::at(p, "2000-01-01"), test::at(p, "2030-01-01")};
  for (const auto& e : timeline::build(p)) {
    out.push_back(e.at - std::chrono::seconds{1});
    out.push_back(e.at);
  }
  return out;
}

bool in(const policy::PrefixList& list, const net::Address& a) {
  return std::any_of(list.items.begin(), list.items.end(), [&](const net::Prefix& prefix) {
    const auto iv = prefix.interval();
    return prefix.family == a.family && iv.first <= a.value && a.value <= iv.last;
  });
}

// The adoption counters a connection should go through, read from the
// policy alone: from a pool some phase selects, to a submission port
// (anywhere), or to a smarthost on an enforcement port.
std::vector<std::string> adoption_expected(const policy::Policy& p, const net::Address& source,
                                           const net::Address& destination, std::uint16_t port) {
  bool covered = false;
  for (const auto& phase : p.phases)
    for (std::size_t k : phase.pool_indexes) covered = covered || in(p.pools[k].prefixes, source);
  if (!covered) return {};
  const auto has = [](const std::vector<std::uint16_t>& ports, std::uint16_t port) {
    return std::find(ports.begin(), ports.end(), port) != ports.end();
  };
  if (has(p.submission.ports, port))
    return {ir::adoption_counter(ir::Adoption::submission, source.family)};
  if (has(p.enforcement.ports, port) &&
      std::any_of(p.smarthosts.begin(), p.smarthosts.end(),
                  [&](const auto& s) { return in(s.addresses, destination); }))
    return {ir::adoption_counter(ir::Adoption::smarthost, source.family)};
  return {};
}

// `monitored`, when given, counts the connections explain says are monitored;
// `adopted`, those the adoption counters count.
std::size_t check_agreement(const policy::Policy& p, std::size_t* monitored_seen = nullptr,
                            std::size_t* adopted = nullptr) {
  std::set<std::pair<int, net::Word>> sources, destinations;
  for (const auto& pool : p.pools) edges(pool.prefixes, sources);
  for (const auto& x : p.exemptions) edges(x.prefixes, sources);
  for (const auto& s : p.smarthosts) edges(s.addresses, destinations);
  for (const auto& d : p.destinations) edges(d.prefixes, destinations);
  destinations.insert({0, net::parse_address("198.51.100.7")->value});
  destinations.insert({1, net::parse_address("2001:db8:ffff:ffff::7")->value});

  std::size_t checked = 0;
  for (Instant t : instants(p)) {
    const test::NftJsonRuleset rules(
        nlohmann::json::parse(nft::render(p, compile(p, t), t, nft::Format::json)));
    for (const auto& [sf, s] : sources)
      for (const auto& [df, d] : destinations) {
        if (sf != df) continue;
        const auto family = static_cast<net::Family>(sf);
        for (std::uint16_t port : {25, 587, 465, 24}) {
          const explain::Query q{{family, s}, {family, d}, port, t};
          const explain::Explanation e = explain::explain(p, q);
          const bool explained = e.blocked();
          std::vector<std::string> recorded, counted;
          const bool enforced = rules.evaluate({q.source, q.destination, port}, &recorded,
                                               &counted) != test::Outcome::accept;
          // Phase and monitor counters aside, exactly the expected adoption counter.
          std::erase_if(counted, [](const std::string& c) { return !ir::adoption_of(c); });
          const auto want = adoption_expected(p, q.source, q.destination, port);
          if (counted != want)
            FAIL_CHECK("adoption counters disagree at "
                       << format_time(t, p.zone) << ": " << net::to_string(q.source) << " -> "
                       << net::to_string(q.destination) << " port " << port << ": counted "
                       << counted.size() << ", want " << want.size());
          if (adopted && !want.empty()) ++*adopted;
          if (explained != enforced)
            FAIL_CHECK("disagree at " << format_time(t, p.zone) << ": " << net::to_string(q.source)
                                      << " -> " << net::to_string(q.destination) << " port " << port
                                      << ": explain says " << (explained ? "blocked" : "allowed"));
          // A monitored connection is recorded in its phase's set, and no other is.
          const bool monitored = e.monitored.has_value();
          if (monitored && monitored_seen) ++*monitored_seen;
          if (monitored != !recorded.empty() ||
              (monitored &&
               recorded.front() !=
                   "@" + ir::set_name(ir::recording_set_base(p.phases[*e.monitored].id), family)))
            FAIL_CHECK("monitoring disagrees at "
                       << format_time(t, p.zone) << ": " << net::to_string(q.source) << " -> "
                       << net::to_string(q.destination) << " port " << port << ": explain says "
                       << (monitored ? "monitored" : "not monitored") << ", the rules recorded "
                       << recorded.size());
          ++checked;
        }
      }
  }
  return checked;
}

}  // namespace

TEST_CASE("explain agrees with the compiled ruleset: SpinNet") {
  CHECK(check_agreement(test::load_example("spinnet")) > 10000);
}

TEST_CASE("explain agrees with the compiled ruleset: NetLaputa") {
  CHECK(check_agreement(test::load_example("netlaputa")) > 10000);
}

TEST_CASE("the adoption counters count the covered pools' submission and smarthost connections") {
  for (const std::string name : {"spinnet", "netlaputa"}) {
    CAPTURE(name);
    auto p = test::load_example(name);
    std::size_t adopted = 0;
    CHECK(check_agreement(p, nullptr, &adopted) > 10000);
    CHECK(adopted > 1000);
    p.enforcement.max_set_intervals = 1;  // the pool sets cut into blocks
    adopted = 0;
    CHECK(check_agreement(p, nullptr, &adopted) > 10000);
    CHECK(adopted > 1000);
  }
}

TEST_CASE("the independent evaluator does see blocks (it is not vacuous)") {
  const auto p = test::load_example("spinnet");
  const auto t = test::at(p, "2006-10-01");
  const test::NftJsonRuleset rules(
      nlohmann::json::parse(nft::render(p, compile(p, t), t, nft::Format::json)));
  const auto src = *net::parse_address("198.18.17.5");
  CHECK(rules.evaluate({src, *net::parse_address("198.51.100.7"), 25}) == test::Outcome::reject);
  CHECK(rules.evaluate({src, *net::parse_address("192.0.2.25"), 25}) == test::Outcome::accept);
  CHECK(rules.evaluate({src, *net::parse_address("198.51.100.7"), 587}) == test::Outcome::accept);
  std::vector<std::string> counted;
  rules.evaluate({src, *net::parse_address("198.51.100.7"), 587}, nullptr, &counted);
  CHECK(counted == std::vector<std::string>{"submission4"});
  counted.clear();
  rules.evaluate({src, *net::parse_address("198.51.100.7"), 25}, nullptr, &counted);
  CHECK(counted == std::vector<std::string>{"phase_all"});
}

// Source sets cut into blocks behind a verdict map must mean the same: with
// at most one interval per set (the examples' source sets hold two or
// fewer), every source set with two is sliced.
TEST_CASE("explain agrees with the compiled ruleset when source sets are cut into blocks") {
  for (const std::string name : {"spinnet", "netlaputa"}) {
    CAPTURE(name);
    auto p = test::load_example(name);
    p.enforcement.max_set_intervals = 1;
    std::size_t sharded = 0;
    for (Instant t : instants(p)) {
      const ir::Ruleset r = compile(p, t);
      for (const auto& s : r.sets) {
        if (s.verdict_map) ++sharded;
        if (!s.verdict_map && s.name.find("_src") != std::string::npos)
          CHECK(s.elements.size() <= 1);
      }
    }
    CHECK(sharded > 4);
    CHECK(check_agreement(p) > 10000);
  }
}

// Monitor periods: every phase monitoring for 30 days before it blocks. Inside
// the period nothing it would block is blocked, exactly those connections
// are recorded, in its set; kernel-timed and cut into blocks alike.
TEST_CASE("explain agrees with the compiled ruleset in monitor periods") {
  for (const std::string name : {"spinnet", "netlaputa"}) {
    CAPTURE(name);
    auto p = test::load_example(name);
    for (auto& phase : p.phases) phase.monitor_from = *phase.effective - std::chrono::days{30};
    std::size_t monitored = 0;
    CHECK(check_agreement(p, &monitored) > 10000);
    CHECK(monitored > 100);
    p.enforcement.max_set_intervals = 1;
    monitored = 0;
    CHECK(check_agreement(p, &monitored) > 10000);
    CHECK(monitored > 100);
  }
}
