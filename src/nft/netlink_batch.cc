// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink_batch.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstring>
#include <stdexcept>

#include "nftnl.h"
#include "op25bc/ir/names.h"
#include "rule_codec.h"

namespace op25bc::nft {

namespace {

using namespace nftnl;
using nft::AnonymousSet;

constexpr std::size_t kMessageRoom = 64 * 1024;  // reserved for any message but elements

// Room reserved for an element message: its header and two keys per interval.
std::size_t element_message_room(net::Family f, std::size_t intervals) {
  return 4096 + (intervals + 1) * 2 * (f == net::Family::v4 ? 64 : 96);
}

// An upper bound of the buffer a batch needs on the way (the sum of every
// message's reservation), so it is allocated once and never moves. Capacity
// that is never written costs no memory.
std::size_t batch_room(const Transaction& t) {
  std::size_t room = 2 * kMessageRoom;  // BATCH_BEGIN and BATCH_END
  for (const Op& op : t.ops) {
    const net::Intervals* elements = nullptr;
    net::Family family = net::Family::v4;
    std::size_t per = kIntervalsPerMessage;
    if (const auto* a = std::get_if<AddElements>(&op)) {
      elements = &a->elements, family = a->family;
      if (a->verdict_map) per = kMapIntervalsPerMessage;
    }
    if (const auto* d = std::get_if<DeleteElements>(&op))
      elements = &d->elements, family = d->family;
    if (elements == nullptr) {
      room += 3 * kMessageRoom;  // a rule may bring an anonymous set and its elements
      continue;
    }
    for (std::size_t from = 0; from < elements->size(); from += per)
      room += element_message_room(family, std::min(per, elements->size() - from));
  }
  return room;
}

// Builds one batch: BATCH_BEGIN (with the generation id), the operations'
// messages, BATCH_END unless only checking. Remembers which operation each
// message sequence number belongs to, to name the culprit of an error.
class BatchBuilder {
 public:
  BatchBuilder(std::uint32_t& seq, const Transaction& t) : seq_(seq), table_(t.table) {
    buf_.reserve(batch_room(t));
  }

  void begin(std::uint32_t generation) {
    nlmsghdr* nlh = batch_message(NFNL_MSG_BATCH_BEGIN);
    begin_seq_ = nlh->nlmsg_seq;
    mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(generation));
    commit(nlh);
  }
  void end() { commit(batch_message(NFNL_MSG_BATCH_END)); }

  void add(const Op& op, std::size_t index) {
    index_ = index;
    std::visit(*this, op);
  }

