// SPDX-License-Identifier: GPL-2.0-or-later
// What Kea and dnsmasq say about leases (session/dhcp.h): the hook
// environments and lease file lines Kea 2.2 really wrote, the relay ids in
// them, and as a property over generated hook calls: a subscriber is only
// ever what a relay agent asserted, never a client's own id or its own
// option 82, unless the operator trusts client ids.
#include "op25bc/session/dhcp.h"

#include <doctest/doctest.h>

#include <map>
#include <random>

using namespace op25bc;
namespace dhcp = session::dhcp;

namespace {

net::Prefix pfx(const char* text) {
  return *net::parse_prefix(text).prefix;
}

using Vars = std::map<std::string, std::string>;

dhcp::Environment env_of(const Vars& vars) {
  return [&vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>{it->second};
  };
}

std::vector<std::uint8_t> bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

// Written by Kea 2.2.0 (Debian 12) for udhcpc through dhcrelay -a, and for
// dhclient -6 -N -P through dhcrelay -6 -I.
constexpr std::string_view kLeases4 =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,"
    "user_context\n"
    "192.0.2.100,be:a9:63:df:e0:db,01:be:a9:63:df:e0:db,60,1796690309,1,0,0,,0,"
    "{ \"ISC\": { \"relay-agent-info\": \"0x01056375737431\" } }\n";
constexpr std::string_view kLeases6 =
    "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,"
    "fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source\n"
    "2001:db8:1::100,00:01:00:01:32:aa:0d:e9:be:a9:63:df:e0:db,60,1796690386,1,50,0,1675616475,"
    "128,0,0,,be:a9:63:df:e0:db,0,{ \"ISC\": { \"relays\": [ { \"hop\": 0&#x2c \"link\": "
    "\"2001:db8:1::1\"&#x2c \"options\": \"0x0012000401000000\"&#x2c \"peer\": "
    "\"fe80::bca9:63ff:fedf:e0db\" } ] } },1,2\n"
    "2001:db8:100::,00:01:00:01:32:aa:0d:e9:be:a9:63:df:e0:db,60,1796690386,1,50,2,1675616475,56,"
    "0,0,,be:a9:63:df:e0:db,0,,1,2\n";

}  // namespace

TEST_CASE("relay agent ids: remote id before subscriber id before circuit id, text or hex") {
  CHECK(dhcp::unhex("0x0105") == std::vector<std::uint8_t>{1, 5});
  CHECK(dhcp::unhex("01:be:a9") == std::vector<std::uint8_t>{1, 0xbe, 0xa9});
  CHECK_FALSE(dhcp::unhex("0x015"));
  CHECK_FALSE(dhcp::unhex("01::a9"));
  CHECK_FALSE(dhcp::unhex(""));
  CHECK(dhcp::id_text(bytes("eth0/1/3")) == "eth0/1/3");
  CHECK(dhcp::id_text(std::vector<std::uint8_t>{1, 0, 0, 0}) == "0x01000000");
  CHECK(dhcp::id_text(bytes("a b")) == "0x612062");

  // circuit id "cust1" alone; then with a remote id and a subscriber id.
  CHECK(dhcp::agent_subscriber(*dhcp::unhex("0x01056375737431")) == "cust1");
  CHECK(dhcp::agent_subscriber(*dhcp::unhex("0x010563757374310603737562")) == "sub");
  CHECK(dhcp::agent_subscriber(*dhcp::unhex("0x0105637573743106037375620203726964")) == "rid");
  CHECK_FALSE(dhcp::agent_subscriber(*dhcp::unhex("0x010663757374")));  // runs past its end
  CHECK_FALSE(dhcp::agent_subscriber(*dhcp::unhex("0x0100")));          // empty circuit id
  CHECK_FALSE(dhcp::agent_subscriber(*dhcp::unhex("0x0503616263")));    // none of the three

  // DHCPv6: interface id; subscriber id; remote id after its enterprise number.
  CHECK(dhcp::relay6_subscriber(*dhcp::unhex("0x0012000401000000")) == "0x01000000");
  CHECK(dhcp::relay6_subscriber(*dhcp::unhex("0x00120001410026000361626d")) == "abm");
  CHECK(dhcp::relay6_subscriber(*dhcp::unhex("0x0026000361626d00250007000009bf616e6e")) == "ann");
  CHECK_FALSE(dhcp::relay6_subscriber(*dhcp::unhex("0x00250004000009bf")));  // no id past it
  CHECK_FALSE(dhcp::relay6_subscriber(*dhcp::unhex("0x001200")));
}

