// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/render_json.h"

#include <nlohmann/json.hpp>

#include "op25bc/ir/names.h"

namespace op25bc::nft {

namespace {

using namespace ir;
using nlohmann::json;

// Small pieces are built with nlohmann::json; element lists, which can hold a
// million entries, are streamed straight into the output.
std::string json_string(std::string_view s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

json payload(std::string_view protocol, std::string_view field) {
  return {{"payload", {{"protocol", protocol}, {"field", field}}}};
}

json match(json left, json right, std::string_view op = "==") {
  return {{"match", {{"op", op}, {"left", std::move(left)}, {"right", std::move(right)}}}};
}

struct MatchJson {
  json operator()(const TcpProtocol&) const {
    return match({{"meta", {{"key", "l4proto"}}}}, "tcp");
  }
  json operator()(const TcpDestinationPorts& m) const {
    json right = m.ports.size() == 1 ? json(m.ports[0]) : json{{"set", m.ports}};
    return match(payload("tcp", "dport"), std::move(right));
  }
  json operator()(const MetaTime& m) const {
    return match({{"meta", {{"key", "time"}}}}, m.seconds, m.before ? "<" : ">=");
  }
  json operator()(const AddressInSet& m) const {
    json address = payload(m.family == net::Family::v4 ? "ip" : "ip6",
                           m.direction == Direction::source ? "saddr" : "daddr");
    if (m.vmap) return {{"vmap", {{"key", std::move(address)}, {"data", "@" + m.set}}}};
    return match(std::move(address), "@" + m.set);
  }
  json operator()(const TcpSyn&) const {
    return match({{"&", json::array({payload("tcp", "flags"), json::array({"syn", "ack"})})}},
                 "syn");
  }
  json operator()(const FirstPacket&) const {
    return match({{"ct", {{"key", "status"}}}}, "confirmed", "!");
  }
};

struct StatementJson {
  json operator()(const CounterRef& s) const { return {{"counter", s.name}}; }
  json operator()(const Limit& s) const {
    return {{"limit", {{"rate", s.rate}, {"per", unit_name(s.unit)}}}};
  }
  json operator()(const LogPrefix& s) const { return {{"log", {{"prefix", s.prefix}}}}; }
  json operator()(const RecordSource& s) const {
    return {{"set",
             {{"op", "update"},
              {"elem", payload(s.family == net::Family::v4 ? "ip" : "ip6", "saddr")},
              {"set", "@" + s.set}}}};
  }
};

std::optional<json> verdict_json(const Verdict& v) {
  switch (v.kind) {
    case Verdict::Kind::none:
      return std::nullopt;
    case Verdict::Kind::accept:
      return json{{"accept", nullptr}};
    case Verdict::Kind::drop:
      return json{{"drop", nullptr}};
    case Verdict::Kind::return_:
      return json{{"return", nullptr}};
    case Verdict::Kind::jump:
      return json{{"jump", {{"target", v.target}}}};
    case Verdict::Kind::goto_:
      return json{{"goto", {{"target", v.target}}}};
    case Verdict::Kind::reject_tcp_reset:
      return json{{"reject", {{"type", "tcp reset"}}}};
    case Verdict::Kind::reject_icmpx_admin:
      return json{{"reject", {{"type", "icmpx"}, {"expr", "admin-prohibited"}}}};
  }
  return std::nullopt;
}

class Writer {
 public:
  explicit Writer(const Ruleset& r) : r_(r), table_(json_string(r.table)) {}

  std::string run() {
    std::size_t elements = 0;
    for (const Set& s : r_.sets) elements += s.elements.size();
    out_.reserve(4096 + elements * 48);
    out_ += "{\"nftables\": [\n{\"metainfo\": {\"json_schema_version\": 1}}";
    command("add", "table", {{"family", "inet"}, {"name", r_.table}});
    command("delete", "table", {{"family", "inet"}, {"name", r_.table}});
    json table{{"family", "inet"}, {"name", r_.table}};
    if (!r_.comment.empty()) table["comment"] = r_.comment;
    command("add", "table", table);
    // nft's own order: chains before what refers to them (map elements, rules).
    for (const Chain& c : r_.chains) chain(c);
    for (const Counter& c : r_.counters) {
      json counter = object();
      counter["name"] = c.name;
      if (!c.comment.empty()) counter["comment"] = c.comment;
      command("add", "counter", counter);
    }
    for (const Set& s : r_.sets) set(s);
    for (const Chain& c : r_.chains)
      for (const Rule& rule : c.rules) this->rule(c.name, rule);
    out_ += "\n]}\n";
    return std::move(out_);
  }

 private:
  json object() const { return {{"family", "inet"}, {"table", r_.table}}; }

  void command(std::string_view verb, std::string_view kind, const json& body) {
    out_ += ",\n{" + json_string(verb) + ": {" + json_string(kind) + ": " +
            body.dump(-1, ' ', false, json::error_handler_t::replace) + "}}";
  }

  void set(const Set& s) {
    json body = object();
    body["name"] = s.name;
    body["type"] = s.family == net::Family::v4 ? "ipv4_addr" : "ipv6_addr";
    if (s.verdict_map) body["map"] = "verdict";
    if (s.recording) {
      // nft's JSON has no "dynamic" flag: nft sets it itself (NFT_SET_EVAL)
      // for a set that a rule updates, so the table is what nft -f makes.
      body["flags"] = json::array({"timeout"});
      body["timeout"] = s.recording->timeout_seconds;
      body["size"] = s.recording->size;
    } else {
      body["flags"] = json::array({"interval"});
    }
    if (!s.comment.empty()) body["comment"] = s.comment;
    command("add", s.verdict_map ? "map" : "set", body);
    if (s.elements.empty()) return;
    out_ += ",\n{\"add\": {\"element\": {\"family\": \"inet\", \"table\": " + table_ +
            ", \"name\": " + json_string(s.name) + ", \"elem\": [";
    bool first = true;
    for (const auto& iv : s.elements) {
      out_ += first ? "\n" : ",\n";
      first = false;
      if (!s.verdict_map) {
        element(s.family, iv);
        continue;
      }
      out_ += '[';
      element(s.family, iv);
      out_ += ", {\"goto\": {\"target\": " + json_string(block_chain(s.family, iv)) + "}}]";
    }
    out_ += "]}}}";
  }

  void element(net::Family f, const net::Interval& iv) {
    const auto length = net::exact_prefix_length(f, iv);
    if (length && *length == net::address_bits(f)) {
      address(f, iv.first);
    } else if (length) {
      out_ += "{\"prefix\": {\"addr\": ";
      address(f, iv.first);
      out_ += ", \"len\": " + std::to_string(*length) + "}}";
    } else {
      out_ += "{\"range\": [";
      address(f, iv.first);
      out_ += ", ";
      address(f, iv.last);
      out_ += "]}";
    }
  }

  void address(net::Family f, net::Word value) {
    out_ += '"';
    net::append_address(out_, f, value);
    out_ += '"';
  }

  void chain(const Chain& c) {
    json body = object();
    body["name"] = c.name;
    if (c.base) {
      body["type"] = type_name(c.base->type);
      body["hook"] = hook_name(c.base->hook);
      body["prio"] = c.base->priority;
      body["policy"] = policy_name(c.base->policy);
    }
    command("add", "chain", body);
  }

  void rule(const std::string& chain, const Rule& rule) {
    json expr = json::array();
    for (const Match& m : rule.matches) expr.push_back(std::visit(MatchJson{}, m));
    for (const Statement& s : rule.statements) expr.push_back(std::visit(StatementJson{}, s));
    if (auto v = verdict_json(rule.verdict)) expr.push_back(*v);
    json body = object();
    body["chain"] = chain;
    body["expr"] = std::move(expr);
    command("add", "rule", body);
  }

  const Ruleset& r_;
  const std::string table_;
  std::string out_;
};

}  // namespace

std::string render_nft_json(const Ruleset& ruleset) {
  return Writer(ruleset).run();
}

}  // namespace op25bc::nft
