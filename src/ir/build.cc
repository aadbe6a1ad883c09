// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/ir/build.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>

#include "op25bc/ir/names.h"
#include "op25bc/net/address_set.h"
#include "op25bc/policy/resolve.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"

namespace op25bc::ir {

namespace {

using policy::Phase;
using policy::Policy;

constexpr std::size_t kCommentMax = 127;  // nftables keeps at most 128 bytes

// A kernel comment every backend can carry byte for byte: printable, no '"'
// (nft's grammar cannot quote it), cut on a character boundary.
std::string comment(const std::string& raw) {
  std::string text = text::printable(raw);
  std::erase(text, '"');
  if (text.size() > kCommentMax) text = text::truncate_utf8(text, kCommentMax - 3) + "...";
  return text;
}

// The policy's validated rate unit ("second", "minute", "hour", "day").
RateUnit rate_unit(const std::string& unit) {
  if (unit == "second") return RateUnit::second;
  if (unit == "minute") return RateUnit::minute;
  if (unit == "hour") return RateUnit::hour;
  return RateUnit::day;
}

class Builder {
 public:
  Builder(const Policy& p, const eval::EffectiveState& s, const std::optional<Boundary>& next,
          const session::Table* sessions)
      : p_(p),
        state_(s),
        next_(next),
        sessions_(sessions),
        subscribers_(session::has_subscribers(p)) {}

  Ruleset run() {
    std::size_t prefixes = 0;
    for (const auto& pool : p_.pools) prefixes += pool.prefixes.items.size();
    if (p_.pool_index.size() != prefixes)
      throw std::logic_error("ir::build: the policy's pool index is missing (see load_text)");
    out_.table = p_.table;
    out_.comment = comment(table_comment(p_.operator_name));
    add_counters();
    add_fixed_sets();
    Chain check{std::string{kCheckChain}, std::nullopt, adoption_rules()};
    std::ranges::move(fixed_returns(), std::back_inserter(check.rules));
    if (next_) add_timed_exemptions(check.rules);
    const std::int64_t boundary = next_ ? next_->at.time_since_epoch().count() : 0;
    for (std::size_t i = 0; i < p_.phases.size(); ++i) {
      const bool now = active(state_.phases, i);
      const bool after = next_ ? active(next_->after.phases, i) : now;
      const bool watching = active(state_.monitoring, i);
      const bool watching_after = next_ ? active(next_->after.monitoring, i) : watching;
      // A phase records from its monitor period on; what it recorded stays
      // readable while it blocks, until each source's retention runs out.
      if (p_.phases[i].monitor_from && (now || after || watching || watching_after))
        add_recording_sets(p_.phases[i]);
      if (watching || watching_after) {
        const MetaTime guard{watching, boundary};
        add_phase_rules(p_.phases[i], check.rules, watching != watching_after ? &guard : nullptr,
                        Mode::monitor);
      }
      if (!now && !after) continue;
      const MetaTime guard{now, boundary};
      add_phase_rules(p_.phases[i], check.rules, now != after ? &guard : nullptr);
    }
    out_.chains.push_back(forward_chain());
    out_.chains.push_back(std::move(check));
    out_.chains.push_back(block_chain());
    return std::move(out_);
  }

 private:
  void add_counters() {
    for (const Phase& phase : p_.phases)
      out_.counters.push_back(
          {policy::nft_name(phase.id),
           comment("phase " + phase.id + (phase.name.empty() ? "" : ": " + phase.name)),
           Origin({pointer_of(phase)})});
    for (Adoption kind : {Adoption::submission, Adoption::smarthost})
      for (net::Family f : {net::Family::v4, net::Family::v6})
        out_.counters.push_back(
            {adoption_counter(kind, f),
             comment(std::string{net::family_name(f)} + " connections from the pools to " +
                     (kind == Adoption::submission ? "submission ports"
                                                   : "smarthosts on enforcement ports")),
             Origin({kind == Adoption::submission ? "/submission" : "/smarthosts"})});
    for (const Phase& phase : p_.phases)
      if (phase.monitor_from)
        out_.counters.push_back(
            {monitor_counter(phase.id),
             comment("phase " + phase.id + " monitoring: connections it would have blocked"),
             Origin({pointer_of(phase) + "/monitor_from"})});
  }

