// SPDX-License-Identifier: GPL-2.0-or-later
// What a session may hold. A subscriber exemption follows the addresses an
// access server reports, so a report must never exempt more than one
// subscriber's own: a session address is a host address (IPv4 /32, IPv6
// /128), or an IPv6 delegated prefix no wider than its pool's
// delegated_length, and it lies inside one pool prefix. Anything else,
// 0.0.0.0/0, a /8, an address outside every pool, is refused.
//
// Session events read no policy, so apply and activate leave the pools'
// bounds beside the state file (STATE.pools), a small binary file of sorted
// disjoint ranges that an event searches with a few pread(2) calls, whatever
// the number of pool prefixes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "op25bc/net/prefix.h"
#include "op25bc/policy/model.h"

namespace op25bc::session {

// A range of pool addresses and the shortest prefix length a session there
// may hold (32 or 128 for host addresses only).
struct PoolRange {
  net::Interval range;
  std::uint8_t shortest;
};

// "" when a session may hold `address` given `range`, the pool range that
// holds its first address (nullopt: none does); else why not, for the operator.
std::string address_problem(const net::Prefix& address, const std::optional<PoolRange>& range);

// The same against the policy's pools.
std::string address_problem(const policy::Policy& policy, const net::Prefix& address);

// The pools' bounds as STATE.pools holds them; pools_digest() is the digest
// its header carries, so an unchanged file is not written again.
std::string encode_pools(const policy::Policy& policy);
std::uint64_t pools_digest(const std::string& bytes);

// Where the bounds of the state file `state` live: beside it.
std::string pools_path(const std::string& state);

// The bounds file at `path`, opened once; lookups pread(2) it.
class PoolsFile {
 public:
  // nullopt with `error` when it cannot be opened or is not a bounds file.
  static std::optional<PoolsFile> open(const std::string& path, std::string& error);
  PoolsFile(PoolsFile&& other) noexcept;
  PoolsFile& operator=(PoolsFile&&) = delete;
  PoolsFile(const PoolsFile&) = delete;
  ~PoolsFile();

  std::uint64_t digest() const { return digest_; }
  // The pool range holding `address` (its first address), if any; nullopt
  // with `error` set when the file could not be read.
  std::optional<PoolRange> find(const net::Address& address, std::string& error) const;

 private:
  PoolsFile(int fd, std::uint64_t count4, std::uint64_t count6, std::uint64_t digest)
      : fd_(fd), count4_(count4), count6_(count6), digest_(digest) {}
  int fd_;
  std::uint64_t count4_, count6_, digest_;
};

}  // namespace op25bc::session
