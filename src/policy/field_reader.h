// SPDX-License-Identifier: GPL-2.0-or-later
// FieldReader: typed reads of the policy's fields from its JSON document that
// report every structural problem as a diagnostic at the field's JSON pointer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/diag/diagnostics.h"

namespace op25bc::policy {

struct Field {
  std::string_view name;
  bool required;
};

class FieldReader {
 public:
  explicit FieldReader(Diagnostics& diags) : diags_(diags) {}

  // True when `j` is an object; reports unknown keys (with a did-you-mean hint)
  // and missing required keys at the key's own pointer.
  bool object(const nlohmann::json& j, const std::string& ptr, std::initializer_list<Field> fields);

  // Member reads: absent -> nullopt silently (object() reported required ones);
  // wrong type -> nullopt and an error at ptr/key.
  std::optional<std::string> string(const nlohmann::json& obj, const std::string& ptr,
                                    std::string_view key, bool allow_empty = false);
  std::optional<std::int64_t> integer(const nlohmann::json& obj, const std::string& ptr,
                                      std::string_view key);
  const nlohmann::json* array(const nlohmann::json& obj, const std::string& ptr,
                              std::string_view key);
  std::optional<std::vector<std::string>> strings(const nlohmann::json& obj, const std::string& ptr,
                                                  std::string_view key);
  std::optional<std::vector<std::uint16_t>> ports(const nlohmann::json& obj, const std::string& ptr,
                                                  std::string_view key);

  // A text a customer reads: a string (for every language), or an object of
  // texts by language tag ({"en": "...", "ja": "..."}). Absent -> nullopt;
  // otherwise the text to use where no language is asked for (its "en", else
  // its first language) and, for an object, each language's text in
  // `by_language` (both non-empty; a bad tag is an error at its pointer).
  std::optional<std::string> text(const nlohmann::json& obj, const std::string& ptr,
                                  std::string_view key,
                                  std::map<std::string, std::string>& by_language,
                                  bool allow_empty = false);

  // The element at `ptr` must be a string.
  const std::string* string_at(const nlohmann::json& j, const std::string& ptr);

  Diagnostics& diags() { return diags_; }

 private:
  Diagnostics& diags_;
};

// "a string", "a number", ... for messages.
std::string_view type_name(const nlohmann::json& j);

}  // namespace op25bc::policy
