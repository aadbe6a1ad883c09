// SPDX-License-Identifier: GPL-2.0-or-later
// Test helpers: load example and inline policies through the real front end.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/ir/ruleset.h"
#include "op25bc/policy/model.h"

namespace op25bc::test {

std::string source_path(const std::string& relative);

// Loads examples/<name>.json; fails the test when it is not valid.
policy::Policy load_example(const std::string& name);

// Loads a policy given as JSON; nullopt with diagnostics when invalid.
std::optional<policy::Policy> load_json(const nlohmann::json& document, Diagnostics& diags);

// Loads a policy given as JSON; fails the test, naming every diagnostic, when
// it is not valid.
policy::Policy load_valid(const nlohmann::json& document);

// A small valid policy to modify in tests.
nlohmann::json minimal_policy();

// "198.18.1.9", "2001:db8::/56" as a prefix; fails the test when it is none.
net::Prefix prefix(const char* text);

// A policy instant: date or RFC 3339 in the policy's zone.
Instant at(const policy::Policy& p, const std::string& text);

// Every diagnostic as "POINTER: severity: message", and its related
// places as "POINTER: note: note".
std::string describe(const Diagnostics& diags);

// A compiled ruleset's parts as tests read them: the rules of `chain` as nft
// text, and the set called `name` (nullptr when there is none).
std::vector<std::string> rule_texts(const ir::Ruleset& r, const std::string& chain);
const ir::Set* find_set(const ir::Ruleset& r, const std::string& name);

}  // namespace op25bc::test
