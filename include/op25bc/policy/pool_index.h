// SPDX-License-Identifier: GPL-2.0-or-later
// The index pass (after resolve): every pool prefix as an interval, sorted once and
// kept in the validated model. The checks ask "which pools does this range
// touch?", explain asks "which pool holds this address?", and the ruleset
// builder reads each phase's source set off it in order, with no second sort.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "op25bc/net/prefix.h"

namespace op25bc::policy {

struct Policy;

class PoolIndex {
 public:
  // 32 bytes: the prefix's start and length rather than its interval.
  struct Entry {
    net::Word first;
    std::uint32_t pool;  // index into Policy::pools
    std::uint32_t item;  // index into that pool's prefixes.items
    std::uint8_t length;
    net::Family family;

    net::Word last() const { return first | net::host_mask(family, length); }
    net::Interval interval() const { return {first, last()}; }
  };
  static_assert(sizeof(Entry) == 32);
  using Entries = std::vector<Entry, net::BulkAllocator<Entry>>;

  PoolIndex() = default;
  // Entries of each family sorted by (interval.first, pool, item).
  PoolIndex(Entries v4, Entries v6);

  // Entries of one family in ascending order of interval start.
  const Entries& entries(net::Family f) const { return family(f).entries; }
  std::size_t size() const { return v4_.entries.size() + v6_.entries.size(); }

  // An entry containing the address (the first in order when pools overlap).
  std::optional<Entry> find(const net::Address& a) const;

  // Calls `fn` for every entry that intersects `iv`.
  void for_each_overlap(net::Family f, const net::Interval& iv,
                        const std::function<void(const Entry&)>& fn) const;

 private:
  struct PerFamily {
    Entries entries;
    // Running maximum of last(), kept only when some entry lies inside an
    // earlier one; for disjoint entries (the usual case) it equals last().
    std::vector<net::Word, net::BulkAllocator<net::Word>> max_last;

    net::Word reach(std::size_t k) const {
      return max_last.empty() ? entries[k].last() : max_last[k];
    }
  };
  const PerFamily& family(net::Family f) const { return f == net::Family::v4 ? v4_ : v6_; }
  static PerFamily with_reach(Entries entries);

  PerFamily v4_;
  PerFamily v6_;
};

// The index of the policy's pools (the pass; sets nothing in the policy).
PoolIndex index_pools(const Policy& policy);

}  // namespace op25bc::policy
