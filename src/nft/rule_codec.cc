// SPDX-License-Identifier: GPL-2.0-or-later
#include "rule_codec.h"

#include <arpa/inet.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>

#include <endian.h>

#include <cstring>
#include <memory>

namespace op25bc::nft {

namespace {

using namespace ir;

// Header offsets of the fields op25bc matches on.
constexpr std::uint32_t kTcpDportOffset = 2;
constexpr std::uint32_t kTcpFlagsOffset = 13;
constexpr std::uint8_t kTcpSyn = 0x02, kTcpAck = 0x10;
constexpr std::uint32_t kCtConfirmed = 1u << 3;  // IPS_CONFIRMED
constexpr std::uint32_t kIp4SaddrOffset = 12, kIp4DaddrOffset = 16;
constexpr std::uint32_t kIp6SaddrOffset = 8, kIp6DaddrOffset = 24;

class Encoder {
 public:
  explicit Encoder(nftnl_rule* r) : r_(r) {}

  void meta(std::uint32_t key) {
    nftnl_expr* e = add("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
  }
  void cmp_eq(const void* data, std::uint32_t len) {
    nftnl_expr* e = add("cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  }
  void cmp_u8(std::uint8_t v) { cmp_eq(&v, 1); }
  void payload(std::uint32_t base, std::uint32_t offset, std::uint32_t len) {
    nftnl_expr* e = add("payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
  }
  void lookup(const std::string& set, std::optional<std::uint32_t> id = std::nullopt,
              bool verdict = false) {
    nftnl_expr* e = add("lookup");
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
    if (verdict) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set.c_str());
    if (id) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, *id);
  }

  void operator()(const TcpProtocol&) {
    meta(NFT_META_L4PROTO);
    cmp_u8(IPPROTO_TCP);
  }
  // nft states the TCP dependency once per rule, before the first TCP header field.
  void tcp() {
    if (tcp_) return;
    (*this)(TcpProtocol{});
    tcp_ = true;
  }
  void operator()(const TcpDestinationPorts& m) {
    tcp();
    payload(NFT_PAYLOAD_TRANSPORT_HEADER, kTcpDportOffset, 2);
    if (m.ports.size() == 1) {
      const std::uint16_t port = htons(m.ports[0]);
      cmp_eq(&port, 2);
    } else {
      lookup(ports_->name, ports_->id);
    }
  }
  // The kernel's clock is nanoseconds since the epoch in host order; nft
  // converts it to big endian and compares bytes.
  void operator()(const MetaTime& m) {
    meta(NFT_META_TIME_NS);
    nftnl_expr* b = add("byteorder");
    nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
    nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
    nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
    nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_LEN, 8);
    nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_SIZE, 8);
    const std::uint64_t be = htobe64(static_cast<std::uint64_t>(m.seconds) * 1000000000ull);
    nftnl_expr* e = add("cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, m.before ? NFT_CMP_LT : NFT_CMP_GTE);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &be, sizeof be);
  }
  // nft states the family once per rule; later matches of the same family reuse it.
  void family(net::Family f) {
    if (family_ == f) return;
    meta(NFT_META_NFPROTO);
    cmp_u8(f == net::Family::v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
    family_ = f;
  }
  void operator()(const AddressInSet& m) {
    const bool v4 = m.family == net::Family::v4;
    family(m.family);
    const bool src = m.direction == Direction::source;
    payload(
        NFT_PAYLOAD_NETWORK_HEADER,
        v4 ? (src ? kIp4SaddrOffset : kIp4DaddrOffset) : (src ? kIp6SaddrOffset : kIp6DaddrOffset),
        v4 ? 4 : 16);
    lookup(m.set, std::nullopt, m.vmap);
  }
  // nft's "tcp flags syn / syn,ack": the flags byte, masked, equals SYN.
  void operator()(const TcpSyn&) {
    tcp();
    payload(NFT_PAYLOAD_TRANSPORT_HEADER, kTcpFlagsOffset, 1);
    nftnl_expr* b = add("bitwise");
    nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_LEN, 1);
    const std::uint8_t mask = kTcpSyn | kTcpAck, zero = 0;
    nftnl_expr_set(b, NFTNL_EXPR_BITWISE_MASK, &mask, 1);
    nftnl_expr_set(b, NFTNL_EXPR_BITWISE_XOR, &zero, 1);
    cmp_u8(kTcpSyn);
  }
  // nft's "ct status ! confirmed": the status word (host order), masked,
  // equals zero.
  void operator()(const FirstPacket&) {
    nftnl_expr* ct = add("ct");
    nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
    nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
    nftnl_expr* b = add("bitwise");
    nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_LEN, 4);
    const std::uint32_t mask = kCtConfirmed, zero = 0;
    nftnl_expr_set(b, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
    nftnl_expr_set(b, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
    cmp_eq(&zero, 4);
  }
  void operator()(const RecordSource& s) {
    const bool v4 = s.family == net::Family::v4;
    family(s.family);
    payload(NFT_PAYLOAD_NETWORK_HEADER, v4 ? kIp4SaddrOffset : kIp6SaddrOffset, v4 ? 4 : 16);
    nftnl_expr* e = add("dynset");
    nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
    nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, s.set.c_str());
  }
  void operator()(const CounterRef& s) {
    nftnl_expr* e = add("objref");
    nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
    nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, s.name.c_str());
  }
  void operator()(const Limit& s) {
    nftnl_expr* e = add("limit");
    nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, s.rate);
    nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, static_cast<std::uint64_t>(s.unit));
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, 5);  // nft's default
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
  }
  void operator()(const LogPrefix& s) {
    nftnl_expr* e = add("log");
    nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, s.prefix.c_str());
  }
  void verdict(const Verdict& v) {
    switch (v.kind) {
      case Verdict::Kind::none:
        return;
      case Verdict::Kind::reject_tcp_reset:
      case Verdict::Kind::reject_icmpx_admin: {
        nftnl_expr* e = add("reject");
        const bool tcp = v.kind == Verdict::Kind::reject_tcp_reset;
        nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE,
                           tcp ? NFT_REJECT_TCP_RST : NFT_REJECT_ICMPX_UNREACH);
        nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, tcp ? 0 : NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
        return;
      }
      default:
        break;
    }
    nftnl_expr* e = add("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(verdict_code(v.kind)));
    if (!v.target.empty()) nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, v.target.c_str());
  }

  std::optional<AnonymousSet> ports_;

 private:
  static int verdict_code(Verdict::Kind k) {
    switch (k) {
      case Verdict::Kind::accept:
        return NF_ACCEPT;
      case Verdict::Kind::drop:
        return NF_DROP;
      case Verdict::Kind::return_:
        return NFT_RETURN;
      case Verdict::Kind::jump:
        return NFT_JUMP;
      case Verdict::Kind::goto_:
        return NFT_GOTO;
      default:
        return NFT_CONTINUE;
    }
  }
  nftnl_expr* add(const char* name) {
    nftnl_expr* e = nftnl_expr_alloc(name);
    nftnl_rule_add_expr(r_, e);  // the rule owns it
    return e;
  }

  nftnl_rule* r_;
  std::optional<net::Family> family_;
  bool tcp_ = false;
};

