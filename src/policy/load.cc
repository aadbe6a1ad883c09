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

namespace {

// nlohmann reports a byte offset; users want line and column.
void report_syntax_error(std::string_view text, const nlohmann::json::parse_error& e,
                         Diagnostics& diags) {
  const std::size_t offset = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  std::string message = e.what();
  // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
  if (auto colon = message.find(": "); colon != std::string::npos)
    message = message.substr(colon + 2);
  diags.syntax_error(line, column, "malformed JSON: " + message);
}

}  // namespace

std::optional<Policy> load_text(std::string_view text, Diagnostics& diags) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    report_syntax_error(text, e, diags);
    return std::nullopt;
  }
  Policy policy = parse(document, diags);
  document = nullptr;  // the model holds everything now; free the DOM early
  resolve(policy, diags);
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
