// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/net/digest.h"

#include <xxhash.h>

namespace op25bc::net {

// Intervals are two 128-bit words with no padding, IPv4 ones zero-extended:
// hashing their bytes is hashing their values.
static_assert(sizeof(Interval) == 2 * sizeof(Word));

SetDigest digest(const Intervals& intervals) {
  const XXH128_hash_t h = XXH3_128bits(intervals.data(), intervals.size() * sizeof(Interval));
  return {intervals.size(), h.high64, h.low64};
}

std::uint64_t hash64(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace op25bc::net
