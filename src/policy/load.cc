#include "op25bc/policy/load.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "op25bc/policy/check.h"
#include "op25bc/policy/parse.h"
#include "op25bc/policy/resolve.h"

namespace op25bc::policy {

std::optional<Policy> load_text(std::string_view text, Diagnostics& diags) {
  std::optional<Document> document = read_json(text, diags);
  if (!document) return std::nullopt;
  Policy policy = parse(*document, diags);
  document.reset();  // the model holds everything now; free the DOM early
  resolve(policy, diags);
  policy.pool_index = index_pools(policy);
  check(policy, diags);
  if (diags.has_errors()) return std::nullopt;
  return policy;
}

std::optional<std::string> read_file(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error("", std::string{"cannot read policy: "} + std::strerror(errno));
    return std::nullopt;
  }
  std::string text;
  // A regular file is read in one go; a pipe cannot seek and is streamed.
  if (in.seekg(0, std::ios::end)) {
    text.resize(static_cast<std::size_t>(in.tellg()));
    in.seekg(0);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
  } else {
    in.clear();
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (in.bad()) {
    diags.error("", "cannot read policy: read error");
    return std::nullopt;
  }
  return text;
}

}  // namespace op25bc::policy
