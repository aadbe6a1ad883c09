// SPDX-License-Identifier: GPL-2.0-or-later
// The port of the apply layer: what the differ and the reconcile loop need from
// the kernel, behind one small interface. It lives here, below its
// implementations, so dependencies point one way: the real one (kernel/,
// netlink with libnftnl + libmnl) implements it, and so does the fake of the
// unit tests (tests/support/fake_kernel.h), which applies transactions to an
// in-memory table.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/backend/status.h"
#include "op25bc/ir/ruleset.h"
#include "op25bc/net/digest.h"
#include "op25bc/nft/transaction.h"

namespace op25bc::nft {

// Which sets' elements a read brings back. Interval sets dump in time
// quadratic in their size, so a read asks only for those it cannot know
// otherwise.
class ElementRead {
 public:
  static ElementRead none() { return ElementRead(false, {}); }
  static ElementRead all() { return ElementRead(true, {}); }
  static ElementRead of(std::vector<std::string> sets) {
    return ElementRead(false, std::move(sets));
  }

  bool wants(std::string_view set) const {
    return all_ || std::binary_search(sets_.begin(), sets_.end(), set);
  }
  bool everything() const { return all_; }

 private:
  ElementRead(bool all, std::vector<std::string> sets) : all_(all), sets_(std::move(sets)) {
    std::sort(sets_.begin(), sets_.end());
  }
  bool all_;
  std::vector<std::string> sets_;  // sorted
};

// op25bc's table as the kernel holds it: the IR plus the handles a diff needs.
struct TableState {
  ir::Ruleset ruleset;                                   // elements only where read
  std::vector<std::vector<std::uint64_t>> rule_handles;  // per chain, per rule
  std::vector<std::uint64_t> set_handles;                // per set
  std::vector<bool> elements_read;                       // per set
  // Per set whose elements were not read: what op25bc's record vouches it
  // holds (filled by the reconcile loop, never by a kernel). The differ leaves
  // such a set alone when the policy wants exactly that.
  std::vector<std::optional<net::SetDigest>> vouched;
  // The table's flags (NFTA_TABLE_FLAGS). op25bc's table has none: "dormant"
  // unregisters every hook of the table, so it blocks nothing while its rules
  // stay as they were. The differ resets any it finds.
  std::uint32_t table_flags = 0;
};

// Which running kernel and network namespace op25bc talks to. A record of what
// op25bc committed describes this instance only: a reboot changes the boot id,
// and a namespace cookie is never reused while the machine runs (an inode is).
struct Instance {
  std::string boot_id;             // /proc/sys/kernel/random/boot_id
  std::uint64_t netns_cookie = 0;  // SO_NETNS_COOKIE; 0: unknown, bind nothing to it
  bool known() const { return !boot_id.empty() && netns_cookie != 0; }
  friend bool operator==(const Instance&, const Instance&) = default;
};

// The generation id right after a commit guarded by `guard`: the kernel
// increments it once per commit and skips 0.
constexpr std::uint32_t generation_after(std::uint32_t guard) {
  return guard + 1 == 0 ? 1 : guard + 1;
}

// Failing to talk to the kernel at all (no nf_tables, no permission, a socket
// error, a dump that kept being interrupted), worded for the operator. Every
// Kernel call may throw it; nothing else a kernel does is an exception.
struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A batch the kernel refused is a result, not an exception: its errno, the
// operation it named, and what changed (nothing: batches are atomic).
struct CommitResult {
  bool ok = false;
  bool generation_changed = false;       // ERESTART: someone committed since we read
  int error_code = 0;                    // the kernel's errno, 0 when none
  std::string error;                     // what the kernel said, and about which operation
  std::optional<std::size_t> failed_op;  // index into Transaction::ops
  std::size_t messages = 0;              // netlink messages sent, batch begin/end excluded
  // Not ok, and the batch was sent but its acks were lost or never came:
  // whether the kernel applied it is unknown. Otherwise a failed commit
  // changed nothing (a batch is all or nothing).
  bool outcome_unknown = false;
};

// A named counter of op25bc's table and what it has counted.
struct CounterValue {
  std::string name;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  // The ruleset generation id (NFT_MSG_GETGEN).
  virtual std::uint32_t generation() = 0;

  // This boot and network namespace.
  virtual Instance instance() = 0;

  // Every inet table: its name and comment.
  virtual std::vector<std::pair<std::string, std::string>> tables() = 0;

  // Reads op25bc's table with the elements of the sets `elements` selects;
  // nullopt when there is no such table.
  virtual std::optional<TableState> read(const std::string& table, const ElementRead& elements) = 0;

  // The same without chains, rules and counters: the table, its sets and the
  // elements `elements` selects (a session event's read, which must be cheap
  // beside a table of a thousand block chains).
  virtual std::optional<TableState> read_sets(const std::string& table,
                                              const ElementRead& elements) {
    auto state = read(table, elements);
    if (state) {
      state->ruleset.chains.clear();
      state->ruleset.counters.clear();
      state->rule_handles.clear();
    }
    return state;
  }

  // The named counters of the table (one per phase) with their values.
  virtual std::vector<CounterValue> counters(const std::string& table) = 0;

  // What the rules put in recording set `set` of the table.
  virtual std::vector<backend::RecordedSource> recorded(const std::string& table,
                                                        const std::string& set) = 0;

  // Sends the transaction as one batch guarded by `generation`; with
  // `check_only` the batch has no END, so the kernel validates it and aborts.
  virtual CommitResult commit(const Transaction& t, std::uint32_t generation, bool check_only) = 0;
};

}  // namespace op25bc::nft
