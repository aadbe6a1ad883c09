// SPDX-License-Identifier: GPL-2.0-or-later
// The reply check against libnftnl itself: every reply it calls malformed is
// one that makes libnftnl end the process (run in a child, which exits 1),
// and every reply it lets through, libnftnl parses and returns from.
#include "nft/reply_check.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/gen.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

using namespace op25bc;

namespace {

// One reply message of `type`, its attributes written by `fill`.
struct Message {
  std::vector<char> buf = std::vector<char>(8192);
  nlmsghdr* nlh;
  Message(std::uint16_t type, const std::function<void(nlmsghdr*)>& fill) {
    nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | type);
    auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    nfg->nfgen_family = NFPROTO_INET;
    nfg->version = NFNETLINK_V0;
    fill(nlh);
  }
};

// An attribute of `len` bytes (any payload), whatever its type should be.
void put_sized(nlmsghdr* nlh, std::uint16_t type, std::size_t len) {
  const std::vector<char> zero(len, 0);
  mnl_attr_put(nlh, type, len, zero.data());
}

// How libnftnl's parser for `kind` ends on this message, in a child process:
// 0 when it returns, 1 when it calls exit(1) for a broken ABI.
int libnftnl_parse(nft::ReplyKind kind, const nlmsghdr* nlh) {
  std::fflush(nullptr);  // or the child's exit writes the parent's buffered output again
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(STDERR_FILENO);  // libnftnl's complaint
    switch (kind) {
      case nft::ReplyKind::table:
        nftnl_table_nlmsg_parse(nlh, nftnl_table_alloc());
        break;
      case nft::ReplyKind::rule:
        nftnl_rule_nlmsg_parse(nlh, nftnl_rule_alloc());
        break;
      case nft::ReplyKind::set_elements:
        nftnl_set_elems_nlmsg_parse(nlh, nftnl_set_alloc());
        break;
      case nft::ReplyKind::object:
        nftnl_obj_nlmsg_parse(nlh, nftnl_obj_alloc());
        break;
      case nft::ReplyKind::generation:
        nftnl_gen_nlmsg_parse(nlh, nftnl_gen_alloc());
        break;
      default:
        break;
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

nft::ReplyCheck check(nft::ReplyKind kind, const Message& m) {
  std::string why;
  return nft::check_reply(kind, m.nlh, why);
}

// A rule whose one expression is `name`, its data written by `data`.
Message rule(const char* name, const std::function<void(nlmsghdr*)>& data) {
  return Message(NFT_MSG_NEWRULE, [&](nlmsghdr* nlh) {
    mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "op25b");
    mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "forward");
    mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(42));
    nlattr* list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
    nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
    mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, name);
    nlattr* d = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
    data(nlh);
    mnl_attr_nest_end(nlh, d);
    mnl_attr_nest_end(nlh, elem);
    mnl_attr_nest_end(nlh, list);
  });
}

}  // namespace

