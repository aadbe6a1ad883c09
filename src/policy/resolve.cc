// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/policy/resolve.h"
#include "op25bc/text/join.h"

#include <algorithm>
#include <map>
#include <set>

namespace op25bc::policy {

std::string nft_name(std::string_view id) {
  std::string out = "phase_";
  out += id;
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

bool scope_selects(const Scope& scope, const Pool& pool) {
  const auto matches = [](const std::optional<std::vector<std::string>>& ids,
                          const std::string& value) {
    return !ids || std::find(ids->begin(), ids->end(), value) != ids->end();
  };
  return matches(scope.services, pool.service) && matches(scope.regions, pool.region) &&
         matches(scope.pools, pool.id);
}

namespace {

using IdMap = std::map<std::string, std::size_t, std::less<>>;

template <typename T>
IdMap index_ids(const std::vector<T>& items, std::string_view kind, std::string_view list,
                Diagnostics& diags) {
  IdMap ids;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& id = items[i].id;
    if (id.empty()) continue;
    auto [it, inserted] = ids.emplace(id, i);
    if (!inserted) {
      diags.error(pointer_append(pointer_append(pointer_append("", list), i), "id"),
                  "duplicate " + std::string{kind} + " id \"" + id + "\"",
                  "each " + std::string{kind} + " needs an id of its own");
      diags.note(pointer_append(pointer_append(pointer_append("", list), it->second), "id"),
                 "first defined here");
    }
  }
  return ids;
}

std::vector<std::string> keys_of(const IdMap& ids) {
  std::vector<std::string> out;
  for (const auto& [id, _] : ids) out.push_back(id);
  return out;
}

std::string unknown_hint(const std::string& id, const std::vector<std::string>& known,
                         std::string_view kind) {
  const std::string guess = did_you_mean(id, known);
  if (!guess.empty()) return "did you mean \"" + guess + "\"?";
  if (known.empty()) return "no " + std::string{kind} + " is defined";
  return "defined " + std::string{kind} + "s: " + text::join(known);
}

// Reports each id in `refs` missing from `known`; returns the indexes found.
std::vector<std::size_t> references(const std::vector<std::string>& refs, const IdMap& known,
                                    std::string_view kind, const std::string& ptr,
                                    Diagnostics& diags) {
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    auto it = known.find(refs[i]);
    if (it != known.end()) {
      found.push_back(it->second);
      continue;
    }
    diags.error(pointer_append(ptr, i), "unknown " + std::string{kind} + " \"" + refs[i] + "\"",
                unknown_hint(refs[i], keys_of(known), kind));
  }
  return found;
}

IdMap regions_of(const std::vector<Pool>& pools) {
  IdMap regions;
  for (std::size_t i = 0; i < pools.size(); ++i)
    if (!pools[i].region.empty()) regions.emplace(pools[i].region, i);
  return regions;
}

void check_phase_names(const std::vector<Phase>& phases, Diagnostics& diags) {
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    if (phases[i].id.empty()) continue;
    auto [it, inserted] = names.emplace(nft_name(phases[i].id), i);
    if (!inserted && phases[it->second].id != phases[i].id)
      diags.error(pointer_append(pointer_append("/phases", i), "id"),
                  "phase id \"" + phases[i].id + "\" and \"" + phases[it->second].id +
                      "\" name the same nftables objects",
                  "phase ids must stay distinct when '-' is read as '_'");
  }
}

}  // namespace

std::vector<std::size_t> selected_pools(const Policy& p, const Scope& scope) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < p.pools.size(); ++k)
    if (scope_selects(scope, p.pools[k])) out.push_back(k);
  return out;
}

void resolve(Policy& p, Diagnostics& diags) {
  const IdMap services = index_ids(p.services, "service", "services", diags);
  const IdMap pools = index_ids(p.pools, "pool", "pools", diags);
  index_ids(p.smarthosts, "smarthost", "smarthosts", diags);
  const IdMap destinations = index_ids(p.destinations, "destination", "destinations", diags);
  index_ids(p.exemptions, "exemption", "exemptions", diags);
  index_ids(p.phases, "phase", "phases", diags);
  check_phase_names(p.phases, diags);
  index_ids(p.routers, "router", "routers", diags);
  const IdMap regions = regions_of(p.pools);
  const auto scope_references = [&](const Scope& s, const std::string& ptr) {
    if (s.services) references(*s.services, services, "service", ptr + "/services", diags);
    if (s.regions) references(*s.regions, regions, "region", ptr + "/regions", diags);
    if (s.pools) references(*s.pools, pools, "pool", ptr + "/pools", diags);
  };

  for (std::size_t i = 0; i < p.pools.size(); ++i) {
    Pool& pool = p.pools[i];
    if (pool.service.empty()) continue;
    auto it = services.find(pool.service);
    if (it != services.end())
      pool.service_index = it->second;
    else
      diags.error(pointer_append(pointer_append("/pools", i), "service"),
                  "unknown service \"" + pool.service + "\"",
                  unknown_hint(pool.service, keys_of(services), "service"));
  }
  for (std::size_t i = 0; i < p.smarthosts.size(); ++i)
    references(p.smarthosts[i].regions, regions, "region",
               pointer_append(pointer_append("/smarthosts", i), "regions"), diags);

  for (std::size_t i = 0; i < p.phases.size(); ++i) {
    Phase& phase = p.phases[i];
    const std::string ptr = pointer_append("/phases", i);
    const Scope& s = phase.scope;
    scope_references(s, ptr + "/scope");
    phase.pool_indexes = selected_pools(p, s);
    if (!phase.block_all)
      phase.destination_indexes =
          references(phase.block, destinations, "destination", ptr + "/block", diags);
  }
  for (std::size_t i = 0; i < p.routers.size(); ++i) {
    Router& router = p.routers[i];
    scope_references(router.scope, pointer_append(pointer_append("/routers", i), "scope"));
    router.pool_indexes = selected_pools(p, router.scope);
  }
}

}  // namespace op25bc::policy
