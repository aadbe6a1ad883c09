// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/transport.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace op25bc::nft {

namespace {

class SocketTransport final : public Transport {
 public:
  SocketTransport() {
    nl_ = mnl_socket_open(NETLINK_NETFILTER);
    if (nl_ == nullptr) throw kernel_error("opening a netlink socket", errno);
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
      const int e = errno;
      mnl_socket_close(nl_);
      throw kernel_error("binding the netlink socket", e);
    }
    const int on = 1;
    // Small acks (no echoed request) and extended error messages.
    setsockopt(fd(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    setsockopt(fd(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  }
  ~SocketTransport() override { mnl_socket_close(nl_); }
  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;

  IoResult send(std::span<const char> datagram) override {
    const ssize_t n = mnl_socket_sendto(nl_, datagram.data(), datagram.size());
    return n < 0 ? IoResult{0, errno} : IoResult{static_cast<std::size_t>(n), 0};
  }
  IoResult receive(std::span<char> buffer) override {
    const ssize_t n = mnl_socket_recvfrom(nl_, buffer.data(), buffer.size());
    return n < 0 ? IoResult{0, errno} : IoResult{static_cast<std::size_t>(n), 0};
  }
  IoResult wait(std::chrono::milliseconds timeout) override {
    pollfd p{fd(), POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(timeout.count()));
    return ready < 0 ? IoResult{0, errno} : IoResult{ready > 0 ? 1u : 0u, 0};
  }
  std::uint32_t port_id() const override { return mnl_socket_get_portid(nl_); }
  std::uint64_t netns_cookie() const override {
    std::uint64_t cookie = 0;
    socklen_t len = sizeof cookie;
    // Kernels before 5.14 have none: nothing is then trusted.
    if (getsockopt(fd(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0) return 0;
    return cookie;
  }
  void reserve(std::size_t send_bytes, std::size_t receive_bytes) override {
    const auto clamp = [](std::size_t n) {
      return static_cast<int>(std::min<std::size_t>(n, std::size_t{1} << 30));
    };
    const int snd = clamp(send_bytes), rcv = clamp(receive_bytes);
    setsockopt(fd(), SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd);
    setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv);
  }

 private:
  int fd() const { return mnl_socket_get_fd(nl_); }

  mnl_socket* nl_ = nullptr;
};

}  // namespace

nft::KernelError kernel_error(const std::string& what, int e) {
  if (e == EPERM || e == EACCES)
    return nft::KernelError("op25bc needs root or CAP_NET_ADMIN to talk to nf_tables (" + what +
                            ")");
  if (e == EOPNOTSUPP || e == EPROTONOSUPPORT || e == EAFNOSUPPORT)
    return nft::KernelError("this kernel has no nf_tables support (" + what + ": " +
                            std::strerror(e) + ")");
  return nft::KernelError(what + ": " + std::strerror(e));
}

std::unique_ptr<Transport> open_netfilter_socket() {
  return std::make_unique<SocketTransport>();
}

}  // namespace op25bc::nft
