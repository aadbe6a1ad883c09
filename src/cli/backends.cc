// SPDX-License-Identifier: GPL-2.0-or-later
// The one place that names op25bc's backends: what --backend can choose,
// the first being the default. A new backend is added here and nowhere else
// in the commands (ARCHITECTURE.md, "Adding a backend").
#include "backends.h"

#include "op25bc/nft/nft_backend.h"
#include "op25bc/xt/xt_backend.h"

namespace op25bc::cli {

backend::Registry make_backends() {
  backend::Registry registry;
  registry.add(nft::make_backend());  // the default
  registry.add(xt::make_backend());
  return registry;
}

}  // namespace op25bc::cli
