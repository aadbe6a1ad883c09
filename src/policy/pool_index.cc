#include "op25bc/policy/pool_index.h"

#include <algorithm>

#include "op25bc/policy/model.h"

namespace op25bc::policy {

PoolIndex::PoolIndex(Entries v4, Entries v6)
    : v4_(with_reach(std::move(v4))), v6_(with_reach(std::move(v6))) {}

PoolIndex::PerFamily PoolIndex::with_reach(Entries entries) {
  PerFamily fam{std::move(entries), {}};
  const auto inside_previous = [](const Entry& a, const Entry& b) { return b.first <= a.last(); };
  if (std::adjacent_find(fam.entries.begin(), fam.entries.end(), inside_previous) ==
      fam.entries.end())
    return fam;  // disjoint: each entry's own end is as far as anything before it reaches
  fam.max_last.reserve(fam.entries.size());
  net::Word running = 0;
  for (const Entry& e : fam.entries) {
    running = std::max(running, e.last());
    fam.max_last.push_back(running);
  }
  return fam;
}

void PoolIndex::for_each_overlap(net::Family f, const net::Interval& iv,
                                 const std::function<void(const Entry&)>& fn) const {
  const PerFamily& fam = family(f);
  // Entries starting after iv.last cannot intersect; walk back from there while
  // some earlier entry may still reach iv.first.
  auto end = std::upper_bound(fam.entries.begin(), fam.entries.end(), iv.last,
                              [](net::Word v, const Entry& e) { return v < e.first; });
  for (auto k = static_cast<std::size_t>(end - fam.entries.begin()); k > 0; --k) {
    if (fam.reach(k - 1) < iv.first) break;
    if (fam.entries[k - 1].last() >= iv.first) fn(fam.entries[k - 1]);
  }
}

std::optional<PoolIndex::Entry> PoolIndex::find(const net::Address& a) const {
  std::optional<Entry> best;
  for_each_overlap(a.family, {a.value, a.value}, [&](const Entry& e) {
    if (!best || e.first < best->first || (e.first == best->first && e.pool < best->pool)) best = e;
  });
  return best;
}

PoolIndex index_pools(const Policy& policy) {
  std::size_t count[2] = {0, 0};
  for (const auto& pool : policy.pools)
    for (const auto& prefix : pool.prefixes.items) ++count[prefix.family == net::Family::v6];
  PoolIndex::Entries entries[2];
  entries[0].reserve(count[0]);
  entries[1].reserve(count[1]);
  for (std::uint32_t p = 0; p < policy.pools.size(); ++p) {
    const auto& items = policy.pools[p].prefixes.items;
    for (std::uint32_t i = 0; i < items.size(); ++i)
      entries[items[i].family == net::Family::v6].push_back(
          {items[i].base, p, i, items[i].length, items[i].family});
  }
  const auto before = [](const PoolIndex::Entry& a, const PoolIndex::Entry& b) {
    if (a.first != b.first) return a.first < b.first;
    if (a.pool != b.pool) return a.pool < b.pool;
    return a.item < b.item;
  };
  for (auto& family : entries)  // address-ordered input (common) is not sorted again
    if (!std::is_sorted(family.begin(), family.end(), before))
      std::sort(family.begin(), family.end(), before);
  return PoolIndex(std::move(entries[0]), std::move(entries[1]));
}

}  // namespace op25bc::policy
