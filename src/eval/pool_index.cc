#include "op25bc/eval/pool_index.h"

#include <algorithm>

namespace op25bc::eval {

PoolIndex::PoolIndex(const policy::Policy& policy) {
  std::size_t v4 = 0, v6 = 0;
  for (const auto& pool : policy.pools)
    for (const auto& prefix : pool.prefixes.items) ++(prefix.family == net::Family::v4 ? v4 : v6);
  v4_.entries.reserve(v4);
  v6_.entries.reserve(v6);
  for (std::uint32_t p = 0; p < policy.pools.size(); ++p) {
    const auto& items = policy.pools[p].prefixes.items;
    for (std::uint32_t i = 0; i < items.size(); ++i) {
      PerFamily& fam = items[i].family == net::Family::v4 ? v4_ : v6_;
      fam.entries.push_back({items[i].interval(), p, i});
    }
  }
  for (PerFamily* fam : {&v4_, &v6_}) {
    std::sort(fam->entries.begin(), fam->entries.end(), [](const Entry& a, const Entry& b) {
      if (a.interval.first != b.interval.first) return a.interval.first < b.interval.first;
      if (a.pool != b.pool) return a.pool < b.pool;
      return a.item < b.item;
    });
    fam->max_last.reserve(fam->entries.size());
    net::Word running = 0;
    for (const Entry& e : fam->entries) {
      running = std::max(running, e.interval.last);
      fam->max_last.push_back(running);
    }
  }
}

void PoolIndex::for_each_overlap(net::Family f, const net::Interval& iv,
                                 const std::function<void(const Entry&)>& fn) const {
  const PerFamily& fam = family(f);
  // Entries starting after iv.last cannot intersect; walk back from there while
  // some earlier entry may still reach iv.first.
  auto end = std::upper_bound(fam.entries.begin(), fam.entries.end(), iv.last,
                              [](net::Word v, const Entry& e) { return v < e.interval.first; });
  for (auto k = static_cast<std::size_t>(end - fam.entries.begin()); k > 0; --k) {
    if (fam.max_last[k - 1] < iv.first) break;
    if (fam.entries[k - 1].interval.last >= iv.first) fn(fam.entries[k - 1]);
  }
}

std::optional<PoolIndex::Entry> PoolIndex::find(const net::Address& a) const {
  std::optional<Entry> best;
  for_each_overlap(a.family, {a.value, a.value}, [&](const Entry& e) {
    if (!best || e.interval.first < best->interval.first ||
        (e.interval.first == best->interval.first && e.pool < best->pool))
      best = e;
  });
  return best;
}

}  // namespace op25bc::eval
