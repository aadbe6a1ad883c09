// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/net/address_set.h"

#include <algorithm>

namespace op25bc::net {

void merge_intervals(Intervals& intervals, Family family) {
  if (intervals.empty()) return;
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) {
    return a.first < b.first || (a.first == b.first && a.last < b.last);
  });
  std::size_t out = 0;
  for (std::size_t i = 1; i < intervals.size(); ++i) {
    Interval& current = intervals[out];
    const Interval& next = intervals[i];
    if (joins(current, next, family)) {
      current.last = std::max(current.last, next.last);
    } else {
      intervals[++out] = next;
    }
  }
  intervals.resize(out + 1);
}

bool contains(std::span<const Interval> merged, Word value) {
  auto it = std::upper_bound(merged.begin(), merged.end(), value,
                             [](Word v, const Interval& iv) { return v < iv.first; });
  if (it == merged.begin()) return false;
  --it;
  return value <= it->last;
}

}  // namespace op25bc::net
