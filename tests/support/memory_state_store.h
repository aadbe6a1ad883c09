// SPDX-License-Identifier: GPL-2.0-or-later
// The state store of unit tests: the record in memory.
#pragma once

#include "op25bc/nft/state.h"

namespace op25bc::test {

class MemoryStateStore final : public nft::StateStore {
 public:
  std::optional<nft::StateRecord> load() override { return corrupted_ ? std::nullopt : record_; }
  void save(const nft::StateRecord& r) override {
    record_ = r;
    corrupted_ = false;
  }
  bool unusable() const override { return corrupted_; }
  void corrupt() { corrupted_ = true; }  // the stored bytes no longer decode

 private:
  std::optional<nft::StateRecord> record_;
  bool corrupted_ = false;
};

}  // namespace op25bc::test
