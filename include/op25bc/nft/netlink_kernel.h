// SPDX-License-Identifier: GPL-2.0-or-later
// The real kernel: nf_tables over netlink with libnftnl and libmnl.
#pragma once

#include <chrono>
#include <memory>

#include "op25bc/nft/kernel.h"
#include "op25bc/nft/transport.h"

namespace op25bc::nft {

struct NetlinkOptions {
  // How long a reply may take before the kernel counts as silent: a dump
  // fails, a batch's outcome is unknown.
  std::chrono::milliseconds reply_timeout{30000};
};

class NetlinkKernel final : public nft::Kernel {
 public:
  NetlinkKernel();  // the real socket; throws nft::KernelError
  explicit NetlinkKernel(std::unique_ptr<Transport> transport, NetlinkOptions options = {});
  ~NetlinkKernel() override;
  NetlinkKernel(const NetlinkKernel&) = delete;
  NetlinkKernel& operator=(const NetlinkKernel&) = delete;

  std::uint32_t generation() override;
  nft::Instance instance() override;
  std::vector<std::pair<std::string, std::string>> tables() override;
  std::optional<nft::TableState> read(const std::string& table,
                                      const nft::ElementRead& elements) override;
  std::optional<nft::TableState> read_sets(const std::string& table,
                                           const nft::ElementRead& elements) override;
  nft::CommitResult commit(const nft::Transaction& t, std::uint32_t generation,
                           bool check_only) override;

  std::vector<nft::CounterValue> counters(const std::string& table) override;
  std::vector<backend::RecordedSource> recorded(const std::string& table,
                                                const std::string& set) override;

 private:
  std::optional<nft::TableState> read_once(const std::string& table,
                                           const nft::ElementRead& elements);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace op25bc::nft
