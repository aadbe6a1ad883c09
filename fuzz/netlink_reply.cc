// SPDX-License-Identifier: GPL-2.0-or-later
// The decoding of what the kernel sends back: arbitrary bytes served as the
// replies to every request NetlinkKernel makes (generation, tables, a full
// read with elements, counters, a commit). Whatever comes back, op25bc
// answers or throws nft::KernelError; it never crashes, never loops, never
// lets libnftnl end the process, and a batch it calls applied had an ack for
// every message.
//
// Input: datagrams, each a 2-byte little-endian length and its bytes. Every
// message header whose sequence number is even is rewritten to one the
// pending request expects, so the fuzzer gets past the sequence check; odd
// ones stay, as late replies to an earlier request.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "fuzz.h"
#include "libnftnl_exit.h"
#include "nft/messages.h"
#include "op25bc/nft/differ.h"
#include "op25bc/nft/netlink_kernel.h"
#include "op25bc/nft/render_text.h"

using namespace op25bc;

namespace {

class ReplayTransport final : public nft::Transport {
 public:
  explicit ReplayTransport(std::span<const std::uint8_t> input) {
    while (input.size() >= 2) {
      const std::size_t n = std::min<std::size_t>(input[0] | (input[1] << 8), input.size() - 2);
      datagrams_.emplace_back(input.begin() + 2, input.begin() + 2 + static_cast<long>(n));
      input = input.subspan(2 + n);
    }
  }

  nft::IoResult send(std::span<const char> datagram) override {
    // The first message's sequence number and how many follow.
    first_seq_ = 0;
    messages_ = 0;
    nft::for_each_message(datagram, [&](const nlmsghdr* nlh) {
      if (messages_++ == 0) first_seq_ = nlh->nlmsg_seq;
      return true;
    });
    return {datagram.size(), 0};
  }
  nft::IoResult receive(std::span<char> buffer) override {
    if (datagrams_.empty()) return {0, EAGAIN};
    std::vector<std::uint8_t> d = std::move(datagrams_.front());
    datagrams_.pop_front();
    if (d.size() > buffer.size()) return {0, ENOSPC};
    std::copy(d.begin(), d.end(), buffer.begin());
    aim(buffer.first(d.size()));
    return {d.size(), 0};
  }
  nft::IoResult wait(std::chrono::milliseconds) override {
    return {datagrams_.empty() ? 0u : 1u, 0};
  }
  std::uint32_t port_id() const override { return 4242; }
  std::uint64_t netns_cookie() const override { return 1; }
  void reserve(std::size_t, std::size_t) override {}

 private:
  void aim(std::span<char> d) {
    nft::for_each_message(d, [&](nlmsghdr* nlh) {
      if (nlh->nlmsg_seq % 2 != 0) return true;
      const std::uint32_t k = messages_ == 0 ? 0 : (nlh->nlmsg_seq / 2) % messages_;
      nlh->nlmsg_seq = first_seq_ + k;
      nlh->nlmsg_pid = nlh->nlmsg_pid % 2 == 0 ? 0 : 4242;
      return true;
    });
  }

  std::deque<std::vector<std::uint8_t>> datagrams_;
  std::uint32_t first_seq_ = 0;
  std::uint32_t messages_ = 0;
};

// A small table to commit: every kind of operation the batch encoder makes.
nft::Transaction small_transaction() {
  ir::Ruleset r;
  r.table = "op25b";
  r.comment = "managed by op25bc: fuzz";
  r.counters.push_back({"phase_all", "phase all", {}});
  r.sets.push_back({"src4", net::Family::v4, "pools", {{0xc0000200u, 0xc00002ffu}}});
  r.chains.push_back(
      {"forward",
       ir::BaseChain{ir::ChainType::filter, ir::Hook::forward, 0, ir::ChainPolicy::accept},
       {}});
  ir::Rule rule;
  rule.matches = {ir::TcpDestinationPorts{{25}},
                  ir::AddressInSet{net::Family::v4, ir::Direction::source, "src4"}};
  rule.statements = {ir::CounterRef{"phase_all"}};
  rule.verdict.kind = ir::Verdict::Kind::drop;
  r.chains.back().rules.push_back(rule);
  return nft::create(r);
}

// op25bc checks every reply before libnftnl parses it (nft/reply_check.h), so
// libnftnl's exit(1) on an attribute of the wrong type is never reached: if it
// is, the check missed an attribute, and that is a finding.
template <typename Call>
void survive(Call call) {
  const fuzz::CatchExit catching;
  try {
    call();
  } catch (const nft::KernelError&) {
  } catch (const fuzz::LibnftnlExit&) {
    FUZZ_REQUIRE(!"libnftnl reached its exit(1): a reply the check let through");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nft::NetlinkKernel k(std::make_unique<ReplayTransport>(std::span(data, size)),
                       nft::NetlinkOptions{std::chrono::milliseconds{0}});
  survive([&] { k.generation(); });
  survive([&] { k.tables(); });
  survive([&] {
    if (const auto table = k.read("op25b", nft::ElementRead::all())) {
      FUZZ_REQUIRE(table->set_handles.size() == table->ruleset.sets.size());
      FUZZ_REQUIRE(table->rule_handles.size() == table->ruleset.chains.size());
      (void)nft::render_nft_table(table->ruleset);
    }
  });
  survive([&] { k.counters("op25b"); });
  const nft::Transaction t = small_transaction();
  survive([&] {
    const nft::CommitResult result = k.commit(t, 7, false);
    if (result.failed_op) FUZZ_REQUIRE(*result.failed_op < t.ops.size());
    if (result.ok) FUZZ_REQUIRE(!result.failed_op && result.error.empty());
  });
  survive([&] {  // a monitor period's recording set (spinnet in September)
    for (const auto& source : k.recorded("op25b", "phase_all_seen4"))
      FUZZ_REQUIRE(source.address.family == net::Family::v4 ||
                   source.address.family == net::Family::v6);
  });
  return 0;
}
