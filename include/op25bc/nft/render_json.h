// SPDX-License-Identifier: GPL-2.0-or-later
// Backend: ruleset IR -> nftables JSON (libnftables-json(5)), loadable with
// `nft -j -f`, with the same atomic replace of op25bc's table.
#pragma once

#include <string>

#include "op25bc/ir/ruleset.h"

namespace op25bc::nft {

std::string render_nft_json(const ir::Ruleset& ruleset);

}  // namespace op25bc::nft
