// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/compile/compile.h"
#include "op25bc/xt/kernel.h"
#include "op25bc/xt/render.h"
#include "support/policies.h"

using namespace op25bc;

using nlohmann::json;

namespace {

xt::Ruleset lowered(const policy::Policy& p, const std::string& at, bool timed = false) {
  Diagnostics diags;
  auto r = xt::compile(p, test::at(p, at), timed, 1, diags);
  REQUIRE(test::describe(diags) == "");
  return r;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("iptables: spinnet in October, IPv4, as iptables-legacy-restore reads it") {
  const auto p = test::load_example("spinnet");
  const auto text = xt::render_restore(lowered(p, "2006-10-01"), net::Family::v4);
  CHECK(lines(text) ==
        std::vector<std::string>{
            "# op25bc " OP25BC_VERSION
            ": table op25b, generation 1, IPv4; load with iptables-legacy-restore -w --noflush",
            "*filter",
            ":OP25B-CHECK - [0:0]",
            ":OP25B-C-submission4 - [0:0]",
            ":OP25B-C-smarthost4 - [0:0]",
            ":OP25B-P-mobile - [0:0]",
            ":OP25B-P-all - [0:0]",
            ":OP25B-BLOCK - [0:0]",
            // Submission adoption: a pool's SYN to port 587, and to a smarthost, counted
            // by the one rule of a chain of its own.
            "-A OP25B-CHECK -p tcp -m multiport --dports 587 -m tcp --tcp-flags SYN,ACK SYN -m "
            "conntrack ! --ctstatus CONFIRMED -m set "
            "--match-set op25b-phase_mobile_src4.1 src -j OP25B-C-submission4",
            "-A OP25B-CHECK -p tcp -m multiport --dports 587 -j RETURN",
            "-A OP25B-CHECK -p tcp -m tcp --tcp-flags SYN,ACK SYN -m conntrack ! --ctstatus "
            "CONFIRMED -m set --match-set "
            "op25b-smarthost4.1 dst -m set --match-set op25b-phase_mobile_src4.1 src -j "
            "OP25B-C-smarthost4",
            "-A OP25B-CHECK -m set --match-set op25b-smarthost4.1 dst -j RETURN",
            "-A OP25B-CHECK -m set --match-set op25b-exempt4.1 src -j RETURN",
            "-A OP25B-CHECK -m set --match-set op25b-phase_mobile_src4.1 src -m set --match-set "
            "op25b-phase_mobile_dst4.1 dst -g OP25B-P-mobile",
            // Both phases select the same pools: one source set.
            "-A OP25B-CHECK -m set --match-set op25b-phase_mobile_src4.1 src -g OP25B-P-all",
            "-A OP25B-C-submission4 -j RETURN",
            "-A OP25B-C-smarthost4 -j RETURN",
            "-A OP25B-P-mobile -g OP25B-BLOCK",
            "-A OP25B-P-all -g OP25B-BLOCK",
            "-A OP25B-BLOCK -m limit --limit 10/min -j LOG --log-prefix \"op25b \"",
            "-A OP25B-BLOCK -p tcp -j REJECT --reject-with tcp-reset",
            "-I FORWARD 1 -p tcp -m multiport --dports 25,587 -j OP25B-CHECK",
            "COMMIT",
        });
}

TEST_CASE(
    "iptables: icmp and drop, per family; ports and the log rate as iptables-save prints them") {
  auto doc = test::minimal_policy();
  doc["enforcement"] = {{"action", "icmp"},
                        {"ports", {25, 2525}},
                        {"log", {{"prefix", "OP25B: "}, {"rate", "3/hour"}}}};
  Diagnostics diags;
  const auto p = test::load_json(doc, diags);
  REQUIRE(p);
  const auto r = lowered(*p, "2030-01-01");
  const auto& block4 = r.v4.chains.back().rules;
  const auto& block6 = r.v6.chains.back().rules;
  CHECK(xt::render_tokens(block4.at(0)) ==
        "-m limit --limit 3/hour -j LOG --log-prefix \"OP25B: \"");
  CHECK(xt::render_tokens(block4.at(1)) == "-j REJECT --reject-with icmp-admin-prohibited");
  CHECK(xt::render_tokens(block6.at(1)) == "-j REJECT --reject-with icmp6-adm-prohibited");
  CHECK(xt::render_tokens(r.v4.forward_jump) ==
        "-p tcp -m multiport --dports 25,465,587,2525 -j OP25B-CHECK");
  doc["enforcement"]["action"] = "drop";
  const auto dropping = test::load_json(doc, diags);
  REQUIRE(dropping);
  CHECK(xt::render_tokens(lowered(*dropping, "2030-01-01").v6.chains.back().rules.at(1)) ==
        "-j DROP");
}

TEST_CASE("iptables: more ports than multiport takes is an error at the enforcement ports") {
  auto doc = test::minimal_policy();
  doc["enforcement"] = {{"ports", json::array()}};
  for (int port = 2500; port < 2514; ++port) doc["enforcement"]["ports"].push_back(port);
  Diagnostics diags;
  const auto p = test::load_json(doc, diags);  // 14 ports and 2 submission ports
  REQUIRE(p);
  xt::compile(*p, test::at(*p, "2030-01-01"), false, 1, diags);
  CHECK(test::describe(diags) ==
        "/enforcement/ports: error: the enforcement and submission ports are 16: iptables' "
        "multiport match takes at most 15\n");
  doc["enforcement"]["ports"].erase(0);
  Diagnostics fewer;
  const auto q = test::load_json(doc, fewer);
  REQUIRE(q);
  xt::compile(*q, test::at(*q, "2030-01-01"), false, 1, fewer);
  CHECK(fewer.entries().empty());
}

TEST_CASE("iptables: what iptables cannot say is an error at its pointer") {
  auto doc = test::minimal_policy();
  doc["enforcement"] = {{"log", {{"prefix", "a log prefix of thirty bytes!!"}}}};
  Diagnostics diags;
  const auto p = test::load_json(doc, diags);
  REQUIRE(p);
  xt::compile(*p, test::at(*p, "2030-01-01"), false, 1, diags);
  CHECK(test::describe(diags) ==
        "/enforcement/log/prefix: error: log prefix is 30 bytes: iptables' LOG target takes at "
        "most 29\n");
  doc["enforcement"] = {{"log", {{"prefix", "back\\slash"}}}};
  Diagnostics again;
  const auto q = test::load_json(doc, again);
  REQUIRE(q);
  xt::compile(*q, test::at(*q, "2030-01-01"), false, 1, again);
  CHECK(test::describe(again) ==
        "/enforcement/log/prefix: error: log prefix holds a control character or '\\', which "
        "iptables-restore cannot read back as written\n");
}

TEST_CASE("iptables: kernel-timed boundaries as -m time in UTC, to the second") {
  const auto p = test::load_example("spinnet");
  // 2006-10-01T00:00 in Tokyo is 2006-09-30T15:00:00Z.
  const auto r = lowered(p, "2006-09-30", true);
  std::string check;
  for (const auto& rule : r.v4.chains.front().rules) check += xt::render_tokens(rule) + "\n";
  CHECK(check.find("-m time --datestart 2006-09-30T15:00:00 --datestop 2038-01-19T03:14:07") !=
        std::string::npos);
  CHECK(check.find("-m time --datestop 2006-09-30T14:59:59") != std::string::npos);
}

TEST_CASE("iptables: names fit the kernel's limits and keep their stem across generations") {
  const std::string long_set = "phase_a_very_long_phase_identifier_indeed_src4";
  for (std::uint64_t g : {1u, 9u, 10u, 999999u}) {
    const auto name = xt::set_name("op25b", long_set, g);
    CHECK(name.size() <= 31);
    CHECK(xt::strip_generation(name) == xt::set_stem("op25b", long_set));
  }
  CHECK(xt::set_name("op25b", "exempt4", 12) == "op25b-exempt4.12");
  CHECK(xt::strip_generation("op25b-exempt4.12") == "op25b-exempt4");
  CHECK(xt::strip_generation("foreign") == "");
  CHECK(xt::phase_chain("op25b", "phase_late_adopters") == "OP25B-P-late_adopters");
  CHECK(xt::phase_chain("op25b", "phase_" + std::string(40, 'x')).size() == 28);
}

TEST_CASE("iptables: tokens quote as iptables-restore reads them, and split back") {
  const xt::Tokens rule{"-j", "LOG", "--log-prefix", "say \"hi\" \\ there", ""};
  const std::string text = xt::render_tokens(rule);
  CHECK(text == "-j LOG --log-prefix \"say \\\"hi\\\" \\\\ there\" \"\"");
  CHECK(xt::split_tokens(text) == rule);
}

TEST_CASE("prefixes: an interval as the fewest aligned prefixes; hash:net never gets a /0") {
  net::Prefixes out;
  const auto first = *net::parse_address("192.0.2.1");
  const auto last = *net::parse_address("192.0.2.6");
  net::append_prefixes(out, net::Family::v4, {first.value, last.value});
  std::vector<std::string> text;
  for (const auto& p : out) text.push_back(net::to_string(p));
  CHECK(text == std::vector<std::string>{"192.0.2.1", "192.0.2.2/31", "192.0.2.4/31", "192.0.2.6"});
  xt::IpSet all{"s.1", "s", net::Family::v6, false, {{0, ~net::Word{0}}}, 0, 0, 0};
  const auto halves = xt::members(all);
  REQUIRE(halves.size() == 2);
  CHECK(net::to_string(halves[0]) == "::/1");
  CHECK(net::to_string(halves[1]) == "8000::/1");
}

TEST_CASE("xt read: iptables-save -c, ipset list -t and ipset save") {
  std::string error;
  const auto table = xt::parse_save(
      "# Generated by iptables-save\n*filter\n:INPUT ACCEPT [1:2]\n:FORWARD DROP [0:0]\n"
      ":OP25B-CHECK - [0:0]\n[3:180] -A FORWARD -p tcp -m multiport --dports 25 -j OP25B-CHECK\n"
      "[0:0] -A OP25B-CHECK -j LOG --log-prefix \"a b\"\nCOMMIT\n",
      error);
  REQUIRE(table);
  CHECK(table->chains == std::vector<std::string>{"OP25B-CHECK"});
  REQUIRE(table->rules.size() == 2);
  CHECK(table->rules[0].chain == "FORWARD");
  CHECK(table->rules[0].packets == 3);
  CHECK(table->rules[0].bytes == 180);
  CHECK(table->rules[1].tokens == xt::Tokens{"-j", "LOG", "--log-prefix", "a b"});
  CHECK_FALSE(xt::parse_save("*filter\n[x:1] -A FORWARD -j DROP\n", error));
  CHECK(error == "iptables-save line 2: unreadable counters");

  const auto sets = xt::parse_ipset_list(
      "Name: op25b-exempt4.1\nType: hash:net\nRevision: 7\nHeader: family inet hashsize 1024 "
      "maxelem 131072 bucketsize 12 initval 0x1\nSize in memory: 1\nReferences: 2\n"
      "Number of entries: 17\n\nName: other\nType: hash:ip\n",
      error);
  REQUIRE(sets);
  REQUIRE(sets->size() == 2);
  CHECK((*sets)[0].family == "inet");
  CHECK((*sets)[0].maxelem == 131072);
  CHECK((*sets)[0].references == 2);
  CHECK((*sets)[0].entries == 17);
  CHECK((*sets)[1].type == "hash:ip");

  const auto members = xt::parse_ipset_members(
      "create s hash:net family inet\nadd s 198.18.0.0/16\nadd s 192.0.2.7\n", net::Family::v4,
      error);
  REQUIRE(members);
  REQUIRE(members->size() == 2);
  CHECK(net::to_string((*members)[0]) == "192.0.2.7");
  CHECK_FALSE(xt::parse_ipset_members("add s 192.0.2.0/24 nomatch\n", net::Family::v4, error));
  CHECK(error == "ipset save: an element op25bc did not write: add s 192.0.2.0/24 nomatch");
}
