// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/io/json_integer.h"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "op25bc/history/history.h"
#include "op25bc/xt/plan.h"

using namespace op25bc;
using nlohmann::json;

TEST_CASE("a JSON integer is read only when the type holds it, never from a double") {
  CHECK(io::json_integer<std::uint64_t>(json::parse("18446744073709551615")) ==
        std::uint64_t{18446744073709551615u});
  CHECK_FALSE(io::json_integer<std::uint64_t>(json::parse("18446744073709551616")));  // a double
  CHECK_FALSE(io::json_integer<std::uint64_t>(json::parse("1e300")));
  CHECK_FALSE(io::json_integer<std::uint64_t>(json::parse("-1")));
  CHECK_FALSE(io::json_integer<std::int64_t>(json::parse("9223372036854775808")));
  CHECK(io::json_integer<std::int64_t>(json::parse("-9223372036854775808")) == INT64_MIN);
  CHECK_FALSE(io::json_integer<std::uint16_t>(json::parse("65536")));
  CHECK(io::json_integer<std::uint16_t>(json::parse("65535")) == 65535);
  CHECK_FALSE(io::json_integer<int>(json::parse("1.5")));
  CHECK_FALSE(io::json_integer<int>(json::parse("\"1\"")));
}

TEST_CASE("records and the history index with numbers out of range are unusable, not undefined") {
  // The libFuzzer input that found it: "intervals" far beyond 64 bits.
  std::ifstream in(OP25BC_SOURCE_DIR "/fuzz/regressions/xt_output/record-intervals-beyond-64-bits",
                   std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(bytes.size() > 1);
  CHECK_FALSE(xt::decode(std::string_view(bytes).substr(1)));
  const json index = json::parse(R"({"format": 1, "pinned": null, "entries": [{"when": "w",
    "instant": "i", "fingerprint": "0123456789abcdef", "command": "activate", "policy": "p",
    "phases": [], "changed": true, "late_by_seconds": 1e300}]})");
  CHECK_FALSE(history::history_from_json(index));
}
