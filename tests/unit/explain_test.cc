// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/explain/explain.h"
#include "support/policies.h"

using namespace op25bc;
using explain::Reason;

namespace {

struct Case {
  const char* src;
  const char* dst;
  std::uint16_t port;
  const char* at;
  Reason reason;
  const char* phase;  // blocking phase id, or ""
};

explain::Explanation run(const policy::Policy& p, const Case& c) {
  const explain::Query q{*net::parse_address(c.src), *net::parse_address(c.dst), c.port,
                         test::at(p, c.at)};
  return explain::explain(p, q);
}

}  // namespace

TEST_CASE("explain: the SpinNet rollout, step by step") {
  const auto p = test::load_example("spinnet");
  const Case cases[] = {
      // Before June 1 nothing is blocked.
      {"198.18.17.5", "203.0.113.9", 25, "2006-05-31T23:59:59+09:00", Reason::no_phase, ""},
      // June 1: direct mail to mobile carriers' MX is blocked, other mail is not.
      {"198.18.17.5", "203.0.113.9", 25, "2006-06-01", Reason::blocked, "mobile"},
      {"2001:db8:200::5", "2001:db8:ffff:1::25", 25, "2006-06-01", Reason::blocked, "mobile"},
      {"198.18.17.5", "198.51.100.7", 25, "2006-06-01", Reason::destination_not_covered, ""},
      {"198.18.17.5", "203.0.113.200", 25, "2006-06-01", Reason::destination_not_covered, ""},
      // October 1: everything but the smarthost.
      {"198.18.17.5", "198.51.100.7", 25, "2006-10-01", Reason::blocked, "all"},
      {"198.18.17.5", "203.0.113.9", 25, "2006-10-01", Reason::blocked, "mobile"},
      {"198.18.17.5", "192.0.2.25", 25, "2006-10-01", Reason::smarthost, ""},
      {"2001:db8:300::1", "2001:db8:25::25", 25, "2006-10-01", Reason::smarthost, ""},
      {"198.18.17.5", "198.51.100.7", 587, "2006-10-01", Reason::port_not_blocked, ""},
      // Static business customers are never blocked; nor are addresses outside pools.
      {"198.18.64.10", "198.51.100.7", 25, "2006-10-01", Reason::no_phase, ""},
      {"198.51.100.10", "198.51.100.7", 25, "2006-10-01", Reason::not_in_pool, ""},
      // The exemption holds until 2007-03-31 (exclusive).
      {"198.18.3.4", "198.51.100.7", 25, "2007-03-30T23:59:59+09:00", Reason::exempt, ""},
      {"198.18.3.4", "198.51.100.7", 25, "2007-03-31", Reason::blocked, "all"},
      {"198.18.3.5", "198.51.100.7", 25, "2006-10-01", Reason::blocked, "all"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.src);
    CAPTURE(c.dst);
    CAPTURE(c.at);
    const auto e = run(p, c);
    CHECK(explain::reason_name(e.reason) == explain::reason_name(c.reason));
    CHECK((e.phase ? p.phases[*e.phase].id : std::string{}) == c.phase);
  }
}

TEST_CASE("explain: advice names the regional smarthost and the submission date") {
  const auto p = test::load_example("netlaputa");
  const auto e =
      run(p, {"198.18.33.1", "198.51.100.7", 25, "2006-06-15", Reason::blocked, "kanagawa"});
  const explain::Query q{*net::parse_address("198.18.33.1"), *net::parse_address("198.51.100.7"),
                         25, test::at(p, "2006-06-15")};
  const auto j = explain::to_json(p, q, e);
  CHECK(j["verdict"] == "blocked");
  CHECK(j["phase"] == "kanagawa");
  CHECK(j["source"]["pool"] == "yokohama-flets-b");
  CHECK(j["advice"][0] ==
        "send mail through the provider's server smtp.yk.netlaputa.example (smarthost "
        "\"smtp-yokohama\") at 192.0.2.26");

  const auto sp = test::load_example("spinnet");
  const explain::Query early{*net::parse_address("198.18.17.5"), *net::parse_address("203.0.113.9"),
                             25, test::at(sp, "2006-06-02")};
  const std::string text = explain::to_text(sp, early, explain::explain(sp, early));
  CHECK(text.find("verdict: blocked\n") == 0);
  CHECK(text.find("(the provider opens its submission port on 2006-06-15)") != std::string::npos);
}

TEST_CASE("explain: an allowed connection says which phase will block it later") {
  const auto p = test::load_example("spinnet");
  const auto e = run(
      p, {"198.18.17.5", "198.51.100.7", 25, "2006-06-02", Reason::destination_not_covered, ""});
  REQUIRE(e.upcoming);
  CHECK(p.phases[*e.upcoming].id == "all");
}
