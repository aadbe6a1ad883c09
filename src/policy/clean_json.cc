// SPDX-License-Identifier: GPL-2.0-or-later
// The fast path of pass 0 (see read_json.h): simdjson reads a clean policy
// into the Document the reference reader builds.
#include "read_json.h"

#include <simdjson.h>

#include "op25bc/text/escape.h"

namespace op25bc::policy {

namespace {

using nlohmann::json;
using simdjson::dom::element;
using simdjson::dom::element_type;

// Mirrors the reference reader's limit: at most this many open containers.
constexpr std::size_t kMaxDepth = 64;

// Text the reference reader would accept without a diagnostic.
bool clean_text(std::string_view s) {
  return simdjson::validate_utf8(s) && !text::find_forbidden(s);
}

class Reader {
 public:
  explicit Reader(Document& doc) : doc_(doc) { doc_.prefixes = std::make_shared<net::Prefixes>(); }

  // The top level: prefix arrays sit at /<list>/<index>/<key>.
  bool document(element root) {
    if (root.type() != element_type::OBJECT) return value(root, doc_.json, 0);
    reserve_prefixes(root);
    doc_.json = json::object();
    for (auto [list, items] : simdjson::dom::object(root)) {
      if (!clean_key(doc_.json, list)) return false;
      json& slot = doc_.json[std::string(list)];
      if (items.type() != element_type::ARRAY) {
        if (!value(items, slot, 1)) return false;
        continue;
      }
      slot = json::array();
      std::size_t index = 0;
      for (element item : simdjson::dom::array(items)) {
        slot.push_back(nullptr);
        if (!list_item(item, slot.back(), list, index++)) return false;
      }
    }
    return true;
  }

 private:
  bool list_item(element item, json& out, std::string_view list, std::size_t index) {
    if (item.type() != element_type::OBJECT) return value(item, out, 2);
    out = json::object();
    for (auto [key, v] : simdjson::dom::object(item)) {
      if (!clean_key(out, key)) return false;
      json& slot = out[std::string(key)];
      if (v.type() == element_type::ARRAY && is_prefix_array(list, key)) {
        slot = json::array();  // a placeholder, as in the reference reader
        const std::string pointer =
            pointer_append(pointer_append(pointer_append("", list), index), key);
        if (!capture(v, doc_.prefix_arrays[pointer])) return false;
      } else if (!value(v, slot, 3)) {
        return false;
      }
    }
    return true;
  }

  // Room for every prefix up front: the lists point into the storage.
  void reserve_prefixes(element root) {
    std::size_t total = 0;
    for (auto [list, items] : simdjson::dom::object(root)) {
      if (items.type() != element_type::ARRAY) continue;
      for (element item : simdjson::dom::array(items)) {
        if (item.type() != element_type::OBJECT) continue;
        for (auto [key, v] : simdjson::dom::object(item))
          if (v.type() == element_type::ARRAY && is_prefix_array(list, key))
            total += simdjson::dom::array(v).size();
      }
    }
    doc_.prefixes->reserve(total);
  }

  bool capture(element array, PrefixArray& into) {
    const std::size_t from = doc_.prefixes->size();
    for (element e : simdjson::dom::array(array)) {
      std::string_view text;
      if (e.get_string().get(text)) return false;  // not a string: the reference explains
      net::PrefixParse parsed = net::parse_prefix(text);
      if (!parsed.prefix || doc_.prefixes->size() == doc_.prefixes->capacity()) return false;
      doc_.prefixes->push_back(*parsed.prefix);
      ++into.size;
    }
    into.list.items =
        std::span<const net::Prefix>(doc_.prefixes->data() + from, doc_.prefixes->size() - from);
    return true;
  }

  static bool clean_key(const json& object, std::string_view key) {
    return clean_text(key) && !object.contains(key);  // a repeated key needs a diagnostic
  }

  // Any value below the top level; `depth` counts the containers around it.
  bool value(element e, json& out, std::size_t depth) {
    switch (e.type()) {
      case element_type::OBJECT: {
        if (depth >= kMaxDepth) return false;
        out = json::object();
        for (auto [key, v] : simdjson::dom::object(e)) {
          if (!clean_key(out, key)) return false;
          if (!value(v, out[std::string(key)], depth + 1)) return false;
        }
        return true;
      }
      case element_type::ARRAY: {
        if (depth >= kMaxDepth) return false;
        out = json::array();
        for (element v : simdjson::dom::array(e)) {
          out.push_back(nullptr);
          if (!value(v, out.back(), depth + 1)) return false;
        }
        return true;
      }
      case element_type::STRING: {
        const std::string_view s = e.get_string().value_unsafe();
        if (!clean_text(s)) return false;
        out = std::string(s);
        return true;
      }
      case element_type::INT64: {  // as nlohmann types them: unsigned unless negative
        const std::int64_t v = e.get_int64().value_unsafe();
        out = v < 0 ? json(v) : json(static_cast<std::uint64_t>(v));
        return true;
      }
      case element_type::UINT64:
        out = e.get_uint64().value_unsafe();
        return true;
      case element_type::BOOL:
        out = e.get_bool().value_unsafe();
        return true;
      case element_type::NULL_VALUE:
        out = nullptr;
        return true;
      case element_type::DOUBLE:  // no policy value is a fraction: let the reference read it
        return false;
    }
    return false;
  }

  Document& doc_;
};

}  // namespace

std::optional<Document> read_clean_json(std::string_view text) {
  simdjson::dom::parser parser;
  element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  Document doc;
  if (!Reader(doc).document(root)) return std::nullopt;
  return doc;
}

}  // namespace op25bc::policy
