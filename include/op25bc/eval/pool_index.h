// Every pool prefix as an interval, sorted, for "which pool holds this
// address?" (explain) and "which pools does this range touch?" (checks).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "op25bc/policy/model.h"

namespace op25bc::eval {

class PoolIndex {
 public:
  struct Entry {
    net::Interval interval;
    std::uint32_t pool;  // index into Policy::pools
    std::uint32_t item;  // index into that pool's prefixes.items
  };

  explicit PoolIndex(const policy::Policy& policy);

  // Entries of one family in ascending order of interval start.
  const std::vector<Entry>& entries(net::Family f) const { return family(f).entries; }

  // An entry containing the address (the first in order when pools overlap).
  std::optional<Entry> find(const net::Address& a) const;

  // Calls `fn` for every entry that intersects `iv`.
  void for_each_overlap(net::Family f, const net::Interval& iv,
                        const std::function<void(const Entry&)>& fn) const;

 private:
  struct PerFamily {
    std::vector<Entry> entries;
    std::vector<net::Word> max_last;  // running maximum of interval.last
  };
  const PerFamily& family(net::Family f) const { return f == net::Family::v4 ? v4_ : v6_; }

  PerFamily v4_;
  PerFamily v6_;
};

}  // namespace op25bc::eval
