// SPDX-License-Identifier: GPL-2.0-or-later
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
    // A set with a timeout that rules update (nft -j has no "dynamic" flag).
    const json flags = s.value("flags", json::array());
    const bool dynamic = std::find(flags.begin(), flags.end(), "timeout") != flags.end();
    sets_[s.at("name")] = Set{s.at("type"), {}, {}, dynamic};
  } else if (object.contains("map")) {
    const json& m = object["map"];
    if (m.at("map") != "verdict") unsupported("map", m);
    sets_[m.at("name")] = Set{m.at("type"), {}, {}};
  } else if (object.contains("element")) {
    const json& e = object["element"];
    Set& set = sets_.at(e.at("name"));
    for (const json& item : e.at("elem")) {
      if (!item.is_array()) {
        set.elements.push_back(element(item));
        continue;
      }
      if (item.size() != 2 || !item[1].contains("goto")) unsupported("map element", item);
      set.elements.push_back(element(item[0]));
      set.gotos.push_back(item[1]["goto"].at("target"));
    }
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
  const json& left = m.at("left");
  const json& right = m.at("right");
  // ct status ! confirmed: every evaluated packet opens its connection.
  if (m.at("op") == "!" && left == json{{"ct", {{"key", "status"}}}} && right == "confirmed")
    return true;
  if (m.at("op") != "==") unsupported("match operator", m);
  if (left.contains("&")) {  // tcp flags & (syn | ack) == syn: the packet is a SYN
    const json& and_ = left["&"];
    if (and_.size() != 2 ||
        and_[0] != json{{"payload", {{"protocol", "tcp"}, {"field", "flags"}}}} ||
        and_[1] != json::array({"syn", "ack"}) || right != "syn")
      unsupported("flags match", m);
    return true;
  }
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
  const auto value = address_of(payload, p);
  if (!value) return false;  // a network-layer match implies the family
  const std::string ref = right.get<std::string>();
  if (ref.empty() || ref[0] != '@') unsupported("match right-hand side", m);
  const Set* set = lookup(ref, p.source.family, m);
  if (!set->gotos.empty()) unsupported("match against a map", m);
  for (const auto& iv : set->elements)
    if (*value >= iv.first && *value <= iv.last) return true;
  return false;
}

std::optional<net::Word> NftJsonRuleset::address_of(const json& payload, const Packet& p) const {
  const std::string protocol = payload.at("protocol");
  const std::string field = payload.at("field");
  if (protocol != "ip" && protocol != "ip6") unsupported("payload", payload);
  const net::Family family = protocol == "ip" ? net::Family::v4 : net::Family::v6;
  if (p.source.family != family) return std::nullopt;
  if (field == "saddr") return p.source.value;
  if (field == "daddr") return p.destination.value;
  unsupported("field", payload);
}

const NftJsonRuleset::Set* NftJsonRuleset::lookup(const std::string& ref, net::Family family,
                                                  const json& at) const {
  if (ref.empty() || ref[0] != '@') unsupported("set reference", at);
  const Set& set = sets_.at(ref.substr(1));
  if (set.type != (family == net::Family::v4 ? "ipv4_addr" : "ipv6_addr"))
    unsupported("set type", at);
  return &set;
}

std::optional<std::string> NftJsonRuleset::vmap(const json& v, const Packet& p) const {
  const auto value = address_of(v.at("key").at("payload"), p);
  if (!value) return std::nullopt;
  const Set* map = lookup(v.at("data").get<std::string>(), p.source.family, v);
  if (map->gotos.size() != map->elements.size()) unsupported("vmap on a set", v);
  for (std::size_t i = 0; i < map->elements.size(); ++i)
    if (*value >= map->elements[i].first && *value <= map->elements[i].last) return map->gotos[i];
  return std::nullopt;
}

Outcome NftJsonRuleset::evaluate(const Packet& p, std::vector<std::string>* recorded,
                                 std::vector<std::string>* counted) const {
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
        if (e.contains("counter") || e.contains("log") || e.contains("limit")) {
          if (counted && e.contains("counter") && e["counter"].is_string())
            counted->push_back(e["counter"].get<std::string>());
          continue;  // statements that do not change the verdict
        }
        if (e.contains("set")) {  // update @set { ip saddr }: records, changes no verdict
          const json& u = e["set"];
          const json& key = u.at("elem").at("payload");
          if (u.at("op") != "update" || key.at("field") != "saddr" ||
              !lookup(u.at("set").get<std::string>(), p.source.family, u)->dynamic)
            unsupported("set statement", u);
          if (address_of(key, p) && recorded) recorded->push_back(u["set"].get<std::string>());
          continue;
        }
        if (e.contains("vmap")) {  // no element: the rule ends, the chain goes on
          if (auto target = vmap(e["vmap"], p)) stack.back() = {&chains_.at(*target), 0};
          break;
        }
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
