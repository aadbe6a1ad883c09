// SPDX-License-Identifier: GPL-2.0-or-later
#include <date/tz.h>
#include <doctest/doctest.h>

#include <cstring>
#include <memory>

#include "op25bc/time/instant.h"

using namespace op25bc;

namespace {

const date::time_zone* zone(const char* name) {
  const auto* z = find_zone(name);
  REQUIRE(z != nullptr);
  return z;
}

Instant at(const char* text, const date::time_zone* z) {
  auto parsed = parse_time(text, z);
  REQUIRE_MESSAGE(parsed.instant, text << ": " << parsed.error);
  return *parsed.instant;
}

}  // namespace

TEST_CASE("a policy date is local midnight in the policy's zone") {
  const auto* tokyo = zone("Asia/Tokyo");
  CHECK(format_utc(at("2006-10-01", tokyo)) == "2006-09-30T15:00:00Z");
  CHECK(format_time(at("2006-10-01", tokyo), tokyo) == "2006-10-01T00:00:00+09:00");
  CHECK(format_date(at("2006-10-01", tokyo), tokyo) == "2006-10-01");
}

TEST_CASE("RFC 3339 timestamps carry their own offset") {
  const auto* tokyo = zone("Asia/Tokyo");
  CHECK(at("2006-09-30T15:00:00Z", tokyo) == at("2006-10-01", tokyo));
  CHECK(at("2006-10-01T00:00:00+09:00", tokyo) == at("2006-10-01", tokyo));
  CHECK(at("2006-09-30T10:00:00-05:00", tokyo) == at("2006-10-01", tokyo));
  CHECK(at("2006-09-30T15:00:00.250Z", tokyo) == at("2006-10-01", tokyo));
}

TEST_CASE("DST: dates in America/New_York follow the local offset") {
  const auto* ny = zone("America/New_York");
  CHECK(format_utc(at("2026-01-15", ny)) == "2026-01-15T05:00:00Z");  // EST, UTC-5
  CHECK(format_utc(at("2026-07-15", ny)) == "2026-07-15T04:00:00Z");  // EDT, UTC-4
  CHECK(format_time(at("2026-03-08T07:00:00Z", ny), ny) == "2026-03-08T03:00:00-04:00");
  CHECK(format_time(at("2026-11-01T05:30:00Z", ny), ny) == "2026-11-01T01:30:00-04:00");
  CHECK(format_time(at("2026-11-01T06:30:00Z", ny), ny) == "2026-11-01T01:30:00-05:00");
}

TEST_CASE("DST: a midnight that does not exist resolves to the end of the gap") {
  // Chile springs forward at local midnight: 2026-09-06 00:00 does not exist.
  const auto* santiago = zone("America/Santiago");
  const Instant t = at("2026-09-06", santiago);
  CHECK(format_time(t, santiago) == "2026-09-06T01:00:00-03:00");
  CHECK(format_time(t - std::chrono::seconds{1}, santiago) == "2026-09-05T23:59:59-04:00");
}

TEST_CASE("impossible and malformed dates are errors") {
  const auto* tokyo = zone("Asia/Tokyo");
  for (const char* bad : {"2006-02-30", "2006-13-01", "2006-00-10", "06-10-01", "2006/10/01",
                          "2006-10-01T25:00:00Z", "2006-10-01T00:00:00", "2006-10-01T00:00Z",
                          "2006-10-01T00:00:00+9", "2006-10-01x", "yesterday", ""}) {
    CAPTURE(bad);
    auto parsed = parse_time(bad, tokyo);
    CHECK_FALSE(parsed.instant);
    CHECK_FALSE(parsed.error.empty());
  }
  CHECK(parse_time("2006-02-30", tokyo).error == "\"2006-02-30\" is not a calendar date");
}

TEST_CASE("unknown zones are not found") {
  CHECK(find_zone("Asia/Tokio") == nullptr);
  CHECK(find_zone("") == nullptr);
  CHECK(find_zone("UTC") != nullptr);
}

// Found by fuzz/time_and_prefix (fuzz/regressions/time_and_prefix): Tokyo's
// local mean time before 1888 was +09:18:59, which "+09:18" misstated by 59 s;
// and year 0 printed as "00-1". Such instants are refused; one made in code
// still prints exactly.
TEST_CASE("instants before 1970 or after 9999 are refused; odd offsets print in UTC") {
  const auto* tokyo = zone("Asia/Tokyo");
  for (const char* text : {"0000-01-01", "0006-09-30T15:00:00Z", "1887-12-31", "1969-12-31",
                           "1970-01-01T08:59:59+09:00", "9999-12-31T00:00:00Z"}) {
    CAPTURE(text);
    const auto parsed = parse_time(text, tokyo);
    CHECK_FALSE(parsed.instant);
    CHECK(parsed.error ==
          "\"" + std::string{text} + "\" is outside the instants op25bc handles (1970 to 9999)");
  }
  CHECK(parse_time("1970-01-01T09:00:00+09:00", tokyo).instant == Instant{});
  CHECK(parse_time("9999-12-30", zone("UTC")).instant);
  const Instant meiji{date::sys_days{date::year{1887} / 12 / 31}};
  CHECK(format_time(meiji, tokyo) == "1887-12-31T00:00:00Z");
  CHECK(format_time(at("1970-01-02", tokyo), tokyo) == "1970-01-02T00:00:00+09:00");
}

// Found by fuzz/time_and_prefix: a timestamp cut after the minutes was read
// past its end.
TEST_CASE("a timestamp cut short anywhere is an error, read within its bounds") {
  const std::string full = "2006-06-01T00:00:00Z";
  for (std::size_t n = 11; n < 20; ++n) {
    const std::string cut = full.substr(0, n);
    CAPTURE(cut);
    // Its own buffer, so a read past the end is a read past the allocation.
    const auto owned = std::make_unique<char[]>(n);
    std::memcpy(owned.get(), cut.data(), n);
    const auto parsed = parse_time(std::string_view(owned.get(), n), zone("UTC"));
    CHECK_FALSE(parsed.instant);
    CHECK(parsed.error.find("\"" + cut + "\"") != std::string::npos);
  }
}
