// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/apply/status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "op25bc/apply/differ.h"
#include "op25bc/apply/reconcile.h"
#include "op25bc/ir/names.h"
#include "op25bc/policy/resolve.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "op25bc/time/instant.h"

namespace op25bc::apply {

namespace {

std::vector<std::string> counted_phases(const ir::Ruleset& r) {
  std::vector<std::string> out;
  for (const auto& chain : r.chains)
    for (const auto& rule : chain.rules)
      for (const auto& statement : rule.statements)
        if (const auto* c = std::get_if<ir::CounterRef>(&statement);
            c && std::find(out.begin(), out.end(), c->name) == out.end())
          out.push_back(c->name);
  return out;
}

// "1 element", "2 elements".
std::string count_of(std::uint64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

}  // namespace

std::string phase_of_counter(const std::string& counter, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (policy::nft_name(id) == counter) return id;
  constexpr std::string_view prefix = "phase_";
  return counter.starts_with(prefix) ? counter.substr(prefix.size()) : counter;
}

std::vector<SetTotal> set_totals(const Status& s) {
  std::vector<SetTotal> lines;
  std::map<std::string, std::size_t> line_of;
  for (const auto& set : s.sets) {
    const auto cut_from = ir::sliced_from(set.name);
    const auto [it, first] = line_of.try_emplace(cut_from.value_or(set.name), lines.size());
    if (first) lines.push_back({it->first});
    SetTotal& line = lines[it->second];
    if (cut_from) ++line.blocks;
    if (!set.elements)
      line.elements.reset();
    else if (line.elements)
      *line.elements += *set.elements;
  }
  return lines;
}

LastApply last_apply_of(const StateRecord& r, std::uint32_t generation_now) {
  return {r.policy_fingerprint,           r.applied_at, r.version,    r.generation,
          r.generation == generation_now, r.pending,    r.verified_at};
}

std::optional<Status> read_status(Kernel& kernel, const std::string& table, StateStore& state,
                                  bool verify) {
  const auto held = kernel.read(table, verify ? ElementRead::all() : ElementRead::none());
  if (!held) return std::nullopt;
  Status s;
  s.table = held->ruleset.table;
  s.comment = held->ruleset.comment;
  s.generation = kernel.generation();
  s.drift = enforcement_drift(*held);
  const std::optional<StateRecord> record = state.load();
  s.record_unusable = !record && state.unusable();
  if (record) s.last_apply = last_apply_of(*record, s.generation);
  const std::vector<std::string> ids = record ? record->active_phases : std::vector<std::string>{};
  for (const auto& name : counted_phases(held->ruleset))
    s.active_phases.push_back(phase_of_counter(name, ids));
  for (const auto& c : kernel.counters(s.table))
    s.counters.push_back({phase_of_counter(c.name, ids), c.name, c.packets, c.bytes});
  const bool trusted = record && record_current(*record, kernel.instance(), s.generation);
  for (std::size_t i = 0; i < held->ruleset.sets.size(); ++i) {
    const auto& set = held->ruleset.sets[i];
    SetStatus line{set.name, std::nullopt};
    if (held->elements_read[i])
      line.elements = set.elements.size();
    else if (trusted)
      for (const auto& r : record->sets)
        if (r.name == set.name && r.handle == held->set_handles[i]) line.elements = r.digest.count;
    s.sets.push_back(std::move(line));
  }
  return s;
}

nlohmann::json to_json(const Status& s) {
  nlohmann::json j;
  j["backend"] = s.backend;
  j["table"] = s.table;
  // iptables has no table comment: its chains are op25bc's when its record says so.
  j["owned_by_op25bc"] =
      s.backend == "iptables" ? s.last_apply.has_value() : ir::owned_by_op25bc(s.comment);
  j["comment"] = s.comment;
  j["generation"] = s.generation;
  j["active_phases"] = s.active_phases;
  j["drift"] = s.drift;
  j["sets"] = nlohmann::json::array();
  for (const auto& set : s.sets)
    j["sets"].push_back(
        {{"name", set.name}, {"elements", set.elements ? nlohmann::json(*set.elements) : nullptr}});
  j["counters"] = nlohmann::json::array();
  for (const auto& c : s.counters)
    j["counters"].push_back(
        {{"phase", c.phase}, {"counter", c.counter}, {"packets", c.packets}, {"bytes", c.bytes}});
  j["last_apply"] = nullptr;
  j["record_unusable"] = s.record_unusable;
  if (const auto& a = s.last_apply)
    j["last_apply"] = {
        {"policy_fingerprint", a->policy_fingerprint},
        {"at", a->applied_at},
        {"generation", a->generation},
        {"op25bc", a->version},
        {"current", a->current ? nlohmann::json(*a->current) : nlohmann::json(nullptr)},
        {"pending", a->pending},
        {"verified_at", a->verified_at > 0 ? nlohmann::json(format_utc(
                                                 Instant(std::chrono::seconds(a->verified_at))))
                                           : nlohmann::json(nullptr)}};
  return j;
}

std::string to_text(const Status& s) {
  std::string out =
      s.backend == "iptables"
          ? "iptables backend, table " + text::printable(s.table) + ": " +
                text::printable(s.comment) + "\n"
          : "table inet " + text::printable(s.table) + ": " + text::printable(s.comment) + "\n";
  for (const auto& line : s.drift) out += "warning: " + line + " (apply or activate repairs it)\n";
  out += "active phases: " +
         (s.active_phases.empty() ? std::string{"none"}
                                  : text::join(s.active_phases, text::printable)) +
         "\n";
  for (const auto& line : set_totals(s))
    out += "set " + text::printable(line.name) + ": " +
           (line.elements ? count_of(*line.elements, "element")
                          : std::string{"? elements (--verify reads them)"}) +
           (line.blocks ? " in " + count_of(line.blocks, "block") : "") + "\n";
  for (const auto& c : s.counters)
    out += "phase " + text::printable(c.phase) + " blocked " + count_of(c.packets, "packet") +
           ", " + count_of(c.bytes, "byte") + "\n";
  if (const auto& a = s.last_apply) {
    out += "last applied: policy " + a->policy_fingerprint + " for " + a->applied_at +
           " by op25bc " + a->version + " (generation " + std::to_string(a->generation) +
           (!a->current   ? ""
            : *a->current ? ", current"
                          : ", the ruleset changed since") +
           (a->pending ? ", a run did not finish" : "") + ")\n";
    out += "last full verification: " +
           (a->verified_at > 0
                ? format_utc(Instant(std::chrono::seconds(a->verified_at))) +
                      " (every set read back from the kernel)"
                : std::string{"never (activate does one every --verify-every seconds)"}) +
           "\n";
  } else if (s.record_unusable) {
    out +=
        "last applied: unknown: the state record is unusable (truncated, corrupted or of "
        "another version); the next apply or activate reads the kernel back and rewrites it\n";
  } else {
    out += "last applied: no record\n";
  }
  return out;
}

}  // namespace op25bc::apply
