// SPDX-License-Identifier: GPL-2.0-or-later
// Backend: a transaction -> one nf_tables netlink batch (libnftnl), encoded
// the way nft encodes the same objects. Pure: it builds bytes, it sends nothing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "op25bc/net/bulk_allocator.h"
#include "op25bc/nft/transaction.h"

namespace op25bc::nft {

struct NetlinkBatch {
  // BATCH_BEGIN, the messages, BATCH_END unless checking.
  std::vector<char, net::BulkAllocator<char>> bytes;
  std::uint32_t begin_seq = 0;               // sequence number of BATCH_BEGIN
  std::map<std::uint32_t, std::size_t> ops;  // message sequence -> Transaction::ops index

  std::size_t messages() const { return ops.size(); }  // begin/end not counted
  // The operation the message with sequence number `seq` belongs to.
  std::optional<std::size_t> op_of(std::uint32_t seq) const {
    auto it = ops.find(seq);
    if (it == ops.end()) return std::nullopt;
    return it->second;
  }
};

// `seq` is the socket's running sequence number; it is advanced per message.
// With `check_only` there is no BATCH_END: the kernel validates, then aborts.
NetlinkBatch build_netlink_batch(const nft::Transaction& t, std::uint32_t generation,
                                 bool check_only, std::uint32_t& seq);

}  // namespace op25bc::nft
