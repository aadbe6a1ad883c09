// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/timeline/timeline.h"

#include <nlohmann/json.hpp>

#include "op25bc/text/escape.h"

#include <algorithm>
#include <map>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/text/join.h"

namespace op25bc::timeline {

namespace {

using policy::Policy;

std::string ports_text(const std::vector<std::uint16_t>& ports) {
  return text::join(ports, [](std::uint16_t port) { return std::to_string(port); });
}

std::string phase_start_text(const Policy& p, const policy::Phase& phase) {
  std::string out = "phase \"" + phase.id + "\" starts: blocks port " +
                    ports_text(p.enforcement.ports) + " from " +
                    std::to_string(phase.pool_indexes.size()) + " pool" +
                    (phase.pool_indexes.size() == 1 ? "" : "s") + " to ";
  if (phase.block_all) return out + "all destinations except smarthosts";
  return out +
         text::join(phase.destination_indexes, [&](std::size_t d) { return p.destinations[d].id; });
}

// What a monitor period does, worded like phase_start_text.
std::string phase_monitor_text(const Policy& p, const policy::Phase& phase) {
  std::string out = "phase \"" + phase.id + "\" starts monitoring: records, without blocking, " +
                    "who sends to port " + ports_text(p.enforcement.ports) + " from " +
                    std::to_string(phase.pool_indexes.size()) + " pool" +
                    (phase.pool_indexes.size() == 1 ? "" : "s") + " to ";
  if (phase.block_all) return out + "destinations other than smarthosts";
  return out +
         text::join(phase.destination_indexes, [&](std::size_t d) { return p.destinations[d].id; });
}

}  // namespace

std::vector<Event> build(const Policy& p) {
  std::map<Instant, std::vector<Change>> at;
  for (std::size_t i = 0; i < p.phases.size(); ++i) {
    const auto& phase = p.phases[i];
    const std::string ptr = pointer_append("/phases", i);
    if (phase.monitor_from)
      at[*phase.monitor_from].push_back(
          {"phase-monitor", phase.id, ptr + "/monitor_from", phase_monitor_text(p, phase)});
    if (phase.effective)
      at[*phase.effective].push_back(
          {"phase-start", phase.id, ptr + "/effective", phase_start_text(p, phase)});
    if (phase.until)
      at[*phase.until].push_back(
          {"phase-end", phase.id, ptr + "/until", "phase \"" + phase.id + "\" ends"});
  }
  for (std::size_t i = 0; i < p.exemptions.size(); ++i) {
    const auto& x = p.exemptions[i];
    const std::string ptr = pointer_append("/exemptions", i);
    if (x.effective)
      at[*x.effective].push_back(
          {"exemption-start", x.id, ptr + "/effective", "exemption \"" + x.id + "\" starts"});
    if (x.until)
      at[*x.until].push_back(
          {"exemption-end", x.id, ptr + "/until",
           "exemption \"" + x.id + "\" expires" + (x.reason.empty() ? "" : " (" + x.reason + ")")});
  }
  if (p.submission.effective)
    at[*p.submission.effective].push_back(
        {"submission-open", "", "/submission/effective",
         "submission ports " + ports_text(p.submission.ports) + " open"});

  std::vector<Event> events;
  for (auto& [instant, changes] : at) {
    Event e{instant, std::move(changes), false, eval::evaluate(p, instant)};
    const eval::EffectiveState before = eval::evaluate(p, instant - std::chrono::seconds{1});
    e.ruleset_changes = before.phases != e.after.phases ||
                        before.monitoring != e.after.monitoring ||
                        before.exemptions != e.after.exemptions;
    events.push_back(std::move(e));
  }
  return events;
}

const Event* next_change(const std::vector<Event>& events, Instant t) {
  for (const auto& e : events)
    if (e.ruleset_changes && e.at > t) return &e;
  return nullptr;
}

std::string to_text(const Policy& p, const std::vector<Event>& events) {
  std::string out;
  if (events.empty()) return "no dated changes\n";
  for (const Event& e : events) {
    out += format_time(e.at, p.zone) + (e.ruleset_changes ? "" : "  (ruleset unchanged)") + "\n";
    for (const Change& c : e.changes) out += "  " + text::printable(c.text) + "\n";
    const std::string active =
        text::join(e.after.phases, [&](std::size_t i) { return p.phases[i].id; });
    out += "  active phases: " + (active.empty() ? std::string{"none"} : active) + "\n";
    if (!e.after.monitoring.empty())
      out += "  monitoring: " +
             text::join(e.after.monitoring, [&](std::size_t i) { return p.phases[i].id; }) + "\n";
  }
  return out;
}

nlohmann::json to_json(const Policy& p, const std::vector<Event>& events) {
  using nlohmann::json;
  json list = json::array();
  for (const Event& e : events) {
    json changes = json::array();
    for (const Change& c : e.changes)
      changes.push_back({{"kind", c.kind},
                         {"id", c.id.empty() ? json(nullptr) : json(c.id)},
                         {"pointer", c.pointer},
                         {"text", c.text}});
    json phases = json::array(), monitoring = json::array(), exemptions = json::array();
    for (std::size_t i : e.after.phases) phases.push_back(p.phases[i].id);
    for (std::size_t i : e.after.monitoring) monitoring.push_back(p.phases[i].id);
    for (std::size_t i : e.after.exemptions) exemptions.push_back(p.exemptions[i].id);
    list.push_back({{"at", format_time(e.at, p.zone)},
                    {"utc", format_utc(e.at)},
                    {"ruleset_changes", e.ruleset_changes},
                    {"changes", changes},
                    {"active_phases", phases},
                    {"monitoring_phases", monitoring},
                    {"active_exemptions", exemptions},
                    {"submission_open", e.after.submission_open}});
  }
  return {{"timezone", p.timezone}, {"events", list}};
}

}  // namespace op25bc::timeline