  // What the covered pools opened, phase or no phase: a connection to a submission
  // port (then done: those ports are never blocked) and one to a smarthost on
  // an enforcement port, counted per family before the smarthost return.
  // One rule per port, never a port list: these rules are copied into every
  // block of a cut set, and the kernel walks the whole transaction (a million
  // elements on a first apply) for each anonymous set a rule binds.
  std::vector<Rule> adoption_rules() {
    const std::string& pools = source_sets(covered_pools());
    std::vector<Rule> rules;
    const auto ports = sorted_ports(p_.submission.ports);
    const Origin submission_origin({"/submission/ports"});
    for (net::Family f : {net::Family::v4, net::Family::v6}) {
      if (!has_set(set_name(pools, f))) continue;
      for (std::uint16_t port : ports)
        rules.push_back({{TcpDestinationPorts{{port}}, TcpSyn{}, FirstPacket{},
                          AddressInSet{f, Direction::source, set_name(pools, f)}},
                         {CounterRef{adoption_counter(Adoption::submission, f)}},
                         {},
                         {},
                         submission_origin});
    }
    for (std::uint16_t port : ports)
      rules.push_back(
          {{TcpDestinationPorts{{port}}}, {}, {Verdict::Kind::return_, {}}, {}, submission_origin});
    for (net::Family f : {net::Family::v4, net::Family::v6})
      if (has_set(set_name(pools, f)))
        rules.push_back({{TcpSyn{}, FirstPacket{},
                          AddressInSet{f, Direction::destination, set_name(kSmarthostSet, f)},
                          AddressInSet{f, Direction::source, set_name(pools, f)}},
                         {CounterRef{adoption_counter(Adoption::smarthost, f)}},
                         {},
                         {},
                         smarthosts_origin()});
    return rules;
  }

  // The pools OP25B covers: those any phase selects, whenever it is active
  // (narrowed to the router's, as the phases are). Not a static pool no
  // phase selects: its customers never move to a submission port.
  std::vector<std::size_t> covered_pools() const {
    std::vector<bool> selected(p_.pools.size(), false);
    for (const Phase& phase : p_.phases)
      for (std::size_t k : phase.pool_indexes) selected[k] = true;
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < selected.size(); ++k)
      if (selected[k]) out.push_back(k);
    return out;
  }

  // Canonical, as the kernel reads an anonymous set back.
  static std::vector<std::uint16_t> sorted_ports(std::vector<std::uint16_t> ports) {
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    return ports;
  }

  // The sets a monitoring phase records its sources in, one per family its
  // pools have.
  void add_recording_sets(const Phase& phase) {
    const std::string& src = source_sets(phase.pool_indexes);
    const Recording recording{static_cast<std::uint64_t>(p_.monitoring.retention_days) * 86400,
                              static_cast<std::uint32_t>(p_.monitoring.max_sources)};
    for (net::Family f : {net::Family::v4, net::Family::v6}) {
      if (!has_set(set_name(src, f))) continue;
      Set set{set_name(recording_set_base(phase.id), f),
              f,
              comment("sources phase " + phase.id + " would have blocked while monitoring"),
              {}};
      set.recording = recording;
      set.origin = Origin({pointer_of(phase) + "/monitor_from", "/monitoring"});
      out_.sets.push_back(std::move(set));
    }
  }

  void add_set(std::string base, net::Family f, std::string text, net::AddressSet& source,
               Origin origin) {
    Set set{set_name(base, f), f, comment(std::move(text)), std::move(source.of(f))};
    set.origin = std::move(origin);
    out_.sets.push_back(std::move(set));
  }

  std::string pointer_of(const Phase& phase) const {
    return "/phases/" + std::to_string(&phase - p_.phases.data());
  }

