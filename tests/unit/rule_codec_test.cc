// SPDX-License-Identifier: GPL-2.0-or-later
// The rule codec without root (as nftables' tests/py *.payload files): every
// rule shape op25bc compiles is encoded to nftables expressions, printed by
// libnftnl and compared with a checked-in golden file, and decoded back to the
// same IR rule. Set OP25BC_UPDATE_GOLDEN=1 to rewrite the golden file after a
// deliberate encoding change, then read its diff.
#include <doctest/doctest.h>
#include <libnftnl/rule.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "nft/rule_codec.h"
#include "op25bc/compile/compile.h"
#include "op25bc/nft/render_text.h"
#include "support/policies.h"

using namespace op25bc;

namespace {

// Every distinct rule of the examples across their rollouts, in every mode
// that shapes rules differently: actions, logging, kernel-timed guards, sets
// cut into blocks (a vmap).
std::map<std::string, ir::Rule> rule_shapes() {
  std::map<std::string, ir::Rule> shapes;  // by nft text: sorted, deterministic
  const auto collect = [&](const policy::Policy& p, const char* when, bool timed) {
    for (const auto& chain : compile(p, test::at(p, when), timed).chains)
      for (const auto& rule : chain.rules) shapes.emplace(nft::rule_text(rule), rule);
  };
  for (const char* name : {"spinnet", "netlaputa"}) {
    policy::Policy p = test::load_example(name);
    for (const char* when : {"2006-06-15", "2006-10-01", "2007-04-01"}) collect(p, when, false);
    collect(p, "2006-09-30", true);
    p.enforcement.max_set_intervals = 1;
    collect(p, "2006-10-01", false);
    for (auto action : {policy::Action::icmp, policy::Action::drop}) {
      p.enforcement.action = action;
      collect(p, "2006-10-01", false);
    }
    p.enforcement.log = policy::Log{"op25b ", std::nullopt};
    collect(p, "2006-10-01", false);
    p.enforcement.log = policy::Log{"op25b ", policy::LogRate{10, "minute"}};
    collect(p, "2006-10-01", false);
    p.enforcement.ports = {25, 2525};
    collect(p, "2006-10-01", false);
    // A monitor period: counted, recorded, no verdict; and its switch to blocking.
    p.enforcement.max_set_intervals = policy::kDefaultMaxSetIntervals;
    for (auto& phase : p.phases) phase.monitor_from = *phase.effective - std::chrono::days{30};
    collect(p, "2006-09-15", false);
    collect(p, "2006-09-30", true);
  }
  return shapes;
}

std::string expressions(const nftnl_rule* r) {
  char buf[8192];
  nftnl_rule_snprintf(buf, sizeof buf, r, NFTNL_OUTPUT_DEFAULT, 0);
  std::string text = buf;
  // The first line names table, chain and handle, none of which a bare rule has.
  const auto eol = text.find('\n');
  return eol == std::string::npos ? text : text.substr(eol + 1);
}

}  // namespace

TEST_CASE("every rule shape encodes as the golden file says and decodes to itself") {
  const nft::AnonymousSet ports_set{"__set0", 0};
  std::string got;
  std::size_t shapes = 0;
  for (const auto& [text, rule] : rule_shapes()) {
    CAPTURE(text);
    std::optional<nft::AnonymousSet> anonymous;
    std::map<std::string, std::vector<std::uint16_t>> ports;
    for (const auto& m : rule.matches)
      if (const auto* t = std::get_if<ir::TcpDestinationPorts>(&m); t && t->ports.size() > 1) {
        anonymous = ports_set;
        ports[ports_set.name] = t->ports;
      }
    nftnl_rule* r = nftnl_rule_alloc();
    nft::encode_rule(r, rule, anonymous);
    got += text + "\n" + expressions(r) + "\n";
    CHECK(nft::decode_rule(r, ports) == rule);
    nftnl_rule_free(r);
    ++shapes;
  }
  CHECK(shapes > 10);
  const std::string path = test::source_path("tests/golden/rule_encodings.txt");
  if (std::getenv("OP25BC_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << got;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "missing " << path << " (run with OP25BC_UPDATE_GOLDEN=1)");
  std::ostringstream want;
  want << in.rdbuf();
  CHECK(got == want.str());
}
