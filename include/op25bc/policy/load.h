// The front end: policy text -> validated model, running read_json, parse,
// resolve, the pool index and check, collecting every diagnostic. No model is
// returned when any error was found, so invalid input can never reach a later
// stage.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/policy/model.h"

namespace op25bc::policy {

std::optional<Policy> load_text(std::string_view text, Diagnostics& diags);

// The whole file; an unreadable file is reported as a document error.
std::optional<io::FileBytes> read_file(const std::string& path, Diagnostics& diags);

}  // namespace op25bc::policy
