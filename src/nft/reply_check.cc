// SPDX-License-Identifier: GPL-2.0-or-later
#include "reply_check.h"

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string_view>
#include <vector>

namespace op25bc::nft {

namespace {

// What libnftnl does with an attribute after checking its type.
enum class Then {
  nothing,
  nested,       // parses it with `inner`'s callback
  data,         // nftnl_parse_data: a value, or a verdict
  expressions,  // a list of expressions (NFTA_LIST_ELEM each)
  expression,   // one expression: name, then its data by name
  elements,     // a set's elements (NFTA_LIST_ELEM each)
  concat,       // a set's concatenation fields (NFTA_LIST_ELEM each)
};

struct Schema;

struct Attr {
  std::uint16_t type;
  mnl_attr_data_type mnl;
  Then then = Then::nothing;
  const Schema* inner = nullptr;
};

struct Schema {
  const char* name;
  std::vector<Attr> attrs;
  const Attr* find(std::uint16_t type) const {
    for (const Attr& a : attrs)
      if (a.type == type) return &a;
    return nullptr;
  }
};

// libnftnl's callbacks, object by object (the attributes it does not check
// are left out: it takes them as they are).
const Schema kVerdict{"verdict",
                      {{NFTA_VERDICT_CODE, MNL_TYPE_U32},
                       {NFTA_VERDICT_CHAIN, MNL_TYPE_STRING},
                       {NFTA_VERDICT_CHAIN_ID, MNL_TYPE_U32}}};
const Schema kData{"data",
                   {{NFTA_DATA_VALUE, MNL_TYPE_BINARY},
                    {NFTA_DATA_VERDICT, MNL_TYPE_NESTED, Then::nested, &kVerdict}}};
const Schema kCounters{"counters",
                       {{NFTA_COUNTER_BYTES, MNL_TYPE_U64}, {NFTA_COUNTER_PACKETS, MNL_TYPE_U64}}};
const Schema kTable{"table",
                    {{NFTA_TABLE_NAME, MNL_TYPE_STRING},
                     {NFTA_TABLE_HANDLE, MNL_TYPE_U64},
                     {NFTA_TABLE_FLAGS, MNL_TYPE_U32},
                     {NFTA_TABLE_USE, MNL_TYPE_U32},
                     {NFTA_TABLE_OWNER, MNL_TYPE_U32},
                     {NFTA_TABLE_USERDATA, MNL_TYPE_BINARY}}};
const Schema kHook{"hook",
                   {{NFTA_HOOK_HOOKNUM, MNL_TYPE_U32},
                    {NFTA_HOOK_PRIORITY, MNL_TYPE_U32},
                    {NFTA_HOOK_DEV, MNL_TYPE_STRING}}};
const Schema kChain{"chain",
                    {{NFTA_CHAIN_NAME, MNL_TYPE_STRING},
                     {NFTA_CHAIN_TABLE, MNL_TYPE_STRING},
                     {NFTA_CHAIN_TYPE, MNL_TYPE_STRING},
                     {NFTA_CHAIN_HOOK, MNL_TYPE_NESTED, Then::nested, &kHook},
                     {NFTA_CHAIN_COUNTERS, MNL_TYPE_NESTED, Then::nested, &kCounters},
                     {NFTA_CHAIN_POLICY, MNL_TYPE_U32},
                     {NFTA_CHAIN_USE, MNL_TYPE_U32},
                     {NFTA_CHAIN_FLAGS, MNL_TYPE_U32},
                     {NFTA_CHAIN_ID, MNL_TYPE_U32},
                     {NFTA_CHAIN_HANDLE, MNL_TYPE_U64},
                     {NFTA_CHAIN_USERDATA, MNL_TYPE_BINARY}}};
const Schema kConcatField{"concatenation field", {{NFTA_SET_FIELD_LEN, MNL_TYPE_U32}}};
const Schema kSetDesc{"set description",
                      {{NFTA_SET_DESC_SIZE, MNL_TYPE_U32},
                       {NFTA_SET_DESC_CONCAT, MNL_TYPE_NESTED, Then::concat, &kConcatField}}};
const Schema kSet{"set",
                  {{NFTA_SET_TABLE, MNL_TYPE_STRING},
                   {NFTA_SET_NAME, MNL_TYPE_STRING},
                   {NFTA_SET_HANDLE, MNL_TYPE_U64},
                   {NFTA_SET_FLAGS, MNL_TYPE_U32},
                   {NFTA_SET_KEY_TYPE, MNL_TYPE_U32},
                   {NFTA_SET_KEY_LEN, MNL_TYPE_U32},
                   {NFTA_SET_DATA_TYPE, MNL_TYPE_U32},
                   {NFTA_SET_DATA_LEN, MNL_TYPE_U32},
                   {NFTA_SET_ID, MNL_TYPE_U32},
                   {NFTA_SET_POLICY, MNL_TYPE_U32},
                   {NFTA_SET_GC_INTERVAL, MNL_TYPE_U32},
                   {NFTA_SET_USERDATA, MNL_TYPE_BINARY},
                   {NFTA_SET_TIMEOUT, MNL_TYPE_U64},
                   {NFTA_SET_DESC, MNL_TYPE_NESTED, Then::nested, &kSetDesc},
                   {NFTA_SET_EXPR, MNL_TYPE_NESTED, Then::expression},
                   {NFTA_SET_EXPRESSIONS, MNL_TYPE_NESTED, Then::expressions}}};
const Schema kElement{"set element",
                      {{NFTA_SET_ELEM_FLAGS, MNL_TYPE_U32},
                       {NFTA_SET_ELEM_TIMEOUT, MNL_TYPE_U64},
                       {NFTA_SET_ELEM_EXPIRATION, MNL_TYPE_U64},
                       {NFTA_SET_ELEM_KEY, MNL_TYPE_NESTED, Then::data},
                       {NFTA_SET_ELEM_KEY_END, MNL_TYPE_NESTED, Then::data},
                       {NFTA_SET_ELEM_DATA, MNL_TYPE_NESTED, Then::data},
                       {NFTA_SET_ELEM_EXPR, MNL_TYPE_NESTED, Then::expression},
                       {NFTA_SET_ELEM_EXPRESSIONS, MNL_TYPE_NESTED, Then::expressions},
                       {NFTA_SET_ELEM_USERDATA, MNL_TYPE_BINARY}}};
const Schema kElementList{
    "set element list",
    {{NFTA_SET_ELEM_LIST_TABLE, MNL_TYPE_STRING},
     {NFTA_SET_ELEM_LIST_SET, MNL_TYPE_STRING},
     {NFTA_SET_ELEM_LIST_ELEMENTS, MNL_TYPE_NESTED, Then::elements, &kElement}}};
const Schema kCompat{
    "rule compat",
    {{NFTA_RULE_COMPAT_PROTO, MNL_TYPE_U32}, {NFTA_RULE_COMPAT_FLAGS, MNL_TYPE_U32}}};
const Schema kRule{"rule",
                   {{NFTA_RULE_TABLE, MNL_TYPE_STRING},
                    {NFTA_RULE_CHAIN, MNL_TYPE_STRING},
                    {NFTA_RULE_HANDLE, MNL_TYPE_U64},
                    {NFTA_RULE_COMPAT, MNL_TYPE_NESTED, Then::nested, &kCompat},
                    {NFTA_RULE_POSITION, MNL_TYPE_U64},
                    {NFTA_RULE_USERDATA, MNL_TYPE_BINARY},
                    {NFTA_RULE_ID, MNL_TYPE_U32},
                    {NFTA_RULE_POSITION_ID, MNL_TYPE_U32},
                    {NFTA_RULE_EXPRESSIONS, MNL_TYPE_NESTED, Then::expressions}}};
const Schema kObject{"object",
                     {{NFTA_OBJ_TABLE, MNL_TYPE_STRING},
                      {NFTA_OBJ_NAME, MNL_TYPE_STRING},
                      {NFTA_OBJ_TYPE, MNL_TYPE_U32},  // libnftnl reads it unchecked
                      {NFTA_OBJ_HANDLE, MNL_TYPE_U64},
                      {NFTA_OBJ_DATA, MNL_TYPE_NESTED},  // by type: see check_object
                      {NFTA_OBJ_USE, MNL_TYPE_U32},
                      {NFTA_OBJ_USERDATA, MNL_TYPE_BINARY}}};
const Schema kGeneration{"generation", {{NFTA_GEN_ID, MNL_TYPE_U32}}};
const Schema kExpression{"expression",
                         {{NFTA_EXPR_NAME, MNL_TYPE_STRING}, {NFTA_EXPR_DATA, MNL_TYPE_NESTED}}};

// The expressions op25bc's rules are made of (rule_codec.cc), and counter,
// which a set may carry; a rule with any other is foreign to op25bc whatever
// its attributes say.
const std::map<std::string_view, Schema>& expression_schemas() {
  static const std::map<std::string_view, Schema> schemas{
      {"bitwise", Schema{"bitwise",
                         {{NFTA_BITWISE_SREG, MNL_TYPE_U32},
                          {NFTA_BITWISE_DREG, MNL_TYPE_U32},
                          {NFTA_BITWISE_LEN, MNL_TYPE_U32},
                          {NFTA_BITWISE_MASK, MNL_TYPE_BINARY, Then::data},
                          {NFTA_BITWISE_XOR, MNL_TYPE_BINARY, Then::data},
                          {NFTA_BITWISE_OP, MNL_TYPE_U32},
                          {NFTA_BITWISE_DATA, MNL_TYPE_BINARY, Then::data}}}},
      {"byteorder", Schema{"byteorder",
                           {{NFTA_BYTEORDER_SREG, MNL_TYPE_U32},
                            {NFTA_BYTEORDER_DREG, MNL_TYPE_U32},
                            {NFTA_BYTEORDER_OP, MNL_TYPE_U32},
                            {NFTA_BYTEORDER_LEN, MNL_TYPE_U32},
                            {NFTA_BYTEORDER_SIZE, MNL_TYPE_U32}}}},
      {"cmp", Schema{"cmp",
                     {{NFTA_CMP_SREG, MNL_TYPE_U32},
                      {NFTA_CMP_OP, MNL_TYPE_U32},
                      {NFTA_CMP_DATA, MNL_TYPE_BINARY, Then::data}}}},
      {"ct", Schema{"ct",
                    {{NFTA_CT_DREG, MNL_TYPE_U32},
                     {NFTA_CT_KEY, MNL_TYPE_U32},
                     {NFTA_CT_DIRECTION, MNL_TYPE_U8},
                     {NFTA_CT_SREG, MNL_TYPE_U32}}}},
      {"counter",
       Schema{"counter",
              {{NFTA_COUNTER_BYTES, MNL_TYPE_U64}, {NFTA_COUNTER_PACKETS, MNL_TYPE_U64}}}},
      {"dynset", Schema{"dynset",
                        {{NFTA_DYNSET_SET_NAME, MNL_TYPE_STRING},
                         {NFTA_DYNSET_SET_ID, MNL_TYPE_U32},
                         {NFTA_DYNSET_OP, MNL_TYPE_U32},
                         {NFTA_DYNSET_SREG_KEY, MNL_TYPE_U32},
                         {NFTA_DYNSET_SREG_DATA, MNL_TYPE_U32},
                         {NFTA_DYNSET_TIMEOUT, MNL_TYPE_U64},
                         {NFTA_DYNSET_EXPR, MNL_TYPE_NESTED, Then::expression},
                         {NFTA_DYNSET_FLAGS, MNL_TYPE_U32},
                         {NFTA_DYNSET_EXPRESSIONS, MNL_TYPE_NESTED, Then::expressions}}}},
      {"immediate", Schema{"immediate",
                           {{NFTA_IMMEDIATE_DREG, MNL_TYPE_U32},
                            {NFTA_IMMEDIATE_DATA, MNL_TYPE_BINARY, Then::data}}}},
      {"limit", Schema{"limit",
                       {{NFTA_LIMIT_RATE, MNL_TYPE_U64},
                        {NFTA_LIMIT_UNIT, MNL_TYPE_U64},
                        {NFTA_LIMIT_BURST, MNL_TYPE_U32},
                        {NFTA_LIMIT_TYPE, MNL_TYPE_U32},
                        {NFTA_LIMIT_FLAGS, MNL_TYPE_U32}}}},
      {"log", Schema{"log",
                     {{NFTA_LOG_PREFIX, MNL_TYPE_STRING},
                      {NFTA_LOG_GROUP, MNL_TYPE_U16},
                      {NFTA_LOG_QTHRESHOLD, MNL_TYPE_U16},
                      {NFTA_LOG_SNAPLEN, MNL_TYPE_U32},
                      {NFTA_LOG_LEVEL, MNL_TYPE_U32},
                      {NFTA_LOG_FLAGS, MNL_TYPE_U32}}}},
      {"lookup", Schema{"lookup",
                        {{NFTA_LOOKUP_SREG, MNL_TYPE_U32},
                         {NFTA_LOOKUP_DREG, MNL_TYPE_U32},
                         {NFTA_LOOKUP_SET_ID, MNL_TYPE_U32},
                         {NFTA_LOOKUP_FLAGS, MNL_TYPE_U32},
                         {NFTA_LOOKUP_SET, MNL_TYPE_STRING}}}},
      {"meta", Schema{"meta",
                      {{NFTA_META_KEY, MNL_TYPE_U32},
                       {NFTA_META_DREG, MNL_TYPE_U32},
                       {NFTA_META_SREG, MNL_TYPE_U32}}}},
      {"objref", Schema{"objref",
                        {{NFTA_OBJREF_IMM_TYPE, MNL_TYPE_U32},
                         {NFTA_OBJREF_IMM_NAME, MNL_TYPE_STRING},
                         {NFTA_OBJREF_SET_NAME, MNL_TYPE_STRING},
                         {NFTA_OBJREF_SET_SREG, MNL_TYPE_U32},
                         {NFTA_OBJREF_SET_ID, MNL_TYPE_U32}}}},
      {"payload", Schema{"payload",
                         {{NFTA_PAYLOAD_SREG, MNL_TYPE_U32},
                          {NFTA_PAYLOAD_DREG, MNL_TYPE_U32},
                          {NFTA_PAYLOAD_BASE, MNL_TYPE_U32},
                          {NFTA_PAYLOAD_OFFSET, MNL_TYPE_U32},
                          {NFTA_PAYLOAD_LEN, MNL_TYPE_U32},
                          {NFTA_PAYLOAD_CSUM_TYPE, MNL_TYPE_U32},
                          {NFTA_PAYLOAD_CSUM_OFFSET, MNL_TYPE_U32},
                          {NFTA_PAYLOAD_CSUM_FLAGS, MNL_TYPE_U32}}}},
      {"reject",
       Schema{"reject", {{NFTA_REJECT_TYPE, MNL_TYPE_U32}, {NFTA_REJECT_ICMP_CODE, MNL_TYPE_U8}}}},
  };
  return schemas;
}

// Each attribute in `len` bytes from `first`, while their lengths hold (as
// libmnl's mnl_attr_parse walks them: it stops at the first bad one).
template <class Each>
void for_each_attr(const void* first, std::size_t len, Each each) {
  int room = static_cast<int>(len);
  for (auto* attr = static_cast<const nlattr*>(first); mnl_attr_ok(attr, room);
       attr = mnl_attr_next(attr)) {
    room -= static_cast<int>(MNL_ALIGN(attr->nla_len));
    if (!each(attr)) return;
  }
}

template <class Each>
void for_each_nested(const nlattr* nest, Each each) {
  for_each_attr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), each);
}

