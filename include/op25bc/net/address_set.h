// SPDX-License-Identifier: GPL-2.0-or-later
// Sets of addresses as sorted, disjoint, non-adjacent intervals per family:
// the canonical form every set in the ruleset is written in.
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "op25bc/net/prefix.h"

namespace op25bc::net {

// Whether `next` (starting at or after `current`) overlaps or touches it, so
// the two join into one interval. The one rule for merging, everywhere.
inline bool joins(const Interval& current, const Interval& next, Family family) {
  return current.last == max_word(family) || next.first <= current.last + 1;
}

// Appends `next` (starting at or after every interval in `merged`) to sorted,
// merged intervals, joining it with the last one where they meet.
inline void append_merged(Intervals& merged, const Interval& next, Family family) {
  if (!merged.empty() && joins(merged.back(), next, family))
    merged.back().last = std::max(merged.back().last, next.last);
  else
    merged.push_back(next);
}

// Sorts and merges overlapping or adjacent intervals, in place.
void merge_intervals(Intervals& intervals, Family family);

// True when `value` lies in one of the merged intervals.
bool contains(std::span<const Interval> merged, Word value);

struct AddressSet {
  Intervals v4;
  Intervals v6;

  Intervals& of(Family f) { return f == Family::v4 ? v4 : v6; }
  const Intervals& of(Family f) const { return f == Family::v4 ? v4 : v6; }

  void add(const Prefix& p) { of(p.family).push_back(p.interval()); }
  void merge() {
    merge_intervals(v4, Family::v4);
    merge_intervals(v6, Family::v6);
  }
  bool contains(const Address& a) const { return net::contains(of(a.family), a.value); }
  bool empty() const { return v4.empty() && v6.empty(); }
  friend bool operator==(const AddressSet&, const AddressSet&) = default;
};

}  // namespace op25bc::net
