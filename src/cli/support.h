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
#include "op25bc/diag/result.h"
#include "op25bc/policy/load.h"
#include "op25bc/policy/model.h"
#include "op25bc/run/source.h"

namespace op25bc::cli {

using run::Loaded;

// Reads and validates the policy (run/source.h), printing every diagnostic
// to stderr. `base`: the folder prefix files are read from (default: the
// policy's). An invalid drop-in exemption file is left out with a warning
// unless `dropins` is strict (validate, apply --strict).
Loaded load(const std::string& path, Io io, const std::string& router = {},
            const std::string& base = {}, policy::DropIns dropins = policy::DropIns::lenient);
// Prints what loading found: every diagnostic, the count of errors, and a
// failure that is no diagnostic (an unknown --router, a changed copy).
void say_loaded(const Loaded& loaded, Io io);

// The one way a command reports a failure: "op25bc: MESSAGE" and its hint,
// or, for a failure that carries policy diagnostics (what a backend cannot
// express), those with their pointers into `policy_path`. Returns `status`,
// so a command can end with it.
int report(const Failure& failure, Io io, int status = kExitFailure,
           const std::string& policy_path = {});
// The same for a failure that has only a message.
int report(const std::string& message, Io io, int status = kExitFailure);
// A line on stderr that is no failure: "op25bc: LINE".
void note(const std::string& line, Io io);

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
