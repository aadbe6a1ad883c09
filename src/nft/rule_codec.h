// SPDX-License-Identifier: GPL-2.0-or-later
// IR rules <-> nftables expressions, encoded the way nft encodes the same rule
// text, so `nft list` shows op25bc's rules exactly as it shows its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/ir/ruleset.h"

struct nftnl_rule;

namespace op25bc::nft {

// An anonymous constant set created in the same batch (for "tcp dport { a, b }").
struct AnonymousSet {
  std::string name;  // "__set%d": the kernel picks the number
  std::uint32_t id;
};

void encode_rule(nftnl_rule* out, const ir::Rule& rule, const std::optional<AnonymousSet>& ports);

// `anonymous_ports`: elements of the anonymous port sets the rule may refer to.
ir::Rule decode_rule(const nftnl_rule* rule,
                     const std::map<std::string, std::vector<std::uint16_t>>& anonymous_ports);

}  // namespace op25bc::nft
