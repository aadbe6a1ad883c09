// Pieces every command uses: the front end with diagnostics on stderr, the
// --at argument, and all-or-nothing output files.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "commands.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/policy/model.h"

namespace op25bc::cli {

struct Loaded {
  std::optional<policy::Policy> policy;
  std::size_t warnings = 0;
  std::string fingerprint;  // of the policy file's bytes
  std::string first_error;  // when invalid: the first error, for a one-line log
  io::FileBytes text;       // the policy as read (moved, not copied), for the history's copy
};

// Reads and validates the policy, printing every diagnostic to stderr.
Loaded load(const std::string& path, Io io);
// The same for a policy already in memory (a copy kept by the history),
// its diagnostics naming it `name`.
Loaded load_bytes(std::string_view bytes, const std::string& name, Io io);

// --at in the policy's time zone; absent or "now" means the clock's now.
std::optional<Instant> parse_at(const std::optional<std::string>& at, const policy::Policy& p,
                                Io io);

// JSON for stdout: text that is not UTF-8 (a foreign comment read from the
// kernel) is replaced, never a reason to abort.
std::string json_text(const nlohmann::json& j);

// Writes `content` to stdout ("" or "-") or atomically to a file.
bool write_output(const std::string& path, const std::string& content, Io io);

}  // namespace op25bc::cli