  void operator()(const AddTable& op) {
    Table t(nftnl_table_alloc());
    nftnl_table_set_str(t.p, NFTNL_TABLE_NAME, table_.c_str());
    nftnl_table_set_u32(t.p, NFTNL_TABLE_FLAGS, 0);
    Udata ud;
    if (!op.comment.empty()) {
      nftnl_udata_put_strz(ud.p, kUdataTableComment, op.comment.c_str());
      nftnl_table_set_data(t.p, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud.p),
                           nftnl_udata_buf_len(ud.p));
    }
    nlmsghdr* nlh = message(NFT_MSG_NEWTABLE, NLM_F_CREATE);
    nftnl_table_nlmsg_build_payload(nlh, t.p);
    commit(nlh);
  }
  void operator()(const DeleteTable& op) {
    Table t(nftnl_table_alloc());
    nftnl_table_set_str(t.p, NFTNL_TABLE_NAME,
                        op.other.empty() ? table_.c_str() : op.other.c_str());
    nlmsghdr* nlh = message(NFT_MSG_DELTABLE, 0);
    nftnl_table_nlmsg_build_payload(nlh, t.p);
    commit(nlh);
  }
  void operator()(const ResetTableFlags&) {
    // NEWTABLE on a table that exists, without NLM_F_EXCL, updates its flags.
    Table t(nftnl_table_alloc());
    nftnl_table_set_str(t.p, NFTNL_TABLE_NAME, table_.c_str());
    nftnl_table_set_u32(t.p, NFTNL_TABLE_FLAGS, 0);
    nlmsghdr* nlh = message(NFT_MSG_NEWTABLE, 0);
    nftnl_table_nlmsg_build_payload(nlh, t.p);
    commit(nlh);
  }
  void operator()(const AddCounter& op) {
    Obj o(counter(op.counter.name));
    nftnl_obj_set_u64(o.p, NFTNL_OBJ_CTR_PKTS, 0);
    nftnl_obj_set_u64(o.p, NFTNL_OBJ_CTR_BYTES, 0);
    Udata ud;
    if (!op.counter.comment.empty()) {
      nftnl_udata_put_strz(ud.p, kUdataObjComment, op.counter.comment.c_str());
      nftnl_obj_set_data(o.p, NFTNL_OBJ_USERDATA, nftnl_udata_buf_data(ud.p),
                         nftnl_udata_buf_len(ud.p));
    }
    nlmsghdr* nlh = message(NFT_MSG_NEWOBJ, NLM_F_CREATE);
    nftnl_obj_nlmsg_build_payload(nlh, o.p);
    commit(nlh);
  }
  void operator()(const DeleteCounter& op) {
    Obj o(counter(op.name));
    nlmsghdr* nlh = message(NFT_MSG_DELOBJ, 0);
    nftnl_obj_nlmsg_build_payload(nlh, o.p);
    commit(nlh);
  }
  void operator()(const AddSet& op) {
    Set s(named_set(op.name));
    const bool v4 = op.family == net::Family::v4;
    if (op.recording) {  // nft's "flags dynamic,timeout; timeout T; size N"
      nftnl_set_set_u32(s.p, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT | NFT_SET_EVAL);
      nftnl_set_set_u64(s.p, NFTNL_SET_TIMEOUT, op.recording->timeout_seconds * 1000);
      nftnl_set_set_u32(s.p, NFTNL_SET_DESC_SIZE, op.recording->size);
    } else {
      nftnl_set_set_u32(s.p, NFTNL_SET_FLAGS,
                        NFT_SET_INTERVAL | (op.verdict_map ? NFT_SET_MAP : 0));
    }
    nftnl_set_set_u32(s.p, NFTNL_SET_KEY_TYPE, v4 ? kKeyTypeIpv4 : kKeyTypeIpv6);
    nftnl_set_set_u32(s.p, NFTNL_SET_KEY_LEN, v4 ? 4 : 16);
    if (op.verdict_map) {
      nftnl_set_set_u32(s.p, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
      nftnl_set_set_u32(s.p, NFTNL_SET_DATA_LEN, 0);
    }
    const std::uint32_t id = ++set_id_;
    set_ids_[op.name] = id;
    nftnl_set_set_u32(s.p, NFTNL_SET_ID, id);
    Udata ud;
    nftnl_udata_put_u32(ud.p, kUdataSetKeyByteorder, kBigEndian);
    if (op.verdict_map) {  // as nft writes a verdict map's
      nftnl_udata_put_u32(ud.p, kUdataSetDataByteorder, 0);
      nftnl_udata_put_u32(ud.p, kUdataSetDataInterval, 0);
    }
    if (!op.comment.empty()) nftnl_udata_put_strz(ud.p, kUdataSetComment, op.comment.c_str());
    nftnl_set_set_data(s.p, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.p),
                       nftnl_udata_buf_len(ud.p));
    nlmsghdr* nlh = message(NFT_MSG_NEWSET, NLM_F_CREATE);
    nftnl_set_nlmsg_build_payload(nlh, s.p);
    commit(nlh);
  }
  void operator()(const DeleteSet& op) {
    Set s(named_set(op.name));
    nlmsghdr* nlh = message(NFT_MSG_DELSET, 0);
    nftnl_set_nlmsg_build_payload(nlh, s.p);
    commit(nlh);
  }
  void operator()(const AddElements& op) {
    // A set created in this batch gets nft's leading interval end at address 0
    // when its first interval starts above 0.
    const bool leading_end = op.new_set && !op.elements.empty() && op.elements.front().first != 0;
    elements(NFT_MSG_NEWSETELEM, NLM_F_CREATE, op.set, op.family, op.elements, leading_end,
             op.verdict_map);
  }
  void operator()(const DeleteElements& op) {
    elements(NFT_MSG_DELSETELEM, 0, op.set, op.family, op.elements, false, false);
  }
  void operator()(const AddChain& op) {
    Chain c(nftnl_chain_alloc());
    nftnl_chain_set_str(c.p, NFTNL_CHAIN_TABLE, table_.c_str());
    nftnl_chain_set_str(c.p, NFTNL_CHAIN_NAME, op.name.c_str());
    if (op.base) {
      nftnl_chain_set_u32(c.p, NFTNL_CHAIN_HOOKNUM, static_cast<std::uint32_t>(op.base->hook));
      nftnl_chain_set_s32(c.p, NFTNL_CHAIN_PRIO, op.base->priority);
      nftnl_chain_set_str(c.p, NFTNL_CHAIN_TYPE, ir::type_name(op.base->type).c_str());
      nftnl_chain_set_u32(c.p, NFTNL_CHAIN_POLICY,
                          op.base->policy == ir::ChainPolicy::drop ? NF_DROP : NF_ACCEPT);
    }
    nlmsghdr* nlh = message(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
    nftnl_chain_nlmsg_build_payload(nlh, c.p);
    commit(nlh);
  }
  void operator()(const DeleteChain& op) {
    Chain c(nftnl_chain_alloc());
    nftnl_chain_set_str(c.p, NFTNL_CHAIN_TABLE, table_.c_str());
    nftnl_chain_set_str(c.p, NFTNL_CHAIN_NAME, op.name.c_str());
    nlmsghdr* nlh = message(NFT_MSG_DELCHAIN, 0);
    nftnl_chain_nlmsg_build_payload(nlh, c.p);
    commit(nlh);
  }
  void operator()(const AddRule& op) {
    std::optional<AnonymousSet> ports;
    for (const auto& m : op.rule.matches)
      if (const auto* p = std::get_if<ir::TcpDestinationPorts>(&m); p && p->ports.size() > 1)
        ports = anonymous_ports(p->ports);
    Rule r(nftnl_rule_alloc());
    nftnl_rule_set_str(r.p, NFTNL_RULE_TABLE, table_.c_str());
    nftnl_rule_set_str(r.p, NFTNL_RULE_CHAIN, op.chain.c_str());
    if (op.handle) nftnl_rule_set_u64(r.p, NFTNL_RULE_POSITION, *op.handle);
    encode_rule(r.p, op.rule, ports);
    // With a position, NLM_F_APPEND means after it; without, before it.
    nlmsghdr* nlh = message(NFT_MSG_NEWRULE, NLM_F_CREATE | (op.before ? 0 : NLM_F_APPEND));
    nftnl_rule_nlmsg_build_payload(nlh, r.p);
    commit(nlh);
  }
  void operator()(const DeleteRule& op) {
    Rule r(nftnl_rule_alloc());
    nftnl_rule_set_str(r.p, NFTNL_RULE_TABLE, table_.c_str());
    nftnl_rule_set_str(r.p, NFTNL_RULE_CHAIN, op.chain.c_str());
    nftnl_rule_set_u64(r.p, NFTNL_RULE_HANDLE, op.handle);
    nlmsghdr* nlh = message(NFT_MSG_DELRULE, 0);
    nftnl_rule_nlmsg_build_payload(nlh, r.p);
    commit(nlh);
  }

  NetlinkBatch take() { return {std::move(buf_), begin_seq_, std::move(ops_)}; }

 private:
  struct Udata {
    nftnl_udata_buf* p = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
    ~Udata() { nftnl_udata_buf_free(p); }
  };

  nlmsghdr* batch_message(std::uint16_t type) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(reserve(256));
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    nlh->nlmsg_seq = ++seq_;
    auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    nfg->nfgen_family = AF_UNSPEC;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
    return nlh;
  }

