// SPDX-License-Identifier: GPL-2.0-or-later
// The first pass of the policy front end: text -> JSON document. The DOM
// holds everything except the large prefix arrays (pool, smarthost,
// destination and exemption prefixes), which are parsed into prefixes as they
// are read, never stored as a million JSON strings. Problems in them are
// kept, not reported, so the parse pass reports them in document order like
// every other diagnostic.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/policy/model.h"

namespace op25bc::policy {

struct PrefixArray {
  std::size_t size = 0;  // entries in the document, good and bad
  PrefixList list;       // the good ones
  struct Bad {
    std::uint32_t position;
    std::string message;
    std::string hint;
  };
  std::vector<Bad> bad;
};

struct Document {
  nlohmann::json json;  // a captured prefix array is an empty array here
  // The good prefixes of every captured array, in document order; each
  // PrefixArray's list points into it.
  std::shared_ptr<net::Prefixes> prefixes;
  std::unordered_map<std::string, PrefixArray> prefix_arrays;  // by JSON pointer
};

// Whether /<list>/<index>/<key> is an array of prefixes (pools', destinations'
// and exemptions' prefixes, smarthosts' addresses): captured, not in the DOM.
bool is_prefix_array(std::string_view list, std::string_view key);

// nullopt after reporting a syntax error (with line and column).
std::optional<Document> read_json(std::string_view text, Diagnostics& diags);

// The two readers behind read_json, held to the same result by tests.
// The fast path: simdjson reads a clean policy about ten times faster. It
// handles only documents that need no diagnostic; for anything else
// (malformed JSON, a duplicate key, forbidden text, a bad or non-string
// prefix, a fraction, nesting deeper than the reference allows) it returns
// nullopt.
std::optional<Document> read_clean_json(std::string_view text);
// The reference: nlohmann's SAX parser, which reads any document and reports.
std::optional<Document> read_json_reference(std::string_view text, Diagnostics& diags);

}  // namespace op25bc::policy
