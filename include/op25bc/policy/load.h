// SPDX-License-Identifier: GPL-2.0-or-later
// The front end: policy text -> validated model, running read_json, parse,
// resolve, the pool index and check, collecting every diagnostic. No model is
// returned when any error was found, so invalid input can never reach a later
// stage.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/policy/model.h"
#include "op25bc/policy/prefix_file.h"

namespace op25bc::policy {

// How an invalid drop-in exemption file (exemptions_dir) counts: `strict`
// reports its errors, so the policy is invalid (validate, apply --strict);
// `lenient` leaves the file out with one warning, naming it in
// Policy::skipped_dropins, and admits every other file (apply, activate and
// the commands that show what they would do).
enum class DropIns { strict, lenient };

// Pools' prefix files and drop-in files are read through `files` (none:
// naming one is an error).
std::optional<Policy> load_text(std::string_view text, Diagnostics& diags,
                                PrefixFiles* files = nullptr, DropIns dropins = DropIns::strict);

// Ids name things in diagnostics, explanations, nftables objects and (for
// drop-in exemptions) files: a letter, then up to 31 letters, digits, '-', '_'.
bool is_valid_id(std::string_view id);

// A subscriber (Exemption::subscriber, op25bc session --subscriber): what the
// access server calls a customer, 1 to kMaxSubscriberBytes of printable
// UTF-8. "" when `subscriber` is one, else what is wrong with it.
inline constexpr std::size_t kMaxSubscriberBytes = 253;
std::string subscriber_problem(std::string_view subscriber);

// The whole file; an unreadable file is reported as a document error.
std::optional<io::FileBytes> read_file(const std::string& path, Diagnostics& diags);

}  // namespace op25bc::policy
