// SPDX-License-Identifier: GPL-2.0-or-later
// The walk over a datagram's netlink messages, with headers that lie.
#include "nft/messages.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <utility>
#include <vector>

using op25bc::nft::for_each_message;

namespace {

// A datagram of messages with these claimed lengths, each `sizes[i]` bytes long.
std::vector<char> datagram(std::initializer_list<std::pair<std::uint32_t, std::size_t>> messages) {
  std::vector<char> out;
  std::uint32_t seq = 1;
  for (const auto& [claimed, size] : messages) {
    nlmsghdr h{};
    h.nlmsg_len = claimed;
    h.nlmsg_seq = seq++;
    const std::size_t at = out.size();
    out.resize(at + size);
    std::memcpy(out.data() + at, &h, std::min(size, sizeof h));
  }
  return out;
}

std::vector<std::uint32_t> walk(const std::vector<char>& d, std::size_t& left) {
  std::vector<std::uint32_t> seqs;
  left = for_each_message(std::span<const char>(d), [&](const nlmsghdr* h) {
    seqs.push_back(h->nlmsg_seq);
    return true;
  });
  return seqs;
}

}  // namespace

TEST_CASE("whole messages are walked in order, padding included") {
  std::size_t left = 0;
  CHECK(walk(datagram({{16, 16}, {20, 20}, {16, 16}}), left) ==
        std::vector<std::uint32_t>{1, 2, 3});
  CHECK(left == 0);
}

TEST_CASE("a header claiming 2 GiB or more ends the walk instead of leaving the buffer") {
  // Found by fuzz/netlink_reply: libmnl's mnl_nlmsg_ok compares the length as
  // an int, so 0x80000000 passed and the next step jumped out of the buffer.
  std::size_t left = 0;
  CHECK(walk(datagram({{16, 16}, {0x80000000u, 32}}), left) == std::vector<std::uint32_t>{1});
  CHECK(left == 32);
  CHECK(walk(datagram({{0xfffffff0u, 16}}), left).empty());
  CHECK(left == 16);
}

TEST_CASE("a message cut short or claiming less than a header is left over") {
  std::size_t left = 0;
  CHECK(walk(datagram({{16, 16}, {40, 24}}), left) == std::vector<std::uint32_t>{1});
  CHECK(left == 24);
  CHECK(walk(datagram({{8, 16}}), left).empty());
  CHECK(left == 16);
  CHECK(walk(datagram({{16, 10}}), left).empty());
  CHECK(left == 10);
}

TEST_CASE("the callback stops the walk") {
  const auto d = datagram({{16, 16}, {16, 16}});
  int calls = 0;
  CHECK(for_each_message(std::span<const char>(d), [&](const nlmsghdr*) { return ++calls < 1; }) ==
        0);
  CHECK(calls == 1);
}
