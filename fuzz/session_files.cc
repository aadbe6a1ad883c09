// SPDX-License-Identifier: GPL-2.0-or-later
// The session table (under /run) and the index of subscriber exemptions
// (beside the state file): every session event reads both, and anyone with
// root can write them. Never a crash or undefined behaviour; a file that
// reads is exactly the bytes it writes back; session events on what was read
// keep the table's invariants (sorted, bounded, an address held by one
// subscriber only).
#include <cstdint>
#include <string_view>

#include "fuzz.h"
#include "op25bc/session/table.h"

using namespace op25bc;

namespace {

bool overlap(const net::Prefix& a, const net::Prefix& b) {
  const net::Interval x = a.interval(), y = b.interval();
  return a.family == b.family && x.first <= y.last && y.first <= x.last;
}

void check_invariants(const session::Table& t) {
  FUZZ_REQUIRE(t.size() <= session::kMaxSubscribers);
  std::string error;
  FUZZ_REQUIRE(session::decode(session::encode(t), error) == t);
  for (auto a = t.begin(); a != t.end(); ++a) {
    FUZZ_REQUIRE(!a->second.empty() && a->second.size() <= session::kMaxAddresses);
    for (auto b = std::next(a); b != t.end(); ++b)
      for (const auto& p : a->second)
        for (const auto& q : b->second) FUZZ_REQUIRE(!overlap(p, q));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto index = session::decode_index(bytes, error)) {
    FUZZ_REQUIRE(session::encode(*index) == bytes);
    for (const auto& e : index->entries) FUZZ_REQUIRE(index->knows(e.subscriber));
  }
  auto table = session::decode(bytes, error);
  if (!table) {
    FUZZ_REQUIRE(!error.empty());
    return 0;
  }
  FUZZ_REQUIRE(session::encode(*table) == bytes);
  // Each subscriber's addresses come up again under the next subscriber's
  // name (a lease handed on), then the first goes down.
  bool overlapping = false;
  for (auto a = table->begin(); a != table->end(); ++a)
    for (auto b = std::next(a); b != table->end(); ++b)
      for (const auto& p : a->second)
        for (const auto& q : b->second) overlapping = overlapping || overlap(p, q);
  if (overlapping) return 0;  // not a table op25bc writes: events start from what it writes
  check_invariants(*table);
  const session::Table before = *table;
  // The same events through the index of holders (a batch's way) change the
  // same: a second table follows the first step by step.
  session::Table indexed = *table;
  session::Holders holders(indexed);
  for (const auto& [subscriber, addresses] : before) {
    const auto change = session::up(*table, subscriber + "'", addresses, true);
    const auto same = session::up(indexed, holders, subscriber + "'", addresses, true);
    FUZZ_REQUIRE(same.changed == change.changed && same.handed_over == change.handed_over &&
                 same.error == change.error && indexed == *table);
    // Whatever else the subscriber holds (another's, taken over before), none of these.
    if (const auto it = table->find(subscriber); change.error.empty() && it != table->end())
      for (const auto& p : it->second)
        for (const auto& q : addresses) FUZZ_REQUIRE(!overlap(p, q));
    check_invariants(*table);
  }
  for (const auto& [subscriber, addresses] : before) {
    session::down(*table, subscriber + "'", {});
    session::down(indexed, holders, subscriber + "'", {});
    FUZZ_REQUIRE(indexed == *table);
  }
  FUZZ_REQUIRE(table->size() <= before.size());
  check_invariants(*table);
  return 0;
}
