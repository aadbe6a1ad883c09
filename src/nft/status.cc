// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/status.h"

#include <algorithm>

#include "op25bc/ir/names.h"
#include "op25bc/nft/differ.h"
#include "op25bc/nft/reconcile.h"
#include "op25bc/policy/resolve.h"

namespace op25bc::nft {

namespace {

std::vector<std::string> counted_phases(const ir::Ruleset& r) {
  std::vector<std::string> out;
  for (const auto& chain : r.chains)
    for (const auto& rule : chain.rules)
      for (const auto& statement : rule.statements)
        if (const auto* c = std::get_if<ir::CounterRef>(&statement);
            c && !ir::monitored_phase(c->name) && !ir::adoption_of(c->name) &&
            std::find(out.begin(), out.end(), c->name) == out.end())
          out.push_back(c->name);
  return out;
}

}  // namespace

std::vector<backend::Recording> read_recordings(Kernel& kernel, const ir::Ruleset& held) {
  std::vector<backend::Recording> out;
  for (const auto& set : held.sets) {
    if (!set.recording) continue;
    backend::Recording r;
    r.phase = ir::recording_phase(set.name).value_or(set.name);
    r.base = r.set = set.name;
    r.family = set.family;
    r.size = set.recording->size;
    r.timeout = set.recording->timeout_seconds;
    r.sources = kernel.recorded(held.table, set.name);
    std::sort(r.sources.begin(), r.sources.end(),
              [](const auto& a, const auto& b) { return a.address.value < b.address.value; });
    r.recorded = r.sources.size();
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.set < b.set; });
  return out;
}

std::string phase_of_counter(const std::string& counter, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (policy::nft_name(id) == counter) return id;
  constexpr std::string_view prefix = "phase_";
  return counter.starts_with(prefix) ? counter.substr(prefix.size()) : counter;
}

backend::LastApply last_apply_of(const StateRecord& r, std::uint32_t generation_now) {
  return {r, r.generation == generation_now};
}

std::optional<backend::Status> read_status(Kernel& kernel, const std::string& table,
                                           StateStore& state, bool verify) {
  const auto held = kernel.read(table, verify ? ElementRead::all() : ElementRead::none());
  if (!held) return std::nullopt;
  backend::Status s;
  s.backend = "nftables";
  s.table = held->ruleset.table;
  s.heading = "table inet " + s.table;
  s.comment = held->ruleset.comment;
  s.owned = ir::owned_by_op25bc(s.comment);
  s.generation = kernel.generation();
  s.drift = enforcement_drift(*held);
  const std::optional<StateRecord> record = state.load();
  s.record_unusable = !record && state.unusable();
  if (record) s.last_apply = last_apply_of(*record, s.generation);
  const std::vector<std::string> ids = record ? record->active_phases : std::vector<std::string>{};
  for (const auto& name : counted_phases(held->ruleset))
    s.active_phases.push_back(phase_of_counter(name, ids));
  const auto counters = kernel.counters(s.table);
  for (const auto& c : counters) {
    if (ir::adoption_of(c.name)) continue;  // below, in their fixed order
    if (const auto monitored = ir::monitored_phase(c.name))
      s.monitor_counters.push_back({*monitored, c.name, c.packets, c.bytes});
    else
      s.counters.push_back({phase_of_counter(c.name, ids), c.name, c.packets, c.bytes});
  }
  for (ir::Adoption kind : {ir::Adoption::submission, ir::Adoption::smarthost})
    for (net::Family f : {net::Family::v4, net::Family::v6})
      for (const auto& c : counters)
        if (c.name == ir::adoption_counter(kind, f))
          s.adoption.push_back({std::string{ir::adoption_name(kind)}, f, c.name, c.packets});
  s.recordings = read_recordings(kernel, held->ruleset);
  const bool trusted = record && record_current(*record, kernel.instance(), s.generation);
  for (std::size_t i = 0; i < held->ruleset.sets.size(); ++i) {
    const auto& set = held->ruleset.sets[i];
    if (set.recording) continue;  // in s.recordings
    backend::SetStatus line{set.name, std::nullopt};
    if (held->elements_read[i])
      line.elements = set.elements.size();
    else if (trusted)
      for (const auto& r : record->sets)
        if (r.name == set.name && r.handle == held->set_handles[i]) line.elements = r.digest.count;
    s.sets.push_back(std::move(line));
  }
  return s;
}

}  // namespace op25bc::nft
