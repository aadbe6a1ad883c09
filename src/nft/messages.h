// SPDX-License-Identifier: GPL-2.0-or-later
// Walking the netlink messages of one datagram. libmnl's mnl_nlmsg_ok()
// compares a header's claimed length as an int, so a header claiming 2 GiB
// or more passes and the next step leaves the buffer (found by
// fuzz/netlink_reply). This walk checks in unsigned arithmetic.
#pragma once

#include <linux/netlink.h>

#include <algorithm>
#include <cstddef>
#include <span>
#include <type_traits>

namespace op25bc::nft {

// Calls `fn(header)` on each whole message in order while it returns true.
// Returns the bytes left over that are not a whole message (a message cut
// short, or a header claiming more than the rest); 0 when `fn` stopped.
template <typename Byte, typename Fn>
std::size_t for_each_message(std::span<Byte> datagram, Fn&& fn) {
  static_assert(sizeof(Byte) == 1);
  using Header = std::conditional_t<std::is_const_v<Byte>, const nlmsghdr, nlmsghdr>;
  std::size_t at = 0;
  while (datagram.size() - at >= sizeof(nlmsghdr)) {
    auto* nlh = reinterpret_cast<Header*>(datagram.data() + at);
    const std::size_t length = nlh->nlmsg_len;
    if (length < sizeof(nlmsghdr) || length > datagram.size() - at) break;
    if (!fn(nlh)) return 0;
    at = std::min(datagram.size(), at + NLMSG_ALIGN(length));
  }
  return datagram.size() - at;
}

}  // namespace op25bc::nft
