// SPDX-License-Identifier: GPL-2.0-or-later
// The ruleset IR: what ir::build makes of the effective state. The backends
// render it (nft text, nft JSON), the netlink encoder sends it, the kernel
// reader decodes the kernel's table into it, and the differ compares two.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "op25bc/net/prefix.h"

namespace op25bc::ir {

// Where an object comes from in the policy, as JSON pointers ("/phases/2"):
// empty for op25bc's own scaffolding and for objects read from the kernel.
// Filled by ir::build, so a kernel error on an object names its source. Not
// part of what an object is: any two origins compare equal, so a desired
// object equals the same object read back from the kernel. The pointers are
// shared, not copied: the shard pass gives every slice of a cut set (hundreds)
// its set's origin, which may list thousands of exemptions.
class Origin {
 public:
  Origin() = default;
  explicit Origin(std::vector<std::string> pointers)
      : pointers_(std::make_shared<const std::vector<std::string>>(std::move(pointers))) {}

  const std::vector<std::string>& pointers() const {
    static const std::vector<std::string> none;
    return pointers_ ? *pointers_ : none;
  }

  friend bool operator==(const Origin&, const Origin&) { return true; }

 private:
  std::shared_ptr<const std::vector<std::string>> pointers_;
};

// A set the rules fill (RecordSource): a monitoring phase's sources, each
// kept for `timeout_seconds` after it was last seen, at most `size` of them.
// op25bc owns its definition, never its elements: the differ leaves them
// alone and a desired one has none.
struct Recording {
  std::uint64_t timeout_seconds = 0;
  std::uint32_t size = 0;
  friend bool operator==(const Recording&, const Recording&) = default;
};

struct Set {
  std::string name;
  net::Family family;
  std::string comment;
  net::Intervals elements;  // sorted, disjoint, non-adjacent (a map's may touch)
  // A verdict map: each element, an aligned address block, maps to
  // "goto block_chain(family, element)" (ir/names.h), so the data follows
  // from the key and the differ compares keys only.
  bool verdict_map = false;
  // Set only for a set read from the kernel that op25bc cannot take as its
  // own (a map element pointing elsewhere): it never equals a desired set, so
  // a diff recreates it.
  std::string unrecognized = {};
  std::optional<Recording> recording = {};  // an address set the rules fill, not an interval set
  Origin origin = {};
  friend bool operator==(const Set&, const Set&) = default;
};

struct Counter {
  std::string name;
  std::string comment;
  Origin origin = {};
  friend bool operator==(const Counter&, const Counter&) = default;
};

enum class Direction { source, destination };

// "tcp dport { ports }" (implies the TCP protocol match).
struct TcpDestinationPorts {
  std::vector<std::uint16_t> ports;
  friend bool operator==(const TcpDestinationPorts&, const TcpDestinationPorts&) = default;
};
// "meta l4proto tcp".
struct TcpProtocol {
  friend bool operator==(const TcpProtocol&, const TcpProtocol&) = default;
};
// "ip saddr @set" / "ip6 daddr @set" (implies the family match). With `vmap`,
// "ip saddr vmap @set": the address is looked up in a verdict map and the
// element's verdict is taken; no match continues with the next rule.
struct AddressInSet {
  net::Family family;
  Direction direction;
  std::string set;
  bool vmap = false;
  friend bool operator==(const AddressInSet&, const AddressInSet&) = default;
};
// "meta time < T" (before) or "meta time >= T": a boundary the kernel enforces
// itself, at an absolute instant (seconds since the epoch, UTC).
struct MetaTime {
  bool before;
  std::int64_t seconds;
  friend bool operator==(const MetaTime&, const MetaTime&) = default;
};
// "tcp flags & (syn | ack) == syn": an opening packet (implies the TCP
// protocol match).
struct TcpSyn {
  friend bool operator==(const TcpSyn&, const TcpSyn&) = default;
};
// "ct status ! confirmed": the first packet of its connection. Conntrack
// confirms an entry when its first packet leaves the router; a retransmitted
// SYN finds it confirmed. Beside TcpSyn, a counter counts each connection
// once, however often its SYN is sent again.
struct FirstPacket {
  friend bool operator==(const FirstPacket&, const FirstPacket&) = default;
};
using Match =
    std::variant<TcpProtocol, TcpDestinationPorts, AddressInSet, MetaTime, TcpSyn, FirstPacket>;

struct CounterRef {
  std::string name;
  friend bool operator==(const CounterRef&, const CounterRef&) = default;
};
// A rate's period, as its length in seconds (what the kernel stores). A value
// read from the kernel may be none of these; it then equals no desired limit.
enum class RateUnit : std::uint64_t { second = 1, minute = 60, hour = 3600, day = 86400 };

struct Limit {
  unsigned rate;
  RateUnit unit;
  friend bool operator==(const Limit&, const Limit&) = default;
};
struct LogPrefix {
  std::string prefix;
  friend bool operator==(const LogPrefix&, const LogPrefix&) = default;
};
// "update @set { ip saddr }": adds the packet's source address to a
// recording set or restarts its timeout; when the set is full, the rest of
// the rule is skipped (it has no verdict, so the packet goes on as before).
struct RecordSource {
  net::Family family;
  std::string set;
  friend bool operator==(const RecordSource&, const RecordSource&) = default;
};
using Statement = std::variant<CounterRef, Limit, LogPrefix, RecordSource>;

struct Verdict {
  enum class Kind {
    none,
    accept,
    drop,
    return_,
    jump,
    goto_,
    reject_tcp_reset,
    reject_icmpx_admin
  };
  Kind kind = Kind::none;
  std::string target;  // chain, for jump and goto
  friend bool operator==(const Verdict&, const Verdict&) = default;
};

struct Rule {
  std::vector<Match> matches;
  std::vector<Statement> statements;
  Verdict verdict;
  // Set only for a rule read from the kernel that op25bc cannot decode: it
  // never equals a desired rule, so a diff replaces it.
  std::string unrecognized = {};
  Origin origin = {};
  friend bool operator==(const Rule&, const Rule&) = default;
};

enum class ChainType { filter, route, nat };
// The netfilter hooks of family inet, numbered as the kernel numbers them.
enum class Hook : std::uint32_t {
  prerouting = 0,
  input = 1,
  forward = 2,
  output = 3,
  postrouting = 4
};
enum class ChainPolicy { accept, drop };

struct BaseChain {
  ChainType type = ChainType::filter;
  Hook hook = Hook::forward;
  int priority = 0;
  ChainPolicy policy = ChainPolicy::accept;
  friend bool operator==(const BaseChain&, const BaseChain&) = default;
};

struct Chain {
  std::string name;
  std::optional<BaseChain> base;
  std::vector<Rule> rules;
  // Set only for a chain read from the kernel with what op25bc never gives a
  // chain (a device binding, flags beyond "base chain"): it never equals a
  // desired chain, so a diff recreates it.
  std::string unrecognized = {};
  friend bool operator==(const Chain&, const Chain&) = default;
};

// One table of family inet, owned entirely by op25bc.
struct Ruleset {
  std::string table;
  std::string comment;
  std::vector<Counter> counters;
  std::vector<Set> sets;
  std::vector<Chain> chains;
  friend bool operator==(const Ruleset&, const Ruleset&) = default;
};

}  // namespace op25bc::ir