// The attributes of an nf_tables message, after its nfgenmsg header.
template <class Each>
void for_each_message_attr(const nlmsghdr* reply, Each each) {
  for_each_attr(mnl_nlmsg_get_payload_offset(reply, sizeof(nfgenmsg)),
                reply->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(sizeof(nfgenmsg)), each);
}

// A string attribute's text, up to its NUL or its end.
std::string_view text_of(const nlattr* attr) {
  const auto* p = static_cast<const char*>(mnl_attr_get_payload(attr));
  return {p, strnlen(p, mnl_attr_get_payload_len(attr))};
}

class Checker {
 public:
  ReplyCheck result = ReplyCheck::ok;
  std::string why;

  // The attributes in [begin, end), as libnftnl's callback for `schema` takes them.
  void walk(const void* first, std::size_t len, const Schema& schema) {
    for_each_attr(first, len, [&](const nlattr* attr) {
      one(attr, schema);
      return !malformed();
    });
  }

  void nested(const nlattr* nest, const Schema& schema) {
    walk(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), schema);
  }

  bool malformed() const { return result == ReplyCheck::malformed; }

  void fail(const Schema& schema, std::uint16_t type, const char* what) {
    if (malformed()) return;
    result = ReplyCheck::malformed;
    why = std::string(schema.name) + " attribute " + std::to_string(type) + " " + what;
  }

  void foreign() {
    if (result == ReplyCheck::ok) result = ReplyCheck::foreign;
  }

  // Each NFTA_LIST_ELEM of a list; libnftnl stops (with an error, not an
  // exit) at the first attribute of another type.
  template <class Each>
  void list(const nlattr* nest, Each each) {
    for_each_nested(nest, [&](const nlattr* attr) {
      if (mnl_attr_get_type(attr) != NFTA_LIST_ELEM || malformed()) return false;
      each(attr);
      return true;
    });
  }

  void expression(const nlattr* nest) {
    const nlattr* name = nullptr;
    const nlattr* data = nullptr;
    for_each_nested(nest, [&](const nlattr* attr) {
      const std::uint16_t type = mnl_attr_get_type(attr);
      if (type > NFTA_EXPR_MAX) return true;
      one(attr, kExpression);
      if (type == NFTA_EXPR_NAME) name = attr;
      if (type == NFTA_EXPR_DATA) data = attr;
      return !malformed();
    });
    if (malformed() || name == nullptr) return;  // libnftnl refuses it (an error)
    const auto& schemas = expression_schemas();
    const auto known = schemas.find(text_of(name));
    if (known == schemas.end()) return foreign();
    if (data != nullptr) nested(data, known->second);
  }

  // One attribute, as `schema`'s callback takes it.
  void one(const nlattr* attr, const Schema& schema) {
    const std::uint16_t type = mnl_attr_get_type(attr);
    const Attr* rule = schema.find(type);
    if (rule == nullptr) return;  // libnftnl takes it unchecked, or skips it
    if (mnl_attr_validate(attr, rule->mnl) < 0) return fail(schema, type, "has the wrong size");
    switch (rule->then) {
      case Then::nothing:
        return;
      case Then::nested:
        return nested(attr, *rule->inner);
      case Then::data:
        return nested(attr, kData);
      case Then::expressions:
        return list(attr, [&](const nlattr* e) { expression(e); });
      case Then::expression:
        return expression(attr);
      case Then::elements:
        return list(attr, [&](const nlattr* e) { nested(e, *rule->inner); });
      case Then::concat:
        return list(attr, [&](const nlattr* f) { nested(f, *rule->inner); });
    }
  }
};

