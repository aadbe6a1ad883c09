// SPDX-License-Identifier: GPL-2.0-or-later
// Which policy a run applied, by fingerprint: what the history, the records of
// every backend and the scheduler compare.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace op25bc::history {

// A stable 64-bit fingerprint (XXH3) as 16 hex digits.
std::string fingerprint(std::string_view bytes);

// A policy's fingerprint: its bytes and those of the prefix files it read
// (path as the policy writes it, bytes), in the order read. Without files it
// is fingerprint(policy), so a policy's fingerprint does not change with
// this op25bc.
using NamedBytes = std::pair<std::string, std::string_view>;
std::string fingerprint(std::string_view policy, const std::vector<NamedBytes>& files);

}  // namespace op25bc::history
