// SPDX-License-Identifier: GPL-2.0-or-later
// A transaction shown to people: nft-like lines with + and -, element lists
// summarised when long; and the same as JSON.
#pragma once

#include <nlohmann/json_fwd.hpp>  // the declarations; the .cc has the whole library
#include <string>

#include "op25bc/nft/transaction.h"

namespace op25bc::nft {

// At most `element_lines` element lines per set and direction.
std::string to_text(const Transaction& t, std::size_t element_lines = 20);
nlohmann::json to_json(const Transaction& t, std::size_t element_limit = 1000);
std::string summary(const Transaction& t);  // "+3 -1 elements, +2 -2 rules, 1 object"

}  // namespace op25bc::nft
