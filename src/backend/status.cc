// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/backend/status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "op25bc/ir/names.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "op25bc/time/instant.h"

namespace op25bc::backend {

namespace {

// "1 element", "2 elements".
std::string count_of(std::uint64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

// A phase with recording sets or monitored connections: its counter (while it
// monitors) and its sets (until they go with the phase), in the order first seen.
struct Monitored {
  std::string phase;
  const PhaseCounter* counter = nullptr;
  std::vector<const Recording*> sets;
};
std::vector<Monitored> monitored(const Status& s) {
  std::vector<Monitored> out;
  const auto entry = [&](const std::string& phase) -> Monitored& {
    for (auto& m : out)
      if (m.phase == phase) return m;
    return out.emplace_back(Monitored{phase, nullptr, {}});
  };
  for (const auto& c : s.monitor_counters) {
    const bool sets = std::any_of(s.recordings.begin(), s.recordings.end(),
                                  [&](const Recording& r) { return r.phase == c.phase; });
    if (sets || c.packets > 0) entry(c.phase).counter = &c;
  }
  for (const auto& r : s.recordings) entry(r.phase).sets.push_back(&r);
  return out;
}

// A phase that counted connections it would have blocked while monitoring,
// with no recording set: someone took the sets away, so nothing is recorded.
bool sets_missing(const Monitored& m) {
  return m.counter != nullptr && m.counter->packets > 0 && m.sets.empty();
}

}  // namespace

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

nlohmann::json to_json(const Status& s) {
  nlohmann::json j;
  j["backend"] = s.backend;
  j["table"] = s.table;
  j["owned_by_op25bc"] = s.owned;
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
  j["monitoring"] = nlohmann::json::array();
  for (const auto& m : monitored(s)) {
    nlohmann::json sets = nlohmann::json::array();
    for (const auto* r : m.sets)
      sets.push_back({{"set", r->set},
                      {"family", net::family_name(r->family)},
                      {"sources", r->recorded},
                      {"max_sources", r->size},
                      {"retention_seconds", r->timeout},
                      {"full", r->full()}});
    j["monitoring"].push_back(
        {{"phase", m.phase},
         {"counter", m.counter ? nlohmann::json(m.counter->counter) : nlohmann::json(nullptr)},
         {"connections", m.counter ? m.counter->packets : 0},
         {"sets", std::move(sets)},
         {"sets_missing", sets_missing(m)}});
  }
  j["adoption"] = nlohmann::json::array();
  for (const auto& a : s.adoption)
    j["adoption"].push_back({{"kind", a.kind},
                             {"family", net::family_name(a.family)},
                             {"counter", a.counter},
                             {"connections", a.connections}});
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
  std::string out = text::printable(s.heading) + ": " + text::printable(s.comment) + "\n";
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
  for (const auto& m : monitored(s)) {
    out += "phase " + text::printable(m.phase) + " monitored " +
           count_of(m.counter ? m.counter->packets : 0, "connection") + " it would have blocked";
    for (const auto* r : m.sets)
      out += "; " + std::string{net::family_name(r->family)} + " sources " +
             std::to_string(r->recorded) + " of " + std::to_string(r->size) +
             (r->full() ? " (full: new sources are not recorded)" : "");
    if (sets_missing(m))
      out +=
          "; its recording sets are missing: no source is recorded (op25bc diff shows what "
          "differs; the next apply or activate restores them)";
    out += "\n";
  }
  for (const char* kind : {"submission", "smarthost"}) {
    std::string counts;
    for (const auto& a : s.adoption)
      if (a.kind == kind)
        counts += (counts.empty() ? "" : ", ") + std::string{net::family_name(a.family)} + " " +
                  std::to_string(a.connections);
    if (!counts.empty())
      out += std::string{"pools' connections to "} +
             (kind == std::string_view{"submission"} ? "submission ports"
                                                     : "smarthosts on enforcement ports") +
             ": " + counts + "\n";
  }
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

}  // namespace op25bc::backend
