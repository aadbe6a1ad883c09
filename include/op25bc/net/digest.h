// SPDX-License-Identifier: GPL-2.0-or-later
// What an interval set holds, in 24 bytes: how many intervals, and a 128-bit
// XXH3 digest of them. op25bc's record keeps this instead of the elements, so
// a run tells the sets a policy change touches from those it does not without
// loading or comparing a million intervals, and reads back only the former.
#pragma once

#include <cstdint>
#include <string_view>

#include "op25bc/net/prefix.h"

namespace op25bc::net {

struct SetDigest {
  std::uint64_t count = 0;  // intervals
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  friend bool operator==(const SetDigest&, const SetDigest&) = default;
};

SetDigest digest(const Intervals& intervals);

// XXH3, 64 bits: the policy fingerprint and the record's checksum.
std::uint64_t hash64(std::string_view bytes);

}  // namespace op25bc::net
