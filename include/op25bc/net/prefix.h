// SPDX-License-Identifier: GPL-2.0-or-later
// IP addresses, prefixes and inclusive intervals. IPv4 and IPv6 share one
// representation (a 128-bit word plus the family) so every pass treats them alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/net/bulk_allocator.h"

namespace op25bc::net {

enum class Family : std::uint8_t { v4, v6 };
using Word = unsigned __int128;

constexpr int address_bits(Family f) {
  return f == Family::v4 ? 32 : 128;
}
constexpr Word max_word(Family f) {
  return f == Family::v4 ? Word{0xffffffffu} : ~Word{0};
}
constexpr std::string_view family_name(Family f) {
  return f == Family::v4 ? "IPv4" : "IPv6";
}

// The host part of a prefix of `length` bits.
constexpr Word host_mask(Family family, int length) {
  const int host_bits = address_bits(family) - length;
  if (host_bits == 0) return 0;
  if (host_bits == 128) return ~Word{0};
  return (Word{1} << host_bits) - 1;
}

// Inclusive interval [first, last] of addresses of one family.
struct Interval {
  Word first;
  Word last;
  friend bool operator==(const Interval&, const Interval&) = default;
};

using Intervals = std::vector<Interval, BulkAllocator<Interval>>;

struct Address {
  Family family;
  Word value;
  friend bool operator==(const Address&, const Address&) = default;
};

// Members ordered for size: 32 bytes, not 48 (pools hold millions of these).
struct Prefix {
  Word base;
  Family family;
  std::uint8_t length;

  Interval interval() const { return {base, base | host_mask(family, length)}; }
  bool contains(const Address& a) const;
  friend bool operator==(const Prefix&, const Prefix&) = default;
  // By family, then address, then length: the order of every sorted list of
  // prefixes (set members, a session's addresses).
  friend bool operator<(const Prefix& a, const Prefix& b) {
    if (a.family != b.family) return a.family < b.family;
    return a.base != b.base ? a.base < b.base : a.length < b.length;
  }
};
static_assert(sizeof(Prefix) == 32);

using Prefixes = std::vector<Prefix, BulkAllocator<Prefix>>;

std::optional<Address> parse_address(std::string_view text);

struct PrefixParse {
  std::optional<Prefix> prefix;  // set on success
  std::string error;             // set on failure
  std::string hint;              // e.g. the network address when host bits are set
};

// "192.0.2.0/24", "2001:db8::/32"; a bare address means a host prefix.
PrefixParse parse_prefix(std::string_view text);

void append_address(std::string& out, Family family, Word value);
std::string to_string(const Address& a);
std::string to_string(const Prefix& p);  // a host prefix prints as its address

// The length of the prefix that covers exactly `iv`, if it is one.
std::optional<int> exact_prefix_length(Family family, const Interval& iv);

// An interval as nft writes a set element: "a" for a host, "a/len" for an
// aligned prefix, "first-last" otherwise.
void append_interval(std::string& out, Family family, const Interval& iv);
std::string to_string(Family family, const Interval& iv);

// The fewest aligned prefixes that cover `iv` exactly, in address order (what
// a set type that holds only prefixes, such as ipset's hash:net, must be given).
void append_prefixes(Prefixes& out, Family family, const Interval& iv);

}  // namespace op25bc::net
