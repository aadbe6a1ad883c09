// SPDX-License-Identifier: GPL-2.0-or-later
// Pass 0 has two readers: simdjson for clean documents, nlohmann's SAX parser
// (the reference) for everything else. They must build the same Document, and
// the fast one must decline every document that needs a diagnostic.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "policy/read_json.h"

using namespace op25bc;

namespace {

std::string file(const std::string& path) {
  std::ifstream in(std::string(OP25BC_SOURCE_DIR) + "/" + path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void check_same(const policy::Document& fast, const policy::Document& reference) {
  CHECK(fast.json == reference.json);
  // The same types, not just equal values: the parse pass tells them apart.
  CHECK(fast.json.dump() == reference.json.dump());
  REQUIRE(fast.prefix_arrays.size() == reference.prefix_arrays.size());
  for (const auto& [pointer, want] : reference.prefix_arrays) {
    CAPTURE(pointer);
    REQUIRE(fast.prefix_arrays.count(pointer) == 1);
    const auto& got = fast.prefix_arrays.at(pointer);
    CHECK(got.size == want.size);
    CHECK(got.bad.empty());
    CHECK(got.list.positions == want.list.positions);
    CHECK(std::equal(got.list.items.begin(), got.list.items.end(), want.list.items.begin(),
                     want.list.items.end()));
  }
}

}  // namespace

TEST_CASE("both readers build the same document from every clean policy") {
  for (const char* path :
       {"examples/spinnet.json", "examples/netlaputa.json", "tests/corpus/base.json"}) {
    CAPTURE(path);
    const std::string text = file(path);
    Diagnostics diags;
    const auto reference = policy::read_json_reference(text, diags);
    REQUIRE(reference);
    CHECK(diags.entries().empty());
    const auto fast = policy::read_clean_json(text);
    REQUIRE(fast);
    check_same(*fast, *reference);
  }
}

TEST_CASE("the fast reader keeps integers typed as the reference does, and odd shapes") {
  const std::string text = R"({"version": 1, "n": -3, "big": 18446744073709551615,
    "pools": [{"id": "a", "prefixes": ["198.18.0.0/24", "2001:db8::/48"]}, 7, [[]], {"x": {}}],
    "smarthosts": [{"addresses": []}], "exemptions": {"prefixes": ["not captured here"]},
    "destinations": [{"prefixes": "a string, not an array"}], "t": true, "f": false, "z": null,
    "s": "日本語 \u00e9 \"quoted\""})";
  Diagnostics diags;
  const auto reference = policy::read_json_reference(text, diags);
  REQUIRE(reference);
  const auto fast = policy::read_clean_json(text);
  REQUIRE(fast);
  check_same(*fast, *reference);
  CHECK(fast->json["version"].is_number_unsigned());
  CHECK(fast->json["n"].is_number_integer());
  CHECK(fast->prefix_arrays.count("/pools/0/prefixes") == 1);
  CHECK(fast->prefix_arrays.count("/smarthosts/0/addresses") == 1);
}

TEST_CASE("the fast reader declines whatever needs a diagnostic; read_json then reports it") {
  std::string deep = R"({"pools": )";
  for (int i = 0; i < 70; ++i) deep += "[";
  for (int i = 0; i < 70; ++i) deep += "]";
  deep += "}";
  for (const std::string& text : {
           std::string{R"({"version": 1,})"},                                 // malformed
           std::string{R"({"version": 1, "version": 2})"},                    // duplicate key
           std::string{R"({"pools": [{"id": "a", "id": "b"}]})"},             // duplicate, inside
           std::string{R"({"operator": "a\nb"})"},                            // control character
           std::string{R"({"operator": "a\u202eb"})"},                        // bidi override
           std::string{R"({"a\u0000": 1})"},                                  // in a key
           std::string{R"({"pools": [{"prefixes": ["198.18.0.0/33"]}]})"},    // bad prefix
           std::string{R"({"pools": [{"prefixes": [["198.18.0.0/24"]]}]})"},  // not a string
           std::string{R"({"pools": [{"prefixes": [24]}]})"},                 // not a string
           std::string{R"({"version": 1.0})"},                                // a fraction
           std::string{R"({"operator": "\udc00"})"},                          // lone surrogate
           deep,
       }) {
    CAPTURE(text);
    CHECK_FALSE(policy::read_clean_json(text));
    Diagnostics via_read_json, via_reference;
    const auto a = policy::read_json(text, via_read_json);
    const auto b = policy::read_json_reference(text, via_reference);
    CHECK(a.has_value() == b.has_value());
    REQUIRE(via_read_json.entries().size() == via_reference.entries().size());
    for (std::size_t i = 0; i < via_reference.entries().size(); ++i) {
      CHECK(via_read_json.entries()[i].pointer == via_reference.entries()[i].pointer);
      CHECK(via_read_json.entries()[i].message == via_reference.entries()[i].message);
    }
  }
}
