// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/netlink_kernel.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <unordered_map>

#include "messages.h"
#include "netlink_batch.h"
#include "nftnl.h"
#include "op25bc/ir/names.h"
#include "reply_check.h"
#include "rule_codec.h"

namespace op25bc::nft {

namespace {

using namespace nftnl;

// A string attribute; "" when the message lacks it (libnftnl then gives null).
std::string text_of(const char* attribute) {
  return attribute == nullptr ? std::string{} : std::string{attribute};
}

std::string errno_text(int e) {
  return std::strerror(e);
}

// A dump the kernel marked NLM_F_DUMP_INTR: a commit happened while it ran,
// so what was read may mix two generations. Read again.
struct DumpInterrupted {};

// Runs `read` again while its dumps are interrupted, ten times at most.
template <typename Read>
auto reread_while_interrupted(const std::string& what, Read read) {
  for (int attempt = 1;; ++attempt) {
    try {
      return read();
    } catch (const DumpInterrupted&) {
      if (attempt == 10)
        throw KernelError(what +
                          ": 10 dumps in a row were interrupted (the ruleset kept changing, or "
                          "replies were lost)");
    }
  }
}

[[noreturn]] void fail(const std::string& what, int e) {
  throw kernel_error(what, e);
}

net::Word key_value(const void* data, std::uint32_t len) {
  net::Word v = 0;
  const auto* b = static_cast<const std::uint8_t*>(data);
  for (std::uint32_t i = 0; i < len; ++i) v = (v << 8) | b[i];
  return v;
}

// The last string of `type` in a userdata blob: TLVs of a 1-byte type, a
// 1-byte length and the value (libnftnl's layout), read here with every length
// checked. libnftnl's nftnl_udata_parse let a value that claims more than the
// blob holds reach its callback, which then read past the end (found by
// fuzz/netlink_reply).
std::string udata_string(const void* data, std::uint32_t len, std::uint8_t type) {
  std::string out;
  if (data == nullptr) return out;
  const auto* bytes = static_cast<const char*>(data);
  for (std::uint32_t at = 0; len - at >= 2;) {
    const auto kind = static_cast<std::uint8_t>(bytes[at]);
    const auto size = static_cast<std::uint8_t>(bytes[at + 1]);
    if (size > len - at - 2) break;  // claims more than there is
    const char* value = bytes + at + 2;
    if (kind == type && size > 0) out.assign(value, strnlen(value, size));
    at += 2 + size;
  }
  return out;
}

// Rebuilds intervals from kernel interval-set elements: start keys, and end
// keys one past the last address flagged NFT_SET_ELEM_INTERVAL_END. At equal
// keys an end closes the previous interval before a start opens the next.
net::Intervals intervals_from(std::vector<std::pair<net::Word, bool>> keys, net::Family f) {
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return a.first < b.first || (a.first == b.first && a.second && !b.second);
  });
  net::Intervals out;
  bool open = false;
  net::Word start = 0;
  for (const auto& [key, is_end] : keys) {
    if (is_end) {
      if (open && key > start) out.push_back({start, key - 1});
      open = false;
    } else {
      if (open) out.push_back({start, key - 1});
      open = true;
      start = key;
    }
  }
  if (open) out.push_back({start, net::max_word(f)});
  return out;
}

// "goto CHAIN" as op25bc writes it, or what else the element holds.
std::string element_goto(nftnl_set_elem* e) {
  if (!nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) return "no verdict";
  const auto code = static_cast<int>(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT));
  const std::string chain = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN)
                                ? text_of(nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN))
                                : "";
  return (code == NFT_GOTO ? "goto " : "verdict " + std::to_string(code) + " ") + chain;
}