// Decoding walks the expressions with a small state machine over the
// patterns Encoder writes; anything else marks the rule unrecognized.
class Decoder {
 public:
  explicit Decoder(const std::map<std::string, std::vector<std::uint16_t>>& anon) : anon_(anon) {}

  ir::Rule run(const nftnl_rule* r) {
    auto* it = nftnl_expr_iter_create(r);
    std::vector<nftnl_expr*> exprs;
    while (nftnl_expr* e = nftnl_expr_iter_next(it)) exprs.push_back(e);
    nftnl_expr_iter_destroy(it);
    ir::Rule rule;
    std::size_t i = 0;
    while (i < exprs.size() && ok_) i = step(exprs, i, rule);
    if (!ok_) {
      ir::Rule unknown;
      unknown.unrecognized = std::to_string(exprs.size()) + " expressions";
      return unknown;
    }
    return rule;
  }

 private:
  static std::string name(const nftnl_expr* e) { return nftnl_expr_get_str(e, NFTNL_EXPR_NAME); }
  static std::uint32_t u32(const nftnl_expr* e, std::uint16_t attr) {
    return nftnl_expr_get_u32(e, attr);
  }
  static std::vector<std::uint8_t> bytes(const nftnl_expr* e, std::uint16_t attr) {
    std::uint32_t len = 0;
    const auto* p = static_cast<const std::uint8_t*>(nftnl_expr_get(e, attr, &len));
    return p ? std::vector<std::uint8_t>(p, p + len) : std::vector<std::uint8_t>{};
  }
  bool is(const std::vector<nftnl_expr*>& x, std::size_t i, const char* n) const {
    return i < x.size() && name(x[i]) == n;
  }
  std::optional<std::uint8_t> cmp_u8(const std::vector<nftnl_expr*>& x, std::size_t i) const {
    if (!is(x, i, "cmp") || u32(x[i], NFTNL_EXPR_CMP_OP) != NFT_CMP_EQ) return std::nullopt;
    auto b = bytes(x[i], NFTNL_EXPR_CMP_DATA);
    if (b.size() != 1) return std::nullopt;
    return b[0];
  }

