// SPDX-License-Identifier: GPL-2.0-or-later
// Checks a kernel reply before libnftnl parses it. libnftnl ends the process
// (exit(1), "nf_tables kernel ABI is broken") when an attribute it knows has
// the wrong type or size; op25bc must report that as an error instead. These
// tables mirror libnftnl's attribute callbacks (table.c, chain.c, set.c,
// set_elem.c, rule.c, object.c, gen.c, expr/*.c) for every object op25bc reads,
// validating with libmnl's own mnl_attr_validate, so a reply that passes here
// cannot reach libnftnl's exit. Private to src/nft.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>

namespace op25bc::nft {

enum class ReplyKind { table, chain, set, set_elements, rule, object, generation };

enum class ReplyCheck {
  ok,        // libnftnl may parse it
  foreign,   // well formed, but holds an expression (or object) these tables
             // do not describe: not for libnftnl (a rule of it is foreign)
  malformed  // an attribute libnftnl knows has the wrong type or size
};

// `why` says which attribute, for a malformed reply.
ReplyCheck check_reply(ReplyKind kind, const nlmsghdr* reply, std::string& why);

// Where a rule is and its handle, read without libnftnl; call only on a
// reply check_reply did not find malformed.
struct RuleHeader {
  std::string table, chain;
  std::uint64_t handle = 0;
};
RuleHeader rule_header(const nlmsghdr* reply);

}  // namespace op25bc::nft