// A dispatch map is op25bc's only when every block goes to its own chain.
void check_gotos(ir::Set& set, const std::map<net::Word, std::string>& gotos) {
  for (const auto& block : set.elements) {
    auto it = gotos.find(block.first);
    const std::string want = "goto " + ir::block_chain(set.family, block);
    if (net::exact_prefix_length(set.family, block) && it != gotos.end() && it->second == want)
      continue;
    set.unrecognized = net::to_string(set.family, block) + " : " +
                       (it == gotos.end() ? std::string{"nothing"} : it->second);
    return;
  }
}

// Port lists of anonymous sets, by set name: what a rule's "tcp dport { }" holds.
using Ports = std::map<std::string, std::vector<std::uint16_t>>;

ir::BaseChain base_chain(nftnl_chain* c) {
  ir::BaseChain base;
  const std::string type = nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE)
                               ? text_of(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE))
                               : "filter";
  base.type = type == "nat"     ? ir::ChainType::nat
              : type == "route" ? ir::ChainType::route
                                : ir::ChainType::filter;
  base.hook = static_cast<ir::Hook>(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM));
  base.priority = static_cast<int>(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO));
  base.policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP ? ir::ChainPolicy::drop
                                                                      : ir::ChainPolicy::accept;
  return base;
}

// What a chain holds that op25bc never gives one: a device binding, flags
// beyond "base chain" (hardware offload, binding). "" when nothing.
std::string chain_extras(nftnl_chain* c) {
  std::string out;
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEV))
    out = "bound to device " + text_of(nftnl_chain_get_str(c, NFTNL_CHAIN_DEV));
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEVICES)) {
    out = "bound to devices";
    const char* const* devices =
        static_cast<const char* const*>(nftnl_chain_get(c, NFTNL_CHAIN_DEVICES));
    for (std::size_t i = 0; devices != nullptr && devices[i] != nullptr; ++i)
      out += std::string(i == 0 ? " " : ",") + devices[i];
  }
  const std::uint32_t flags =
      nftnl_chain_is_set(c, NFTNL_CHAIN_FLAGS) ? nftnl_chain_get_u32(c, NFTNL_CHAIN_FLAGS) : 0;
  if ((flags & ~std::uint32_t{NFT_CHAIN_BASE}) != 0)
    out += (out.empty() ? "" : "; ") + std::string("flags ") + std::to_string(flags);
  return out;
}

}  // namespace

// Messages the kernel dropped because the socket's receive queue was full
// (ENOBUFS): a dump is read again, a batch's outcome is unknown.
struct RepliesLost {};

struct NetlinkKernel::Impl {
  std::unique_ptr<Transport> io;
  NetlinkOptions options;
  std::uint32_t portid = 0;
  std::uint32_t seq = 0;
  std::vector<char> rx = std::vector<char>(kReceiveBuffer);

  // Large enough for any datagram nf_tables sends (a dump fills at most one
  // page-sized skb, 16 KiB or so; an ack or error is smaller).
  static constexpr std::size_t kReceiveBuffer = 1 << 20;

  Impl(std::unique_ptr<Transport> transport, NetlinkOptions o)
      : io(std::move(transport)), options(o) {
    portid = io->port_id();
    seq = static_cast<std::uint32_t>(time(nullptr));
  }

  std::string timeout_text() const {
    char text[32];
    std::snprintf(text, sizeof text, "%g s",
                  static_cast<double>(options.reply_timeout.count()) / 1000.0);
    return text;
  }

  void send(std::span<const char> datagram, const std::string& what) {
    for (;;) {
      const IoResult r = io->send(datagram);
      if (r.error == EINTR) continue;
      if (r.error) fail(what, r.error);
      if (r.bytes != datagram.size()) fail(what, EMSGSIZE);
      return;
    }
  }

