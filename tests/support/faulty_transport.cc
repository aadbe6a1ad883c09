// SPDX-License-Identifier: GPL-2.0-or-later
#include "support/faulty_transport.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "nft/messages.h"

namespace op25bc::test {

namespace {

// The first message's header: what kind of request a datagram is.
nlmsghdr first_header(std::span<const char> d) {
  nlmsghdr first{};
  nft::for_each_message(d, [&](const nlmsghdr* nlh) {
    first = *nlh;
    return false;
  });
  return first;
}

// An error ack for `seq`, as the kernel would send for a refused request.
std::vector<char> error_ack(std::uint32_t seq, int error) {
  std::vector<char> out(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(out.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  nlh->nlmsg_seq = seq;
  auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  err->error = -error;
  err->msg.nlmsg_seq = seq;
  out.resize(nlh->nlmsg_len);
  return out;
}

}  // namespace

FaultyTransport::FaultyTransport(std::unique_ptr<nft::Transport> real, Fault fault)
    : real_(std::move(real)), fault_(fault) {}

nft::IoResult FaultyTransport::send(std::span<const char> datagram) {
  const nlmsghdr first = first_header(datagram);
  after_batch_ = first.nlmsg_type == NFNL_MSG_BATCH_BEGIN;
  after_dump_ = (first.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  last_seq_ = first.nlmsg_seq;
  if (fault_ == Fault::eintr && std::exchange(interrupt_next_, false)) {
    ++injected_;
    return {0, EINTR};
  }
  interrupt_next_ = true;
  if (fault_ == Fault::eperm && after_batch_) {
    ++injected_;
    return {0, EPERM};
  }
  if (fault_ == Fault::stale_reply) pending_ = error_ack(last_seq_ - 1, EINVAL);
  if (after_batch_ && (fault_ == Fault::error_mid_batch || fault_ == Fault::erestart_forever)) {
    std::vector<char> changed(datagram.begin(), datagram.end());
    std::vector<nlmsghdr*> messages;
    nft::for_each_message(std::span<char>(changed), [&](nlmsghdr* nlh) {
      messages.push_back(nlh);
      return true;
    });
    if (fault_ == Fault::error_mid_batch && messages.size() >= 3) {
      // No nf_tables message has this type: the kernel refuses it, aborts
      // the batch and acks the others.
      nlmsghdr* middle = messages[messages.size() / 2];
      middle->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | 0xfe);
      ++injected_;
    }
    if (fault_ == Fault::erestart_forever) {
      // BATCH_BEGIN carries the generation the batch was based on
      // (NFNL_BATCH_GENID): name one the kernel is not at.
      nlmsghdr* begin = messages.front();
      auto* attr = static_cast<nlattr*>(mnl_nlmsg_get_payload_offset(begin, sizeof(nfgenmsg)));
      int left = static_cast<int>(static_cast<char*>(mnl_nlmsg_get_payload_tail(begin)) -
                                  reinterpret_cast<char*>(attr));
      for (; mnl_attr_ok(attr, left); attr = mnl_attr_next(attr)) {
        left -= MNL_ALIGN(attr->nla_len);
        if (mnl_attr_get_type(attr) == NFNL_BATCH_GENID)
          *static_cast<std::uint32_t*>(mnl_attr_get_payload(attr)) =
              htonl(ntohl(mnl_attr_get_u32(attr)) + 7);
      }
      ++injected_;
    }
    return real_->send(changed);
  }
  return real_->send(datagram);
}

nft::IoResult FaultyTransport::wait(std::chrono::milliseconds timeout) {
  if (!pending_.empty()) return {1, 0};
  if (fault_ == Fault::silent_acks && after_batch_) {
    ++injected_;
    return {0, 0};  // the whole timeout passed
  }
  if (fault_ == Fault::eintr && std::exchange(interrupt_next_, false)) {
    ++injected_;
    return {0, EINTR};
  }
  return real_->wait(timeout);
}

nft::IoResult FaultyTransport::receive(std::span<char> buffer) {
  if (!pending_.empty()) {
    const std::size_t n = std::min(buffer.size(), pending_.size());
    std::copy_n(pending_.begin(), n, buffer.begin());
    pending_.clear();
    ++injected_;
    return {n, 0};
  }
  if (fault_ == Fault::eintr && std::exchange(interrupt_next_, false)) {
    ++injected_;
    return {0, EINTR};
  }
  if (fault_ == Fault::eagain && std::exchange(interrupt_next_, false)) {
    ++injected_;
    return {0, EAGAIN};
  }
  interrupt_next_ = true;
  if ((fault_ == Fault::enobufs && std::exchange(after_batch_, false)) ||
      (fault_ == Fault::enobufs_dump && injected_ == 0 && std::exchange(after_dump_, false))) {
    ++injected_;
    return {0, ENOBUFS};
  }
  const nft::IoResult got = real_->receive(buffer);
  if (fault_ == Fault::truncated_reply && std::exchange(after_dump_, false) && got.error == 0 &&
      got.bytes > 24) {
    ++injected_;
    return {got.bytes - 7, 0};  // the last message loses its tail
  }
  return got;
}

void FaultyTransport::reserve(std::size_t send_bytes, std::size_t receive_bytes) {
  if (fault_ != Fault::small_receive_buffer) return real_->reserve(send_bytes, receive_bytes);
  real_->reserve(send_bytes, 4096);
  ++injected_;
}

}  // namespace op25bc::test
