// SPDX-License-Identifier: GPL-2.0-or-later
// The parse pass: JSON document -> policy model, with every structural problem
// (unknown or missing keys, wrong types, bad prefixes, dates, ports) reported.
#pragma once

#include <nlohmann/json.hpp>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/policy/load.h"
#include "op25bc/policy/model.h"
#include "op25bc/policy/prefix_file.h"
#include "read_json.h"

namespace op25bc::policy {

// A drop-in file of exemptions_dir, parsed but not yet admitted.
struct DropIn {
  std::string path;                    // as PrefixFiles::read takes it
  std::string display;                 // as diagnostics name the file
  bool admitted = false;               // set by admit_dropins
  std::optional<Exemption> exemption;  // when it parsed without error
  Diagnostics diags;                   // the file's own, pointing into it
};

// Consumes the document's captured prefix arrays (moved into the model).
// Pools' prefix files are read through `files`; without one, a pool that
// names a file is an error, as is exemptions_dir without `dropins`, which
// gets one entry (path and display name) per drop-in file in name order, the
// files asked to be read ahead (PrefixFiles::prefetch).
Policy parse(Document& document, Diagnostics& diags, PrefixFiles* files,
             std::vector<DropIn>* dropins = nullptr);

// Reads and parses each drop-in parse() listed, with the policy's `zone`:
// its exemption, or its diagnostics. Of the policy it touches only `storage`
// (its file_prefix_storage), so the pool index may be built meanwhile.
void parse_dropins(std::vector<DropIn>& dropins, PrefixFiles& files, const date::time_zone* zone,
                   std::vector<std::shared_ptr<const net::Prefixes>>& storage);

}  // namespace op25bc::policy
