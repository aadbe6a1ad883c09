// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/policy/check.h"
#include "op25bc/text/join.h"

#include <algorithm>
#include <chrono>

namespace op25bc::policy {

namespace {

std::string item_pointer(std::string_view list, std::size_t index, std::string_view key,
                         std::size_t position) {
  return pointer_append(pointer_append(pointer_append(pointer_append("", list), index), key),
                        position);
}

// Where a pool's prefix was written: an element of "prefixes", or a line of
// its prefixes_file.
Location pool_item(const Policy& p, std::size_t pool, std::size_t item) {
  const Pool& pl = p.pools[pool];
  if (pl.file && item >= pl.file->first)
    return {"", pl.file->display, pl.file->lines[item - pl.file->first]};
  return {item_pointer("pools", pool, "prefixes", pl.prefixes.position(item))};
}

void check_ports(const Policy& p, Diagnostics& diags) {
  std::vector<std::uint16_t> submission{587, 465};
  submission.insert(submission.end(), p.submission.ports.begin(), p.submission.ports.end());
  for (std::size_t i = 0; i < p.enforcement.ports.size(); ++i) {
    const auto port = p.enforcement.ports[i];
    if (std::find(submission.begin(), submission.end(), port) != submission.end())
      diags.error(pointer_append("/enforcement/ports", i),
                  "port " + std::to_string(port) + " is a mail submission port",
                  "blocking it would leave customers no way to send mail; OP25B blocks port 25");
  }
}

// Sweeps the sorted pool intervals once; an entry that starts inside the
// furthest-reaching earlier entry of another pool is an overlap.
void check_pool_overlaps(const Policy& p, const PoolIndex& index, Diagnostics& diags) {
  for (net::Family f : {net::Family::v4, net::Family::v6}) {
    const auto& entries = index.entries(f);
    const PoolIndex::Entry* reach = nullptr;
    for (const auto& e : entries) {
      if (reach != nullptr && e.first <= reach->last() && e.pool != reach->pool) {
        const Pool& other = p.pools[reach->pool];
        diags.report(Severity::error, pool_item(p, e.pool, e.item),
                     net::to_string(p.pools[e.pool].prefixes.items[e.item]) + " of pool \"" +
                         p.pools[e.pool].id + "\" overlaps " +
                         net::to_string(other.prefixes.items[reach->item]) + " of pool \"" +
                         other.id + "\"",
                     "an address must belong to one pool and one service");
        diags.note(pool_item(p, reach->pool, reach->item), "the prefix it overlaps");
      }
      if (reach == nullptr || e.last() > reach->last()) reach = &e;
    }
  }
}

std::vector<bool> pools_ever_blocked(const Policy& p) {
  std::vector<bool> blocked(p.pools.size(), false);
  for (const Phase& phase : p.phases)
    for (std::size_t k : phase.pool_indexes) blocked[k] = true;
  return blocked;
}

void check_smarthosts(const Policy& p, const PoolIndex& index, Diagnostics& diags) {
  const std::vector<bool> blocked = pools_ever_blocked(p);
  for (std::size_t s = 0; s < p.smarthosts.size(); ++s) {
    const auto& addresses = p.smarthosts[s].addresses;
    for (std::size_t i = 0; i < addresses.items.size(); ++i) {
      const net::Prefix& a = addresses.items[i];
      std::optional<std::uint32_t> pool;
      index.for_each_overlap(a.family, a.interval(), [&](const PoolIndex::Entry& e) {
        if (blocked[e.pool] && (!pool || e.pool < *pool)) pool = e.pool;
      });
      if (!pool) continue;
      std::vector<std::string> blocking;
      for (const Phase& phase : p.phases)
        if (std::count(phase.pool_indexes.begin(), phase.pool_indexes.end(), *pool))
          blocking.push_back(phase.id);
      const std::size_t count = blocking.size();
      const std::string phases = text::join(blocking, quote);
      diags.error(item_pointer("smarthosts", s, "addresses", addresses.position(i)),
                  "smarthost address " + net::to_string(a) + " lies in pool " +
                      quote(p.pools[*pool].id) + ", which " + (count > 1 ? "phases " : "phase ") +
                      phases + (count > 1 ? " block" : " blocks") +
                      ": the smarthost could not deliver mail",
                  "give smarthosts addresses outside the subscriber pools");
    }
  }
}

// Whether one pool prefix holds all of `iv` (equal is fine). Pools never
// overlap (check_pool_overlaps), so a range two pool prefixes cover between
// them, or one that reaches past its pool, is not inside one.
bool inside_one_pool_prefix(const PoolIndex& index, net::Family f, const net::Interval& iv) {
  bool inside = false;
  index.for_each_overlap(f, iv, [&](const PoolIndex::Entry& e) {
    inside = inside || (e.first <= iv.first && iv.last <= e.last());
  });
  return inside;
}

// Drop-ins were checked when they were admitted (admit_dropins).
void check_exemptions(const Policy& p, Diagnostics& diags) {
  for (std::size_t x = 0; x < p.exemptions.size(); ++x)
    if (p.exemptions[x].file.empty()) check_exemption_prefixes(p, x, diags);
}

}  // namespace

Location exemption_place(const Policy& p, std::size_t x, std::string_view rest) {
  const Exemption& e = p.exemptions[x];
  if (!e.file.empty()) return {std::string{rest}, e.file};
  return {pointer_append("/exemptions", x) + std::string{rest}};
}

// Exemptions exist to exempt subscribers of one pool: one that touches no
// pool is a typo, and one wider than the pool prefix it lies in (0.0.0.0/0,
// a /8, a prefix across two pools) would open the block for subscribers
// nobody meant to exempt.
void check_exemption_prefixes(const Policy& p, std::size_t x, Diagnostics& diags) {
  const auto& prefixes = p.exemptions[x].prefixes;
  for (std::size_t i = 0; i < prefixes.items.size(); ++i) {
    const net::Family f = prefixes.items[i].family;
    const net::Interval iv = prefixes.items[i].interval();
    bool touches = false;
    p.pool_index.for_each_overlap(f, iv, [&](const PoolIndex::Entry&) { touches = true; });
    const Location at = exemption_place(p, x, "/prefixes/" + std::to_string(prefixes.position(i)));
    const std::string text = net::to_string(prefixes.items[i]);
    if (!touches)
      diags.report(Severity::error, at,
                   "exemption " + text + " lies outside every pool: it matches no subscriber",
                   "exempt an address inside a subscriber pool");
    else if (!inside_one_pool_prefix(p.pool_index, f, iv))
      diags.report(Severity::error, at,
                   "exemption " + text +
                       " is wider than the pool prefix it lies in: it would exempt subscribers "
                       "outside it",
                   "an exemption names addresses inside one pool prefix (the whole prefix at "
                   "most); exempt a pool by leaving it out of the phases' scope");
  }
}

namespace {

std::string date_text(const Policy& p, Instant t) {
  return format_date(t, p.zone);
}

// A monitor period is there to find and notify the subscribers a phase will
// block: too short to reach them, or spent while they cannot move to the
// submission port yet, it measures little.
void warn_monitor_period(const Policy& p, const Phase& phase, const std::string& ptr,
                         Diagnostics& diags) {
  if (!phase.monitor_from || !phase.effective || *phase.monitor_from >= *phase.effective) return;
  if (*phase.effective - *phase.monitor_from < std::chrono::days{7})
    diags.warning(ptr + "/monitor_from",
                  "phase \"" + phase.id + "\" monitors for less than a week (from " +
                      date_text(p, *phase.monitor_from) + " to " + date_text(p, *phase.effective) +
                      ")",
                  "a monitor period is for finding and notifying affected subscribers before "
                  "the block; give it at least a week");
  if (p.submission.effective && *p.submission.effective > *phase.monitor_from)
    diags.warning(ptr + "/monitor_from",
                  "phase \"" + phase.id + "\" starts monitoring on " +
                      date_text(p, *phase.monitor_from) + ", before submission ports open on " +
                      date_text(p, *p.submission.effective),
                  "until they open, subscribers it records cannot move to the submission port; "
                  "open submission first");
}

void warn_rollout(const Policy& p, const PoolIndex& index, Diagnostics& diags) {
  for (std::size_t i = 0; i < p.phases.size(); ++i) {
    const Phase& phase = p.phases[i];
    const std::string ptr = pointer_append("/phases", i);
    if (phase.pool_indexes.empty())
      diags.warning(ptr + "/scope", "phase \"" + phase.id + "\" selects no pool");
    // Only a phase that blocks every destination leaves nowhere to send mail:
    // one that blocks listed destinations (SpinNet's mobile carriers) does not.
    if (phase.block_all && phase.effective && p.submission.effective &&
        *phase.effective < *p.submission.effective)
      diags.warning(ptr + "/effective",
                    "phase \"" + phase.id + "\" blocks from " + date_text(p, *phase.effective) +
                        ", before submission ports open on " +
                        date_text(p, *p.submission.effective),
                    "customers using other providers' servers would have no way to send mail");
    warn_monitor_period(p, phase, ptr, diags);
  }
  for (std::size_t x = 0; x < p.exemptions.size(); ++x) {
    const Exemption& e = p.exemptions[x];
    if (!e.until) continue;
    // The first phase that could block one of the exempted addresses.
    std::optional<Instant> first;
    for (const net::Prefix& prefix : e.prefixes.items)
      index.for_each_overlap(prefix.family, prefix.interval(), [&](const auto& entry) {
        for (const Phase& phase : p.phases)
          if (phase.effective &&
              std::count(phase.pool_indexes.begin(), phase.pool_indexes.end(), entry.pool) &&
              (!first || *phase.effective < *first))
            first = phase.effective;
      });
    if (first && *e.until <= *first)
      diags.report(Severity::warning, exemption_place(p, x, "/until"),
                   "exemption \"" + e.id + "\" expires on " + date_text(p, *e.until) +
                       ", before the first phase that could block it starts on " +
                       date_text(p, *first),
                   "it never takes effect; remove it or correct its date");
  }
}

// ::ffff:0:0/96 holds IPv4 addresses written as IPv6. A packet on the wire is
// IPv4 or IPv6, never both: such a prefix in a pool or smarthost matches no
// IPv4 subscriber or server, which is almost never what was meant.
bool ipv4_mapped(const net::Prefix& x) {
  return x.family == net::Family::v6 && x.length >= 96 && (x.base >> 32) == 0xffff;
}

void warn_ipv4_mapped(const PrefixList& list, std::size_t i, Location where, Diagnostics& diags) {
  diags.report(Severity::warning, std::move(where),
               "IPv4-mapped IPv6 prefix " + quote(net::to_string(list.items[i])) +
                   " matches only IPv6 packets",
               "write the IPv4 prefix itself; the kernel sees IPv4 packets as IPv4");
}

void check_ipv4_mapped(const Policy& p, const PoolIndex& index, Diagnostics& diags) {
  // Pools: ask the index for the mapped range instead of walking every prefix.
  constexpr net::Word mapped = net::Word{0xffff} << 32;
  index.for_each_overlap(net::Family::v6, {mapped, mapped | 0xffffffffu},
                         [&](const PoolIndex::Entry& e) {
                           const PrefixList& list = p.pools[e.pool].prefixes;
                           if (ipv4_mapped(list.items[e.item]))
                             warn_ipv4_mapped(list, e.item, pool_item(p, e.pool, e.item), diags);
                         });
  for (std::size_t s = 0; s < p.smarthosts.size(); ++s) {
    const PrefixList& list = p.smarthosts[s].addresses;
    for (std::size_t i = 0; i < list.items.size(); ++i)
      if (ipv4_mapped(list.items[i]))
        warn_ipv4_mapped(list, i, {item_pointer("smarthosts", s, "addresses", list.position(i))},
                         diags);
  }
}

// With routers, every pool should be carried by one; a router that carries
// nothing is a typo in its scope.
void check_routers(const Policy& p, Diagnostics& diags) {
  if (p.routers.empty()) return;
  std::vector<bool> carried(p.pools.size(), false);
  for (std::size_t i = 0; i < p.routers.size(); ++i) {
    const Router& r = p.routers[i];
    for (std::size_t k : r.pool_indexes) carried[k] = true;
    if (r.pool_indexes.empty() && !r.id.empty())
      diags.error(pointer_append(pointer_append("/routers", i), "scope"),
                  "router " + quote(r.id) + " carries no pool: its scope selects nothing",
                  "a router's scope must select at least one pool");
  }
  for (std::size_t k = 0; k < p.pools.size(); ++k)
    if (!carried[k] && !p.pools[k].id.empty())
      diags.warning(pointer_append("/pools", k),
                    "pool " + quote(p.pools[k].id) + " is carried by no router",
                    "no --router ruleset blocks it; add its service, region or id to a "
                    "router's scope");
}

}  // namespace

void check(const Policy& p, Diagnostics& diags) {
  check_ipv4_mapped(p, p.pool_index, diags);
  check_ports(p, diags);
  check_pool_overlaps(p, p.pool_index, diags);
  check_smarthosts(p, p.pool_index, diags);
  check_exemptions(p, diags);
  warn_rollout(p, p.pool_index, diags);
  check_routers(p, diags);
}

}  // namespace op25bc::policy
