// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "op25bc/net/address_set.h"
#include "op25bc/net/prefix.h"

using namespace op25bc::net;

namespace {

Prefix P(const char* text) {
  auto parsed = parse_prefix(text);
  REQUIRE_MESSAGE(parsed.prefix, text << ": " << parsed.error);
  return *parsed.prefix;
}

std::vector<std::string> texts(Family f, const Intervals& ivs) {
  std::vector<std::string> out;
  for (const auto& iv : ivs) out.push_back(to_string(f, iv));
  return out;
}

}  // namespace

TEST_CASE("prefixes parse in both families") {
  CHECK(to_string(P("198.18.0.0/20")) == "198.18.0.0/20");
  CHECK(to_string(P("2001:db8:1000::/40")) == "2001:db8:1000::/40");
  CHECK(to_string(P("192.0.2.25")) == "192.0.2.25");
  CHECK(P("192.0.2.25").length == 32);
  CHECK(P("2001:db8::25").length == 128);
  CHECK(P("0.0.0.0/0").interval() == Interval{0, 0xffffffffu});
  CHECK(P("::/0").interval().last == max_word(Family::v6));
  CHECK(P("2001:DB8::/32").family == Family::v6);
}

TEST_CASE("invalid prefixes are rejected with a reason") {
  for (const char* bad :
       {"", "198.18.0.0/", "198.18.0.0/33", "198.18.0.0/-1", "198.18.0/20", "2001:db8::/129",
        "2001:db8:::/48", "x", "198.18.0.0/020", "198.18.0.0 /20", "256.1.1.1/32"}) {
    CAPTURE(bad);
    auto parsed = parse_prefix(bad);
    CHECK_FALSE(parsed.prefix);
    CHECK_FALSE(parsed.error.empty());
  }
}

TEST_CASE("host bits set: the hint names the network address") {
  auto v4 = parse_prefix("198.18.0.1/20");
  CHECK(v4.error == "prefix \"198.18.0.1/20\" has host bits set");
  CHECK(v4.hint == "the network address is 198.18.0.0/20");
  auto v6 = parse_prefix("2001:db8:1000::1/40");
  CHECK(v6.hint == "the network address is 2001:db8:1000::/40");
}

TEST_CASE("merging joins overlapping and adjacent intervals, deterministically") {
  Intervals v4{P("198.18.1.0/24").interval(), P("198.18.0.0/24").interval(),
               P("198.18.0.128/25").interval(), P("198.18.5.0/24").interval(),
               P("198.18.2.0/24").interval()};
  merge_intervals(v4, Family::v4);
  CHECK(texts(Family::v4, v4) ==
        std::vector<std::string>{"198.18.0.0-198.18.2.255", "198.18.5.0/24"});
  // Merge again: idempotent.
  auto again = v4;
  merge_intervals(again, Family::v4);
  CHECK(again == v4);
}

TEST_CASE("merging two halves yields the covering prefix") {
  Intervals v6{P("2001:db8:8000::/33").interval(), P("2001:db8::/33").interval()};
  merge_intervals(v6, Family::v6);
  CHECK(texts(Family::v6, v6) == std::vector<std::string>{"2001:db8::/32"});
}

TEST_CASE("merging at the top of the address space does not overflow") {
  Intervals v4{P("255.255.255.0/24").interval(), P("255.255.255.255").interval(),
               P("0.0.0.0/8").interval()};
  merge_intervals(v4, Family::v4);
  CHECK(texts(Family::v4, v4) == std::vector<std::string>{"0.0.0.0/8", "255.255.255.0/24"});
  Intervals v6{P("ffff::/16").interval(), P("fffe::/16").interval()};
  merge_intervals(v6, Family::v6);
  CHECK(texts(Family::v6, v6) == std::vector<std::string>{"fffe::/15"});
}

