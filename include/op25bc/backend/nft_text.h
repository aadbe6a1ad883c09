// SPDX-License-Identifier: GPL-2.0-or-later
// Backend: ruleset IR -> an `nft -f` script that replaces op25bc's table
// atomically ("table; delete table; table { ... }") and touches nothing else.
#pragma once

#include <span>
#include <string>

#include "op25bc/ir/ruleset.h"

namespace op25bc::backend {

// `header` lines are written as "# " comments at the top.
std::string render_nft_text(const ir::Ruleset& ruleset, std::span<const std::string> header);

// Only the "table inet NAME { ... }" block, as `nft list table` would show it.
std::string render_nft_table(const ir::Ruleset& ruleset);

// One rule as nft writes it, e.g. "ip saddr @all_src4 counter name \"all\" goto block".
std::string rule_text(const ir::Rule& rule);

}  // namespace op25bc::backend
