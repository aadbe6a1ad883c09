// SPDX-License-Identifier: GPL-2.0-or-later
// An independent reading of an nftables JSON ruleset (libnftables-json(5)):
// replays the commands into tables, sets and chains and evaluates a packet
// through the forward hook. It shares no code with op25bc's compiler, so
// tests can hold op25bc's explain against what the compiled rules do.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/net/prefix.h"

namespace op25bc::test {

struct Packet {
  net::Address source;
  net::Address destination;
  std::uint16_t port;  // TCP destination port
};

enum class Outcome { accept, drop, reject };

class NftJsonRuleset {
 public:
  // Throws std::runtime_error on anything it does not understand.
  explicit NftJsonRuleset(const nlohmann::json& document);

  // The packet is a connection's first (SYN). `recorded`, when given, gets
  // the sets an "update @set" statement added the source to; `counted`, the
  // named counters ("counter name X") the packet went through.
  Outcome evaluate(const Packet& packet, std::vector<std::string>* recorded = nullptr,
                   std::vector<std::string>* counted = nullptr) const;
  std::size_t rule_count() const;

 private:
  struct Set {
    std::string type;
    net::Intervals elements;
    std::vector<std::string> gotos;  // a verdict map's: elements[i] -> goto gotos[i]
    bool dynamic = false;            // filled by the rules ("flags dynamic")
  };
  struct Chain {
    bool base = false;
    std::string policy = "accept";
    std::vector<nlohmann::json> rules;  // expr arrays
  };

  void add(const nlohmann::json& object);
  bool match(const nlohmann::json& m, const Packet& p) const;
  // The packet's address a payload expression loads, or nullopt for the
  // other family; the set it is looked up in must hold that family.
  std::optional<net::Word> address_of(const nlohmann::json& payload, const Packet& p) const;
  const Set* lookup(const std::string& ref, net::Family family, const nlohmann::json& at) const;
  // The goto target of a vmap expression, or nullopt when nothing matches.
  std::optional<std::string> vmap(const nlohmann::json& v, const Packet& p) const;

  std::map<std::string, Set> sets_;
  std::map<std::string, Chain> chains_;
};

}  // namespace op25bc::test
