// SPDX-License-Identifier: GPL-2.0-or-later
// The netlink socket NetlinkKernel talks through, behind a small interface:
// the real NETLINK_NETFILTER socket, and in tests wrappers that inject faults
// (tests/support/faulty_transport.h) or replay bytes (fuzz/).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "op25bc/nft/kernel.h"

namespace op25bc::nft {

// A system call's outcome: bytes moved, or an errno (error != 0).
struct IoResult {
  std::size_t bytes = 0;
  int error = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // One datagram, whole.
  virtual IoResult send(std::span<const char> datagram) = 0;
  // One datagram. One larger than `buffer` is an error (ENOSPC, as libmnl
  // reports MSG_TRUNC), never silently cut.
  virtual IoResult receive(std::span<char> buffer) = 0;
  // Whether a datagram arrives within `timeout`: bytes 1 when one is
  // waiting, 0 on timeout; or an errno (EINTR).
  virtual IoResult wait(std::chrono::milliseconds timeout) = 0;
  virtual std::uint32_t port_id() const = 0;
  // The network namespace's cookie (SO_NETNS_COOKIE); 0 when unknown.
  virtual std::uint64_t netns_cookie() const = 0;
  // Best effort: socket buffers large enough for one batch and its acks.
  virtual void reserve(std::size_t send_bytes, std::size_t receive_bytes) = 0;
};

// A failed system call worded for the operator: EPERM asks for root or
// CAP_NET_ADMIN, a missing protocol says nf_tables is absent.
nft::KernelError kernel_error(const std::string& what, int error);

// A NETLINK_NETFILTER socket in the caller's network namespace, asking for
// capped acks and extended error messages. Throws nft::KernelError.
std::unique_ptr<Transport> open_netfilter_socket();

}  // namespace op25bc::nft
