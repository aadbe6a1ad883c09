// SPDX-License-Identifier: GPL-2.0-or-later
// The parse pass: JSON document -> policy model, with every structural problem
// (unknown or missing keys, wrong types, bad prefixes, dates, ports) reported.
#pragma once

#include <nlohmann/json.hpp>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/policy/model.h"
#include "op25bc/policy/prefix_file.h"
#include "read_json.h"

namespace op25bc::policy {

// Consumes the document's captured prefix arrays (moved into the model).
// Pools' prefix files are read through `files`; without one, a pool that
// names a file is an error.
Policy parse(Document& document, Diagnostics& diags, PrefixFiles* files);

// Ids name things in diagnostics, explanations and (for phases) nftables objects.
bool is_valid_id(std::string_view id);

}  // namespace op25bc::policy
