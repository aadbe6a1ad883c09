// SPDX-License-Identifier: GPL-2.0-or-later
// Router selection (after load, before evaluation): one policy describes the
// whole fleet; `--router ID` narrows it to what one router enforces. Only the
// source side narrows: each phase keeps the pools that router carries, and a
// phase left with none is dropped, so that router's ruleset, timeline and
// timers hold only its own boundaries. Smarthosts, destinations and
// exemptions stay as they are.
#pragma once

#include <string>
#include <string_view>

#include "op25bc/policy/model.h"

namespace op25bc::policy {

// False, with `error` naming the known routers, when `id` is not one.
bool select_router(Policy& p, std::string_view id, std::string& error);

// The router select_router narrowed the policy to, or nullptr.
const Router* selected_router(const Policy& p);

// Whether the selected router carries pool `pool` (true when none is selected).
bool carries(const Policy& p, std::size_t pool);

// The ids of the routers that carry pool `pool`.
std::vector<std::string> routers_carrying(const Policy& p, std::size_t pool);

}  // namespace op25bc::policy