  // The next datagram, or nullopt when none came within the reply timeout.
  // Throws RepliesLost on ENOBUFS and KernelError on any other failure.
  std::optional<std::span<const char>> receive(const std::string& what) {
    for (;;) {
      const IoResult ready = io->wait(options.reply_timeout);
      if (ready.error == EINTR) continue;
      if (ready.error) fail(what, ready.error);
      if (ready.bytes == 0) return std::nullopt;
      const IoResult got = io->receive(rx);
      if (got.error == EINTR || got.error == EAGAIN) continue;  // EAGAIN: woken for nothing
      if (got.error == ENOBUFS) throw RepliesLost{};
      if (got.error == ENOSPC)
        throw KernelError(what + ": a netlink reply larger than op25bc's " +
                          std::to_string(kReceiveBuffer) + "-byte buffer");
      if (got.error) fail(what, got.error);
      return std::span<const char>(rx.data(), got.bytes);
    }
  }

  // Calls `fn` on each whole message of `datagram`. The kernel never sends a
  // message cut short: bytes left over are a malformed reply.
  template <typename Fn>
  void each_message(std::span<const char> datagram, const std::string& what, Fn fn) {
    const std::size_t left = for_each_message(datagram, fn);
    if (left != 0)
      throw KernelError(what + ": a malformed netlink reply (" + std::to_string(left) +
                        " bytes that are not a whole message)");
  }

  // Whether the reply message the callback of talk() holds is one libnftnl
  // may parse: false for a well-formed one that holds what op25bc does not
  // read (talk() has already refused a malformed one).
  bool reply_readable = true;

  // Sends one request and feeds every reply message to `cb` until done.
  // Messages of other sequence numbers (replies to an earlier request that
  // arrived late) are skipped.
  //
  // Each message is checked (reply_check.h) before `cb` sees it: a malformed
  // one, which would make libnftnl end the process, is an error here, and
  // nothing is read from it.
  void talk(nlmsghdr* request, const std::string& what, ReplyKind kind,
            const std::function<void(const nlmsghdr*)>& cb) {
    send({reinterpret_cast<const char*>(request), request->nlmsg_len}, what);
    const std::uint32_t expect = request->nlmsg_seq;
    const bool dump = (request->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    for (;;) {
      std::optional<std::span<const char>> datagram;
      try {
        datagram = receive(what);
      } catch (const RepliesLost&) {
        if (!dump) throw KernelError(what + ": the kernel's reply was lost (ENOBUFS)");
        drain(expect);
        throw DumpInterrupted{};
      }
      if (!datagram)
        throw KernelError(what + ": the kernel did not answer within " + timeout_text());
      bool done = false;
      each_message(*datagram, what, [&](const nlmsghdr* nlh) {
        if (nlh->nlmsg_seq != expect) return true;
        reply_readable = true;
        if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
          std::string why;
          const ReplyCheck check = check_reply(kind, nlh, why);
          if (check == ReplyCheck::malformed)
            throw KernelError(what + ": the kernel's reply is malformed (" + why +
                              "); op25bc did not read it, and changed nothing");
          // A set (or its elements) with expressions op25bc does not read
          // cannot be read in part; a rule or an object can be left aside.
          if (check == ReplyCheck::foreign &&
              (kind == ReplyKind::set || kind == ReplyKind::set_elements))
            throw KernelError(what + ": it carries expressions op25bc does not read");
          reply_readable = check == ReplyCheck::ok;
        }
        const int ret = mnl_cb_run(
            nlh, nlh->nlmsg_len, expect, portid,
            [](const nlmsghdr* m, void* data) -> int {
              (*static_cast<const std::function<void(const nlmsghdr*)>*>(data))(m);
              return MNL_CB_OK;
            },
            const_cast<std::function<void(const nlmsghdr*)>*>(&cb));
        if (ret < 0) {
          const int e = errno;
          if (e == ENOENT) {  // nothing of that kind
            done = true;
            return false;
          }
          if (e == EINTR && dump) {  // NLM_F_DUMP_INTR: a commit ran meanwhile
            drain(expect);
            throw DumpInterrupted{};
          }
          fail(what, e);
        }
        done = ret == MNL_CB_STOP;
        return !done;
      });
      if (done) return;
    }
  }

