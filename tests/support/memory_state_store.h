// The state store of unit tests: the record in memory.
#pragma once

#include "op25bc/apply/state.h"

namespace op25bc::test {

class MemoryStateStore final : public apply::StateStore {
 public:
  std::optional<apply::StateRecord> load() override { return record_; }
  void save(const apply::StateRecord& r) override { record_ = r; }

 private:
  std::optional<apply::StateRecord> record_;
};

}  // namespace op25bc::test
