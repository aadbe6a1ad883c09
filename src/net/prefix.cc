// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/net/prefix.h"

#include "op25bc/diag/diagnostics.h"

#include <arpa/inet.h>

#include <array>
#include <bit>
#include <cstring>

namespace op25bc::net {

namespace {

bool parse_length(std::string_view text, int max, int& out) {
  if (text.empty() || text.size() > 3) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (text.size() > 1 && text[0] == '0') return false;
  if (value > max) return false;
  out = value;
  return true;
}

// Dotted-quad IPv4, read exactly as glibc's inet_pton(AF_INET) reads it:
// four decimal octets of at most 255, no leading zero, nothing else. In
// place of inet_pton because a million-prefix policy spends a tenth of its
// load there (bench/one_prefix.sh); prefix_test.cc holds the two to agreeing
// on generated text.
std::optional<std::uint32_t> parse_dotted_quad(std::string_view text) {
  std::uint32_t value = 0, octet = 0;
  int octets = 0;
  bool digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (digit && octet == 0) return std::nullopt;  // a leading zero
      octet = octet * 10 + static_cast<std::uint32_t>(c - '0');
      if (octet > 255) return std::nullopt;
      if (!digit) {
        if (++octets > 4) return std::nullopt;
        digit = true;
      }
    } else if (c == '.' && digit && octets < 4) {
      value = (value << 8) | octet;
      octet = 0;
      digit = false;
    } else {
      return std::nullopt;
    }
  }
  if (octets < 4 || !digit) return std::nullopt;
  return (value << 8) | octet;
}

int count_trailing_zero_bits(Word w) {
  const auto low = static_cast<std::uint64_t>(w);
  if (low != 0) return std::countr_zero(low);
  return 64 + std::countr_zero(static_cast<std::uint64_t>(w >> 64));
}

}  // namespace

bool Prefix::contains(const Address& a) const {
  if (a.family != family) return false;
  const Interval iv = interval();
  return a.value >= iv.first && a.value <= iv.last;
}

std::optional<Address> parse_address(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    const auto v4 = parse_dotted_quad(text);
    if (!v4) return std::nullopt;
    return Address{Family::v4, Word{*v4}};
  }
  std::array<char, INET6_ADDRSTRLEN + 1> buffer{};
  // inet_pton reads a C string: a NUL inside the text would hide the rest of it.
  if (text.empty() || text.size() >= buffer.size() || text.find('\0') != text.npos)
    return std::nullopt;
  std::memcpy(buffer.data(), text.data(), text.size());
  in6_addr v6{};
  if (inet_pton(AF_INET6, buffer.data(), &v6) != 1) return std::nullopt;
  Word value = 0;
  for (unsigned char byte : v6.s6_addr) value = (value << 8) | byte;
  return Address{Family::v6, value};
}

PrefixParse parse_prefix(std::string_view text) {
  PrefixParse result;
  const auto slash = text.find('/');
  const auto address = parse_address(text.substr(0, slash));
  if (!address) {
    result.error = quote(text) + " is not an IPv4 or IPv6 prefix";
    result.hint = "write a prefix as ADDRESS/LENGTH, e.g. 192.0.2.0/24 or 2001:db8::/32";
    return result;
  }
  int length = address_bits(address->family);
  if (slash != std::string_view::npos &&
      !parse_length(text.substr(slash + 1), address_bits(address->family), length)) {
    result.error = quote(text) + " has an invalid prefix length";
    result.hint = "an " + std::string{family_name(address->family)} + " prefix length is 0 to " +
                  std::to_string(address_bits(address->family));
    return result;
  }
  const Word host = host_mask(address->family, length);
  if ((address->value & host) != 0) {
    const Prefix network{address->value & ~host, address->family,
                         static_cast<std::uint8_t>(length)};
    result.error = "prefix " + quote(text) + " has host bits set";
    result.hint = "the network address is " + to_string(network);
    return result;
  }
  result.prefix = Prefix{address->value, address->family, static_cast<std::uint8_t>(length)};
  return result;
}

void append_address(std::string& out, Family family, Word value) {
  if (family == Family::v4) {
    const auto v = static_cast<std::uint32_t>(value);
    for (int shift = 24; shift >= 0; shift -= 8) {
      out += std::to_string((v >> shift) & 0xff);
      if (shift != 0) out += '.';
    }
    return;
  }
  in6_addr v6{};
  for (int i = 15; i >= 0; --i) {
    v6.s6_addr[i] = static_cast<unsigned char>(value & 0xff);
    value >>= 8;
  }
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  inet_ntop(AF_INET6, &v6, buffer.data(), buffer.size());
  out += buffer.data();
}

std::string to_string(const Address& a) {
  std::string out;
  append_address(out, a.family, a.value);
  return out;
}

std::string to_string(const Prefix& p) {
  std::string out;
  append_address(out, p.family, p.base);
  if (p.length == address_bits(p.family)) return out;
  out += '/';
  out += std::to_string(p.length);
  return out;
}

std::optional<int> exact_prefix_length(Family family, const Interval& iv) {
  const Word span = iv.last - iv.first;  // size - 1
  if (span == max_word(family)) return 0;
  const Word size = span + 1;
  if ((size & span) != 0) return std::nullopt;  // not a power of two
  const int host_bits = count_trailing_zero_bits(size);
  if ((iv.first & span) != 0) return std::nullopt;  // not aligned
  return address_bits(family) - host_bits;
}

void append_interval(std::string& out, Family family, const Interval& iv) {
  append_address(out, family, iv.first);
  const auto length = exact_prefix_length(family, iv);
  if (length && *length == address_bits(family)) return;
  if (length) {
    out += '/';
    out += std::to_string(*length);
    return;
  }
  out += '-';
  append_address(out, family, iv.last);
}

void append_prefixes(Prefixes& out, Family family, const Interval& iv) {
  const int bits = address_bits(family);
  Word first = iv.first;
  while (true) {
    // The largest block that starts at `first` (its alignment) and ends by iv.last.
    int host_bits = first == 0 ? bits : count_trailing_zero_bits(first);
    while (host_bits > 0 && (first | host_mask(family, bits - host_bits)) > iv.last) --host_bits;
    const Word last = first | host_mask(family, bits - host_bits);
    out.push_back({first, family, static_cast<std::uint8_t>(bits - host_bits)});
    if (last >= iv.last) return;
    first = last + 1;
  }
}

std::string to_string(Family family, const Interval& iv) {
  std::string out;
  append_interval(out, family, iv);
  return out;
}

}  // namespace op25bc::net