  // Reads and drops the rest of dump `expect` (up to its DONE or error, or
  // until the kernel falls silent), so the socket holds nothing stale when
  // the dump is asked again.
  void drain(std::uint32_t expect) {
    for (;;) {
      std::optional<std::span<const char>> datagram;
      try {
        datagram = receive("draining an interrupted dump");
      } catch (const RepliesLost&) {
        continue;
      }
      if (!datagram) return;
      bool end = false;
      for_each_message(*datagram, [&](const nlmsghdr* nlh) {
        end = nlh->nlmsg_seq == expect &&
              (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR);
        return !end;
      });
      if (end) return;
    }
  }

  nlmsghdr* header(std::vector<char>& buf, std::uint16_t type, std::uint16_t family,
                   std::uint16_t flags) {
    buf.assign(MNL_SOCKET_BUFFER_SIZE, 0);
    return nftnl_nlmsg_build_hdr(buf.data(), type, family, flags, ++seq);
  }

  // One dump per object kind of op25bc's table, as nft's mnl_nft_*_dump.

  // Every inet table: its name, comment and flags.
  struct TableInfo {
    std::string name, comment;
    std::uint32_t flags = 0;
  };
  std::vector<TableInfo> dump_tables() {
    std::vector<TableInfo> out;
    std::vector<char> buf;
    talk(header(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_DUMP), "listing tables",
         ReplyKind::table, [&](const nlmsghdr* reply) {
           Table t(nftnl_table_alloc());
           if (nftnl_table_nlmsg_parse(reply, t.p) < 0) return;
           if (nftnl_table_get_u32(t.p, NFTNL_TABLE_FAMILY) != NFPROTO_INET) return;
           std::uint32_t len = 0;
           const void* ud = nftnl_table_get_data(t.p, NFTNL_TABLE_USERDATA, &len);
           out.push_back({text_of(nftnl_table_get_str(t.p, NFTNL_TABLE_NAME)),
                          udata_string(ud, len, kUdataTableComment),
                          nftnl_table_is_set(t.p, NFTNL_TABLE_FLAGS)
                              ? nftnl_table_get_u32(t.p, NFTNL_TABLE_FLAGS)
                              : 0});
         });
    return out;
  }

  std::optional<nft::TableState> dump_table(const std::string& table) {
    for (auto& t : dump_tables())
      if (t.name == table) {
        nft::TableState state;
        state.ruleset.table = table;
        state.ruleset.comment = std::move(t.comment);
        state.table_flags = t.flags;
        return state;
      }
    return std::nullopt;
  }

