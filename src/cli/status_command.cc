// SPDX-License-Identifier: GPL-2.0-or-later
// status: what op25bc's objects hold and counted, in the one status model
// (backend/status.h), whichever backend holds them.
#include <ostream>

#include "commands.h"
#include "op25bc/backend/status.h"
#include "support.h"

namespace op25bc::cli {

int run_status(const StatusArgs& args, Io io) {
  const run::Target target = run::Target::make(args.target, io.backends, args.table);
  if (auto owned = run::check_owner(target, io.backends); !owned)
    return report(owned.failure(), io);
  const backend::Backend& b = *target.backend;
  const auto status = b.status(args.table, target.state, args.verify);
  if (!status) return report(status.failure(), io);
  if (!*status) {
    report("there is no " + b.describe(args.table), io);
    if (args.format == "json")
      io.out << json_text({{"schema_version", kSchemaVersion},
                           {"backend", b.name()},
                           {"table", args.table},
                           {"present", false}});
    return kExitFailure;
  }
  if (args.format == "json") {
    nlohmann::json j = backend::to_json(**status);
    j["schema_version"] = kSchemaVersion;
    j["present"] = true;
    io.out << json_text(j);
  } else {
    io.out << backend::to_text(**status);
  }
  return kExitOk;
}

}  // namespace op25bc::cli
