// SPDX-License-Identifier: GPL-2.0-or-later
// The netlink batch backend, without a kernel: build the bytes, then walk
// them with libmnl and parse them back with libnftnl.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft/netlink_batch.h"
#include "op25bc/compile/compile.h"
#include "op25bc/nft/differ.h"
#include "support/policies.h"

using namespace op25bc;

namespace {

struct Message {
  std::uint16_t type;  // subsystem message type, or NFNL_MSG_BATCH_*
  std::uint16_t flags;
  std::uint32_t seq;
  const nlmsghdr* nlh;
};

std::vector<Message> walk(const nft::NetlinkBatch& batch) {
  std::vector<Message> out;
  int left = static_cast<int>(batch.bytes.size());
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(batch.bytes.data()); mnl_nlmsg_ok(nlh, left);
       nlh = mnl_nlmsg_next(nlh, &left)) {
    const std::uint16_t type =
        nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END
            ? nlh->nlmsg_type
            : static_cast<std::uint16_t>(nlh->nlmsg_type & 0xff);
    out.push_back({type, nlh->nlmsg_flags, nlh->nlmsg_seq, nlh});
  }
  CHECK(left == 0);  // the buffer is exactly a sequence of whole messages
  return out;
}

std::uint32_t generation_of(const nlmsghdr* begin);

template <typename Fn>
void for_each_nested(const nlattr* nest, Fn fn) {
  const auto* end = reinterpret_cast<const char*>(nest) + mnl_attr_get_len(nest);
  for (auto* a = static_cast<const nlattr*>(mnl_attr_get_payload(nest));
       mnl_attr_ok(a, static_cast<int>(end - reinterpret_cast<const char*>(a)));
       a = mnl_attr_next(a))
    fn(a);
}

template <typename Fn>
void for_each_attr(const nlmsghdr* nlh, std::size_t offset, Fn fn) {
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, offset));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)));
       a = mnl_attr_next(a))
    fn(a);
}

std::uint32_t generation_of(const nlmsghdr* begin) {
  std::uint32_t gen = 0;
  for_each_attr(begin, sizeof(nfgenmsg), [&](const nlattr* a) {
    if (mnl_attr_get_type(a) == NFNL_BATCH_GENID) gen = ntohl(mnl_attr_get_u32(a));
  });
  return gen;
}

}  // namespace

TEST_CASE("a batch is BEGIN (with the generation id), one message per operation, END") {
  const auto p = test::load_example("spinnet");
  const auto t = nft::create(compile(p, test::at(p, "2006-10-01")));
  std::uint32_t seq = 100;
  const auto batch = nft::build_netlink_batch(t, 4242, false, seq);
  const auto messages = walk(batch);
  REQUIRE(messages.size() == nft::message_count(t) + 2);
  CHECK(messages.front().type == NFNL_MSG_BATCH_BEGIN);
  CHECK(generation_of(messages.front().nlh) == 4242);
  CHECK(batch.begin_seq == messages.front().seq);
  CHECK(messages.back().type == NFNL_MSG_BATCH_END);
  CHECK(messages[1].type == NFT_MSG_NEWTABLE);
  for (std::size_t i = 1; i + 1 < messages.size(); ++i) {
    CAPTURE(i);
    CHECK((messages[i].flags & NLM_F_ACK) != 0);  // every message is acknowledged
    CHECK(messages[i].seq == messages[i - 1].seq + 1);
    CHECK(batch.op_of(messages[i].seq));
  }
  CHECK(seq == messages.back().seq);
}

TEST_CASE("check mode leaves out BATCH_END so the kernel aborts after validating") {
  const auto p = test::load_example("spinnet");
  const auto t = nft::create(compile(p, test::at(p, "2006-10-01")));
  std::uint32_t seq = 0;
  const auto messages = walk(nft::build_netlink_batch(t, 1, true, seq));
  CHECK(messages.front().type == NFNL_MSG_BATCH_BEGIN);
  CHECK(messages.back().type != NFNL_MSG_BATCH_END);
}

TEST_CASE("set elements: nft's interval encoding, split across messages under 64 KiB") {
  net::Intervals intervals;
  for (std::uint32_t i = 0; i < 1300; ++i)  // 10.0.0.0/30, 10.0.0.8/30, ...
    intervals.push_back({0x0A000000u + i * 8, 0x0A000000u + i * 8 + 3});
  intervals.push_back({0xFFFFFF00u, 0xFFFFFFFFu});  // ends at the top: no end element
  nft::Transaction t{"op25b",
                     {nft::AddSet{"s4", net::Family::v4, ""},
                      nft::AddElements{"s4", net::Family::v4, intervals, true}}};
  std::uint32_t seq = 0;
  const auto batch = nft::build_netlink_batch(t, 1, false, seq);
  const auto messages = walk(batch);
  std::vector<std::pair<std::uint32_t, bool>> keys;  // (key, interval end)
  std::size_t element_messages = 0;
  for (const auto& m : messages) {
    if (m.type != NFT_MSG_NEWSETELEM) continue;
    ++element_messages;
    CHECK(m.nlh->nlmsg_len < 65536);
    // NFTA_SET_ELEM_LIST_ELEMENTS > NFTA_LIST_ELEM > {NFTA_SET_ELEM_KEY > NFTA_DATA_VALUE,
    // NFTA_SET_ELEM_FLAGS}, decoded by hand so the check does not reuse libnftnl.
    for_each_attr(m.nlh, sizeof(nfgenmsg), [&](const nlattr* list) {
      if (mnl_attr_get_type(list) != NFTA_SET_ELEM_LIST_ELEMENTS) return;
      for_each_nested(list, [&](const nlattr* elem) {
        std::uint32_t key = 0;
        bool end = false;
        for_each_nested(elem, [&](const nlattr* a) {
          if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS)
            end = (ntohl(mnl_attr_get_u32(a)) & NFT_SET_ELEM_INTERVAL_END) != 0;
          if (mnl_attr_get_type(a) == NFTA_SET_ELEM_KEY)
            for_each_nested(a, [&](const nlattr* v) { key = ntohl(mnl_attr_get_u32(v)); });
        });
        keys.emplace_back(key, end);
      });
    });
  }
  CHECK(element_messages ==
        (intervals.size() + nft::kIntervalsPerMessage - 1) / nft::kIntervalsPerMessage);
  // A new set starts with nft's interval end at 0, then start/end pairs.
  REQUIRE(keys.size() == 1 + 2 * 1300 + 1);
  CHECK(keys[0] == std::pair<std::uint32_t, bool>{0, true});
  CHECK(keys[1] == std::pair<std::uint32_t, bool>{0x0A000000u, false});
  CHECK(keys[2] == std::pair<std::uint32_t, bool>{0x0A000004u, true});
  CHECK(keys.back() == std::pair<std::uint32_t, bool>{0xFFFFFF00u, false});
}