TEST_CASE("Kea's hook: a relayed commit is its agent's, a release is nobody's") {
  Vars v{{"LEASES4_SIZE", "1"},
         {"LEASES4_AT0_ADDRESS", "192.0.2.100"},
         {"LEASES4_AT0_CLIENT_ID", "01:be:a9:63:df:e0:db"},
         {"LEASES4_AT0_HWADDR", "be:a9:63:df:e0:db"},
         {"DELETED_LEASES4_SIZE", "1"},
         {"DELETED_LEASES4_AT0_ADDRESS", "192.0.2.7"},
         {"QUERY4_OPTION_82", "0x01056375737431"},
         {"QUERY4_RELAYED", "true"}};
  auto call = dhcp::hook_call("leases4_committed", env_of(v), {});
  CHECK(call.known);
  REQUIRE(call.committed.size() == 1);
  CHECK(call.committed[0].prefix == pfx("192.0.2.100"));
  CHECK(call.committed[0].subscriber == "cust1");
  CHECK(call.committed[0].client == "01:be:a9:63:df:e0:db");
  CHECK(call.gone == std::vector{pfx("192.0.2.7")});
  CHECK_FALSE(call.relays_in_lease_file);

  // Straight from the client (a renewal, or a forger): its option 82 is
  // not the network's word; only a trusted client id names it then.
  v["QUERY4_RELAYED"] = "false";
  call = dhcp::hook_call("leases4_committed", env_of(v), {});
  CHECK(call.committed[0].subscriber.empty());
  CHECK(call.problems.size() == 1);
  call = dhcp::hook_call("leases4_committed", env_of(v), {true});
  CHECK(call.committed[0].subscriber == "01:be:a9:63:df:e0:db");

  for (const char* point : {"lease4_release", "lease4_expire", "lease4_decline"}) {
    const Vars gone{{"LEASE4_ADDRESS", "192.0.2.100"}, {"QUERY4_OPTION_82", "0x0103616263"}};
    call = dhcp::hook_call(point, env_of(gone), {});
    CHECK(call.known);
    CHECK(call.committed.empty());
    CHECK(call.gone == std::vector{pfx("192.0.2.100")});
  }
  for (const char* point : {"lease4_renew", "lease6_rebind", "pkt4_receive", "", "leases4"})
    CHECK_FALSE(dhcp::hook_call(point, env_of(v), {}).known);

  const Vars six{{"LEASES6_SIZE", "2"},
                 {"LEASES6_AT0_ADDRESS", "2001:db8:1::100"},
                 {"LEASES6_AT0_PREFIX_LEN", "128"},
                 {"LEASES6_AT0_DUID", "00:01"},
                 {"LEASES6_AT1_ADDRESS", "2001:db8:100::"},
                 {"LEASES6_AT1_PREFIX_LEN", "56"},
                 {"LEASES6_AT1_DUID", "00:01"},
                 {"LEASE6_ADDRESS", "2001:db8:100::"},
                 {"LEASE6_PREFIX_LEN", "56"}};
  call = dhcp::hook_call("leases6_committed", env_of(six), {true});
  CHECK(call.relays_in_lease_file);
  REQUIRE(call.committed.size() == 2);
  CHECK(call.committed[1].prefix == pfx("2001:db8:100::/56"));
  CHECK(call.committed[0].subscriber.empty());  // weighed after the lease file is read
  CHECK(dhcp::hook_call("lease6_release", env_of(six), {}).gone ==
        std::vector{pfx("2001:db8:100::/56")});
}