  nlmsghdr* reserve(std::size_t bytes) {
    used_ = buf_.size();
    buf_.resize(used_ + bytes);
    std::memset(buf_.data() + used_, 0, bytes);
    return reinterpret_cast<nlmsghdr*>(buf_.data() + used_);
  }
  void commit(nlmsghdr* nlh) { buf_.resize(used_ + NLMSG_ALIGN(nlh->nlmsg_len)); }

  nlmsghdr* message(std::uint16_t type, std::uint16_t flags, std::size_t bytes = kMessageRoom) {
    reserve(bytes);
    const std::uint32_t s = ++seq_;
    ops_[s] = index_;
    return nftnl_nlmsg_build_hdr(buf_.data() + used_, type, NFPROTO_INET,
                                 static_cast<std::uint16_t>(flags | NLM_F_ACK), s);
  }

  nftnl_obj* counter(const std::string& name) {
    nftnl_obj* o = nftnl_obj_alloc();
    nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table_.c_str());
    nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name.c_str());
    nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
    return o;
  }

  nftnl_set* named_set(const std::string& name) {
    nftnl_set* s = nftnl_set_alloc();
    nftnl_set_set_str(s, NFTNL_SET_TABLE, table_.c_str());
    nftnl_set_set_str(s, NFTNL_SET_NAME, name.c_str());
    return s;
  }

  static void element(nftnl_set* s, const Key& key, bool end, const std::string* chain = nullptr) {
    nftnl_set_elem* e = nftnl_set_elem_alloc();
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key.bytes.data(), key.size);
    if (end) nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
    if (chain != nullptr) {
      nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, static_cast<std::uint32_t>(NFT_GOTO));
      nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain->c_str());
    }
    nftnl_set_elem_add(s, e);
  }

  // Interval elements, split across messages of kIntervalsPerMessage. A
  // verdict map's start keys carry "goto" the block's chain.
  void elements(std::uint16_t type, std::uint16_t flags, const std::string& set, net::Family f,
                const net::Intervals& intervals, bool leading_end, bool verdict_map) {
    const std::size_t per = verdict_map ? kMapIntervalsPerMessage : kIntervalsPerMessage;
    for (std::size_t from = 0; from < intervals.size(); from += per) {
      const std::size_t to = std::min(intervals.size(), from + per);
      Set s(named_set(set));
      if (auto it = set_ids_.find(set); it != set_ids_.end())
        nftnl_set_set_u32(s.p, NFTNL_SET_ID, it->second);
      if (from == 0 && leading_end) element(s.p, address_key(f, 0), true);
      for (std::size_t i = from; i < to; ++i) {
        if (verdict_map) {
          const std::string chain = ir::block_chain(f, intervals[i]);
          element(s.p, address_key(f, intervals[i].first), false, &chain);
        } else {
          element(s.p, address_key(f, intervals[i].first), false);
        }
        if (intervals[i].last != net::max_word(f))
          element(s.p, address_key(f, intervals[i].last + 1), true);
      }
      nlmsghdr* nlh = message(type, flags, element_message_room(f, to - from));
      nftnl_set_elems_nlmsg_build_payload(nlh, s.p);
      if (nlh->nlmsg_len > 0xffff)  // the element list attribute would have wrapped
        throw std::logic_error("set element message over the 64 KiB attribute limit");
      commit(nlh);
    }
  }

  // "tcp dport { a, b }": an anonymous constant set in the same batch.
  AnonymousSet anonymous_ports(const std::vector<std::uint16_t>& ports) {
    const AnonymousSet anon{"__set%d", ++set_id_};
    Set s(named_set(anon.name));
    nftnl_set_set_u32(s.p, NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
    nftnl_set_set_u32(s.p, NFTNL_SET_KEY_TYPE, kKeyTypePort);
    nftnl_set_set_u32(s.p, NFTNL_SET_KEY_LEN, 2);
    nftnl_set_set_u32(s.p, NFTNL_SET_ID, anon.id);
    nftnl_set_set_u32(s.p, NFTNL_SET_DESC_SIZE, static_cast<std::uint32_t>(ports.size()));
    Udata ud;
    nftnl_udata_put_u32(ud.p, kUdataSetKeyByteorder, kBigEndian);
    nftnl_set_set_data(s.p, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.p),
                       nftnl_udata_buf_len(ud.p));
    nlmsghdr* nlh = message(NFT_MSG_NEWSET, NLM_F_CREATE);
    nftnl_set_nlmsg_build_payload(nlh, s.p);
    commit(nlh);
    Set elems(named_set(anon.name));
    nftnl_set_set_u32(elems.p, NFTNL_SET_ID, anon.id);
    for (std::uint16_t port : ports) element(elems.p, port_key(port), false);
    nlh = message(NFT_MSG_NEWSETELEM, NLM_F_CREATE);
    nftnl_set_elems_nlmsg_build_payload(nlh, elems.p);
    commit(nlh);
    return anon;
  }

  std::uint32_t& seq_;
  const std::string& table_;
  std::vector<char, net::BulkAllocator<char>> buf_;
  std::size_t used_ = 0;
  std::size_t index_ = 0;
  std::uint32_t begin_seq_ = 0;
  std::uint32_t set_id_ = 0;
  std::map<std::string, std::uint32_t> set_ids_;
  std::map<std::uint32_t, std::size_t> ops_;
};

}  // namespace

NetlinkBatch build_netlink_batch(const Transaction& t, std::uint32_t generation, bool check_only,
                                 std::uint32_t& seq) {
  BatchBuilder builder(seq, t);
  builder.begin(generation);
  for (std::size_t i = 0; i < t.ops.size(); ++i) builder.add(t.ops[i], i);
  if (!check_only) builder.end();
  return builder.take();
}

}  // namespace op25bc::nft
