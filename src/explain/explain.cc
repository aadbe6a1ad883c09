// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/explain/explain.h"

#include <nlohmann/json.hpp>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/policy/router.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"

#include <algorithm>

namespace op25bc::explain {

namespace {

using policy::Phase;
using policy::Policy;

bool holds(const policy::PrefixList& list, const net::Address& a) {
  return std::any_of(list.items.begin(), list.items.end(),
                     [&](const net::Prefix& p) { return p.contains(a); });
}

bool selects(const Phase& phase, std::size_t pool) {
  return std::find(phase.pool_indexes.begin(), phase.pool_indexes.end(), pool) !=
         phase.pool_indexes.end();
}

bool covers(const Phase& phase, const std::vector<std::size_t>& destinations) {
  if (phase.block_all) return true;
  return std::any_of(destinations.begin(), destinations.end(), [&](std::size_t d) {
    return std::count(phase.destination_indexes.begin(), phase.destination_indexes.end(), d) > 0;
  });
}

// The earliest phase starting after `at` that would block this connection.
std::optional<std::size_t> upcoming_phase(const Policy& p, const Query& q, std::size_t pool,
                                          const std::vector<std::size_t>& destinations) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < p.phases.size(); ++i) {
    const Phase& phase = p.phases[i];
    if (!phase.effective || *phase.effective <= q.at) continue;
    if (!selects(phase, pool) || !covers(phase, destinations)) continue;
    if (!best || *phase.effective < *p.phases[*best].effective) best = i;
  }
  return best;
}

// The first phase (in policy order, as the rules go) monitoring at `at` that
// would block this connection.
std::optional<std::size_t> monitoring_phase(const Policy& p, const Query& q, std::size_t pool,
                                            const std::vector<std::size_t>& destinations) {
  for (std::size_t i = 0; i < p.phases.size(); ++i) {
    const Phase& phase = p.phases[i];
    if (phase.monitor_from && phase.effective &&
        policy::is_active(phase.monitor_from, phase.effective, q.at) && selects(phase, pool) &&
        covers(phase, destinations))
      return i;
  }
  return std::nullopt;
}

}  // namespace

Explanation explain(const Policy& p, const Query& q) {
  Explanation e;
  for (std::size_t d = 0; d < p.destinations.size(); ++d)
    if (holds(p.destinations[d].prefixes, q.destination)) e.destinations.push_back(d);
  for (std::size_t s = 0; s < p.smarthosts.size() && !e.smarthost; ++s)
    if (holds(p.smarthosts[s].addresses, q.destination)) e.smarthost = s;
  e.pool = p.pool_index.find(q.source);
  for (std::size_t x = 0; x < p.exemptions.size() && !e.exemption; ++x) {
    const auto& ex = p.exemptions[x];
    if (policy::is_active(ex.effective, ex.until, q.at) && holds(ex.prefixes, q.source))
      e.exemption = x;
  }
  if (e.pool)
    for (std::size_t i = 0; i < p.phases.size(); ++i)
      if (p.phases[i].effective &&
          policy::is_active(p.phases[i].effective, p.phases[i].until, q.at) &&
          selects(p.phases[i], e.pool->pool))
        e.pool_phases.push_back(i);

  // Decide in the order the ruleset does.
  const auto& ports = p.enforcement.ports;
  if (std::find(ports.begin(), ports.end(), q.port) == ports.end()) return e;
  if (e.smarthost) return e.reason = Reason::smarthost, e;
  if (!e.pool) return e.reason = Reason::not_in_pool, e;
  if (!policy::carries(p, e.pool->pool)) return e.reason = Reason::not_carried, e;
  if (e.exemption) return e.reason = Reason::exempt, e;
  for (std::size_t i : e.pool_phases) {
    if (covers(p.phases[i], e.destinations)) {
      e.reason = Reason::blocked;
      e.phase = i;
      return e;
    }
  }
  e.reason = e.pool_phases.empty() ? Reason::no_phase : Reason::destination_not_covered;
  e.upcoming = upcoming_phase(p, q, e.pool->pool, e.destinations);
  e.monitored = monitoring_phase(p, q, e.pool->pool, e.destinations);
  return e;
}

std::string reason_name(Reason r) {
  switch (r) {
    case Reason::port_not_blocked:
      return "port-not-blocked";
    case Reason::smarthost:
      return "smarthost";
    case Reason::not_in_pool:
      return "not-in-pool";
    case Reason::not_carried:
      return "pool-not-carried";
    case Reason::exempt:
      return "exempt";
    case Reason::no_phase:
      return "no-active-phase";
    case Reason::destination_not_covered:
      return "destination-not-covered";
    case Reason::blocked:
      return "blocked";
  }
  return {};
}

