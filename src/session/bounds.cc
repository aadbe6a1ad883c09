// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/session/bounds.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace op25bc::session {

namespace {

// The file: a header, the IPv4 ranges, then the IPv6 ranges, each sorted by
// first address and disjoint, in this machine's byte order (the file never
// leaves it). The digest covers everything after the header.
struct Header {
  char magic[8];
  std::uint64_t count4;
  std::uint64_t count6;
  std::uint64_t digest;
};
constexpr char kMagic[8] = {'O', 'P', '2', '5', 'B', 'C', 'P', '1'};
struct Range4 {
  std::uint32_t first, last;
};
struct Range6 {
  std::uint64_t first_high, first_low, last_high, last_low;
  std::uint8_t shortest;
  std::uint8_t pad[7];
};
static_assert(sizeof(Header) == 32 && sizeof(Range4) == 8 && sizeof(Range6) == 40);

std::uint64_t high(net::Word w) {
  return static_cast<std::uint64_t>(w >> 64);
}
net::Word word(std::uint64_t high, std::uint64_t low) {
  return (net::Word{high} << 64) | low;
}

// The shortest prefix length a session in `pool` may hold in family `f`: its
// delegated_length for IPv6 when it sets one, else host addresses only.
std::uint8_t shortest(const policy::Pool& pool, net::Family f) {
  return static_cast<std::uint8_t>(f == net::Family::v6 && pool.delegated_length
                                       ? *pool.delegated_length
                                       : net::address_bits(f));
}

// The pool prefixes of one family as disjoint ranges: overlapping prefixes
// (one pool's /16 and a /24 inside it) merge; adjacent ones stay apart, so a
// prefix across two pool prefixes lies inside none.
std::vector<PoolRange> ranges(const policy::Policy& p, net::Family f) {
  std::vector<PoolRange> out;
  for (const auto& e : p.pool_index.entries(f)) {
    const std::uint8_t bound = shortest(p.pools[e.pool], f);
    if (!out.empty() && e.first <= out.back().range.last) {
      out.back().range.last = std::max(out.back().range.last, e.last());
      out.back().shortest = std::max(out.back().shortest, bound);  // the narrower bound
    } else {
      out.push_back({e.interval(), bound});
    }
  }
  return out;
}

bool read_at(int fd, void* out, std::size_t size, std::uint64_t offset) {
  auto* bytes = static_cast<char*>(out);
  while (size > 0) {
    const ssize_t n = ::pread(fd, bytes, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

}  // namespace

std::string address_problem(const net::Prefix& address, const std::optional<PoolRange>& range) {
  const int bits = net::address_bits(address.family);
  const std::string text = net::to_string(address);
  if (!range && address.length == bits) return text + " lies in no pool";
  if (!range || address.interval().last > range->range.last)
    return text + " is not inside one pool prefix";
  if (address.length == bits) return {};
  if (address.family == net::Family::v4 || range->shortest == bits)
    return text + " is not a host address" +
           (address.family == net::Family::v6
                ? std::string{" (its pool sets no delegated_length for delegated prefixes)"}
                : std::string{});
  if (address.length < range->shortest)
    return text + " is wider than its pool's delegated_length /" + std::to_string(range->shortest);
  return {};
}

std::string address_problem(const policy::Policy& policy, const net::Prefix& address) {
  std::optional<PoolRange> holder;
  const net::Interval iv = address.interval();
  // The pool prefix holding the first address; a wider one, if prefixes nest.
  policy.pool_index.for_each_overlap(
      address.family, {iv.first, iv.first}, [&](const policy::PoolIndex::Entry& e) {
        const PoolRange r{e.interval(), shortest(policy.pools[e.pool], address.family)};
        if (!holder || r.range.last > holder->range.last) holder = r;
      });
  return address_problem(address, holder);
}

std::string encode_pools(const policy::Policy& policy) {
  const auto v4 = ranges(policy, net::Family::v4);
  const auto v6 = ranges(policy, net::Family::v6);
  std::string out(sizeof(Header) + v4.size() * sizeof(Range4) + v6.size() * sizeof(Range6), '\0');
  char* at = out.data() + sizeof(Header);
  for (const PoolRange& r : v4) {
    const Range4 x{static_cast<std::uint32_t>(r.range.first),
                   static_cast<std::uint32_t>(r.range.last)};
    std::memcpy(at, &x, sizeof x);
    at += sizeof x;
  }
  for (const PoolRange& r : v6) {
    Range6 x{high(r.range.first), static_cast<std::uint64_t>(r.range.first),
             high(r.range.last),  static_cast<std::uint64_t>(r.range.last),
             r.shortest,          {}};
    std::memcpy(at, &x, sizeof x);
    at += sizeof x;
  }
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.count4 = v4.size();
  h.count6 = v6.size();
  h.digest = XXH3_64bits(out.data() + sizeof(Header), out.size() - sizeof(Header));
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

std::uint64_t pools_digest(const std::string& bytes) {
  Header h{};
  if (bytes.size() < sizeof h) return 0;
  std::memcpy(&h, bytes.data(), sizeof h);
  return h.digest;
}

std::string pools_path(const std::string& state) {
  return state + ".pools";
}

std::optional<PoolsFile> PoolsFile::open(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  Header h{};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const bool ok = regular && read_at(fd, &h, sizeof h, 0) &&
                  std::memcmp(h.magic, kMagic, sizeof kMagic) == 0 &&
                  h.count4 <= (std::uint64_t{1} << 40) && h.count6 <= (std::uint64_t{1} << 40) &&
                  static_cast<std::uint64_t>(st.st_size) ==
                      sizeof h + h.count4 * sizeof(Range4) + h.count6 * sizeof(Range6);
  if (!ok) {
    ::close(fd);
    error = path + (regular ? " is not op25bc's file of pool bounds" : ": not a regular file");
    return std::nullopt;
  }
  return PoolsFile(fd, h.count4, h.count6, h.digest);
}

PoolsFile::PoolsFile(PoolsFile&& other) noexcept
    : fd_(other.fd_), count4_(other.count4_), count6_(other.count6_), digest_(other.digest_) {
  other.fd_ = -1;
}

PoolsFile::~PoolsFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<PoolRange> PoolsFile::find(const net::Address& a, std::string& error) const {
  const bool v4 = a.family == net::Family::v4;
  const std::uint64_t count = v4 ? count4_ : count6_;
  const std::uint64_t base = sizeof(Header) + (v4 ? 0 : count4_ * sizeof(Range4));
  const std::size_t size = v4 ? sizeof(Range4) : sizeof(Range6);
  const auto read = [&](std::uint64_t k) -> std::optional<PoolRange> {
    if (v4) {
      Range4 r{};
      if (!read_at(fd_, &r, size, base + k * size)) return std::nullopt;
      return PoolRange{{r.first, r.last}, 32};
    }
    Range6 r{};
    if (!read_at(fd_, &r, size, base + k * size)) return std::nullopt;
    return PoolRange{{word(r.first_high, r.first_low), word(r.last_high, r.last_low)}, r.shortest};
  };
  // The last range starting at or before the address.
  std::uint64_t lo = 0, hi = count;
  std::optional<PoolRange> best;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    const auto r = read(mid);
    if (!r) {
      error = "cannot read the file of pool bounds";
      return std::nullopt;
    }
    if (r->range.first <= a.value) {
      best = r;
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (best && a.value <= best->range.last) return best;
  return std::nullopt;
}

}  // namespace op25bc::session