  // Named sets into `state`; the names of anonymous ones (port lists) apart.
  void dump_sets(const std::string& table, nft::TableState& state,
                 std::vector<std::string>& anonymous_names) {
    std::vector<char> buf;
    nlmsghdr* nlh = header(buf, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_DUMP);
    {
      Set filter(nftnl_set_alloc());
      nftnl_set_set_str(filter.p, NFTNL_SET_TABLE, table.c_str());
      nftnl_set_nlmsg_build_payload(nlh, filter.p);
    }
    talk(nlh, "listing sets", ReplyKind::set, [&](const nlmsghdr* reply) {
      Set s(nftnl_set_alloc());
      if (nftnl_set_nlmsg_parse(reply, s.p) < 0) return;
      if (table != text_of(nftnl_set_get_str(s.p, NFTNL_SET_TABLE))) return;
      const std::string name = text_of(nftnl_set_get_str(s.p, NFTNL_SET_NAME));
      if (nftnl_set_get_u32(s.p, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS) {
        anonymous_names.push_back(name);
        return;
      }
      const auto key_type = nftnl_set_get_u32(s.p, NFTNL_SET_KEY_TYPE);
      const auto flags = nftnl_set_get_u32(s.p, NFTNL_SET_FLAGS);
      std::uint32_t len = 0;
      const void* ud = nftnl_set_get_data(s.p, NFTNL_SET_USERDATA, &len);
      ir::Set set{name,
                  key_type == kKeyTypeIpv6 ? net::Family::v6 : net::Family::v4,
                  udata_string(ud, len, kUdataSetComment),
                  {}};
      set.verdict_map = (flags & NFT_SET_MAP) != 0;
      if (flags == (NFT_SET_TIMEOUT | NFT_SET_EVAL)) {  // a recording set
        set.recording = ir::Recording{nftnl_set_is_set(s.p, NFTNL_SET_TIMEOUT)
                                          ? nftnl_set_get_u64(s.p, NFTNL_SET_TIMEOUT) / 1000
                                          : 0,
                                      nftnl_set_is_set(s.p, NFTNL_SET_DESC_SIZE)
                                          ? nftnl_set_get_u32(s.p, NFTNL_SET_DESC_SIZE)
                                          : 0};
      } else if ((flags & NFT_SET_INTERVAL) == 0 ||
                 (flags & ~(NFT_SET_INTERVAL | NFT_SET_MAP)) != 0 ||
                 (set.verdict_map &&
                  nftnl_set_get_u32(s.p, NFTNL_SET_DATA_TYPE) != NFT_DATA_VERDICT)) {
        set.unrecognized = "flags " + std::to_string(flags);
      }
      state.ruleset.sets.push_back(std::move(set));
      state.set_handles.push_back(nftnl_set_get_u64(s.p, NFTNL_SET_HANDLE));
    });
    state.elements_read.assign(state.ruleset.sets.size(), false);
    state.vouched.assign(state.ruleset.sets.size(), std::nullopt);
  }

  void dump_elements(const std::string& table, const std::string& set,
                     const std::function<void(nftnl_set_elem*)>& fn) {
    std::vector<char> buf;
    nlmsghdr* req = header(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP);
    Set filter(nftnl_set_alloc());
    nftnl_set_set_str(filter.p, NFTNL_SET_TABLE, table.c_str());
    nftnl_set_set_str(filter.p, NFTNL_SET_NAME, set.c_str());
    nftnl_set_elems_nlmsg_build_payload(req, filter.p);
    talk(req, "listing the elements of set " + set, ReplyKind::set_elements,
         [&](const nlmsghdr* reply) {
           Set s(nftnl_set_alloc());
           if (nftnl_set_elems_nlmsg_parse(reply, s.p) < 0) return;
           nftnl_set_elem_foreach(
               s.p,
               [](nftnl_set_elem* e, void* data) -> int {
                 (*static_cast<const std::function<void(nftnl_set_elem*)>*>(data))(e);
                 return 0;
               },
               const_cast<std::function<void(nftnl_set_elem*)>*>(&fn));
         });
  }

  // The elements of the small anonymous port sets, always read.
  Ports dump_anonymous_ports(const std::string& table, const std::vector<std::string>& names) {
    Ports anonymous;
    for (const auto& name : names)
      dump_elements(table, name, [&](nftnl_set_elem* e) {
        std::uint32_t len = 0;
        const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        if (len == 2) anonymous[name].push_back(static_cast<std::uint16_t>(key_value(key, 2)));
      });
    for (auto& ports : anonymous) std::sort(ports.second.begin(), ports.second.end());
    return anonymous;
  }

  // The elements of the named sets `wanted` selects.
  void dump_wanted_elements(const std::string& table, const nft::ElementRead& wanted,
                            nft::TableState& state) {
    for (std::size_t i = 0; i < state.ruleset.sets.size(); ++i) {
      ir::Set& set = state.ruleset.sets[i];
      // A recording set's elements are the kernel's (see recorded()).
      if (!wanted.wants(set.name) || set.recording) continue;
      state.elements_read[i] = true;
      std::vector<std::pair<net::Word, bool>> keys;
      std::map<net::Word, std::string> gotos;  // a verdict map's start keys
      bool catch_all = false;
      dump_elements(table, set.name, [&](nftnl_set_elem* e) {
        std::uint32_t len = 0;
        const std::uint32_t flags = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS)
                                        ? nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS)
                                        : 0;
        if ((flags & NFT_SET_ELEM_CATCHALL) != 0) {  // matches every address
          catch_all = true;
          return;
        }
        const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        const bool end = (flags & NFT_SET_ELEM_INTERVAL_END) != 0;
        keys.emplace_back(key_value(key, len), end);
        if (set.verdict_map && !end) gotos[keys.back().first] = element_goto(e);
      });
      set.elements = intervals_from(std::move(keys), set.family);
      if (set.verdict_map) check_gotos(set, gotos);
      if (catch_all) set.unrecognized = "holds a catch-all element, which matches every address";
    }
  }

  // Named counters of the table, shared by read() and counters().
  void dump_counters(const std::string& table, const std::function<void(nftnl_obj*)>& fn) {
    std::vector<char> buf;
    nlmsghdr* nlh = header(buf, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_DUMP);
    {
      Obj filter(nftnl_obj_alloc());
      nftnl_obj_set_str(filter.p, NFTNL_OBJ_TABLE, table.c_str());
      nftnl_obj_set_u32(filter.p, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
      nftnl_obj_nlmsg_build_payload(nlh, filter.p);
    }
    talk(nlh, "listing counters", ReplyKind::object, [&](const nlmsghdr* reply) {
      if (!reply_readable) return;  // not a counter
      Obj o(nftnl_obj_alloc());
      if (nftnl_obj_nlmsg_parse(reply, o.p) < 0) return;
      if (table != text_of(nftnl_obj_get_str(o.p, NFTNL_OBJ_TABLE))) return;
      if (nftnl_obj_get_u32(o.p, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER) return;
      fn(o.p);
    });
  }

  void dump_chains(const std::string& table, nft::TableState& state) {
    std::vector<char> buf;
    talk(header(buf, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP), "listing chains",
         ReplyKind::chain, [&](const nlmsghdr* reply) {
           Chain c(nftnl_chain_alloc());
           if (nftnl_chain_nlmsg_parse(reply, c.p) < 0) return;
           if (table != text_of(nftnl_chain_get_str(c.p, NFTNL_CHAIN_TABLE))) return;
           ir::Chain chain{text_of(nftnl_chain_get_str(c.p, NFTNL_CHAIN_NAME)), std::nullopt, {}};
           if (nftnl_chain_is_set(c.p, NFTNL_CHAIN_HOOKNUM)) chain.base = base_chain(c.p);
           chain.unrecognized = chain_extras(c.p);
           state.ruleset.chains.push_back(std::move(chain));
           state.rule_handles.emplace_back();
         });
  }

  void dump_rules(const std::string& table, const Ports& anonymous, nft::TableState& state) {
    std::unordered_map<std::string, std::size_t> chain_of;  // hundreds once sets are cut
    for (std::size_t i = 0; i < state.ruleset.chains.size(); ++i)
      chain_of.emplace(state.ruleset.chains[i].name, i);
    std::vector<char> buf;
    nlmsghdr* nlh = header(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP);
    {
      Rule filter(nftnl_rule_alloc());
      nftnl_rule_set_str(filter.p, NFTNL_RULE_TABLE, table.c_str());
      nftnl_rule_nlmsg_build_payload(nlh, filter.p);
    }
    talk(nlh, "listing rules", ReplyKind::rule, [&](const nlmsghdr* reply) {
      const RuleHeader h = rule_header(reply);
      if (h.table != table) return;
      const auto i = chain_of.find(h.chain);
      if (i == chain_of.end()) return;
      ir::Rule rule;
      if (reply_readable) {
        Rule r(nftnl_rule_alloc());
        if (nftnl_rule_nlmsg_parse(reply, r.p) < 0) return;
        rule = decode_rule(r.p, anonymous);
      } else {  // expressions op25bc does not read: foreign, never handed to libnftnl
        rule.unrecognized = "expressions op25bc does not read";
      }
      state.ruleset.chains[i->second].rules.push_back(std::move(rule));
      state.rule_handles[i->second].push_back(h.handle);
    });
  }
};

NetlinkKernel::NetlinkKernel() : NetlinkKernel(open_netfilter_socket()) {}
NetlinkKernel::NetlinkKernel(std::unique_ptr<Transport> transport, NetlinkOptions options)
    : impl_(std::make_unique<Impl>(std::move(transport), options)) {}
NetlinkKernel::~NetlinkKernel() = default;

std::uint32_t NetlinkKernel::generation() {
  std::vector<char> buf;
  nlmsghdr* nlh = impl_->header(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK);
  std::uint32_t id = 0;
  impl_->talk(nlh, "reading the ruleset generation", ReplyKind::generation,
              [&](const nlmsghdr* reply) {
                Gen gen(nftnl_gen_alloc());
                if (nftnl_gen_nlmsg_parse(reply, gen.p) == 0)
                  id = nftnl_gen_get_u32(gen.p, NFTNL_GEN_ID);
              });
  return id;
}

std::vector<std::pair<std::string, std::string>> NetlinkKernel::tables() {
  return reread_while_interrupted("listing tables", [&] {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& t : impl_->dump_tables()) out.emplace_back(std::move(t.name), std::move(t.comment));
    return out;
  });
}

