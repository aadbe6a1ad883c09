#include "support/nft_json_eval.h"

#include <stdexcept>

namespace op25bc::test {

using nlohmann::json;

namespace {

[[noreturn]] void unsupported(const std::string& what, const json& j) {
  throw std::runtime_error("nft_json_eval: unsupported " + what + ": " + j.dump());
}

net::Address address(const json& j) {
  auto a = net::parse_address(j.get<std::string>());
  if (!a) unsupported("address", j);
  return *a;
}

net::Interval element(const json& e) {
  if (e.is_string()) {
    const auto a = address(e);
    return {a.value, a.value};
  }
  if (e.contains("prefix")) {
    const auto a = address(e["prefix"]["addr"]);
    return net::Prefix{a.value, a.family, e["prefix"]["len"].get<std::uint8_t>()}.interval();
  }
  if (e.contains("range")) return {address(e["range"][0]).value, address(e["range"][1]).value};
  unsupported("set element", e);
}

}  // namespace

NftJsonRuleset::NftJsonRuleset(const json& document) {
  for (const json& command : document.at("nftables")) {
    if (command.contains("metainfo")) continue;
    if (command.contains("add")) {
      add(command["add"]);
    } else if (command.contains("delete") && command["delete"].contains("table")) {
      sets_.clear();  // the document holds one table: deleting it empties the state
      chains_.clear();
    } else {
      unsupported("command", command);
    }
  }
}

void NftJsonRuleset::add(const json& object) {
  if (object.contains("table") || object.contains("counter")) return;
  if (object.contains("set")) {
    const json& s = object["set"];
    sets_[s.at("name")] = Set{s.at("type"), {}};
  } else if (object.contains("element")) {
    const json& e = object["element"];
    Set& set = sets_.at(e.at("name"));
    for (const json& item : e.at("elem")) set.elements.push_back(element(item));
  } else if (object.contains("chain")) {
    const json& c = object["chain"];
    Chain& chain = chains_[c.at("name")];
    if (c.contains("hook")) {
      if (c["hook"] != "forward") unsupported("hook", c);
      chain.base = true;
      chain.policy = c.value("policy", "accept");
    }
  } else if (object.contains("rule")) {
    const json& r = object["rule"];
    chains_.at(r.at("chain")).rules.push_back(r.at("expr"));
  } else {
    unsupported("object", object);
  }
}

bool NftJsonRuleset::match(const json& m, const Packet& p) const {
  if (m.at("op") != "==") unsupported("match operator", m);
  const json& left = m.at("left");
  const json& right = m.at("right");
  if (left.contains("meta")) {
    if (left["meta"]["key"] != "l4proto" || right != "tcp") unsupported("meta match", m);
    return true;  // every evaluated packet is TCP
  }
  const json& payload = left.at("payload");
  const std::string protocol = payload.at("protocol");
  const std::string field = payload.at("field");
  if (protocol == "tcp" && field == "dport") {
    if (right.is_number()) return right.get<int>() == p.port;
    for (const json& port : right.at("set"))
      if (port.get<int>() == p.port) return true;
    return false;
  }
  if (protocol != "ip" && protocol != "ip6") unsupported("payload", m);
  // A network-layer match implies the family: an IPv4 match fails on IPv6.
  const net::Family family = protocol == "ip" ? net::Family::v4 : net::Family::v6;
  if (p.source.family != family) return false;
  const net::Word value = field == "saddr"   ? p.source.value
                          : field == "daddr" ? p.destination.value
                                             : (unsupported("field", m), 0);
  const std::string ref = right.get<std::string>();
  if (ref.empty() || ref[0] != '@') unsupported("match right-hand side", m);
  const Set& set = sets_.at(ref.substr(1));
  if (set.type != (family == net::Family::v4 ? "ipv4_addr" : "ipv6_addr"))
    unsupported("set type", m);
  for (const auto& iv : set.elements)
    if (value >= iv.first && value <= iv.last) return true;
  return false;
}

Outcome NftJsonRuleset::evaluate(const Packet& p) const {
  for (const auto& [name, base] : chains_) {
    if (!base.base) continue;
    const Outcome fallthrough = base.policy == "drop" ? Outcome::drop : Outcome::accept;
    // An explicit call stack of (chain, next rule index).
    std::vector<std::pair<const Chain*, std::size_t>> stack{{&base, 0}};
    std::optional<Outcome> verdict;
    while (!verdict) {
      if (stack.empty()) {
        verdict = fallthrough;
        break;
      }
      if (stack.back().second == stack.back().first->rules.size()) {
        stack.pop_back();  // end of a jumped-to chain: back to the caller
        continue;
      }
      const json& expr = stack.back().first->rules[stack.back().second++];
      for (const json& e : expr) {
        if (e.contains("match")) {
          if (!match(e["match"], p)) break;  // rule does not match
          continue;
        }
        if (e.contains("counter") || e.contains("log") || e.contains("limit"))
          continue;  // statements that do not change the verdict
        // A verdict ends the rule.
        if (e.contains("accept"))
          verdict = Outcome::accept;
        else if (e.contains("drop"))
          verdict = Outcome::drop;
        else if (e.contains("reject"))
          verdict = Outcome::reject;
        else if (e.contains("return"))
          stack.pop_back();
        else if (e.contains("jump"))
          stack.push_back({&chains_.at(e["jump"]["target"]), 0});
        else if (e.contains("goto"))
          stack.back() = {&chains_.at(e["goto"]["target"]), 0};
        else
          unsupported("expression", e);
        break;
      }
    }
    // An accept in one base chain does not stop the next; a drop or reject does.
    if (*verdict != Outcome::accept) return *verdict;
  }
  return Outcome::accept;
}

std::size_t NftJsonRuleset::rule_count() const {
  std::size_t n = 0;
  for (const auto& [name, chain] : chains_) n += chain.rules.size();
  return n;
}

}  // namespace op25bc::test