namespace {

std::string list_ports(const std::vector<std::uint16_t>& ports) {
  std::string out;
  for (auto port : ports) out += (out.empty() ? "" : "/") + std::to_string(port);
  return out;
}

std::string phase_label(const Policy& p, std::size_t i) {
  const Phase& phase = p.phases[i];
  std::string out = "phase \"" + phase.id + "\"";
  if (!phase.name.empty()) out += " (" + phase.name + ")";
  return out;
}

std::string pool_label(const Policy& p, const policy::PoolIndex::Entry& e) {
  const policy::Pool& pool = p.pools[e.pool];
  std::string out = "pool \"" + pool.id + "\"";
  if (pool.service_index) {
    const auto& service = p.services[*pool.service_index];
    out += ", service \"" + service.id + "\"";
    if (!service.name.empty()) out += " (" + service.name + ")";
  }
  if (!pool.region.empty()) out += ", region \"" + pool.region + "\"";
  return out + ", prefix " + net::to_string(pool.prefixes.items[e.item]);
}

std::string smarthost_label(const policy::Smarthost& s) {
  std::string out = s.hostname.empty() ? s.id : s.hostname + " (smarthost \"" + s.id + "\")";
  return out + " at " + text::join(s.addresses.items, [](const net::Prefix& a) {
           return net::to_string(net::Address{a.family, a.base});
         });
}

// Smarthosts serving the pool's region (those with no regions serve all).
std::vector<std::size_t> smarthosts_for(const Policy& p,
                                        const std::optional<policy::PoolIndex::Entry>& pool) {
  std::vector<std::size_t> regional, general;
  const std::string region = pool ? p.pools[pool->pool].region : std::string{};
  for (std::size_t s = 0; s < p.smarthosts.size(); ++s) {
    const auto& regions = p.smarthosts[s].regions;
    if (regions.empty())
      general.push_back(s);
    else if (std::find(regions.begin(), regions.end(), region) != regions.end())
      regional.push_back(s);
  }
  return regional.empty() ? general : regional;
}

std::vector<std::string> advice(const Policy& p, const Query& q, const Explanation& e) {
  std::vector<std::string> out;
  const bool affected = e.blocked() || e.upcoming || e.reason == Reason::exempt;
  if (!affected) return out;
  for (std::size_t s : smarthosts_for(p, e.pool))
    out.push_back("send mail through the provider's server " + smarthost_label(p.smarthosts[s]));
  std::string submission = "to use another mail server, submit mail to it on port " +
                           list_ports(p.submission.ports) + " with SMTP authentication";
  if (p.submission.effective && q.at < *p.submission.effective)
    submission += " (the provider opens its submission port on " +
                  format_date(*p.submission.effective, p.zone) + ")";
  out.push_back(submission);
  return out;
}

std::string summary(const Policy& p, const Query& q, const Explanation& e) {
  switch (e.reason) {
    case Reason::port_not_blocked:
      return "port " + std::to_string(q.port) +
             " is not blocked (blocked ports: " + list_ports(p.enforcement.ports) + ")";
    case Reason::smarthost:
      return "the destination is the provider's mail server " +
             smarthost_label(p.smarthosts[*e.smarthost]);
    case Reason::not_in_pool:
      return "the source is not in any dynamic subscriber pool";
    case Reason::not_carried: {
      const auto others = policy::routers_carrying(p, e.pool->pool);
      return "router " + quote(policy::selected_router(p)->id) +
             " does not carry this pool, so its ruleset does not block it; " +
             (others.empty() ? std::string{"no router carries it"}
                             : "carried by router" + std::string{others.size() == 1 ? " " : "s "} +
                                   text::join(others, quote));
    }
    case Reason::exempt: {
      const auto& x = p.exemptions[*e.exemption];
      std::string out = "exemption \"" + x.id + "\" covers the source";
      if (!x.reason.empty()) out += " (" + x.reason + ")";
      if (x.until) out += " until " + format_time(*x.until, p.zone);
      if (!x.ticket.empty()) out += ", ticket " + x.ticket;
      if (!x.file.empty()) out += ", granted in " + x.file;
      return out;
    }
    case Reason::no_phase:
      return "no blocking phase is active for this pool yet";
    case Reason::destination_not_covered: {
      return text::join(e.pool_phases, [&](std::size_t i) { return phase_label(p, i); }) +
             " applies to this pool but does not block this destination";
    }
    case Reason::blocked: {
      const Phase& phase = p.phases[*e.phase];
      std::string out = phase_label(p, *e.phase) + ", in effect since " +
                        format_time(*phase.effective, p.zone) + ", blocks port " +
                        std::to_string(q.port) + " from this pool to ";
      if (phase.block_all) return out + "every destination except the provider's servers";
      std::string groups;
      for (std::size_t d : phase.destination_indexes)
        groups += (groups.empty() ? "\"" : ", \"") + p.destinations[d].id + "\"";
      return out + "destination group " + groups;
    }
  }
  return {};
}

std::string monitoring_text(const Policy& p, std::size_t i) {
  const Phase& phase = p.phases[i];
  return phase_label(p, i) + " monitors this since " + format_time(*phase.monitor_from, p.zone) +
         " (the connection passes; it is counted and its source recorded) and blocks it from " +
         format_time(*phase.effective, p.zone);
}

}  // namespace