TEST_CASE("interval text is what nft prints: host, prefix or range") {
  CHECK(to_string(Family::v4, {0xC0000219, 0xC0000219}) == "192.0.2.25");
  CHECK(to_string(Family::v4, P("192.0.2.0/24").interval()) == "192.0.2.0/24");
  CHECK(to_string(Family::v4, {0xC0000219, 0xC000021E}) == "192.0.2.25-192.0.2.30");
  CHECK(to_string(Family::v4, {0, 0xffffffffu}) == "0.0.0.0/0");
  CHECK(to_string(Family::v6, {0, max_word(Family::v6)}) == "::/0");
  // Aligned size but misaligned start is a range.
  CHECK(to_string(Family::v4, {0xC0000201, 0xC0000202}) == "192.0.2.1-192.0.2.2");
}

TEST_CASE("membership in merged sets") {
  AddressSet set;
  set.add(P("198.18.0.0/20"));
  set.add(P("2001:db8::/32"));
  set.merge();
  CHECK(set.contains(*parse_address("198.18.15.255")));
  CHECK_FALSE(set.contains(*parse_address("198.18.16.0")));
  CHECK_FALSE(set.contains(*parse_address("198.17.255.255")));
  CHECK(set.contains(*parse_address("2001:db8:ffff::1")));
  CHECK_FALSE(set.contains(*parse_address("2001:db9::")));
}

TEST_CASE("IPv4 addresses read exactly as inet_pton reads them, over generated text") {
  // op25bc reads dotted quads itself (net/prefix.cc); glibc's inet_pton is
  // the oracle. Text near valid addresses, and noise.
  std::mt19937 rng(25);
  const std::string alphabet("0123456789.......x/ :\0-+", 24);  // a NUL among them
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> edges = {
      "0.0.0.0",   "255.255.255.255", "256.0.0.0",  "1.2.3.256", "01.2.3.4",
      "1.2.3.00",  "1.2.3",           "1.2.3.4.",   ".1.2.3.4",  "1..2.3",
      "1.2.3.4 ",  " 1.2.3.4",        "1.2.3.4/24", "1.2.3.-4",  "+1.2.3.4",
      "1.2.3.0x4", "1.2.3.4444",      "",           ".",         "...",
      "1.2.3.4.5", "0x1.2.3.4"};
  int agreed = 0, valid = 0;
  for (int i = -static_cast<int>(edges.size()); i < 200000; ++i) {
    std::string text;
    if (i < 0) {
      text = edges[static_cast<std::size_t>(i + static_cast<int>(edges.size()))];
    } else if (i % 2 == 0) {  // four numbers, some out of range, some with leading zeros
      for (int k = 0, parts = 3 + pick(3); k < parts; ++k) {
        if (k > 0) text += '.';
        const int kind = pick(10);
        text += kind == 0 ? "0" + std::to_string(pick(300))
                          : std::to_string(pick(kind < 8 ? 256 : 1000));
      }
      if (pick(8) == 0)
        text.insert(static_cast<std::size_t>(pick(static_cast<int>(text.size()) + 1)), 1,
                    alphabet[static_cast<std::size_t>(pick(static_cast<int>(alphabet.size())))]);
    } else {
      for (int k = 0, n = pick(17); k < n; ++k)
        text += alphabet[static_cast<std::size_t>(pick(static_cast<int>(alphabet.size())))];
    }
    if (text.find(':') != std::string::npos) continue;  // IPv6's path
    in_addr oracle{};
    const bool ok =
        text.find('\0') == std::string::npos && inet_pton(AF_INET, text.c_str(), &oracle) == 1;
    const auto mine = parse_address(text);
    REQUIRE_MESSAGE(mine.has_value() == ok, "\"" << text << "\"");
    if (ok) {
      REQUIRE(mine->value == Word{ntohl(oracle.s_addr)});
      ++valid;
    }
    ++agreed;
  }
  CHECK(valid > 5000);  // the generator reaches the valid side often
  CHECK(agreed > 150000);
}
