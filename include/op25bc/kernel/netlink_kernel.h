// The real kernel: nf_tables over netlink with libnftnl and libmnl.
#pragma once

#include <memory>

#include "op25bc/apply/kernel.h"

struct mnl_socket;

namespace op25bc::kernel {

class NetlinkKernel final : public apply::Kernel {
 public:
  NetlinkKernel();  // throws apply::KernelError
  ~NetlinkKernel() override;
  NetlinkKernel(const NetlinkKernel&) = delete;
  NetlinkKernel& operator=(const NetlinkKernel&) = delete;

  std::uint32_t generation() override;
  apply::Instance instance() override;
  std::vector<std::pair<std::string, std::string>> tables() override;
  std::optional<apply::TableState> read(const std::string& table,
                                        const apply::ElementRead& elements) override;
  apply::CommitResult commit(const apply::Transaction& t, std::uint32_t generation,
                             bool check_only) override;

  std::vector<apply::CounterValue> counters(const std::string& table) override;

 private:
  std::optional<apply::TableState> read_once(const std::string& table,
                                             const apply::ElementRead& elements);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace op25bc::kernel
