// SPDX-License-Identifier: GPL-2.0-or-later
// The instant parser (--at and policy dates), prefix/address parsing and the
// prefix-file reader, fed the same bytes. What parses must print and parse
// back to the same value; every prefix and bad line of a file has its line.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz.h"
#include "op25bc/net/prefix.h"
#include "op25bc/policy/prefix_file.h"
#include "op25bc/time/instant.h"

using namespace op25bc;

namespace {

void check_time(std::string_view text, const date::time_zone* zone) {
  const TimeParse parsed = parse_time(text, zone);
  FUZZ_REQUIRE(parsed.instant.has_value() == parsed.error.empty());
  if (!parsed.instant) return;
  const std::string printed = format_time(*parsed.instant, zone);
  const TimeParse again = parse_time(printed, zone);
  FUZZ_REQUIRE(again.instant == parsed.instant);
  FUZZ_REQUIRE(parse_time(format_utc(*parsed.instant), zone).instant == parsed.instant);
  // Its local date's start is no later than it (when that is in range too).
  const TimeParse day = parse_time(format_date(*parsed.instant, zone), zone);
  if (day.instant) FUZZ_REQUIRE(*day.instant <= *parsed.instant);
}

void check_prefix(std::string_view text) {
  const net::PrefixParse parsed = net::parse_prefix(text);
  FUZZ_REQUIRE(parsed.prefix.has_value() == parsed.error.empty());
  if (parsed.prefix) {
    const net::Prefix p = *parsed.prefix;
    FUZZ_REQUIRE(p.length <= net::address_bits(p.family));
    FUZZ_REQUIRE((p.base & net::host_mask(p.family, p.length)) == 0);
    FUZZ_REQUIRE(p.base <= net::max_word(p.family));
    const auto again = net::parse_prefix(net::to_string(p));
    FUZZ_REQUIRE(again.prefix == p);
    FUZZ_REQUIRE(p.contains({p.family, p.base}));
  }
  if (const auto a = net::parse_address(text)) {
    FUZZ_REQUIRE(a->value <= net::max_word(a->family));
    FUZZ_REQUIRE(net::parse_address(net::to_string(*a)) == a);
  }
}

void check_prefix_file(std::string_view text) {
  const policy::PrefixFileContent c = policy::parse_prefix_file(text);
  const std::size_t lines =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  FUZZ_REQUIRE(c.prefixes.size() == c.lines.size());
  FUZZ_REQUIRE(c.prefixes.size() + c.bad.size() <= lines);
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    FUZZ_REQUIRE(c.lines[i] >= 1 && c.lines[i] <= lines);
    FUZZ_REQUIRE(i == 0 || c.lines[i] > c.lines[i - 1]);
    FUZZ_REQUIRE(net::parse_prefix(net::to_string(c.prefixes[i])).prefix == c.prefixes[i]);
  }
  for (const auto& bad : c.bad) FUZZ_REQUIRE(bad.line >= 1 && bad.line <= lines);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Zones with and without daylight saving time, and one whose rules changed.
  for (const char* name : {"UTC", "Asia/Tokyo", "America/New_York", "Australia/Lord_Howe"}) {
    const date::time_zone* zone = find_zone(name);
    FUZZ_REQUIRE(zone != nullptr);
    check_time(text, zone);
  }
  (void)find_zone(text);
  check_prefix(text);
  check_prefix_file(text);
  return 0;
}
