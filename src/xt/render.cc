// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/xt/render.h"

#include <algorithm>
#include <ctime>
#include <set>

#include "op25bc/compile/compile.h"
#include "op25bc/ir/names.h"
#include "op25bc/net/digest.h"
#include "op25bc/text/join.h"

namespace op25bc::xt {

namespace {

using ir::AddressInSet;
using ir::CounterRef;
using ir::Direction;
using ir::kBlockChain;
using ir::kCheckChain;
using ir::kForwardChain;
using ir::Limit;
using ir::LogPrefix;
using ir::Match;
using ir::MetaTime;
using ir::RateUnit;
using ir::Statement;
using ir::TcpDestinationPorts;
using ir::TcpProtocol;
using ir::Verdict;

constexpr std::size_t kChainMax = 28;          // XT_EXTENSION_MAXNAMELEN - 1
constexpr std::size_t kSetMax = 31;            // IPSET_MAXNAMELEN - 1
constexpr std::size_t kLogPrefixMax = 29;      // the LOG target's prefix, without its NUL
constexpr std::int64_t kTimeMax = 2147483647;  // xt_time prints and reads 32-bit seconds
constexpr std::size_t kDefaultMaxelem = 65536;
constexpr std::size_t kMultiportMax = 15;  // XT_MULTI_PORTS

// `name` if it fits in `max` bytes, else its head and a hash of the whole, so
// two long names that share a head still differ.
std::string bounded(const std::string& name, std::size_t max) {
  if (name.size() <= max) return name;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hash;
  for (std::uint64_t h = net::hash64(name), i = 0; i < 6; ++i, h >>= 4) hash += kHex[h & 0xf];
  return name.substr(0, max - 7) + "~" + hash;
}

std::string upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

// xt_time's format, in UTC: "2006-10-01T00:00:00".
std::string utc_text(std::int64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &tm);
  return out;
}

std::size_t power_of_two_at_least(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

bool plain_token(std::string_view token) {
  return !token.empty() && token.find_first_not_of(
                               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                               "QRSTUVWXYZ0123456789_-.:/,+=@%~!") == std::string_view::npos;
}

class Lowering {
 public:
  Lowering(ir::Ruleset& ir, std::uint64_t generation, Diagnostics& diags) : ir_(ir), diags_(diags) {
    out_.table = ir.table;
    out_.generation = generation;
  }

  xt::Ruleset run() {
    find_allowing_sets();
    for (ir::Set& s : ir_.sets) add_set(s);
    for (net::Family f : {net::Family::v4, net::Family::v6}) lower_family(f);
    return std::move(out_);
  }

 private:
  const ir::Chain* ir_chain(std::string_view name) const {
    for (const ir::Chain& c : ir_.chains)
      if (c.name == name) return &c;
    return nullptr;
  }

  void find_allowing_sets() {
    if (const ir::Chain* check = ir_chain(kCheckChain))
      for (const ir::Rule& r : check->rules)
        if (r.verdict.kind == Verdict::Kind::return_)
          for (const Match& m : r.matches)
            if (const auto* in = std::get_if<AddressInSet>(&m)) allowing_.insert(in->set);
  }

  void add_set(ir::Set& s) {
    IpSet set;
    set.base = s.name;
    set.name = xt::set_name(ir_.table, s.name, out_.generation);
    set.family = s.family;
    set.allows = allowing_.contains(s.name);
    if (s.recording) {  // ipset keeps an entry at most kIpsetMaxTimeout seconds
      set.recording = s.recording;
      set.recording->timeout_seconds = std::min(s.recording->timeout_seconds, kIpsetMaxTimeout);
      set.maxelem = s.recording->size;
      set.hashsize = std::max<std::size_t>(1024, power_of_two_at_least(set.maxelem / 8));
      out_.sets.push_back(std::move(set));
      return;
    }
    set.elements = std::move(s.elements);  // the IR is lower()'s own copy
    for_each_member(set, [&](const net::Prefix&) { ++set.members; });
    set.maxelem = std::max(kDefaultMaxelem, power_of_two_at_least(set.members * 2));
    set.hashsize = std::max<std::size_t>(1024, power_of_two_at_least(set.members / 2));
    out_.sets.push_back(std::move(set));
  }

  void lower_family(net::Family f) {
    FamilyRules& rules = f == net::Family::v4 ? out_.v4 : out_.v6;
    if (const ir::Chain* forward = ir_chain(kForwardChain))
      for (const ir::Rule& r : forward->rules) rules.forward_jump = forward_jump(r);
    xt::Chain check{check_chain(ir_.table), {}};
    std::vector<xt::Chain> phases;
    if (const ir::Chain* c = ir_chain(kCheckChain))
      for (const ir::Rule& r : c->rules)
        if (auto tokens = check_rule(r, f, phases)) check.rules.push_back(std::move(*tokens));
    xt::Chain block{block_chain(ir_.table), {}};
    if (const ir::Chain* c = ir_chain(kBlockChain))
      for (const ir::Rule& r : c->rules) block.rules.push_back(block_rule(r, f));
    rules.chains.push_back(std::move(check));
    for (auto& p : phases) rules.chains.push_back(std::move(p));
    rules.chains.push_back(std::move(block));
  }

  Tokens forward_jump(const ir::Rule& r) {
    Tokens t{"-p", "tcp", "-m", "multiport", "--dports"};
    for (const Match& m : r.matches)
      if (const auto* ports = std::get_if<TcpDestinationPorts>(&m)) {
        if (ports->ports.size() > kMultiportMax && !checked_ports_) {
          checked_ports_ = true;
          diags_.error("/enforcement/ports",
                       "the enforcement and submission ports are " +
                           std::to_string(ports->ports.size()) +
                           ": iptables' multiport match takes at most 15",
                       "block fewer ports, or use --backend nftables");
        }
        t.push_back(port_list(*ports));
      }
    t.insert(t.end(), {"-j", check_chain(ir_.table)});
    return t;
  }

  // A rule of the check chain in family `f`'s table; nullopt for the other
  // family's. Its matches in iptables-save's order (-p first), then: RETURN;
  // a monitor rule's -j to its chain, which records and counts; or a phase
  // rule's -g to its chain, which counts and blocks.
  std::optional<Tokens> check_rule(const ir::Rule& r, net::Family f,
                                   std::vector<xt::Chain>& chains) {
    const ir::RecordSource* record = nullptr;
    std::string counter;
    for (const Statement& s : r.statements) {
      if (const auto* c = std::get_if<CounterRef>(&s)) counter = c->name;
      if (const auto* rs = std::get_if<ir::RecordSource>(&s)) record = rs;
    }
    if (record != nullptr && record->family != f) return std::nullopt;
    Tokens t;
    if (std::any_of(r.matches.begin(), r.matches.end(), [](const Match& m) {
          return std::holds_alternative<ir::TcpSyn>(m) ||
                 std::holds_alternative<TcpDestinationPorts>(m);
        }))
      t.insert(t.end(), {"-p", "tcp"});
    for (const Match& m : r.matches) {
      if (const auto* in = std::get_if<AddressInSet>(&m)) {
        if (in->family != f) return std::nullopt;
        t.insert(t.end(),
                 {"-m", "set", "--match-set", xt::set_name(ir_.table, in->set, out_.generation),
                  in->direction == Direction::source ? "src" : "dst"});
      } else if (const auto* time = std::get_if<MetaTime>(&m)) {
        append_time(t, *time, r);
      } else if (std::holds_alternative<ir::TcpSyn>(m)) {
        t.insert(t.end(), {"-m", "tcp", "--tcp-flags", "SYN,ACK", "SYN"});
      } else if (std::holds_alternative<ir::FirstPacket>(m)) {
        t.insert(t.end(), {"-m", "conntrack", "!", "--ctstatus", "CONFIRMED"});
      } else if (const auto* ports = std::get_if<TcpDestinationPorts>(&m)) {
        t.insert(t.end(), {"-m", "multiport", "--dports", port_list(*ports)});
      }
    }
    if (r.verdict.kind == Verdict::Kind::return_) {
      t.insert(t.end(), {"-j", "RETURN"});
      return t;
    }
    const bool counts = !record && r.verdict.kind == Verdict::Kind::none;
    const std::string chain = record   ? monitor_chain(ir_.table, counter)
                              : counts ? count_chain(ir_.table, counter)
                                       : phase_chain(ir_.table, counter);
    if (std::none_of(chains.begin(), chains.end(),
                     [&](const xt::Chain& c) { return c.name == chain; })) {
      if (record)
        chains.push_back(
            {chain,
             {{"-j", "SET", "--add-set", xt::set_name(ir_.table, record->set, out_.generation),
               "src", "--exist"}}});
      else if (counts)
        chains.push_back({chain, {{"-j", "RETURN"}}});
      else
        chains.push_back({chain, {{"-g", block_chain(ir_.table)}}});
    }
    t.insert(t.end(), {record || counts ? "-j" : "-g", chain});
    return t;
  }

  static std::string port_list(const TcpDestinationPorts& ports) {
    return text::join(
        ports.ports, [](std::uint16_t p) { return std::to_string(p); }, ",");
  }

  // "meta time < T": up to the second before; "meta time >= T": from T on.
  // iptables-save prints both bounds of a start, so the rule says both.
  void append_time(Tokens& t, const MetaTime& m, const ir::Rule& r) {
    if (m.seconds > kTimeMax) {
      const auto& from = r.origin.pointers();
      diags_.error(from.empty() ? "/phases" : from.front(),
                   "the boundary " + utc_text(m.seconds) +
                       " UTC is after 2038-01-19: iptables' time match cannot say it",
                   "use --backend nftables, or apply this boundary without --kernel-timed");
      return;
    }
    t.insert(t.end(), {"-m", "time"});
    if (m.before)
      t.insert(t.end(), {"--datestop", utc_text(m.seconds - 1)});
    else
      t.insert(t.end(), {"--datestart", utc_text(m.seconds), "--datestop", utc_text(kTimeMax)});
  }

  Tokens block_rule(const ir::Rule& r, net::Family f) {
    Tokens t;
    for (const Match& m : r.matches)
      if (std::holds_alternative<TcpProtocol>(m)) t.insert(t.end(), {"-p", "tcp"});
    for (const Statement& s : r.statements) {
      if (const auto* limit = std::get_if<Limit>(&s))
        t.insert(t.end(), {"-m", "limit", "--limit",
                           std::to_string(limit->rate) + "/" + limit_unit(limit->unit)});
      if (const auto* log = std::get_if<LogPrefix>(&s)) {
        check_log_prefix(log->prefix);
        t.insert(t.end(), {"-j", "LOG", "--log-prefix", log->prefix});
      }
    }
    switch (r.verdict.kind) {
      case Verdict::Kind::reject_tcp_reset:
        t.insert(t.end(), {"-j", "REJECT", "--reject-with", "tcp-reset"});
        break;
      case Verdict::Kind::reject_icmpx_admin:
        t.insert(t.end(),
                 {"-j", "REJECT", "--reject-with",
                  f == net::Family::v4 ? "icmp-admin-prohibited" : "icmp6-adm-prohibited"});
        break;
      case Verdict::Kind::drop:
        t.insert(t.end(), {"-j", "DROP"});
        break;
      default:
        break;
    }
    return t;
  }

  // iptables-save's names for the limit match's periods.
  static std::string limit_unit(RateUnit unit) {
    switch (unit) {
      case RateUnit::second:
        return "sec";
      case RateUnit::minute:
        return "min";
      case RateUnit::hour:
        return "hour";
      case RateUnit::day:
        return "day";
    }
    return "day";
  }

  void check_log_prefix(const std::string& prefix) {
    if (checked_log_) return;
    checked_log_ = true;
    if (prefix.size() > kLogPrefixMax)
      diags_.error("/enforcement/log/prefix",
                   "log prefix is " + std::to_string(prefix.size()) +
                       " bytes: iptables' LOG target takes at most 29",
                   "shorten it, or use --backend nftables (up to 127 bytes)");
    else if (std::any_of(prefix.begin(), prefix.end(), [](char c) {
               return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\';
             }))
      diags_.error("/enforcement/log/prefix",
                   "log prefix holds a control character or '\\', which iptables-restore "
                   "cannot read back as written");
  }

  ir::Ruleset& ir_;
  Diagnostics& diags_;
  xt::Ruleset out_;
  std::set<std::string> allowing_;
  bool checked_log_ = false;
  bool checked_ports_ = false;  // the forward jump is lowered once per family: one error
};

}  // namespace

std::string chain_prefix(const std::string& table) {
  return upper(table);
}

std::string check_chain(const std::string& table) {
  return bounded(chain_prefix(table) + "-CHECK", kChainMax);
}

std::string block_chain(const std::string& table) {
  return bounded(chain_prefix(table) + "-BLOCK", kChainMax);
}

std::string phase_chain(const std::string& table, const std::string& counter) {
  const std::string_view id = counter.starts_with("phase_") ? std::string_view(counter).substr(6)
                                                            : std::string_view(counter);
  return bounded(chain_prefix(table) + "-P-" + std::string{id}, kChainMax);
}

std::string count_chain(const std::string& table, const std::string& counter) {
  return bounded(chain_prefix(table) + "-C-" + counter, kChainMax);
}

std::string monitor_chain(const std::string& table, const std::string& counter) {
  const auto phase = ir::monitored_phase(counter);
  return bounded(chain_prefix(table) + "-M-" + phase.value_or(counter), kChainMax);
}

// The stem leaves room for a generation of six digits, so that a set keeps
// its stem from one generation to the next.
std::string set_stem(const std::string& table, const std::string& ir_set) {
  return bounded(table + "-" + ir_set, kSetMax - 7);
}

std::string set_name(const std::string& table, const std::string& ir_set,
                     std::uint64_t generation) {
  const std::string suffix = "." + std::to_string(generation);
  const std::string stem = set_stem(table, ir_set);
  return (stem.size() + suffix.size() <= kSetMax ? stem : bounded(stem, kSetMax - suffix.size())) +
         suffix;
}

std::string strip_generation(const std::string& set) {
  const auto dot = set.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == set.size()) return {};
  if (set.find_first_not_of("0123456789", dot + 1) != std::string::npos) return {};
  return set.substr(0, dot);
}