TEST_CASE("reply check: what it calls malformed is what makes libnftnl exit, and only that") {
  struct Case {
    const char* name;
    nft::ReplyKind kind;
    Message message;
    nft::ReplyCheck expected;
  };
  const auto verdict = [](std::size_t code_len) {
    return [code_len](nlmsghdr* nlh) {
      mnl_attr_put_u32(nlh, NFTA_IMMEDIATE_DREG, htonl(NFT_REG_VERDICT));
      nlattr* data = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
      nlattr* v = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
      put_sized(nlh, NFTA_VERDICT_CODE, code_len);
      mnl_attr_nest_end(nlh, v);
      mnl_attr_nest_end(nlh, data);
    };
  };
  std::vector<Case> cases;
  cases.push_back({"a table", nft::ReplyKind::table,
                   Message(NFT_MSG_NEWTABLE,
                           [](nlmsghdr* nlh) {
                             mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "op25b");
                             mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, 0);
                           }),
                   nft::ReplyCheck::ok});
  cases.push_back({"a table whose flags are 2 bytes", nft::ReplyKind::table,
                   Message(NFT_MSG_NEWTABLE,
                           [](nlmsghdr* nlh) {
                             mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "op25b");
                             put_sized(nlh, NFTA_TABLE_FLAGS, 2);
                           }),
                   nft::ReplyCheck::malformed});
  cases.push_back({"a generation id of 8 bytes", nft::ReplyKind::generation,
                   Message(NFT_MSG_NEWGEN, [](nlmsghdr* nlh) { put_sized(nlh, NFTA_GEN_ID, 8); }),
                   nft::ReplyCheck::malformed});
  cases.push_back({"a rule with an accept verdict", nft::ReplyKind::rule,
                   rule("immediate", verdict(4)), nft::ReplyCheck::ok});
  cases.push_back({"a rule whose verdict code is 2 bytes", nft::ReplyKind::rule,
                   rule("immediate", verdict(2)), nft::ReplyCheck::malformed});
  cases.push_back({"a rule whose meta key is 8 bytes", nft::ReplyKind::rule,
                   rule("meta", [](nlmsghdr* nlh) { put_sized(nlh, NFTA_META_KEY, 8); }),
                   nft::ReplyCheck::malformed});
  cases.push_back({"a rule whose reject code is 4 bytes", nft::ReplyKind::rule,
                   rule("reject", [](nlmsghdr* nlh) { put_sized(nlh, NFTA_REJECT_ICMP_CODE, 4); }),
                   nft::ReplyCheck::malformed});
  cases.push_back({"a counter object whose bytes are 4 bytes", nft::ReplyKind::object,
                   Message(NFT_MSG_NEWOBJ,
                           [](nlmsghdr* nlh) {
                             mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, "op25b");
                             mnl_attr_put_strz(nlh, NFTA_OBJ_NAME, "phase_all");
                             mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
                             nlattr* d = mnl_attr_nest_start(nlh, NFTA_OBJ_DATA);
                             put_sized(nlh, NFTA_COUNTER_BYTES, 4);
                             mnl_attr_nest_end(nlh, d);
                           }),
                   nft::ReplyCheck::malformed});
  cases.push_back({"an element whose flags are 8 bytes", nft::ReplyKind::set_elements,
                   Message(NFT_MSG_NEWSETELEM,
                           [](nlmsghdr* nlh) {
                             mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "op25b");
                             mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "all_src4");
                             nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
                             nlattr* e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
                             nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
                             mnl_attr_put_u32(nlh, NFTA_DATA_VALUE, htonl(0xc0000200));
                             mnl_attr_nest_end(nlh, key);
                             put_sized(nlh, NFTA_SET_ELEM_FLAGS, 8);
                             mnl_attr_nest_end(nlh, e);
                             mnl_attr_nest_end(nlh, list);
                           }),
                   nft::ReplyCheck::malformed});
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK(check(c.kind, c.message) == c.expected);
    // libnftnl agrees: it exits on exactly the malformed ones.
    CHECK(libnftnl_parse(c.kind, c.message.nlh) == (c.expected == nft::ReplyCheck::malformed));
  }
}

TEST_CASE("reply check: expressions op25bc does not read make a rule foreign, read by hand") {
  const Message socket = rule("socket", [](nlmsghdr* nlh) { put_sized(nlh, NFTA_SOCKET_KEY, 2); });
  CHECK(check(nft::ReplyKind::rule, socket) == nft::ReplyCheck::foreign);
  // ct is op25bc's own (ct status, rule_codec.cc): its attributes are checked.
  const Message ct = rule("ct", [](nlmsghdr* nlh) { put_sized(nlh, NFTA_CT_KEY, 2); });
  CHECK(check(nft::ReplyKind::rule, ct) == nft::ReplyCheck::malformed);
  const nft::RuleHeader h = nft::rule_header(socket.nlh);
  CHECK(h.table == "op25b");
  CHECK(h.chain == "forward");
  CHECK(h.handle == 42);
  // An object that is not a counter is not op25bc's to read.
  const Message quota(NFT_MSG_NEWOBJ, [](nlmsghdr* nlh) {
    mnl_attr_put_strz(nlh, NFTA_OBJ_NAME, "q");
    mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_QUOTA));
    nlattr* d = mnl_attr_nest_start(nlh, NFTA_OBJ_DATA);
    put_sized(nlh, NFTA_QUOTA_BYTES, 2);
    mnl_attr_nest_end(nlh, d);
  });
  CHECK(check(nft::ReplyKind::object, quota) == nft::ReplyCheck::foreign);
  // A message too short for its header.
  Message stub(NFT_MSG_NEWTABLE, [](nlmsghdr*) {});
  stub.nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
  CHECK(check(nft::ReplyKind::table, stub) == nft::ReplyCheck::malformed);
}
