// SPDX-License-Identifier: GPL-2.0-or-later
// A kernel in memory for unit tests (nft::Kernel): applies a transaction all-or-nothing
// with the checks the real one makes (existence, references, overlapping
// intervals, non-empty chains, the generation id) and counts messages.
#pragma once

#include <functional>
#include <map>
#include <utility>

#include "op25bc/nft/kernel.h"

namespace op25bc::test {

class FakeKernel final : public nft::Kernel {
 public:
  std::uint32_t generation() override { return generation_; }
  nft::Instance instance() override { return instance_; }
  std::vector<std::pair<std::string, std::string>> tables() override;
  std::optional<nft::TableState> read(const std::string& table,
                                      const nft::ElementRead& elements) override;
  // A counter counts what count() gave it since the counter object was added.
  std::vector<nft::CounterValue> counters(const std::string& table) override;
  nft::CommitResult commit(const nft::Transaction& t, std::uint32_t generation,
                           bool check_only) override;
  // What record() put in the set (the rules' doing in a real kernel).
  std::vector<backend::RecordedSource> recorded(const std::string& table,
                                                const std::string& set) override;

  // Test controls.
  void bump_generation() { ++generation_; }                         // someone else committed
  void set_instance(nft::Instance i) { instance_ = std::move(i); }  // a reboot, another namespace
  // Someone else's change inside op25bc's own table: the set's elements
  // replaced, the set left in place (its handle unchanged).
  void replace_elements(const std::string& table, const std::string& set, net::Intervals e);
  // Any other change someone makes to op25bc's table (a flag, a chain's
  // binding): one commit of theirs.
  void tamper(const std::string& table, const std::function<void(nft::TableState&)>& change) {
    change(tables_.at(table));
    ++generation_;
  }
  void fail_at(std::size_t op) { fail_at_ = op; }  // the kernel rejects this op
  std::size_t commits() const { return commits_; }
  std::size_t last_messages() const { return last_messages_; }
  std::size_t reads_with_elements() const { return element_reads_; }  // reads of any set's
  // The sets whose elements reads brought back since the last call, in order.
  std::vector<std::string> take_sets_read() { return std::exchange(sets_read_, {}); }
  // Packets that met a rule counting into the counter (which must exist).
  void count(const std::string& table, const std::string& counter, std::uint64_t packets,
             std::uint64_t bytes);
  // A packet's source the rules recorded in a recording set.
  void record(const std::string& table, const std::string& set, net::Address a,
              std::uint64_t expires_in_ms) {
    recorded_[{table, set}].push_back({a, expires_in_ms / 1000});
  }
  // Adds a table op25bc did not create.
  void add_foreign_table(const std::string& name);

  // op25bc's table as nft text (no header), "" when absent.
  std::string dump(const std::string& table) const;

 private:
  void forget_counts(const nft::Transaction& t, const std::vector<std::string>& dropped);

  std::map<std::string, nft::TableState> tables_;
  std::map<std::pair<std::string, std::string>, std::vector<backend::RecordedSource>> recorded_;
  std::uint32_t generation_ = 1;
  nft::Instance instance_{"0f2c6a1e-boot", 7};
  std::uint64_t next_handle_ = 1;
  std::optional<std::size_t> fail_at_;
  std::size_t commits_ = 0;
  std::size_t last_messages_ = 0;
  std::size_t element_reads_ = 0;
  std::vector<std::string> sets_read_;
  std::map<std::pair<std::string, std::string>, nft::CounterValue> counts_;  // table, counter
};

}  // namespace op25bc::test