  // The exemptions of these indexes into Policy::exemptions: a pointer into
  // the policy, or the drop-in file.
  Origin exemptions_origin(const std::vector<std::size_t>& indexes) const {
    std::vector<std::string> pointers;
    for (std::size_t i : indexes)
      pointers.push_back(p_.exemptions[i].file.empty() ? "/exemptions/" + std::to_string(i)
                                                       : p_.exemptions[i].file);
    return Origin(std::move(pointers));
  }

  static bool active(const std::vector<std::size_t>& list, std::size_t i) {
    return std::find(list.begin(), list.end(), i) != list.end();
  }

  // Exemptions active now and (in kernel-timed mode) still after the boundary.
  bool exempt_throughout(std::size_t i) const {
    return active(state_.exemptions, i) && (!next_ || active(next_->after.exemptions, i));
  }

  void add_timed_exemptions(std::vector<Rule>& rules) {
    const auto seconds = static_cast<std::int64_t>(next_->at.time_since_epoch().count());
    for (const bool until : {true, false}) {
      net::AddressSet set;
      std::vector<std::size_t> used;
      for (std::size_t i = 0; i < p_.exemptions.size(); ++i)
        if (active(state_.exemptions, i) == until && active(next_->after.exemptions, i) != until) {
          used.push_back(i);
          add_exempted(i, set);
        }
      set.merge();
      const Origin origin = exemptions_origin(used);
      const std::string base{until ? kExemptUntilSet : kExemptFromSet};
      for (net::Family f : {net::Family::v4, net::Family::v6}) {
        add_set(base, f,
                until ? "exemptions ending at the next boundary"
                      : "exemptions starting at the next boundary",
                set, origin);
        rules.push_back(
            {{MetaTime{until, seconds}, AddressInSet{f, Direction::source, set_name(base, f)}},
             {},
             {Verdict::Kind::return_, {}},
             {},
             origin});
      }
    }
  }

  void add_fixed_sets() {
    net::AddressSet smarthosts, exempt;
    for (const auto& s : p_.smarthosts)
      for (const auto& a : s.addresses.items) smarthosts.add(a);
    net::AddressSet sessions;
    std::vector<std::size_t> used, subscribers;
    for (std::size_t i = 0; i < p_.exemptions.size(); ++i) {
      if (!exempt_throughout(i)) continue;
      const bool by_session = !p_.exemptions[i].subscriber.empty();
      (by_session ? subscribers : used).push_back(i);
      add_exempted(i, by_session ? sessions : exempt);
    }
    smarthosts.merge();
    exempt.merge();
    sessions.merge();
    for (net::Family f : {net::Family::v4, net::Family::v6})
      add_set(std::string{kSmarthostSet}, f, "smarthosts: never blocked as destinations",
              smarthosts, smarthosts_origin());
    for (net::Family f : {net::Family::v4, net::Family::v6})
      add_set(std::string{kExemptSet}, f, "active exemptions: never blocked as sources", exempt,
              exemptions_origin(used));
    if (subscribers_)
      for (net::Family f : {net::Family::v4, net::Family::v6})
        add_set(std::string{kSessionSet}, f,
                "live sessions of exempt subscribers: never blocked as sources", sessions,
                exemptions_origin(subscribers));
  }

  // What exemption `i` exempts: its prefixes, or its subscriber's live sessions.
  void add_exempted(std::size_t i, net::AddressSet& out) const {
    const policy::Exemption& x = p_.exemptions[i];
    if (x.subscriber.empty()) {
      for (const auto& a : x.prefixes.items) out.add(a);
    } else if (sessions_ != nullptr) {
      if (const auto it = sessions_->find(x.subscriber); it != sessions_->end())
        for (const auto& a : it->second) out.add(a);
    }
  }

  Origin smarthosts_origin() const {
    std::vector<std::string> pointers;
    for (std::size_t k = 0; k < p_.smarthosts.size(); ++k)
      pointers.push_back("/smarthosts/" + std::to_string(k));
    return Origin(std::move(pointers));
  }

