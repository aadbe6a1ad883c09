// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/diff_text.h"

#include <nlohmann/json.hpp>

#include "op25bc/nft/render_text.h"
#include "op25bc/text/escape.h"

namespace op25bc::nft {

namespace {

std::string type_of(net::Family f) {
  return f == net::Family::v4 ? "ipv4_addr" : "ipv6_addr";
}

void element_lines(std::string& out, char sign, const std::string& set, net::Family f,
                   const net::Intervals& elements, std::size_t limit) {
  out += "  set " + text::printable(set) + "\n";
  for (std::size_t i = 0; i < elements.size() && i < limit; ++i) {
    out += sign;
    out += ' ';
    net::append_interval(out, f, elements[i]);
    out += '\n';
  }
  if (elements.size() > limit)
    out += std::string(1, sign) + " ... and " + std::to_string(elements.size() - limit) +
           " more elements\n";
}

struct TextLine {
  std::string& out;
  const std::string& table;
  std::size_t limit;

  void operator()(const AddTable&) { out += "+ table inet " + table + "\n"; }
  void operator()(const DeleteTable& op) {
    if (!op.other.empty())
      out += "- table inet " + text::printable(op.other) +
             " (made by op25bc, no longer named by the policy)\n";
    else
      out += "- table inet " + table + " (not created by op25bc: replaced, --adopt)\n";
  }
  void operator()(const ResetTableFlags& op) {
    out += "~ table inet " + table + " flags " + table_flags_text(op.held) + " -> none" +
           ((op.held & kTableDormant) != 0 ? " (dormant: it blocked nothing)" : "") + "\n";
  }
  void operator()(const AddCounter& op) {
    out += "+ counter " + text::printable(op.counter.name) + "\n";
  }
  void operator()(const DeleteCounter& op) {
    out += "- counter " + text::printable(op.name) + "\n";
  }
  void operator()(const AddSet& op) {
    out += (op.verdict_map ? "+ map " : "+ set ") + text::printable(op.name) + " { type " +
           type_of(op.family) + (op.verdict_map ? " : verdict" : "") +
           (op.recording ? "; size " + std::to_string(op.recording->size) +
                               "; flags dynamic,timeout; timeout " +
                               std::to_string(op.recording->timeout_seconds) + "s; }\n"
                         : std::string{"; flags interval; }\n"});
  }
  void operator()(const DeleteSet& op) { out += "- set " + text::printable(op.name) + "\n"; }
  void operator()(const AddElements& op) {
    element_lines(out, '+', op.set, op.family, op.elements, limit);
  }
  void operator()(const DeleteElements& op) {
    element_lines(out, '-', op.set, op.family, op.elements, limit);
  }
  void operator()(const AddChain& op) { out += "+ chain " + text::printable(op.name) + "\n"; }
  void operator()(const DeleteChain& op) { out += "- chain " + text::printable(op.name) + "\n"; }
  void operator()(const AddRule& op) {
    out += "+ chain " + text::printable(op.chain + ": " + nft::rule_text(op.rule)) + "\n";
  }
  void operator()(const DeleteRule& op) {
    out += "- chain " + text::printable(op.chain + ": " + nft::rule_text(op.rule)) + "\n";
  }
};

nlohmann::json elements_json(const std::string& set, net::Family f, const net::Intervals& elements,
                             std::size_t limit) {
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < elements.size() && i < limit; ++i)
    list.push_back(net::to_string(f, elements[i]));
  return {{"set", set},
          {"count", elements.size()},
          {"elements", list},
          {"truncated", elements.size() > limit}};
}

struct JsonChange {
  std::size_t limit;
  using json = nlohmann::json;
  json operator()(const AddTable&) const { return {{"op", "add"}, {"object", "table"}}; }
  json operator()(const DeleteTable& op) const {
    if (op.other.empty()) return {{"op", "delete"}, {"object", "table"}};
    return {{"op", "delete"}, {"object", "table"}, {"name", op.other}};
  }
  json operator()(const ResetTableFlags& op) const {
    return {{"op", "reset"}, {"object", "table flags"}, {"flags", table_flags_text(op.held)}};
  }
  json operator()(const AddCounter& op) const {
    return {{"op", "add"}, {"object", "counter"}, {"name", op.counter.name}};
  }
  json operator()(const DeleteCounter& op) const {
    return {{"op", "delete"}, {"object", "counter"}, {"name", op.name}};
  }
  json operator()(const AddSet& op) const {
    json j{{"op", "add"},
           {"object", op.verdict_map ? "map" : "set"},
           {"name", op.name},
           {"type", type_of(op.family)}};
    if (op.recording)
      j["recording"] = {{"size", op.recording->size},
                        {"timeout_seconds", op.recording->timeout_seconds}};
    return j;
  }
  json operator()(const DeleteSet& op) const {
    return {{"op", "delete"}, {"object", "set"}, {"name", op.name}};
  }
  json operator()(const AddElements& op) const {
    json j = elements_json(op.set, op.family, op.elements, limit);
    j["op"] = "add";
    j["object"] = "elements";
    return j;
  }
  json operator()(const DeleteElements& op) const {
    json j = elements_json(op.set, op.family, op.elements, limit);
    j["op"] = "delete";
    j["object"] = "elements";
    return j;
  }
  json operator()(const AddChain& op) const {
    return {{"op", "add"}, {"object", "chain"}, {"name", op.name}};
  }
  json operator()(const DeleteChain& op) const {
    return {{"op", "delete"}, {"object", "chain"}, {"name", op.name}};
  }
  json operator()(const AddRule& op) const {
    return {
        {"op", "add"}, {"object", "rule"}, {"chain", op.chain}, {"rule", nft::rule_text(op.rule)}};
  }
  json operator()(const DeleteRule& op) const {
    return {{"op", "delete"},
            {"object", "rule"},
            {"chain", op.chain},
            {"handle", op.handle},
            {"rule", nft::rule_text(op.rule)}};
  }
};

}  // namespace

std::string to_text(const Transaction& t, std::size_t element_lines) {
  std::string out;
  for (const auto& op : t.ops) std::visit(TextLine{out, t.table, element_lines}, op);
  return out;
}

nlohmann::json to_json(const Transaction& t, std::size_t element_limit) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& op : t.ops) changes.push_back(std::visit(JsonChange{element_limit}, op));
  const TransactionStats s = stats(t);
  return {{"table", t.table},
          {"in_sync", t.empty()},
          {"changes", changes},
          {"summary",
           {{"elements_added", s.elements_added},
            {"elements_deleted", s.elements_deleted},
            {"rules_added", s.rules_added},
            {"rules_deleted", s.rules_deleted},
            {"objects_changed", s.objects_changed},
            {"messages", message_count(t)}}}};
}

std::string summary(const Transaction& t) {
  const TransactionStats s = stats(t);
  return "+" + std::to_string(s.elements_added) + " -" + std::to_string(s.elements_deleted) +
         " elements, +" + std::to_string(s.rules_added) + " -" + std::to_string(s.rules_deleted) +
         " rules, " + std::to_string(s.objects_changed) + " other objects, " +
         std::to_string(message_count(t)) + " netlink messages";
}

}  // namespace op25bc::nft
