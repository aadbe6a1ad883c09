// SPDX-License-Identifier: GPL-2.0-or-later
// The iptables backend: op25bc's chains in iptables-legacy and ip6tables-legacy
// and its ipsets, changed through the restore tools and read back, behind the
// backend port.
#pragma once

#include <memory>

#include "op25bc/backend/backend.h"

namespace op25bc::xt {

std::unique_ptr<backend::Backend> make_backend();

}  // namespace op25bc::xt
