// SPDX-License-Identifier: GPL-2.0-or-later
// A transaction: the ordered changes that turn what the kernel holds in
// op25bc's table into the desired ruleset. The differ produces it, the netlink
// batch builder and the fake kernel consume it, the diff printer shows it.
// The kernel applies it as one netlink batch: all of it or nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "op25bc/ir/ruleset.h"

namespace op25bc::nft {

struct AddTable {
  std::string comment;
};
// Deletes the transaction's table, or `other`: a table op25bc made under a
// name the policy no longer uses (its owner mark says so).
struct DeleteTable {
  std::string other;
};
// Clears the flags of the transaction's table (which exists): a table made
// dormant behind op25bc's back is woken. `held` is what the kernel had.
struct ResetTableFlags {
  std::uint32_t held = 0;
};
// NFT_TABLE_F_DORMANT; table_flags_text names the flags ("dormant", "owner").
inline constexpr std::uint32_t kTableDormant = 1;
std::string table_flags_text(std::uint32_t flags);
struct AddCounter {
  ir::Counter counter;
};
struct DeleteCounter {
  std::string name;
};
// The set without its elements; they follow as AddElements.
struct AddSet {
  std::string name;
  net::Family family;
  std::string comment;
  bool verdict_map = false;                     // see ir::Set::verdict_map
  std::optional<ir::Recording> recording = {};  // see ir::Set::recording
};
struct DeleteSet {
  std::string name;
};
struct AddElements {
  std::string set;
  net::Family family;
  net::Intervals elements;
  bool new_set = false;      // the set is created in this transaction
  bool verdict_map = false;  // each element maps to goto ir::block_chain(family, element)
};
struct DeleteElements {
  std::string set;
  net::Family family;
  net::Intervals elements;
};
struct AddChain {
  std::string name;
  std::optional<ir::BaseChain> base;
};
struct DeleteChain {
  std::string name;
};
struct AddRule {
  std::string chain;
  ir::Rule rule;
  // Where: appended (no handle), after the rule with `handle`, or before it.
  std::optional<std::uint64_t> handle;
  bool before = false;
};
struct DeleteRule {
  std::string chain;
  std::uint64_t handle;
  ir::Rule rule;  // what is deleted, for the diff printer
};

using Op = std::variant<AddTable, DeleteTable, ResetTableFlags, AddCounter, DeleteCounter, AddSet,
                        DeleteSet, AddElements, DeleteElements, AddChain, DeleteChain, AddRule,
                        DeleteRule>;

struct Transaction {
  std::string table;
  std::vector<Op> ops;

  bool empty() const { return ops.empty(); }
};

// Intervals per NEWSETELEM/DELSETELEM message: large sets are split across
// messages, all inside the one batch. The element list is one netlink
// attribute whose length is 16 bits: an IPv6 interval takes two elements of
// about 40 bytes, so 512 intervals stay near 40 KiB, well under 64 KiB.
// A verdict map's element also names its chain (up to ~100 bytes for IPv6).
inline constexpr std::size_t kIntervalsPerMessage = 512;
inline constexpr std::size_t kMapIntervalsPerMessage = 128;

// Netlink messages the operation takes (batch begin/end not counted).
std::size_t message_count(const Op& op);
std::size_t message_count(const Transaction& t);

// Element counts, for summaries.
struct TransactionStats {
  std::size_t elements_added = 0;
  std::size_t elements_deleted = 0;
  std::size_t rules_added = 0;
  std::size_t rules_deleted = 0;
  std::size_t objects_changed = 0;  // tables, sets, counters, chains
};
TransactionStats stats(const Transaction& t);

}  // namespace op25bc::nft
