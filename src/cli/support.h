// SPDX-License-Identifier: GPL-2.0-or-later
// Pieces every command uses: the front end with diagnostics on stderr, the
// --at argument, and all-or-nothing output files.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "commands.h"
#include "op25bc/diag/diagnostics.h"
#include "op25bc/history/history.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/policy/load.h"
#include "op25bc/policy/model.h"
#include "op25bc/policy/prefix_file.h"

namespace op25bc::cli {

struct Loaded {
  std::optional<policy::Policy> policy;
  std::size_t warnings = 0;
  std::string fingerprint;  // of the policy file's bytes and its prefix files'
  std::string first_error;  // when invalid: the first error, for a one-line log
  io::FileBytes text;       // the policy as read (moved, not copied), for the history's copy
  std::unique_ptr<policy::PrefixFiles> prefix_files;  // what the policy's prefix files hold
  std::vector<Diagnostic> diagnostics;                // every one, for --format json

  // The prefix files as the fingerprint and the history take them.
  std::vector<history::NamedBytes> named_prefix_files() const;
};

// Reads and validates the policy, printing every diagnostic to stderr, then
// narrows it to `router` when one is named (an unknown one is an error).
// `base`: the folder prefix files are read from (default: the policy's).
// An invalid drop-in exemption file is left out with a warning unless
// `dropins` is strict (validate, apply --strict).
Loaded load(const std::string& path, Io io, const std::string& router = {},
            const std::string& base = {}, policy::DropIns dropins = policy::DropIns::lenient);
// The same for the policy as it will be once the drop-in exemption file
// `name` (`bytes`) is in its exemptions_dir: op25bc exempt add checks and
// applies it before and after writing the file, with one read of the policy.
Loaded load_pending(const std::string& path, Io io, const std::string& router, std::string name,
                    std::string bytes, policy::DropIns dropins = policy::DropIns::lenient);
// The same for a policy the history kept under `fingerprint`, its diagnostics
// naming it `name`. A copy whose bytes no longer have that fingerprint (edited
// since op25bc kept it) is refused: no policy, one error, nothing else said.
// With `live_folder` (the folder of the policy file in use), a policy that
// names an exemptions_dir takes its drop-ins from there, not from the copy:
// a rollback never withdraws an exemption granted since. The fingerprint is
// checked on the copy as kept; `fingerprint` of the result covers what was
// loaded.
Loaded load_copy(history::PolicyCopy copy, const std::string& fingerprint, const std::string& name,
                 Io io, const std::string& router = {}, const std::string& live_folder = {},
                 policy::DropIns dropins = policy::DropIns::lenient);

// Reports what a backend found it cannot express (policy pointers into
// `policy_path`); true when there is no error.
bool report_backend(const Diagnostics& diags, const std::string& policy_path, Io io);

// Diagnostics as JSON: [{severity, pointer, file, line, message, hint, related}].
nlohmann::json diagnostics_json(const std::vector<Diagnostic>& diagnostics,
                                const std::string& policy_path);

// --at in the policy's time zone; absent or "now" means the clock's now.
std::optional<Instant> parse_at(const std::optional<std::string>& at, const policy::Policy& p,
                                Io io);

// JSON for stdout: text that is not UTF-8 (a foreign comment read from the
// kernel) is replaced, never a reason to abort.
std::string json_text(const nlohmann::json& j);

// Writes `content` to stdout ("" or "-") or atomically to a file.
bool write_output(const std::string& path, const std::string& content, Io io);

}  // namespace op25bc::cli
