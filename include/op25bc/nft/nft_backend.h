// SPDX-License-Identifier: GPL-2.0-or-later
// The nftables backend: op25bc's table inet TABLE, changed in atomic batches
// over netlink (libnftnl, libmnl) and read back, behind the backend port.
#pragma once

#include <memory>

#include "op25bc/backend/backend.h"

namespace op25bc::nft {

std::unique_ptr<backend::Backend> make_backend();

}  // namespace op25bc::nft