nft::Instance NetlinkKernel::instance() {
  nft::Instance out;
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::getline(boot, out.boot_id);
  out.netns_cookie = impl_->io->netns_cookie();
  return out;
}

std::optional<nft::TableState> NetlinkKernel::read(const std::string& table,
                                                   const nft::ElementRead& elements) {
  // A dump interrupted by someone's commit is read again from the start.
  return reread_while_interrupted("reading table inet " + table,
                                  [&] { return read_once(table, elements); });
}

std::optional<nft::TableState> NetlinkKernel::read_once(const std::string& table,
                                                        const nft::ElementRead& wanted) {
  Impl& k = *impl_;
  std::optional<nft::TableState> state = k.dump_table(table);
  if (!state) return std::nullopt;
  std::vector<std::string> anonymous_names;
  k.dump_sets(table, *state, anonymous_names);
  const Ports anonymous = k.dump_anonymous_ports(table, anonymous_names);
  k.dump_wanted_elements(table, wanted, *state);
  k.dump_counters(table, [&](nftnl_obj* o) {
    std::uint32_t len = 0;
    const void* ud = nftnl_obj_get_data(o, NFTNL_OBJ_USERDATA, &len);
    state->ruleset.counters.push_back(
        {text_of(nftnl_obj_get_str(o, NFTNL_OBJ_NAME)), udata_string(ud, len, kUdataObjComment)});
  });
  k.dump_chains(table, *state);
  k.dump_rules(table, anonymous, *state);
  return state;
}

