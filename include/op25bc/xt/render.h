// SPDX-License-Identifier: GPL-2.0-or-later
// The iptables backend: the ruleset IR as ipsets (hash:net) and chains of
// iptables-legacy and ip6tables-legacy, for routers that cannot run nftables.
//
// Shape, per family (IPv4 in iptables, IPv6 in ip6tables):
//   FORWARD:       -p tcp -m multiport --dports PORTS -j T-CHECK   (op25bc's one rule there)
//   T-CHECK:       smarthosts and exemptions RETURN, then one rule per phase and
//                  family: -m set SOURCE src [-m set DESTINATION dst] -g T-P-PHASE
//   T-P-PHASE:     -g T-BLOCK (its counter is the phase's: it survives every
//                  apply, as the rule is never rewritten while the phase exists)
//   T-BLOCK:       [LOG] then REJECT or DROP
//   T-M-PHASE:     a phase in its monitor period: CHECK jumps here for a SYN it
//                  would block (-p tcp -m tcp --tcp-flags SYN,ACK SYN ... -j),
//                  and its one rule, -j SET --add-set SEEN src --exist, records
//                  the source in a hash:ip set with a timeout and counts the
//                  connection; the chain ends, so CHECK goes on as before
//   T-C-COUNTER:   submission adoption (ir::adoption_counter): CHECK jumps here
//                  for a pool's SYN to a submission port or a smarthost, and
//                  the one rule, -j RETURN, counts it; CHECK goes on as before
// where T is the table name in capitals. A set is named after its IR set and a
// generation ("op25b-exempt4.3"): a change to the rules builds new sets under
// the next generation and switches every chain of a family in one restore.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/ir/ruleset.h"
#include "op25bc/net/prefix.h"
#include "op25bc/policy/model.h"
#include "op25bc/session/table.h"
#include "op25bc/time/instant.h"

namespace op25bc::xt {

// A rule as argument tokens, after "-A CHAIN" (what iptables-save prints, split).
using Tokens = std::vector<std::string>;

struct IpSet {
  std::string name;  // with the generation suffix
  std::string base;  // the IR set's name: the same across generations
  net::Family family;
  bool allows = false;      // a RETURN set (smarthosts, exemptions): the others block
  net::Intervals elements;  // merged, as the IR has them
  std::size_t members = 0;  // prefixes: what the kernel holds and counts
  std::size_t hashsize = 0;
  std::size_t maxelem = 0;
  // A recording set (ir::Set::recording): hash:ip with a timeout, filled by
  // the SET target of a monitor chain; op25bc owns its definition only.
  // `recording->timeout_seconds` is ipset's, at most kIpsetMaxTimeout.
  std::optional<ir::Recording> recording = {};
};

// The longest timeout ipset keeps an entry for (seconds, about 24.8 days).
inline constexpr std::uint64_t kIpsetMaxTimeout = 2147483;

struct Chain {
  std::string name;
  std::vector<Tokens> rules;
};

struct FamilyRules {
  net::Family family;
  Tokens forward_jump;        // the rule in FORWARD
  std::vector<Chain> chains;  // CHECK, the phase chains, BLOCK
};

struct Ruleset {
  std::string table;
  std::uint64_t generation = 1;
  std::vector<IpSet> sets;
  FamilyRules v4{net::Family::v4, {}, {}};
  FamilyRules v6{net::Family::v6, {}, {}};
  const FamilyRules& of(net::Family f) const { return f == net::Family::v4 ? v4 : v6; }
};

// The chain and set names of a table. Chain names fit iptables' 28 bytes and
// set names ipset's 31 (a long one is cut and given a hash of the whole).
std::string chain_prefix(const std::string& table);  // "OP25B"
std::string check_chain(const std::string& table);
std::string block_chain(const std::string& table);
std::string phase_chain(const std::string& table, const std::string& counter);
// A monitoring phase's chain ("OP25B-M-all"), whose one rule records the
// source and counts the connection; `counter` is ir::monitor_counter's name.
std::string monitor_chain(const std::string& table, const std::string& counter);
// An adoption counter's chain ("OP25B-C-submission4"), whose one rule counts.
std::string count_chain(const std::string& table, const std::string& counter);
std::string set_stem(const std::string& table, const std::string& ir_set);
std::string set_name(const std::string& table, const std::string& ir_set, std::uint64_t generation);
// "op25b-exempt4.3" -> "op25b-exempt4"; "" when the name has no generation suffix.
std::string strip_generation(const std::string& set);

// The iptables ruleset for an IR ruleset before sharding (ipsets hold a
// million prefixes in one set). Errors for what iptables cannot express (a
// log prefix over 29 bytes, a kernel-timed boundary after 2038) go to `diags`
// with the pointer of the policy key; the result is then unusable.
Ruleset lower(ir::Ruleset ir, std::uint64_t generation, Diagnostics& diags);

// The policy's ruleset at `at` for this backend: compiled whole (an ipset
// holds a million prefixes; nothing is cut into slices) and lowered to ipsets
// of `generation` and chains. What iptables cannot say is an error in `diags`.
// `sessions` as for op25bc::compile.
Ruleset compile(const policy::Policy& policy, Instant at, bool kernel_timed,
                std::uint64_t generation, Diagnostics& diags,
                const session::Table* sessions = nullptr);

// The prefixes of a set as the kernel holds them: each interval as the fewest
// aligned prefixes, in order, without ever holding them all (hash:net takes
// no /0: the whole space is two halves).
void split_whole_space(net::Family f, net::Prefixes& blocks);
template <typename F>
void for_each_member(const IpSet& set, F&& f) {
  net::Prefixes blocks;
  for (const auto& iv : set.elements) {
    blocks.clear();
    net::append_prefixes(blocks, set.family, iv);
    split_whole_space(set.family, blocks);
    for (const auto& p : blocks) f(p);
  }
}
net::Prefixes members(const IpSet& set);  // all of them, when a list is needed

// Rendering, for operators and for the restore tools.
std::string render_tokens(const Tokens& rule);  // quoted as iptables-restore reads them
Tokens split_tokens(std::string_view line);     // and back, as iptables-restore splits
std::string rule_line(const std::string& chain, const Tokens& rule);  // "-A CHAIN ..."

// `ipset restore` lines: a set's create line; "VERB SET PREFIX" for a member.
std::string create_line(const IpSet& s);
void append_member_line(std::string& out, const char* verb, const std::string& set,
                        const net::Prefix& p);
// The lines that create one set and fill it.
std::string render_set(const IpSet& s);
// The same for several sets, cut into `parts` restores of about as many
// members each, for as many ipset processes side by side: each part names
// (creates, with -exist) the sets it adds to, as ipset restore is about twice
// as fast adding to a set its own session created.
std::vector<std::string> render_sets(const std::vector<const IpSet*>& sets, std::size_t parts);
// `ipset restore` input that creates every set of `r` and fills it.
std::string render_ipset(const Ruleset& r);
// iptables-restore --noflush input (one family) that loads op25bc's chains
// from nothing: declares them, fills them and inserts the FORWARD jump.
std::string render_restore(const Ruleset& r, net::Family family);

}  // namespace op25bc::xt