std::string to_text(const Policy& p, const Query& q, const Explanation& e) {
  std::string out;
  const policy::Router* router = policy::selected_router(p);
  // Every line's text is written printable: no policy text can start a line.
  const auto line = [&](std::string_view label, const std::string& text) {
    out.append(label).append(": ").append(text::printable(text)).append("\n");
  };
  line("verdict", e.blocked() ? "blocked" : "allowed");
  line("connection", net::to_string(q.source) + " -> " + net::to_string(q.destination) +
                         " tcp port " + std::to_string(q.port) + " at " +
                         format_time(q.at, p.zone) +
                         (router ? " through router " + quote(router->id) : ""));
  line("source", e.pool ? pool_label(p, *e.pool) : std::string{"not in any pool"});
  if (!e.destinations.empty()) {
    line("destination groups",
         text::join(e.destinations, [&](std::size_t d) { return p.destinations[d].id; }));
  }
  line("reason", summary(p, q, e));
  if (e.upcoming) {
    const Phase& phase = p.phases[*e.upcoming];
    line("upcoming", phase_label(p, *e.upcoming) + " will block this from " +
                         format_time(*phase.effective, p.zone));
  }
  if (e.monitored) line("monitoring", monitoring_text(p, *e.monitored));
  for (const auto& text : advice(p, q, e)) line("advice", text);
  return out;
}

nlohmann::json to_json(const Policy& p, const Query& q, const Explanation& e) {
  const policy::Router* router = policy::selected_router(p);
  using nlohmann::json;
  json source{{"address", net::to_string(q.source)}};
  if (e.pool) {
    const policy::Pool& pool = p.pools[e.pool->pool];
    source["pool"] = pool.id;
    source["service"] = pool.service;
    source["region"] = pool.region.empty() ? json(nullptr) : json(pool.region);
    source["prefix"] = net::to_string(pool.prefixes.items[e.pool->item]);
  }
  json destination{{"address", net::to_string(q.destination)}};
  destination["smarthost"] = e.smarthost ? json(p.smarthosts[*e.smarthost].id) : json(nullptr);
  destination["groups"] = json::array();
  for (std::size_t d : e.destinations) destination["groups"].push_back(p.destinations[d].id);
  json out{{"verdict", e.blocked() ? "blocked" : "allowed"},
           {"reason", reason_name(e.reason)},
           {"summary", summary(p, q, e)},
           {"port", q.port},
           {"router", router ? json(router->id) : json(nullptr)},
           {"at", format_time(q.at, p.zone)},
           {"source", source},
           {"destination", destination},
           {"phase", e.phase ? json(p.phases[*e.phase].id) : json(nullptr)},
           {"exemption", e.exemption ? json(p.exemptions[*e.exemption].id) : json(nullptr)},
           {"advice", advice(p, q, e)}};
  json active = json::array();
  for (std::size_t i : e.pool_phases) active.push_back(p.phases[i].id);
  out["pool_phases"] = active;
  out["upcoming"] = nullptr;
  if (e.upcoming)
    out["upcoming"] = {{"phase", p.phases[*e.upcoming].id},
                       {"effective", format_time(*p.phases[*e.upcoming].effective, p.zone)}};
  out["monitoring"] = nullptr;
  if (e.monitored) {
    const Phase& phase = p.phases[*e.monitored];
    out["monitoring"] = {{"phase", phase.id},
                         {"since", format_time(*phase.monitor_from, p.zone)},
                         {"blocks_from", format_time(*phase.effective, p.zone)},
                         {"text", monitoring_text(p, *e.monitored)}};
  }
  return out;
}

}  // namespace op25bc::explain