std::optional<nft::TableState> NetlinkKernel::read_sets(const std::string& table,
                                                        const nft::ElementRead& wanted) {
  return reread_while_interrupted("reading the sets of table inet " + table, [&] {
    Impl& k = *impl_;
    std::optional<nft::TableState> state = k.dump_table(table);
    if (!state) return state;
    std::vector<std::string> anonymous_names;
    k.dump_sets(table, *state, anonymous_names);
    k.dump_wanted_elements(table, wanted, *state);
    return state;
  });
}

std::vector<nft::CounterValue> NetlinkKernel::counters(const std::string& table) {
  return reread_while_interrupted("listing counters", [&] {
    std::vector<nft::CounterValue> out;
    impl_->dump_counters(table, [&](nftnl_obj* o) {
      out.push_back({text_of(nftnl_obj_get_str(o, NFTNL_OBJ_NAME)),
                     nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS),
                     nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES)});
    });
    return out;
  });
}

std::vector<backend::RecordedSource> NetlinkKernel::recorded(const std::string& table,
                                                             const std::string& set) {
  return reread_while_interrupted("listing the elements of set " + set, [&] {
    std::vector<backend::RecordedSource> out;
    impl_->dump_elements(table, set, [&](nftnl_set_elem* e) {
      std::uint32_t len = 0;
      const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
      if (key == nullptr || (len != 4 && len != 16)) return;  // not an address: not op25bc's
      out.push_back({{len == 4 ? net::Family::v4 : net::Family::v6, key_value(key, len)},
                     nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION)  // milliseconds
                         ? nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION) / 1000
                         : 0});
    });
    return out;
  });
}

