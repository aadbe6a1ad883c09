// SPDX-License-Identifier: GPL-2.0-or-later
// The differ: (what the kernel holds, what the policy wants) -> the minimal
// transaction. Set contents change by element; rules change only where they
// differ, positioned by handle; nothing outside op25bc's table is named.
#pragma once

#include <optional>

#include "op25bc/nft/kernel.h"
#include "op25bc/nft/transaction.h"

namespace op25bc::nft {

// `current` is nullopt when the table does not exist yet; `replace_table`
// deletes and recreates it in the same transaction (used with --adopt).
// `desired_digests`, when given, are net::digest of each of desired.sets in
// order (the reconcile loop hashes them once for the whole run); without them
// the differ hashes the sets the record vouches for itself.
Transaction diff(const std::optional<TableState>& current, const ir::Ruleset& desired,
                 bool replace_table = false,
                 const std::vector<net::SetDigest>* desired_digests = nullptr);

// What in the kernel's copy of op25bc's table turns its enforcement off, or
// narrows it, without showing in the rules it compares: table flags, a chain
// the kernel holds with a binding or flags op25bc never sets, a set with
// members it cannot list. One line each, for status and diff; empty when none.
std::vector<std::string> enforcement_drift(const TableState& held);
// The differ repairs each: a diff of a table with any is never empty.

// The intervals of `a` that are not in `b` (both sorted by start): what an
// element change deletes (current minus wanted) or adds (wanted minus current).
net::Intervals minus(const net::Intervals& a, const net::Intervals& b);

// The whole desired table from scratch.
Transaction create(const ir::Ruleset& desired);

}  // namespace op25bc::nft