TEST_CASE("Kea's hook: what cannot be a lease is said, and none of a flood is used") {
  Vars v{{"LEASES4_SIZE", "3"},
         {"LEASES4_AT0_ADDRESS", "192.0.2.1/24"},
         {"LEASES4_AT1_ADDRESS", "2001:db8::1"},  // not IPv4
         {"LEASES4_AT2_ADDRESS", "192.0.2.2"},
         {"QUERY4_OPTION_82", "0x0102"},  // malformed: names no one
         {"QUERY4_RELAYED", "true"}};
  auto call = dhcp::hook_call("leases4_committed", env_of(v), {});
  REQUIRE(call.committed.size() == 1);
  CHECK(call.committed[0].prefix == pfx("192.0.2.2"));
  CHECK(call.committed[0].subscriber.empty());
  CHECK(call.problems.size() == 2);
  v["LEASES4_SIZE"] = "65";
  call = dhcp::hook_call("leases4_committed", env_of(v), {});
  CHECK(call.committed.empty());
  CHECK(call.problems.size() == 1);
  v["LEASES4_SIZE"] = "-1";
  CHECK(dhcp::hook_call("leases4_committed", env_of(v), {}).committed.empty());
  const Vars bad_length{{"LEASE6_ADDRESS", "2001:db8::"}, {"LEASE6_PREFIX_LEN", "129"}};
  call = dhcp::hook_call("lease6_release", env_of(bad_length), {});
  CHECK(call.gone.empty());
  CHECK(call.problems.size() == 1);
}

TEST_CASE("Kea's memfile: the last line of a lease wins, relay ids from its user context") {
  auto four = dhcp::parse_memfile(kLeases4, {});
  CHECK(four.problems.empty());
  REQUIRE(four.rows.size() == 1);
  CHECK(four.rows[0].lease.subscriber == "cust1");
  CHECK(dhcp::live(four.rows, 1796690308).size() == 1);
  CHECK(dhcp::live(four.rows, 1796690309).empty());  // expired

  auto six = dhcp::parse_memfile(kLeases6, {});
  CHECK(six.family == net::Family::v6);
  REQUIRE(six.rows.size() == 2);
  CHECK(six.rows[0].lease.subscriber == "0x01000000");  // "&#x2c" is Kea's comma
  CHECK(six.rows[1].lease.prefix == pfx("2001:db8:100::/56"));
  CHECK(six.rows[1].lease.subscriber.empty());  // no relay information
  CHECK(six.rows[1].duid == "00:01:00:01:32:aa:0d:e9:be:a9:63:df:e0:db");
  six = dhcp::parse_memfile(kLeases6, {true});
  CHECK(six.rows[1].lease.subscriber == six.rows[1].duid);

  // Released (lifetime 0), declined (state 1), then leased again.
  std::string lines{kLeases4};
  lines += "192.0.2.100,be:a9:63:df:e0:db,,0,1796690309,1,0,0,,0,\n";
  CHECK(dhcp::live(dhcp::parse_memfile(lines, {}).rows, 0).empty());
  lines += "192.0.2.100,be:a9:63:df:e0:db,,60,1796690409,1,0,0,,1,\n";
  CHECK(dhcp::live(dhcp::parse_memfile(lines, {}).rows, 0).empty());
  lines +=
      "192.0.2.100,aa:aa:aa:aa:aa:aa,,60,1796690509,1,0,0,,0,{ \"ISC\": { "
      "\"relay-agent-info\": { \"sub-options\": \"0x0203726964\" } } }\n";
  const auto live = dhcp::live(dhcp::parse_memfile(lines, {}).rows, 0);
  REQUIRE(live.size() == 1);
  CHECK(live[0].subscriber == "rid");  // Kea 2.4's form
  CHECK(live[0].client == "aa:aa:aa:aa:aa:aa");

  // The relay closest to the server names the subscriber, not one a client
  // wrapped its message in.
  const std::string nested =
      std::string{kLeases6.substr(0, kLeases6.find('\n') + 1)} +
      "2001:db8:1::7,00:02,60,9999999999,1,50,0,1,128,0,0,,,0,{ \"ISC\": { \"relays\": [ { "
      "\"hop\": 1&#x2c \"options\": \"0x0026000473756231\" }&#x2c { \"hop\": 0&#x2c \"options\": "
      "\"0x00260005666f726765\" } ] } },1,2\n";
  CHECK(dhcp::parse_memfile(nested, {}).rows.at(0).lease.subscriber == "sub1");

  // Not a lease file; lines that are not leases.
  CHECK(dhcp::parse_memfile("address,foo\n192.0.2.1\n", {}).problems.at(0).line == 1);
  const auto broken = dhcp::parse_memfile(
      std::string{kLeases4.substr(0, kLeases4.find('\n') + 1)} +
          "192.0.2.1,x\n300.0.2.1,,,60,1,1,0,0,,0,\n192.0.2.1,,,sixty,1,1,0,0,,0,\n",
      {});
  CHECK(broken.rows.empty());
  CHECK(broken.problems.size() == 3);
  CHECK(broken.problems[2].line == 4);
}

