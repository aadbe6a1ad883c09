// SPDX-License-Identifier: GPL-2.0-or-later
// The state store of unit tests: the record in memory.
#pragma once

#include "op25bc/apply/state.h"

namespace op25bc::test {

class MemoryStateStore final : public apply::StateStore {
 public:
  std::optional<apply::StateRecord> load() override { return corrupted_ ? std::nullopt : record_; }
  void save(const apply::StateRecord& r) override {
    record_ = r;
    corrupted_ = false;
  }
  bool unusable() const override { return corrupted_; }
  void corrupt() { corrupted_ = true; }  // the stored bytes no longer decode

 private:
  std::optional<apply::StateRecord> record_;
  bool corrupted_ = false;
};

}  // namespace op25bc::test
