// SPDX-License-Identifier: GPL-2.0-or-later
// Backend: ruleset IR -> an `nft -f` script that replaces op25bc's table
// atomically ("table; delete table; table { ... }") and touches nothing else.
#pragma once

#include <span>
#include <string>

#include "op25bc/ir/ruleset.h"
#include "op25bc/policy/model.h"
#include "op25bc/time/instant.h"

namespace op25bc::nft {

// `header` lines are written as "# " comments at the top.
std::string render_nft_text(const ir::Ruleset& ruleset, std::span<const std::string> header);

// Only the "table inet NAME { ... }" block, as `nft list table` would show it.
std::string render_nft_table(const ir::Ruleset& ruleset);

// What `op25bc compile` prints: the script with a header naming the policy,
// the instant and the router, or nftables JSON.
enum class Format { script, json };
std::string render(const policy::Policy& policy, const ir::Ruleset& ruleset, Instant at,
                   Format format);

// One rule as nft writes it, e.g. "ip saddr @all_src4 counter name \"all\" goto block".
std::string rule_text(const ir::Rule& rule);

}  // namespace op25bc::nft