TEST_CASE("dnsmasq's lease file: live leases, a client id only when trusted") {
  const std::string_view file =
      "1796690309 52:54:00:12:90:12 198.18.1.100 ann 01:52:54:00:12:90:12\n"
      "0 52:54:00:00:00:0b 198.18.1.101 * *\n"
      "100 52:54:00:00:00:0c 198.18.1.102 * *\n"
      "duid 00:01:00:01:2a:bc:de:f0:52:54:00:00:00:01\n"
      "1796690309 1675616475 2001:db8:100::5 * 00:01:00:01:32:aa\n"
      "garbage\n";
  auto read = dhcp::parse_dnsmasq(file, 1000, {});
  REQUIRE(read.leases.size() == 3);  // the third has expired
  CHECK(read.leases[0].client == "01:52:54:00:12:90:12");
  CHECK(read.leases[1].client == "52:54:00:00:00:0b");  // no client id: the MAC
  CHECK(read.leases[2].prefix == pfx("2001:db8:100::5"));
  CHECK(read.leases[2].client == "00:01:00:01:32:aa");
  for (const auto& lease : read.leases) CHECK(lease.subscriber.empty());
  CHECK(read.problems.size() == 1);
  read = dhcp::parse_dnsmasq(file, 1000, {true});
  CHECK(read.leases[0].subscriber == "01:52:54:00:12:90:12");
}

TEST_CASE("property: a hook call's subscriber is a relay agent's word, never the client's") {
  std::mt19937 rng(36);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> ids{"ann", "port-ann", "0x01", "bob", "eth0/1"};
  for (int round = 0; round < 5000; ++round) {
    // A random option 82 (well-formed or not), relayed or not, with a
    // client id that may name an exempt subscriber.
    std::string hex = "0x";
    std::optional<std::string> agent;
    const int subs = pick(4);
    std::map<int, std::string> said;
    for (int i = 0; i < subs; ++i) {
      const int code = std::vector<int>{1, 2, 6, 9}[pick(4)];
      const std::string& id = ids[pick(static_cast<int>(ids.size()))];
      char head[5];
      std::snprintf(head, sizeof head, "%02x%02x", code, static_cast<int>(id.size()));
      hex += head;
      for (const char c : id) {
        char two[3];
        std::snprintf(two, sizeof two, "%02x", static_cast<unsigned char>(c));
        hex += two;
      }
      said.try_emplace(code, id);
    }
    const bool truncated = pick(5) == 0 && hex.size() > 4;
    if (truncated) hex.resize(hex.size() - 2);
    for (const int code : {2, 6, 1})
      if (!truncated && said.contains(code)) {
        agent = said[code];
        break;
      }
    const bool relayed = pick(2) == 0;
    const bool trust = pick(3) == 0;
    const std::string client = ids[pick(static_cast<int>(ids.size()))];
    Vars v{{"LEASES4_SIZE", "1"},
           {"LEASES4_AT0_ADDRESS", "198.18.1." + std::to_string(pick(250) + 1)},
           {"LEASES4_AT0_CLIENT_ID", client},
           {"QUERY4_RELAYED", relayed ? "true" : "false"}};
    if (subs > 0) v["QUERY4_OPTION_82"] = hex;
    const auto call = dhcp::hook_call("leases4_committed", env_of(v), {trust});
    REQUIRE(call.committed.size() == 1);
    const std::string& got = call.committed[0].subscriber;
    const std::string expected = relayed && agent ? *agent : trust ? client : "";
    INFO("option 82 " << hex << (relayed ? " relayed" : " direct") << (trust ? " trusted" : ""));
    CHECK(got == expected);
    if (!trust) CHECK((got.empty() || (relayed && agent && got == *agent)));
  }
}
