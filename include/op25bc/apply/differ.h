// The differ: (what the kernel holds, what the policy wants) -> the minimal
// transaction. Set contents change by element; rules change only where they
// differ, positioned by handle; nothing outside op25bc's table is named.
#pragma once

#include <optional>

#include "op25bc/apply/kernel.h"
#include "op25bc/apply/transaction.h"

namespace op25bc::apply {

// `current` is nullopt when the table does not exist yet; `replace_table`
// deletes and recreates it in the same transaction (used with --adopt).
Transaction diff(const std::optional<apply::TableState>& current, const ir::Ruleset& desired,
                 bool replace_table = false);

// The whole desired table from scratch.
Transaction create(const ir::Ruleset& desired);

}  // namespace op25bc::apply
