// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/transaction.h"

#include <cstdio>

namespace op25bc::nft {

std::string table_flags_text(std::uint32_t flags) {
  static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
      {kTableDormant, "dormant"}, {2, "owner"}, {4, "persist"}};
  std::string out;
  for (const auto& [bit, name] : kNames)
    if ((flags & bit) != 0) {
      out += out.empty() ? "" : ",";
      out += name;
      flags &= ~bit;
    }
  if (flags != 0) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", flags);
    out += out.empty() ? "" : ",";
    out += hex;
  }
  return out;
}

std::size_t message_count(const Op& op) {
  const auto chunks = [](std::size_t n, std::size_t per) { return (n + per - 1) / per; };
  if (const auto* a = std::get_if<AddElements>(&op))
    return chunks(a->elements.size(),
                  a->verdict_map ? kMapIntervalsPerMessage : kIntervalsPerMessage);
  if (const auto* d = std::get_if<DeleteElements>(&op))
    return chunks(d->elements.size(), kIntervalsPerMessage);
  // A rule matching several ports first sends their anonymous set and its elements.
  if (const auto* r = std::get_if<AddRule>(&op))
    for (const auto& m : r->rule.matches)
      if (const auto* ports = std::get_if<ir::TcpDestinationPorts>(&m);
          ports && ports->ports.size() > 1)
        return 3;
  return 1;
}

std::size_t message_count(const Transaction& t) {
  std::size_t n = 0;
  for (const auto& op : t.ops) n += message_count(op);
  return n;
}

TransactionStats stats(const Transaction& t) {
  TransactionStats s;
  for (const auto& op : t.ops) {
    if (const auto* a = std::get_if<AddElements>(&op))
      s.elements_added += a->elements.size();
    else if (const auto* d = std::get_if<DeleteElements>(&op))
      s.elements_deleted += d->elements.size();
    else if (std::holds_alternative<AddRule>(op))
      ++s.rules_added;
    else if (std::holds_alternative<DeleteRule>(op))
      ++s.rules_deleted;
    else
      ++s.objects_changed;
  }
  return s;
}

}  // namespace op25bc::nft
