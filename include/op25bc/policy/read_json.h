// Pass 0: policy text -> JSON document. A SAX handler builds the DOM, except
// that the large prefix arrays (pool, smarthost, destination and exemption
// prefixes) are parsed into prefixes as they stream by, never stored as a
// million JSON strings. Problems in them are kept, not reported, so the parse
// pass reports them in document order like every other diagnostic.
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

// nullopt after reporting a syntax error (with line and column).
std::optional<Document> read_json(std::string_view text, Diagnostics& diags);

}  // namespace op25bc::policy
