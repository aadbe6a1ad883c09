// SPDX-License-Identifier: GPL-2.0-or-later
// A netlink transport that wraps the real socket and, on command, misbehaves
// as a kernel, a socket or a busy system can: interrupted and spurious
// wake-ups, lost and truncated replies, an error in the middle of a batch, no
// permission, a late reply to an earlier request, a ruleset that changes
// under every commit, a receive buffer too small for the acks. Faults that
// the real kernel can produce are produced by it: the transport changes what
// op25bc sends, never what the kernel answers, except where that is the fault.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "op25bc/nft/transport.h"

namespace op25bc::test {

enum class Fault {
  none,
  eintr,                // every send, wait and receive is interrupted once first
  eagain,               // every receive first finds nothing (a spurious wake-up)
  enobufs,              // the first receive after a batch reports lost messages (ENOBUFS)
  enobufs_dump,         // the first receive of the first dump reports ENOBUFS
  truncated_reply,      // the first reply to a dump is cut in the middle of a message
  error_mid_batch,      // the batch's middle message gets a type the kernel refuses
  eperm,                // sending a batch fails with EPERM
  stale_reply,          // before each reply, one for an earlier sequence number
  erestart_forever,     // every batch names a generation the kernel no longer has
  silent_acks,          // after a batch nothing arrives: the acks never come
  small_receive_buffer  // the socket's receive buffer stays at 4 KiB: acks overflow it
};

class FaultyTransport final : public nft::Transport {
 public:
  FaultyTransport(std::unique_ptr<nft::Transport> real, Fault fault);

  nft::IoResult send(std::span<const char> datagram) override;
  nft::IoResult receive(std::span<char> buffer) override;
  nft::IoResult wait(std::chrono::milliseconds timeout) override;
  std::uint32_t port_id() const override { return real_->port_id(); }
  std::uint64_t netns_cookie() const override { return real_->netns_cookie(); }
  void reserve(std::size_t send_bytes, std::size_t receive_bytes) override;

  int injected() const { return injected_; }  // how many times the fault struck

 private:
  std::unique_ptr<nft::Transport> real_;
  Fault fault_;
  int injected_ = 0;
  bool interrupt_next_ = true;  // eintr/eagain: alternate fault and pass
  bool after_batch_ = false;    // the last send was a batch
  bool after_dump_ = false;     // the last send was a dump request
  std::uint32_t last_seq_ = 0;  // of the last request sent
  std::vector<char> pending_;   // a fabricated reply to deliver next
};

}  // namespace op25bc::test
