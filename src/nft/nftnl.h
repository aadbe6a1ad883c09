// SPDX-License-Identifier: GPL-2.0-or-later
// What reading and writing nf_tables objects share: nft's conventions for set
// key types and userdata (so `nft list` shows op25bc's objects as its own), and
// owning wrappers for libnftnl objects.
#pragma once

#include <libnftnl/chain.h>
#include <libnftnl/gen.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include <array>
#include <cstdint>

#include "op25bc/net/prefix.h"

namespace op25bc::nft::nftnl {

inline constexpr std::uint32_t kKeyTypeIpv4 = 7;   // nft's ipv4_addr
inline constexpr std::uint32_t kKeyTypeIpv6 = 8;   // nft's ipv6_addr
inline constexpr std::uint32_t kKeyTypePort = 13;  // nft's inet_service
inline constexpr std::uint32_t kBigEndian = 2;     // nft's BYTEORDER_BIG_ENDIAN
// Userdata TLV types (libnftnl's udata.h enums, as nft writes them).
inline constexpr std::uint8_t kUdataTableComment = 0;
inline constexpr std::uint8_t kUdataObjComment = 0;
inline constexpr std::uint8_t kUdataSetKeyByteorder = 0;
inline constexpr std::uint8_t kUdataSetDataByteorder = 1;
inline constexpr std::uint8_t kUdataSetDataInterval = 6;
inline constexpr std::uint8_t kUdataSetComment = 7;

template <typename T, void (*Free)(const T*)>
struct Owned {
  T* p;
  explicit Owned(T* x) : p(x) {}
  ~Owned() { Free(p); }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
};
using Table = Owned<nftnl_table, nftnl_table_free>;
using Chain = Owned<nftnl_chain, nftnl_chain_free>;
using Rule = Owned<nftnl_rule, nftnl_rule_free>;
using Set = Owned<nftnl_set, nftnl_set_free>;
using Obj = Owned<nftnl_obj, nftnl_obj_free>;
using Gen = Owned<nftnl_gen, nftnl_gen_free>;

// A set key in network byte order: an address (4 or 16 bytes) or a port (2).
struct Key {
  std::array<std::uint8_t, 16> bytes{};
  std::uint32_t size = 0;
};

inline Key address_key(net::Family f, net::Word value) {
  Key k;
  k.size = f == net::Family::v4 ? 4 : 16;
  for (std::uint32_t i = 0; i < k.size; ++i)
    k.bytes[k.size - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  return k;
}

inline Key port_key(std::uint16_t port) {
  Key k;
  k.size = 2;
  k.bytes[0] = static_cast<std::uint8_t>(port >> 8);
  k.bytes[1] = static_cast<std::uint8_t>(port & 0xff);
  return k;
}

}  // namespace op25bc::nft::nftnl
