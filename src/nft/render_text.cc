// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/render_text.h"

#include "op25bc/nft/render_json.h"
#include "op25bc/policy/router.h"

#include "op25bc/ir/names.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"

namespace op25bc::nft {

namespace {

using namespace ir;

std::string_view family_keyword(net::Family f) {
  return f == net::Family::v4 ? "ip" : "ip6";
}

std::string ports_text(const std::vector<std::uint16_t>& ports) {
  if (ports.size() == 1) return std::to_string(ports[0]);
  return "{ " + text::join(ports, [](std::uint16_t port) { return std::to_string(port); }) + " }";
}

struct MatchText {
  std::string& out;
  void operator()(const TcpProtocol&) { out += "meta l4proto tcp"; }
  void operator()(const TcpDestinationPorts& m) { out += "tcp dport " + ports_text(m.ports); }
  void operator()(const MetaTime& m) {
    out += (m.before ? "meta time < " : "meta time >= ") + std::to_string(m.seconds);
  }
  void operator()(const AddressInSet& m) {
    out += family_keyword(m.family);
    out += m.direction == Direction::source ? " saddr " : " daddr ";
    out += m.vmap ? "vmap @" : "@";
    out += m.set;
  }
  void operator()(const TcpSyn&) { out += "tcp flags syn / syn,ack"; }
  void operator()(const FirstPacket&) { out += "ct status ! confirmed"; }
};

struct StatementText {
  std::string& out;
  void operator()(const CounterRef& s) { out += "counter name " + text::nft_quoted(s.name); }
  void operator()(const Limit& s) {
    out += "limit rate " + std::to_string(s.rate) + "/" + unit_name(s.unit);
  }
  void operator()(const LogPrefix& s) { out += "log prefix " + text::nft_quoted(s.prefix); }
  void operator()(const RecordSource& s) {
    out += "update @" + s.set + " { " + std::string{family_keyword(s.family)} + " saddr }";
  }
};

std::string verdict_text(const Verdict& v) {
  switch (v.kind) {
    case Verdict::Kind::none:
      return {};
    case Verdict::Kind::accept:
      return "accept";
    case Verdict::Kind::drop:
      return "drop";
    case Verdict::Kind::return_:
      return "return";
    case Verdict::Kind::jump:
      return "jump " + v.target;
    case Verdict::Kind::goto_:
      return "goto " + v.target;
    case Verdict::Kind::reject_tcp_reset:
      return "reject with tcp reset";
    case Verdict::Kind::reject_icmpx_admin:
      return "reject with icmpx admin-prohibited";
  }
  return {};
}

void append_set(std::string& out, const Set& s) {
  out += (s.verdict_map ? "\tmap " : "\tset ") + s.name + " {\n";
  out += s.family == net::Family::v4 ? "\t\ttype ipv4_addr" : "\t\ttype ipv6_addr";
  out += s.verdict_map ? " : verdict\n" : "\n";
  if (s.recording) {
    out += "\t\tsize " + std::to_string(s.recording->size) + "\n";
    out += "\t\tflags dynamic,timeout\n";
    out += "\t\ttimeout " + std::to_string(s.recording->timeout_seconds) + "s\n";
  } else {
    out += "\t\tflags interval\n";
  }
  if (!s.comment.empty()) out += "\t\tcomment " + text::nft_quoted(s.comment) + "\n";
  if (!s.elements.empty()) {
    out += "\t\telements = {\n";
    for (const auto& iv : s.elements) {
      out += "\t\t\t";
      net::append_interval(out, s.family, iv);
      if (s.verdict_map) out += " : goto " + block_chain(s.family, iv);
      out += ",\n";
    }
    out += "\t\t}\n";
  }
  out += "\t}\n";
}

void append_chain(std::string& out, const Chain& c) {
  out += "\tchain " + c.name + " {\n";
  if (c.base) {
    out +=
        "\t\ttype " + type_name(c.base->type) + " hook " + hook_name(c.base->hook) + " priority ";
    out += c.base->priority == 0 ? std::string{"filter"} : std::to_string(c.base->priority);
    out += "; policy " + policy_name(c.base->policy) + ";\n";
  }
  for (const Rule& r : c.rules) out += "\t\t" + rule_text(r) + "\n";
  out += "\t}\n";
}

}  // namespace

std::string rule_text(const Rule& rule) {
  if (!rule.unrecognized.empty())
    return "# unrecognized rule: " + text::comment_line(rule.unrecognized);
  std::string out;
  for (const Match& m : rule.matches) {
    if (!out.empty()) out += ' ';
    std::visit(MatchText{out}, m);
  }
  for (const Statement& s : rule.statements) {
    if (!out.empty()) out += ' ';
    std::visit(StatementText{out}, s);
  }
  const std::string verdict = verdict_text(rule.verdict);
  if (!verdict.empty()) out += (out.empty() ? "" : " ") + verdict;
  return out;
}

namespace {

void append_table(std::string& out, const Ruleset& r) {
  out += "table inet " + r.table + " {\n";
  if (!r.comment.empty()) out += "\tcomment " + text::nft_quoted(r.comment) + "\n";
  for (const Counter& c : r.counters) {
    out += "\tcounter " + c.name + " {\n";
    if (!c.comment.empty()) out += "\t\tcomment " + text::nft_quoted(c.comment) + "\n";
    out += "\t}\n";
  }
  for (const Set& s : r.sets) append_set(out, s);
  for (const Chain& c : r.chains) append_chain(out, c);
  out += "}\n";
}

std::size_t element_count(const Ruleset& r) {
  std::size_t elements = 0;
  for (const Set& s : r.sets) elements += s.elements.size();
  return elements;
}

}  // namespace

std::string render_nft_table(const Ruleset& r) {
  std::string out;
  out.reserve(4096 + element_count(r) * 24);
  append_table(out, r);
  return out;
}

std::string render_nft_text(const Ruleset& r, std::span<const std::string> header) {
  std::string out;
  out.reserve(4096 + element_count(r) * 24);
  out += "#!/usr/sbin/nft -f\n";
  for (const auto& line : header) out += "# " + text::comment_line(line) + "\n";
  // Create-then-delete makes the replace work whether or not the table exists.
  out += "table inet " + r.table + "\ndelete table inet " + r.table + "\n";
  append_table(out, r);
  return out;
}

std::string render(const policy::Policy& policy, const ir::Ruleset& ruleset, Instant at,
                   Format format) {
  if (format == Format::json) return render_nft_json(ruleset);
  std::vector<std::string> header{
      "op25bc " OP25BC_VERSION ": outbound port 25 blocking" +
          (policy.operator_name.empty() ? std::string{} : " for " + policy.operator_name),
      "ruleset in effect at " + format_time(at, policy.zone) + " (" + policy.timezone + ")"};
  if (const policy::Router* router = policy::selected_router(policy))
    header.push_back("router \"" + router->id + "\": source sets hold only the pools it carries");
  header.push_back("replaces table inet " + policy.table + " atomically and touches nothing else");
  return render_nft_text(ruleset, header);
}

}  // namespace op25bc::nft
