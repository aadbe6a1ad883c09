// The real kernel: nf_tables over netlink with libnftnl and libmnl.
#pragma once

#include <memory>
#include <stdexcept>

#include "op25bc/kernel/kernel.h"

struct mnl_socket;

namespace op25bc::kernel {

// A failure talking to the kernel, worded for the operator.
struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CounterValue {
  std::string name;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

class NetlinkKernel final : public Kernel {
 public:
  NetlinkKernel();  // throws KernelError
  ~NetlinkKernel() override;
  NetlinkKernel(const NetlinkKernel&) = delete;
  NetlinkKernel& operator=(const NetlinkKernel&) = delete;

  std::uint32_t generation() override;
  Instance instance() override;
  std::vector<std::pair<std::string, std::string>> tables() override;
  std::optional<TableState> read(const std::string& table, const ElementRead& elements) override;
  CommitResult commit(const apply::Transaction& t, std::uint32_t generation,
                      bool check_only) override;

  std::vector<CounterValue> counters(const std::string& table);

 private:
  std::optional<TableState> read_once(const std::string& table, const ElementRead& elements);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace op25bc::kernel
