// SPDX-License-Identifier: GPL-2.0-or-later
// status on the nftables backend: op25bc's table, its counters and its
// record, read into the one status model (backend/status.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/backend/status.h"
#include "op25bc/nft/kernel.h"
#include "op25bc/nft/state.h"

namespace op25bc::nft {

// The policy id a phase counter counts for: the recorded id whose nft name it
// is, else the name without its "phase_" prefix ('-' in an id reads as '_').
std::string phase_of_counter(const std::string& counter, const std::vector<std::string>& ids);

// The record's part of a status.
backend::LastApply last_apply_of(const StateRecord& r, std::uint32_t generation_now);

// The recording sets of op25bc's table as the kernel holds it, with what the
// rules put in them, sorted by set and address.
std::vector<backend::Recording> read_recordings(Kernel& kernel, const ir::Ruleset& held);

// nullopt when the kernel has no such table. Element counts come from the
// kernel when `verify` (every set read back), else from the record while it
// provably describes this kernel, else they are unknown. Throws KernelError.
std::optional<backend::Status> read_status(Kernel& kernel, const std::string& table,
                                           StateStore& state, bool verify);

}  // namespace op25bc::nft
