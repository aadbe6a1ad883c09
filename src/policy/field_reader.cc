// SPDX-License-Identifier: GPL-2.0-or-later
#include "field_reader.h"

#include <cctype>

#include <algorithm>

#include "op25bc/io/json_integer.h"
#include "op25bc/text/escape.h"

namespace op25bc::policy {

using nlohmann::json;

std::string_view type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

namespace {

std::string expected(std::string_view what, const json& found) {
  return "expected " + std::string{what} + ", found " + std::string{type_name(found)};
}

const json* member(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

}  // namespace

bool FieldReader::object(const json& j, const std::string& ptr,
                         std::initializer_list<Field> fields) {
  if (!j.is_object()) {
    diags_.error(ptr, expected("an object", j));
    return false;
  }
  std::vector<std::string> known;
  for (const auto& f : fields) known.emplace_back(f.name);
  for (const auto& [key, value] : j.items()) {
    bool is_known = false;
    for (const auto& f : fields) is_known = is_known || f.name == key;
    if (is_known) continue;
    const std::string guess = did_you_mean(key, known);
    diags_.error(pointer_append(ptr, key), "unknown key \"" + key + "\"",
                 guess.empty() ? std::string{} : "did you mean \"" + guess + "\"?");
  }
  for (const auto& f : fields) {
    if (f.required && !j.contains(f.name))
      diags_.error(pointer_append(ptr, f.name),
                   "missing required key \"" + std::string{f.name} + "\"");
  }
  return true;
}

const std::string* FieldReader::string_at(const json& j, const std::string& ptr) {
  if (!j.is_string()) {
    diags_.error(ptr, expected("a string", j));
    return nullptr;
  }
  return &j.get_ref<const std::string&>();
}

std::optional<std::string> FieldReader::string(const json& obj, const std::string& ptr,
                                               std::string_view key, bool allow_empty) {
  const json* v = member(obj, key);
  if (v == nullptr) return std::nullopt;
  const std::string here = pointer_append(ptr, key);
  const std::string* s = string_at(*v, here);
  if (s == nullptr) return std::nullopt;
  if (s->empty() && !allow_empty) {
    diags_.error(here, "must not be empty");
    return std::nullopt;
  }
  return *s;
}

namespace {

// "en", "ja", "pt-BR", "zh-Hant": a BCP 47 language tag's usual forms.
bool language_tag(std::string_view tag) {
  std::size_t at = 0, part = 0;
  while (at <= tag.size()) {
    const std::size_t end = std::min(tag.find('-', at), tag.size());
    const std::string_view piece = tag.substr(at, end - at);
    const bool ok = part == 0 ? piece.size() >= 2 && piece.size() <= 3 &&
                                    std::all_of(piece.begin(), piece.end(),
                                                [](char c) { return c >= 'a' && c <= 'z'; })
                              : !piece.empty() && piece.size() <= 8 &&
                                    std::all_of(piece.begin(), piece.end(), [](char c) {
                                      return std::isalnum(static_cast<unsigned char>(c)) != 0;
                                    });
    if (!ok) return false;
    at = end + 1;
    ++part;
  }
  return true;
}

}  // namespace

std::optional<std::string> FieldReader::text(const json& obj, const std::string& ptr,
                                             std::string_view key,
                                             std::map<std::string, std::string>& by_language,
                                             bool allow_empty) {
  const json* v = member(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) return string(obj, ptr, key, allow_empty);
  const std::string here = pointer_append(ptr, key);
  if (v->empty()) {
    diags_.error(here, "has no text", "write a string, or texts by language: {\"en\": \"...\"}");
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& [tag, value] : v->items()) {
    const std::string at = pointer_append(here, tag);
    if (!language_tag(tag)) {
      diags_.error(at, "not a language tag: " + quote(tag),
                   "a language tag is lower-case letters such as \"en\" or \"ja\", "
                   "optionally with a region such as \"pt-BR\"");
      ok = false;
      continue;
    }
    const std::string* s = string_at(value, at);
    if (s == nullptr || s->empty()) {
      if (s != nullptr) diags_.error(at, "must not be empty");
      ok = false;
      continue;
    }
    by_language[tag] = *s;
  }
  if (!ok) return std::nullopt;
  const auto en = by_language.find("en");
  return en != by_language.end() ? en->second : by_language.begin()->second;
}

std::optional<std::int64_t> FieldReader::integer(const json& obj, const std::string& ptr,
                                                 std::string_view key) {
  const json* v = member(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) {
    diags_.error(pointer_append(ptr, key), expected("an integer", *v));
    return std::nullopt;
  }
  const auto value = io::json_integer<std::int64_t>(*v);
  if (!value)
    diags_.error(pointer_append(ptr, key), "the number is too large",
                 "write an integer from -9223372036854775808 to 9223372036854775807");
  return value;
}

const json* FieldReader::array(const json& obj, const std::string& ptr, std::string_view key) {
  const json* v = member(obj, key);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    diags_.error(pointer_append(ptr, key), expected("an array", *v));
    return nullptr;
  }
  return v;
}

std::optional<std::vector<std::string>> FieldReader::strings(const json& obj,
                                                             const std::string& ptr,
                                                             std::string_view key) {
  const json* list = array(obj, ptr, key);
  if (list == nullptr) return std::nullopt;
  const std::string here = pointer_append(ptr, key);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string at = pointer_append(here, i);
    const std::string* s = string_at((*list)[i], at);
    if (s == nullptr) continue;
    if (s->empty()) {
      diags_.error(at, "must not be empty");
      continue;
    }
    out.push_back(*s);
  }
  return out;
}

std::optional<std::vector<std::uint16_t>> FieldReader::ports(const json& obj,
                                                             const std::string& ptr,
                                                             std::string_view key) {
  const json* list = array(obj, ptr, key);
  if (list == nullptr) return std::nullopt;
  const std::string here = pointer_append(ptr, key);
  if (list->empty()) {
    diags_.error(here, "must list at least one port");
    return std::nullopt;
  }
  std::vector<std::uint16_t> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& p = (*list)[i];
    const std::string at = pointer_append(here, i);
    if (!p.is_number_integer()) {
      diags_.error(at, expected("a port number", p));
      continue;
    }
    const auto value = io::json_integer<std::uint16_t>(p);
    if (!value || *value < 1) {
      diags_.error(at, "port " + p.dump() + " is out of range", "a TCP port is 1 to 65535");
      continue;
    }
    const std::uint16_t port = *value;
    if (std::find(out.begin(), out.end(), port) != out.end()) {
      diags_.error(at, "port " + std::to_string(port) + " is listed twice");
      continue;
    }
    out.push_back(port);
  }
  return out;
}

}  // namespace op25bc::policy
