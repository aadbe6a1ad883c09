// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "op25bc/backend/registry.h"

namespace op25bc::cli {

// Every backend this program has, in the order --help lists them.
backend::Registry make_backends();

}  // namespace op25bc::cli
