// SPDX-License-Identifier: GPL-2.0-or-later
// status on the iptables backend: op25bc's chains, sets and record read into
// the one status model (backend/status.h) that the nftables backend fills too,
// so both print, serialise and feed the metrics the same way.
#include <algorithm>

#include "op25bc/backend/status.h"
#include "op25bc/ir/names.h"
#include "op25bc/policy/resolve.h"
#include "op25bc/xt/kernel.h"
#include "op25bc/xt/plan.h"

namespace op25bc::xt {

namespace {

// What the one rule of `chain` counted, both families summed; nullopt when
// neither family holds the chain.
std::optional<backend::PhaseCounter> chain_counter(const KernelView& view, const std::string& phase,
                                                   const std::string& chain) {
  backend::PhaseCounter c{phase, chain, 0, 0};
  bool held = false;
  for (const auto* t : {&view.v4, &view.v6})
    for (const KernelRule* rule : t->rules_of(chain)) {
      held = true;
      c.packets += rule->packets;
      c.bytes += rule->bytes;
    }
  if (!held) return std::nullopt;
  return c;
}

}  // namespace

std::vector<backend::Recording> recordings(const KernelView& view,
                                           const std::optional<Record>& record,
                                           const std::string& table) {
  std::vector<backend::Recording> out;
  if (!record) return out;
  const std::string head = table + "-";
  for (const auto& set : record->sets) {
    const KernelSet* k = view.set(set.name);
    if (k == nullptr || k->type != "hash:ip") continue;
    const std::string stem = xt::strip_generation(set.name);
    backend::Recording r;
    r.base = stem.starts_with(head) ? stem.substr(head.size()) : stem;
    r.phase = ir::recording_phase(r.base).value_or(r.base);
    r.set = set.name;
    r.family = set.family;
    r.size = k->maxelem;
    r.timeout = k->timeout;
    r.recorded = k->entries;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.base < b.base; });
  return out;
}

std::optional<backend::Status> read_status(const KernelView& view,
                                           const std::optional<Record>& record,
                                           bool record_unusable, const std::string& table) {
  const std::string check = xt::check_chain(table);
  const bool v4 = view.v4.has_chain(check), v6 = view.v6.has_chain(check);
  if (!v4 && !v6) return std::nullopt;
  backend::Status s;
  s.backend = "iptables";
  s.table = table;
  s.heading = "iptables backend, table " + table;
  s.comment = std::string("op25bc's chains ") + check +
              (v4 && v6 ? " (IPv4 and IPv6)"
               : v4     ? " (IPv4 only)"
                        : " (IPv6 only)");
  s.record_unusable = !record && record_unusable;
  s.owned =
      record.has_value();  // no comment to carry: the chains are op25bc's when its record says so
  if (record) {
    s.generation = static_cast<std::uint32_t>(record->generation);
    s.last_apply = backend::LastApply{*record, std::nullopt};
  }
  // Each phase by its policy id, through the record: the chain op25bc made for
  // it, whose one rule counts what the phase blocked, both families summed.
  if (record)
    for (const std::string& id : record->active_phases)
      if (auto c = chain_counter(view, id, xt::phase_chain(table, policy::nft_name(id)))) {
        s.active_phases.push_back(id);
        s.counters.push_back(std::move(*c));
      }
  // The sets the record names, by their name without the generation (stable
  // across applies, as metric labels must be), with what the kernel holds
  // (members), if it does.
  // A hash:ip set is a monitoring phase's recording set (recordings()).
  if (record)
    for (const auto& set : record->sets) {
      const KernelSet* k = view.set(set.name);
      const std::string stem = xt::strip_generation(set.name);
      if (k != nullptr && k->type == "hash:ip") continue;
      s.sets.push_back({stem.empty() ? set.name : stem,
                        k ? std::optional<std::uint64_t>(k->entries) : std::nullopt});
    }
  s.recordings = recordings(view, record, table);
  // Each monitoring phase's chain: its one rule counts the connections, both
  // families summed.
  for (const auto& r : s.recordings)
    if (std::none_of(s.monitor_counters.begin(), s.monitor_counters.end(),
                     [&](const auto& c) { return c.phase == r.phase; }))
      if (auto c =
              chain_counter(view, r.phase, xt::monitor_chain(table, ir::monitor_counter(r.phase))))
        s.monitor_counters.push_back(std::move(*c));
  // Submission adoption, per family where its check chain is: the one rule of
  // the counter's chain, or none where that family has no pools.
  for (ir::Adoption kind : {ir::Adoption::submission, ir::Adoption::smarthost})
    for (net::Family f : {net::Family::v4, net::Family::v6}) {
      const KernelTable& t = view.of(f);
      if (!t.has_chain(check)) continue;
      const std::string counter = ir::adoption_counter(kind, f);
      backend::AdoptionCount a{std::string{ir::adoption_name(kind)}, f,
                               xt::count_chain(table, counter), 0};
      for (const KernelRule* rule : t.rules_of(a.counter)) a.connections += rule->packets;
      s.adoption.push_back(std::move(a));
    }
  // What switches op25bc off without changing its chains: the FORWARD jump gone.
  for (const auto& [family, t] :
       {std::pair{"iptables", &view.v4}, std::pair{"ip6tables", &view.v6}})
    if (t->has_chain(check)) {
      bool jumps = false;
      for (const KernelRule* r : t->rules_of("FORWARD"))
        for (std::size_t i = 0; i + 1 < r->tokens.size(); ++i)
          jumps = jumps ||
                  ((r->tokens[i] == "-j" || r->tokens[i] == "-g") && r->tokens[i + 1] == check);
      if (!jumps)
        s.drift.push_back(std::string(family) + ": no FORWARD rule jumps to " + check +
                          ": its chains block nothing");
    }
  return s;
}

}  // namespace op25bc::xt