Ruleset lower(ir::Ruleset ir, std::uint64_t generation, Diagnostics& diags) {
  return Lowering(ir, generation, diags).run();
}

net::Prefixes members(const IpSet& set) {
  net::Prefixes out;
  out.reserve(set.members);
  for_each_member(set, [&](const net::Prefix& p) { out.push_back(p); });
  return out;
}

void split_whole_space(net::Family f, net::Prefixes& blocks) {
  if (blocks.size() != 1 || blocks.front().length != 0) return;
  const int bits = net::address_bits(f);
  blocks = {{0, f, 1}, {net::Word{1} << (bits - 1), f, 1}};
}

std::string render_tokens(const Tokens& rule) {
  std::string out;
  for (const std::string& token : rule) {
    if (!out.empty()) out += ' ';
    if (plain_token(token)) {
      out += token;
      continue;
    }
    out += '"';
    for (char c : token) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

Tokens split_tokens(std::string_view line) {
  Tokens out;
  std::string token;
  bool quoted = false, escaped = false, any = false;
  for (char c : line) {
    if (escaped) {
      token += c;
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (c == ' ' && !quoted) {
      if (any || !token.empty()) out.push_back(std::move(token));
      token.clear();
      any = false;
    } else {
      token += c;
    }
  }
  if (any || !token.empty()) out.push_back(std::move(token));
  return out;
}

std::string rule_line(const std::string& chain, const Tokens& rule) {
  return "-A " + chain + " " + render_tokens(rule);
}

std::string create_line(const IpSet& s) {
  if (s.recording)
    return "create " + s.name + " hash:ip family " +
           (s.family == net::Family::v4 ? "inet" : "inet6") + " hashsize " +
           std::to_string(s.hashsize) + " maxelem " + std::to_string(s.maxelem) + " timeout " +
           std::to_string(s.recording->timeout_seconds) + "\n";
  return "create " + s.name + " hash:net family " +
         (s.family == net::Family::v4 ? "inet" : "inet6") + " hashsize " +
         std::to_string(s.hashsize) + " maxelem " + std::to_string(s.maxelem) + "\n";
}

void append_member_line(std::string& out, const char* verb, const std::string& set,
                        const net::Prefix& p) {
  out += verb;
  out += ' ';
  out += set;
  out += ' ';
  net::append_address(out, p.family, p.base);
  out += '/';
  out += std::to_string(p.length);
  out += '\n';
}

std::string render_set(const IpSet& s) {
  std::string out = create_line(s);
  out.reserve(out.size() + s.members * (s.name.size() + 24));
  for_each_member(s, [&](const net::Prefix& p) { append_member_line(out, "add", s.name, p); });
  return out;
}

std::vector<std::string> render_sets(const std::vector<const IpSet*>& sets, std::size_t parts) {
  std::size_t total = 0;
  for (const IpSet* s : sets) total += s->members;
  parts = std::max<std::size_t>(1, std::min(parts, total / 1000 + 1));
  const std::size_t per_part = (total + parts - 1) / parts;
  std::vector<std::string> out(1);
  std::size_t in_part = 0;
  for (const IpSet* s : sets) {
    out.back() += create_line(*s);
    for_each_member(*s, [&](const net::Prefix& p) {
      if (in_part == per_part) {  // the next part starts, and names the set again
        out.emplace_back(create_line(*s));
        in_part = 0;
      }
      append_member_line(out.back(), "add", s->name, p);
      ++in_part;
    });
  }
  return out;
}

std::string render_ipset(const Ruleset& r) {
  std::string out = "# op25bc " OP25BC_VERSION ": the sets of table " + r.table + ", generation " +
                    std::to_string(r.generation) + "\n";
  for (const IpSet& s : r.sets) out += render_set(s);
  return out;
}

std::string render_restore(const Ruleset& r, net::Family family) {
  const FamilyRules& rules = r.of(family);
  std::string out = "# op25bc " OP25BC_VERSION ": table " + r.table + ", generation " +
                    std::to_string(r.generation) + ", " + std::string{net::family_name(family)} +
                    "; load with " + (family == net::Family::v4 ? "iptables" : "ip6tables") +
                    "-legacy-restore -w --noflush\n*filter\n";
  for (const xt::Chain& c : rules.chains) out += ":" + c.name + " - [0:0]\n";
  for (const xt::Chain& c : rules.chains)
    for (const Tokens& rule : c.rules) out += rule_line(c.name, rule) + "\n";
  out += "-I FORWARD 1 " + render_tokens(rules.forward_jump) + "\nCOMMIT\n";
  return out;
}

Ruleset compile(const policy::Policy& policy, Instant at, bool kernel_timed,
                std::uint64_t generation, Diagnostics& diags, const session::Table* sessions) {
  return lower(compile_whole(policy, at, kernel_timed, sessions), generation, diags);
}

}  // namespace op25bc::xt
