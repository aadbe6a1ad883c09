// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/net/prefix.h"

using namespace op25bc::net;

TEST_CASE("bulk arrays keep their contents while growing past the huge-page size and back") {
  Intervals v;  // 32-byte elements: 65,536 of them fill 2 MiB
  for (Word k = 0; k < 200'000; ++k) v.push_back({k * 4, k * 4 + 3});
  for (Word k = 0; k < 200'000; k += 9973)
    CHECK(v[static_cast<std::size_t>(k)] == Interval{k * 4, k * 4 + 3});
  CHECK(v.back() == Interval{799'996, 799'999});
  v.resize(10);  // back below the threshold: the block comes from operator new
  v.shrink_to_fit();
  CHECK(v.capacity() == 10);
  CHECK(v[9] == Interval{36, 39});
  Intervals copy = v;
  CHECK(copy == v);
}