const Schema& schema_of(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::table:
      return kTable;
    case ReplyKind::chain:
      return kChain;
    case ReplyKind::set:
      return kSet;
    case ReplyKind::set_elements:
      return kElementList;
    case ReplyKind::rule:
      return kRule;
    case ReplyKind::object:
      return kObject;
    case ReplyKind::generation:
      return kGeneration;
  }
  return kGeneration;
}

// An object's data is parsed by its type's callback: a counter's is known;
// any other type is not op25bc's to read.
void check_object_data(Checker& c, const nlmsghdr* reply) {
  const nlattr* type = nullptr;
  const nlattr* data = nullptr;
  for_each_message_attr(reply, [&](const nlattr* attr) {
    if (mnl_attr_get_type(attr) == NFTA_OBJ_TYPE) type = attr;
    if (mnl_attr_get_type(attr) == NFTA_OBJ_DATA) data = attr;
    return true;
  });
  if (data == nullptr) return;
  if (type == nullptr || ntohl(mnl_attr_get_u32(type)) != NFT_OBJECT_COUNTER) return c.foreign();
  c.nested(data, kCounters);
}

}  // namespace

ReplyCheck check_reply(ReplyKind kind, const nlmsghdr* reply, std::string& why) {
  Checker c;
  if (reply->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg))) {
    why = "a reply shorter than its header";
    return ReplyCheck::malformed;
  }
  for_each_message_attr(reply, [&](const nlattr* attr) {
    c.one(attr, schema_of(kind));
    return !c.malformed();
  });
  if (kind == ReplyKind::object && !c.malformed()) check_object_data(c, reply);
  why = c.why;
  return c.result;
}

RuleHeader rule_header(const nlmsghdr* reply) {
  RuleHeader h;
  for_each_message_attr(reply, [&](const nlattr* attr) {
    switch (mnl_attr_get_type(attr)) {
      case NFTA_RULE_TABLE:
        h.table = text_of(attr);
        break;
      case NFTA_RULE_CHAIN:
        h.chain = text_of(attr);
        break;
      case NFTA_RULE_HANDLE:  // checked as a u64 by check_reply
        h.handle = be64toh(mnl_attr_get_u64(attr));
        break;
    }
    return true;
  });
  return h;
}

}  // namespace op25bc::nft