nft::CommitResult NetlinkKernel::commit(const Transaction& t, std::uint32_t generation,
                                        bool check_only) {
  Impl& k = *impl_;
  nft::CommitResult result;
  if (t.empty()) {
    result.ok = true;
    return result;
  }
  const NetlinkBatch batch = build_netlink_batch(t, generation, check_only, k.seq);
  result.messages = batch.messages();

  // One transaction cannot span several sendmsg calls: make room for all of it,
  // and for an ack per message.
  k.io->reserve(batch.bytes.size() * 2 + (1 << 20), batch.messages() * 1024 + (1 << 20));
  const std::string what = "sending the batch (" + std::to_string(batch.bytes.size()) + " bytes)";
  k.send({batch.bytes.data(), batch.bytes.size()}, what);

  // Read every ack; stop early on a whole-batch error (generation mismatch).
  // Acks are counted by sequence number, each once: a late reply to an
  // earlier request never stands in for one of this batch's.
  std::vector<bool> acked(batch.messages() + 1, false);
  std::size_t acks = 0;
  bool stop = false;
  const std::string reading = "reading acknowledgements";
  while (!stop && acks < batch.messages()) {
    std::optional<std::span<const char>> datagram;
    try {
      datagram = k.receive(reading);
    } catch (const RepliesLost&) {
      result.error_code = ENOBUFS;
      result.error =
          "acknowledgements were lost (ENOBUFS); whether the batch was applied is unknown";
      result.outcome_unknown = !check_only;
      return result;
    } catch (const KernelError& e) {
      result.error = std::string(e.what()) + "; whether the batch was applied is unknown";
      result.outcome_unknown = !check_only;
      return result;
    }
    if (!datagram) {
      result.error = "the kernel did not acknowledge every message within " + k.timeout_text() +
                     "; whether the batch was applied is unknown";
      result.outcome_unknown = !check_only;
      return result;
    }
    try {
      k.each_message(*datagram, reading, [&](const nlmsghdr* nlh) {
        if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr)))
          return true;
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        const int e = err->error < 0 ? -err->error : 0;
        if (nlh->nlmsg_seq == batch.begin_seq && e != 0) {
          result.generation_changed = e == ERESTART;
          result.error_code = e;
          result.error = errno_text(e);
          stop = true;
          return false;
        }
        const auto op = batch.op_of(nlh->nlmsg_seq);
        if (!op) return true;                                        // not this batch's
        const std::size_t index = nlh->nlmsg_seq - batch.begin_seq;  // in 1..messages
        if (acked[index]) return true;
        acked[index] = true;
        ++acks;
        if (e != 0 && !result.failed_op) {  // the first error names the culprit
          result.failed_op = op;
          result.error_code = e;
          result.error = e == EPERM ? "needs root or CAP_NET_ADMIN" : errno_text(e);
        }
        return true;
      });
    } catch (const KernelError& e) {
      result.error = std::string(e.what()) + "; whether the batch was applied is unknown";
      result.outcome_unknown = !check_only;
      return result;
    }
  }
  result.ok = !result.failed_op && result.error.empty();
  return result;
}

}  // namespace op25bc::nft
