// SPDX-License-Identifier: GPL-2.0-or-later
// status: what op25bc's objects hold and counted, in the one status model
// (backend/status.h), whichever backend holds them.
#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/backend/status.h"
#include "support.h"

namespace op25bc::cli {

int run_status(const StatusArgs& args, Io io) {
  const backend::Backend& b = backend_named(args.backend, io);
  const std::string state = state_file(b, args.state, args.table);
  if (!state_belongs_to(b, state, io)) return kExitFailure;
  const auto status = b.status(args.table, state, args.verify);
  if (!status) {
    report(status.failure(), {}, io);
    return kExitFailure;
  }
  if (!*status) {
    io.err << "op25bc: there is no " << b.describe(args.table) << "\n";
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