  std::vector<Rule> fixed_returns() const {
    std::vector<Rule> rules;
    for (auto direction : {Direction::destination, Direction::source})
      for (net::Family f : {net::Family::v4, net::Family::v6}) {
        const bool smarthost = direction == Direction::destination;
        rules.push_back(
            {{AddressInSet{f, direction, set_name(smarthost ? kSmarthostSet : kExemptSet, f)}},
             {},
             {Verdict::Kind::return_, {}},
             {},
             smarthost ? smarthosts_origin() : Origin({"/exemptions"})});
      }
    if (subscribers_)
      for (net::Family f : {net::Family::v4, net::Family::v6})
        rules.push_back({{AddressInSet{f, Direction::source, set_name(kSessionSet, f)}},
                         {},
                         {Verdict::Kind::return_, {}},
                         {},
                         Origin({"/exemptions"})});
    return rules;
  }

  // The pools' prefixes, merged: one ordered walk of the pool index, no sort.
  net::AddressSet pool_union(const std::vector<std::size_t>& pools) const {
    std::vector<bool> selected(p_.pools.size(), false);
    for (std::size_t k : pools) selected[k] = true;
    net::AddressSet out;
    for (net::Family f : {net::Family::v4, net::Family::v6}) {
      auto& merged = out.of(f);
      merged.reserve(p_.pool_index.entries(f).size());  // untouched capacity costs nothing
      for (const auto& e : p_.pool_index.entries(f)) {
        if (selected[e.pool]) net::append_merged(merged, e.interval(), f);
      }
    }
    return out;
  }

  // The source sets of these pools: shared by every phase selecting them and,
  // for the covered pools, by the adoption counters. Named after the first
  // phase that selects them, so a phase's activation finds its sets in place;
  // "pools" when no phase selects every covered pool.
  const std::string& source_sets(const std::vector<std::size_t>& pools) {
    auto [it, inserted] = source_names_.try_emplace(pools);
    if (!inserted) return it->second;
    std::vector<std::string> users;
    std::vector<std::string> pointers;
    for (const Phase& other : p_.phases)
      if (other.pool_indexes == pools) {
        users.push_back(other.id);
        pointers.push_back(pointer_of(other));
      }
    const std::string text =
        users.empty()
            ? "pools the phases select: counts connections to submission ports and smarthosts"
            : "pools selected by phase" + std::string{users.size() > 1 ? "s " : " "} +
                  text::join(users);
    it->second = users.empty() ? std::string{kPoolSet} : source_set_base(users.front());
    const Origin origin(users.empty() ? std::vector<std::string>{"/pools"} : std::move(pointers));
    net::AddressSet sources = pool_union(pools);
    for (net::Family f : {net::Family::v4, net::Family::v6})
      if (!sources.of(f).empty()) add_set(it->second, f, text, sources, origin);
    return it->second;
  }

  std::string destination_sets(const Phase& phase) {
    const std::string base = destination_set_base(phase.id);
    if (!destination_bases_.insert(base).second) return base;  // monitor and block rules share them
    net::AddressSet destinations;
    std::vector<std::string> ids;
    std::vector<std::string> pointers{pointer_of(phase)};
    for (std::size_t d : phase.destination_indexes) {
      ids.push_back(p_.destinations[d].id);
      pointers.push_back("/destinations/" + std::to_string(d));
      for (const auto& prefix : p_.destinations[d].prefixes.items) destinations.add(prefix);
    }
    destinations.merge();
    const Origin origin(std::move(pointers));
    for (net::Family f : {net::Family::v4, net::Family::v6})
      if (!destinations.of(f).empty())
        add_set(base, f, "destinations blocked by phase " + phase.id + ": " + text::join(ids),
                destinations, origin);
    return base;
  }

  bool has_set(const std::string& name) const {
    for (const Set& s : out_.sets)
      if (s.name == name) return true;
    return false;
  }