  std::size_t step(const std::vector<nftnl_expr*>& x, std::size_t i, ir::Rule& rule) {
    const std::string n = name(x[i]);
    if (n == "meta" && u32(x[i], NFTNL_EXPR_META_KEY) == NFT_META_L4PROTO &&
        cmp_u8(x, i + 1) == IPPROTO_TCP) {
      if (is(x, i + 2, "payload") &&
          u32(x[i + 2], NFTNL_EXPR_PAYLOAD_BASE) == NFT_PAYLOAD_TRANSPORT_HEADER) {
        tcp_ = true;
        return tcp_field(x, i + 2, rule);
      }
      rule.matches.push_back(TcpProtocol{});
      return i + 2;
    }
    // A later TCP field of the rule: its dependency was stated once, before the first.
    if (n == "payload" && tcp_ &&
        u32(x[i], NFTNL_EXPR_PAYLOAD_BASE) == NFT_PAYLOAD_TRANSPORT_HEADER)
      return tcp_field(x, i, rule);
    if (n == "meta" && u32(x[i], NFTNL_EXPR_META_KEY) == NFT_META_TIME_NS &&
        is(x, i + 1, "byteorder") && is(x, i + 2, "cmp")) {
      const auto op = u32(x[i + 2], NFTNL_EXPR_CMP_OP);
      const auto b = bytes(x[i + 2], NFTNL_EXPR_CMP_DATA);
      if (b.size() != 8 || (op != NFT_CMP_LT && op != NFT_CMP_GTE)) return fail();
      std::uint64_t be = 0;
      std::memcpy(&be, b.data(), 8);
      rule.matches.push_back(
          MetaTime{op == NFT_CMP_LT, static_cast<std::int64_t>(be64toh(be) / 1000000000ull)});
      return i + 3;
    }
    if (n == "ct" && u32(x[i], NFTNL_EXPR_CT_KEY) == NFT_CT_STATUS) return first_packet(x, i, rule);
    if (n == "meta" && u32(x[i], NFTNL_EXPR_META_KEY) == NFT_META_NFPROTO) {
      const auto proto = cmp_u8(x, i + 1);
      if (proto == NFPROTO_IPV4)
        family_ = net::Family::v4;
      else if (proto == NFPROTO_IPV6)
        family_ = net::Family::v6;
      else
        return fail();
      return i + 2;
    }
    if (n == "payload" && family_ &&
        u32(x[i], NFTNL_EXPR_PAYLOAD_BASE) == NFT_PAYLOAD_NETWORK_HEADER && is(x, i + 1, "dynset"))
      return record_source(x, i, rule);
    if (n == "payload" && family_ &&
        u32(x[i], NFTNL_EXPR_PAYLOAD_BASE) == NFT_PAYLOAD_NETWORK_HEADER &&
        is(x, i + 1, "lookup")) {
      const std::uint32_t off = u32(x[i], NFTNL_EXPR_PAYLOAD_OFFSET);
      const bool v4 = *family_ == net::Family::v4;
      Direction d;
      if (off == (v4 ? kIp4SaddrOffset : kIp6SaddrOffset))
        d = Direction::source;
      else if (off == (v4 ? kIp4DaddrOffset : kIp6DaddrOffset))
        d = Direction::destination;
      else
        return fail();
      const nftnl_expr* lookup = x[i + 1];
      if (nftnl_expr_is_set(lookup, NFTNL_EXPR_LOOKUP_FLAGS) &&
          u32(lookup, NFTNL_EXPR_LOOKUP_FLAGS) != 0)  // "!= @set"
        return fail();
      bool vmap = false;
      if (nftnl_expr_is_set(lookup, NFTNL_EXPR_LOOKUP_DREG)) {
        if (u32(lookup, NFTNL_EXPR_LOOKUP_DREG) != NFT_REG_VERDICT) return fail();  // a data map
        vmap = true;
      }
      rule.matches.push_back(
          AddressInSet{*family_, d, nftnl_expr_get_str(lookup, NFTNL_EXPR_LOOKUP_SET), vmap});
      return i + 2;
    }
    if (n == "objref" && u32(x[i], NFTNL_EXPR_OBJREF_IMM_TYPE) == NFT_OBJECT_COUNTER) {
      rule.statements.push_back(CounterRef{nftnl_expr_get_str(x[i], NFTNL_EXPR_OBJREF_IMM_NAME)});
      return i + 1;
    }
    if (n == "limit") {
      rule.statements.push_back(
          Limit{static_cast<unsigned>(nftnl_expr_get_u64(x[i], NFTNL_EXPR_LIMIT_RATE)),
                static_cast<RateUnit>(nftnl_expr_get_u64(x[i], NFTNL_EXPR_LIMIT_UNIT))});
      return i + 1;
    }
    if (n == "log") {
      const char* prefix = nftnl_expr_get_str(x[i], NFTNL_EXPR_LOG_PREFIX);
      rule.statements.push_back(LogPrefix{prefix ? prefix : ""});
      return i + 1;
    }
    if (n == "reject") {
      const auto type = u32(x[i], NFTNL_EXPR_REJECT_TYPE);
      if (type == NFT_REJECT_TCP_RST)
        rule.verdict = {Verdict::Kind::reject_tcp_reset, {}};
      else if (type == NFT_REJECT_ICMPX_UNREACH)
        rule.verdict = {Verdict::Kind::reject_icmpx_admin, {}};
      else
        return fail();
      return i + 1;
    }
    if (n == "immediate" && u32(x[i], NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT) {
      const auto code = static_cast<int>(u32(x[i], NFTNL_EXPR_IMM_VERDICT));
      const char* chain = nftnl_expr_get_str(x[i], NFTNL_EXPR_IMM_CHAIN);
      switch (code) {
        case NF_ACCEPT:
          rule.verdict = {Verdict::Kind::accept, {}};
          break;
        case NF_DROP:
          rule.verdict = {Verdict::Kind::drop, {}};
          break;
        case NFT_RETURN:
          rule.verdict = {Verdict::Kind::return_, {}};
          break;
        case NFT_JUMP:
          rule.verdict = {Verdict::Kind::jump, chain ? chain : ""};
          break;
        case NFT_GOTO:
          rule.verdict = {Verdict::Kind::goto_, chain ? chain : ""};
          break;
        default:
          return fail();
      }
      return i + 1;
    }
    return fail();
  }

  std::size_t tcp_field(const std::vector<nftnl_expr*>& x, std::size_t i, ir::Rule& rule) {
    if (u32(x[i], NFTNL_EXPR_PAYLOAD_OFFSET) == kTcpFlagsOffset) return tcp_syn(x, i, rule);
    return tcp_dport(x, i, rule);
  }

  std::size_t tcp_dport(const std::vector<nftnl_expr*>& x, std::size_t i, ir::Rule& rule) {
    if (u32(x[i], NFTNL_EXPR_PAYLOAD_OFFSET) != kTcpDportOffset ||
        u32(x[i], NFTNL_EXPR_PAYLOAD_LEN) != 2)
      return fail();
    if (is(x, i + 1, "cmp") && u32(x[i + 1], NFTNL_EXPR_CMP_OP) == NFT_CMP_EQ) {
      auto b = bytes(x[i + 1], NFTNL_EXPR_CMP_DATA);
      if (b.size() != 2) return fail();
      rule.matches.push_back(TcpDestinationPorts{{static_cast<std::uint16_t>(b[0] << 8 | b[1])}});
      return i + 2;
    }
    if (is(x, i + 1, "lookup")) {
      auto it = anon_.find(nftnl_expr_get_str(x[i + 1], NFTNL_EXPR_LOOKUP_SET));
      if (it == anon_.end()) return fail();
      rule.matches.push_back(TcpDestinationPorts{it->second});
      return i + 2;
    }
    return fail();
  }

  std::size_t tcp_syn(const std::vector<nftnl_expr*>& x, std::size_t i, ir::Rule& rule) {
    if (u32(x[i], NFTNL_EXPR_PAYLOAD_LEN) != 1 || !is(x, i + 1, "bitwise") ||
        cmp_u8(x, i + 2) != kTcpSyn)
      return fail();
    const nftnl_expr* b = x[i + 1];
    if (nftnl_expr_is_set(b, NFTNL_EXPR_BITWISE_OP) &&
        u32(b, NFTNL_EXPR_BITWISE_OP) != NFT_BITWISE_BOOL)
      return fail();
    if (u32(b, NFTNL_EXPR_BITWISE_LEN) != 1 ||
        bytes(b, NFTNL_EXPR_BITWISE_MASK) != std::vector<std::uint8_t>{kTcpSyn | kTcpAck} ||
        bytes(b, NFTNL_EXPR_BITWISE_XOR) != std::vector<std::uint8_t>{0})
      return fail();
    rule.matches.push_back(TcpSyn{});
    return i + 3;
  }

  // "ct status ! confirmed" as Encoder writes it.
  std::size_t first_packet(const std::vector<nftnl_expr*>& x, std::size_t i, ir::Rule& rule) {
    if (nftnl_expr_is_set(x[i], NFTNL_EXPR_CT_DIR) || !is(x, i + 1, "bitwise") ||
        !is(x, i + 2, "cmp") || u32(x[i + 2], NFTNL_EXPR_CMP_OP) != NFT_CMP_EQ)
      return fail();
    const nftnl_expr* b = x[i + 1];
    if (nftnl_expr_is_set(b, NFTNL_EXPR_BITWISE_OP) &&
        u32(b, NFTNL_EXPR_BITWISE_OP) != NFT_BITWISE_BOOL)
      return fail();
    const auto word = [](std::uint32_t v) {
      std::vector<std::uint8_t> out(4);
      std::memcpy(out.data(), &v, 4);
      return out;
    };
    if (u32(b, NFTNL_EXPR_BITWISE_LEN) != 4 ||
        bytes(b, NFTNL_EXPR_BITWISE_MASK) != word(kCtConfirmed) ||
        bytes(b, NFTNL_EXPR_BITWISE_XOR) != word(0) ||
        bytes(x[i + 2], NFTNL_EXPR_CMP_DATA) != word(0))
      return fail();
    rule.matches.push_back(FirstPacket{});
    return i + 3;
  }

  // "update @set { ip saddr }" as Encoder writes it: no timeout, data or
  // expressions of its own.
  std::size_t record_source(const std::vector<nftnl_expr*>& x, std::size_t i, ir::Rule& rule) {
    const bool v4 = *family_ == net::Family::v4;
    const nftnl_expr* d = x[i + 1];
    if (u32(x[i], NFTNL_EXPR_PAYLOAD_OFFSET) != (v4 ? kIp4SaddrOffset : kIp6SaddrOffset) ||
        u32(x[i], NFTNL_EXPR_PAYLOAD_LEN) != (v4 ? 4u : 16u) ||
        u32(d, NFTNL_EXPR_DYNSET_OP) != NFT_DYNSET_OP_UPDATE ||
        u32(d, NFTNL_EXPR_DYNSET_SREG_KEY) != NFT_REG_1 ||
        nftnl_expr_is_set(d, NFTNL_EXPR_DYNSET_SREG_DATA) ||
        (nftnl_expr_is_set(d, NFTNL_EXPR_DYNSET_TIMEOUT) &&
         nftnl_expr_get_u64(d, NFTNL_EXPR_DYNSET_TIMEOUT) != 0) ||
        nftnl_expr_is_set(d, NFTNL_EXPR_DYNSET_EXPR) ||
        (nftnl_expr_is_set(d, NFTNL_EXPR_DYNSET_FLAGS) && u32(d, NFTNL_EXPR_DYNSET_FLAGS) != 0) ||
        !nftnl_expr_is_set(d, NFTNL_EXPR_DYNSET_SET_NAME))
      return fail();
    rule.statements.push_back(
        RecordSource{*family_, nftnl_expr_get_str(d, NFTNL_EXPR_DYNSET_SET_NAME)});
    return i + 2;
  }

  std::size_t fail() {
    ok_ = false;
    return 0;
  }

  const std::map<std::string, std::vector<std::uint16_t>>& anon_;
  std::optional<net::Family> family_;
  bool tcp_ = false;
  bool ok_ = true;
};

}  // namespace

void encode_rule(nftnl_rule* out, const ir::Rule& rule, const std::optional<AnonymousSet>& ports) {
  Encoder enc(out);
  enc.ports_ = ports;
  for (const auto& m : rule.matches) std::visit(enc, m);
  for (const auto& s : rule.statements) std::visit(enc, s);
  enc.verdict(rule.verdict);
}

ir::Rule decode_rule(const nftnl_rule* rule,
                     const std::map<std::string, std::vector<std::uint16_t>>& anonymous_ports) {
  return Decoder(anonymous_ports).run(rule);
}

}  // namespace op25bc::nft
