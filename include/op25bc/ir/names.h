// SPDX-License-Identifier: GPL-2.0-or-later
// Every name op25bc gives an nftables object, and the mark that says a table
// is op25bc's: one place, so the builder, the shard pass, the backends, the
// kernel reader and the reconcile loop cannot drift apart. (A phase id's
// spelling, "phase_" + id with '-' as '_', is policy::nft_name: the policy
// front end must reject two ids that spell the same.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "op25bc/ir/ruleset.h"
#include "op25bc/net/prefix.h"

namespace op25bc::ir {

// Chains: the base chain on the forward hook, the chain of checks it jumps
// to for port-25 traffic, and the chain that counts and blocks.
inline constexpr std::string_view kForwardChain = "forward";
inline constexpr std::string_view kCheckChain = "check";
inline constexpr std::string_view kBlockChain = "block";

// Set bases, before the family digit (set_name).
inline constexpr std::string_view kSmarthostSet = "smarthost";
inline constexpr std::string_view kExemptSet = "exempt";
inline constexpr std::string_view kExemptUntilSet = "exempt_until";  // kernel-timed mode
inline constexpr std::string_view kExemptFromSet = "exempt_from";
// The live session addresses of subscriber exemptions in force (session/table.h):
// op25bc session up/down change their elements between runs, so the shard
// pass never cuts them and keeps their rule in every block.
inline constexpr std::string_view kSessionSet = "session";

// `base` and the family digit: "exempt4", "phase_all_src6".
std::string set_name(std::string_view base, net::Family f);

// A phase's source and destination set bases (before the family digit).
std::string source_set_base(std::string_view phase_id);
std::string destination_set_base(std::string_view phase_id);

// A monitoring phase's recording set base ("phase_october_seen", before the
// family digit) and the counter of the connections it would have blocked
// ("monitor_october"; no phase counter starts so).
std::string recording_set_base(std::string_view phase_id);
std::string monitor_counter(std::string_view phase_id);
// The phase id spelling of a monitor counter's name, or nullopt for another name.
std::optional<std::string> monitored_phase(std::string_view counter);
// The phase id spelling of a recording set's name ("phase_all_seen4" -> "all"),
// or nullopt for another name.
std::optional<std::string> recording_phase(std::string_view set);

// Submission adoption: the connections the pools open to a submission port
// (any destination) and to a smarthost on an enforcement port, counted per
// family whether or not a phase is active ("submission4", "smarthost6").
inline constexpr std::string_view kPoolSet = "pools";  // when no phase selects every covered pool
enum class Adoption { submission, smarthost };
std::string adoption_counter(Adoption kind, net::Family f);
// The kind and family of an adoption counter's name, or nullopt for another name.
struct AdoptionCounterName {
  Adoption kind;
  net::Family family;
};
std::optional<AdoptionCounterName> adoption_of(std::string_view counter);
// "submission", "smarthost".
std::string_view adoption_name(Adoption kind);

// The dispatch map of a family: "dispatch4", "dispatch6".
std::string dispatch_map(net::Family f);

// The chain a dispatch map sends an aligned block to, e.g. "src4_0a000_17"
// for 10.0.0.0/17: the block's leading hex digits and its prefix length.
std::string block_chain(net::Family f, const net::Interval& block);

// The slice of set `set` inside `block`, e.g. "phase_all_src4_0a000_17".
std::string block_set(const std::string& set, net::Family f, const net::Interval& block);

// The set a slice was cut from ("phase_all_src4" for
// "phase_all_src4_0a000_17"), or nullopt for a name that is no slice.
std::optional<std::string> sliced_from(const std::string& name);

// nft's words for the IR's enums: "minute" ("N seconds" for a period that is
// none of the four), "filter", "forward" ("hook N" for another number), "accept".
std::string unit_name(RateUnit unit);
std::string type_name(ChainType type);
std::string hook_name(Hook hook);
std::string policy_name(ChainPolicy policy);

// The table comment op25bc writes, and the test of whether a table is op25bc's.
std::string table_comment(std::string_view operator_name);
bool owned_by_op25bc(std::string_view table_comment);

}  // namespace op25bc::ir
