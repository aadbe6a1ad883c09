// SPDX-License-Identifier: GPL-2.0-or-later
#include "support/policies.h"

#include <doctest/doctest.h>

#include "op25bc/nft/render_text.h"
#include "op25bc/policy/load.h"

namespace op25bc::test {

std::string source_path(const std::string& relative) {
  return std::string{OP25BC_SOURCE_DIR} + "/" + relative;
}

policy::Policy load_example(const std::string& name) {
  Diagnostics diags;
  auto text = policy::read_file(source_path("examples/" + name + ".json"), diags);
  REQUIRE(text);
  auto p = policy::load_text(*text, diags);
  REQUIRE_MESSAGE(p, describe(diags));
  return *p;
}

std::optional<policy::Policy> load_json(const nlohmann::json& document, Diagnostics& diags) {
  return policy::load_text(document.dump(), diags);
}

policy::Policy load_valid(const nlohmann::json& document) {
  Diagnostics diags;
  auto p = load_json(document, diags);
  REQUIRE_MESSAGE(p, describe(diags));
  return std::move(*p);
}

nlohmann::json minimal_policy() {
  return nlohmann::json::parse(R"({
    "version": 1,
    "timezone": "Asia/Tokyo",
    "services": [ { "id": "flets-b" }, { "id": "adsl" } ],
    "pools": [
      { "id": "tokyo", "service": "flets-b", "region": "tokyo",
        "prefixes": ["198.18.0.0/20", "2001:db8:1000::/40"] },
      { "id": "osaka", "service": "adsl", "region": "osaka", "prefixes": ["198.18.16.0/20"] }
    ],
    "smarthosts": [ { "id": "smtp", "addresses": ["192.0.2.25", "2001:db8:25::25"] } ],
    "destinations": [ { "id": "mobile-mx", "prefixes": ["203.0.113.0/24"] } ],
    "exemptions": [ { "id": "cust-1", "prefixes": ["198.18.3.4/32"], "until": "2007-03-31" } ],
    "submission": { "ports": [587, 465], "effective": "2006-05-15" },
    "phases": [
      { "id": "mobile", "effective": "2006-06-01", "block": ["mobile-mx"] },
      { "id": "all", "effective": "2006-10-01", "scope": { "services": ["flets-b"] }, "block": "all" }
    ]
  })");
}

net::Prefix prefix(const char* text) {
  const auto p = net::parse_prefix(text);
  REQUIRE_MESSAGE(p.prefix, p.error);
  return *p.prefix;
}

Instant at(const policy::Policy& p, const std::string& text) {
  auto parsed = parse_time(text, p.zone);
  REQUIRE_MESSAGE(parsed.instant, parsed.error);
  return *parsed.instant;
}

std::string describe(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.entries()) {
    out += d.pointer + (d.severity == Severity::error ? ": error: " : ": warning: ") + d.message +
           "\n";
    for (const auto& r : d.related) out += r.where.pointer + ": note: " + r.note + "\n";
  }
  return out;
}

std::vector<std::string> rule_texts(const ir::Ruleset& r, const std::string& chain) {
  std::vector<std::string> out;
  for (const auto& c : r.chains)
    if (c.name == chain)
      for (const auto& rule : c.rules) out.push_back(nft::rule_text(rule));
  return out;
}

const ir::Set* find_set(const ir::Ruleset& r, const std::string& name) {
  for (const auto& s : r.sets)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace op25bc::test