  // A phase's rules, one per family: blocking (counted, goto block) or, in
  // its monitor period, monitoring (a connection's first packet counted and
  // its source recorded, no verdict: the packet goes on as if the phase were
  // not there). `guard`, when set, limits them to before or after the next
  // boundary.
  enum class Mode { block, monitor };
  void add_phase_rules(const Phase& phase, std::vector<Rule>& rules, const MetaTime* guard,
                       Mode mode = Mode::block) {
    const std::string src = source_sets(phase.pool_indexes);
    const std::string dst = phase.block_all ? std::string{} : destination_sets(phase);
    for (net::Family f : {net::Family::v4, net::Family::v6}) {
      if (!has_set(set_name(src, f))) continue;
      if (!phase.block_all && !has_set(set_name(dst, f))) continue;
      Rule& rule = rules.emplace_back();
      if (guard != nullptr) rule.matches.emplace_back(*guard);
      if (mode == Mode::monitor) {  // each connection counted once
        rule.matches.emplace_back(TcpSyn{});
        rule.matches.emplace_back(FirstPacket{});
      }
      rule.matches.emplace_back(AddressInSet{f, Direction::source, set_name(src, f)});
      if (!phase.block_all)
        rule.matches.emplace_back(AddressInSet{f, Direction::destination, set_name(dst, f)});
      if (mode == Mode::block) {
        rule.statements.emplace_back(CounterRef{policy::nft_name(phase.id)});
        rule.verdict = {Verdict::Kind::goto_, std::string{kBlockChain}};
        rule.origin = Origin({pointer_of(phase)});
      } else {
        rule.statements.emplace_back(CounterRef{monitor_counter(phase.id)});
        // Last: on a full set the rest of the rule is skipped, and nothing follows.
        rule.statements.emplace_back(RecordSource{f, set_name(recording_set_base(phase.id), f)});
        rule.origin = Origin({pointer_of(phase) + "/monitor_from"});
      }
    }
  }

  // Enforcement and submission ports go to check (which counts the latter).
  Chain forward_chain() const {
    auto ports = p_.enforcement.ports;
    ports.insert(ports.end(), p_.submission.ports.begin(), p_.submission.ports.end());
    Rule rule{{TcpDestinationPorts{sorted_ports(std::move(ports))}},
              {},
              {Verdict::Kind::jump, std::string{kCheckChain}}};
    return {std::string{kForwardChain}, BaseChain{}, {std::move(rule)}};
  }

  Chain block_chain() const {
    Chain chain{std::string{kBlockChain}, std::nullopt, {}};
    if (const auto& log = p_.enforcement.log) {
      Rule rule;
      if (log->rate) rule.statements.push_back(Limit{log->rate->count, rate_unit(log->rate->unit)});
      rule.statements.push_back(LogPrefix{log->prefix});
      chain.rules.push_back(std::move(rule));
    }
    switch (p_.enforcement.action) {
      case policy::Action::reject:
        chain.rules.push_back({{TcpProtocol{}}, {}, {Verdict::Kind::reject_tcp_reset, {}}});
        break;
      case policy::Action::icmp:
        chain.rules.push_back({{}, {}, {Verdict::Kind::reject_icmpx_admin, {}}});
        break;
      case policy::Action::drop:
        chain.rules.push_back({{}, {}, {Verdict::Kind::drop, {}}});
        break;
    }
    return chain;
  }

  const Policy& p_;
  const eval::EffectiveState& state_;
  const std::optional<Boundary>& next_;
  const session::Table* sessions_;
  const bool subscribers_;  // the policy has a subscriber exemption: the session sets exist
  Ruleset out_;
  std::map<std::vector<std::size_t>, std::string> source_names_;
  std::set<std::string> destination_bases_;
};

}  // namespace

Ruleset build(const Policy& policy, const eval::EffectiveState& state,
              const std::optional<Boundary>& next, const session::Table* sessions) {
  return Builder(policy, state, next, sessions).run();
}

}  // namespace op25bc::ir
