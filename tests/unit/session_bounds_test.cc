// SPDX-License-Identifier: GPL-2.0-or-later
// What a session may hold (session/bounds.h), as properties over many
// generated addresses: whatever an access server reports, an address that is
// accepted lies inside one pool prefix and is a host address or a delegated
// prefix no wider than its pool's delegated_length; the bounds file the
// events read answers exactly as the policy does.
#include "op25bc/session/bounds.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

namespace {

// Pools with nested and adjacent prefixes, and one with a delegated_length.
policy::Policy bounded_policy() {
  json doc = test::minimal_policy();
  doc["pools"][0]["prefixes"] = {"198.18.0.0/20", "198.18.4.0/24", "2001:db8:1000::/40"};
  doc["pools"][0]["delegated_length"] = 56;
  doc["pools"][1]["prefixes"] = {"198.18.16.0/20", "2001:db8:1100::/40"};
  return test::load_valid(doc);
}

// The oracle, written from the rule alone: inside one written pool prefix,
// and a host address or no wider than that pool's bound.
bool may_hold(const policy::Policy& p, const net::Prefix& a) {
  for (const auto& pool : p.pools)
    for (const auto& x : pool.prefixes.items) {
      if (x.family != a.family || a.interval().first < x.interval().first ||
          a.interval().last > x.interval().last)
        continue;
      const int bits = net::address_bits(a.family);
      if (a.length == bits) return true;
      if (a.family == net::Family::v6 && pool.delegated_length &&
          a.length >= *pool.delegated_length)
        return true;
    }
  return false;
}

net::Prefix random_address(std::mt19937_64& rng) {
  static const char* near[] = {
      "198.18.0.0/20",      "198.18.16.0/20", "198.18.4.0/24", "2001:db8:1000::/40",
      "2001:db8:1100::/40", "0.0.0.0/0",      "::/0"};
  const net::Prefix base = test::prefix(near[rng() % std::size(near)]);
  const net::Family f = base.family;
  const int bits = net::address_bits(f);
  // Mostly hosts and long prefixes, sometimes anything up to /0.
  const int length = rng() % 3 == 0
                         ? static_cast<int>(rng() % (bits + 1))
                         : bits - static_cast<int>(rng() % (f == net::Family::v6 ? 80 : 12));
  net::Word value = base.base;
  value |= ((net::Word{rng()} << 64) | rng()) & net::host_mask(f, base.length);
  value &= ~net::host_mask(f, length);
  return {value, f, static_cast<std::uint8_t>(length)};
}

}  // namespace

TEST_CASE("property: a session address is accepted exactly when the rule allows it") {
  const policy::Policy p = bounded_policy();
  const std::string path =
      (std::filesystem::temp_directory_path() / ("op25bc-bounds-" + std::to_string(::getpid())))
          .string();
  std::ofstream(path, std::ios::binary) << session::encode_pools(p);
  std::string error;
  const auto file = session::PoolsFile::open(path, error);
  REQUIRE_MESSAGE(file, error);
  std::mt19937_64 rng(34);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    const net::Prefix a = random_address(rng);
    CAPTURE(net::to_string(a));
    const bool expected = may_hold(p, a);
    CHECK(session::address_problem(p, a).empty() == expected);
    const auto range = file->find({a.family, a.interval().first}, error);
    CHECK(error.empty());
    CHECK(session::address_problem(a, range).empty() == expected);
    (expected ? accepted : refused) += 1;
  }
  CHECK(accepted > 2000);
  CHECK(refused > 2000);
  std::filesystem::remove(path);
}

TEST_CASE("the widest reports are refused, each with its reason") {
  const policy::Policy p = bounded_policy();
  for (const auto& [text, reason] : std::vector<std::pair<const char*, const char*>>{
           {"0.0.0.0/0", "0.0.0.0/0 is not inside one pool prefix"},
           {"::/0", "::/0 is not inside one pool prefix"},
           {"198.0.0.0/8", "198.0.0.0/8 is not inside one pool prefix"},
           {"198.18.0.0/19", "198.18.0.0/19 is not inside one pool prefix"},
           {"198.18.1.0/24", "198.18.1.0/24 is not a host address"},
           {"203.0.113.9", "203.0.113.9 lies in no pool"},
           {"2001:db8:1000::/48", "wider than its pool's delegated_length /56"},
           {"2001:db8:1100::/64", "no delegated_length"},
           {"2001:db8:2000::1", "lies in no pool"}}) {
    const std::string shown = text;
    CAPTURE(shown);
    const std::string problem = session::address_problem(p, test::prefix(text));
    CHECK(problem.find(reason) != std::string::npos);
  }
  for (const char* fine : {"198.18.1.9", "198.18.16.1", "2001:db8:1000:ff00::/56",
                           "2001:db8:1000:1::/64", "2001:db8:1100::5"})
    CHECK(session::address_problem(p, test::prefix(fine)).empty());
}

TEST_CASE("a bounds file that is cut, padded or not one is refused") {
  const std::string bytes = session::encode_pools(bounded_policy());
  const std::string path =
      (std::filesystem::temp_directory_path() / ("op25bc-bounds-bad-" + std::to_string(::getpid())))
          .string();
  for (const std::string& bad : {bytes.substr(0, bytes.size() - 1), bytes + "x",
                                 std::string{"op25bc-sessions 1\n"}, std::string{}}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
    std::string error;
    CHECK_FALSE(session::PoolsFile::open(path, error));
    CHECK(error.find("is not op25bc's file of pool bounds") != std::string::npos);
  }
  std::filesystem::remove(path);
  std::string error;
  CHECK_FALSE(session::PoolsFile::open(path, error));
  CHECK(session::pools_digest(bytes) ==
        session::pools_digest(session::encode_pools(bounded_policy())));
}
