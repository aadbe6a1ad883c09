// SPDX-License-Identifier: GPL-2.0-or-later
// A kernel that forwards everything to `inner` (the fake or the real one), for
// tests that change one behaviour (a race before a commit, lost acks) by
// overriding that call alone.
#pragma once

#include "op25bc/nft/kernel.h"

namespace op25bc::test {

template <typename Inner>
struct ForwardingKernel : nft::Kernel {
  Inner inner;
  std::uint32_t generation() override { return inner.generation(); }
  nft::Instance instance() override { return inner.instance(); }
  std::vector<std::pair<std::string, std::string>> tables() override { return inner.tables(); }
  std::optional<nft::TableState> read(const std::string& t,
                                      const nft::ElementRead& elements) override {
    return inner.read(t, elements);
  }
  std::vector<backend::RecordedSource> recorded(const std::string& t,
                                                const std::string& s) override {
    return inner.recorded(t, s);
  }
  std::vector<nft::CounterValue> counters(const std::string& t) override {
    return inner.counters(t);
  }
  nft::CommitResult commit(const nft::Transaction& t, std::uint32_t generation,
                           bool check_only) override {
    return inner.commit(t, generation, check_only);
  }
};

}  // namespace op25bc::test
