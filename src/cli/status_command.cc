// SPDX-License-Identifier: GPL-2.0-or-later
// status: what op25bc's table holds and counted (apply/status.h).
#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/apply/status.h"
#include "op25bc/kernel/netlink_kernel.h"
#include "support.h"

namespace op25bc::cli {

int run_status(const StatusArgs& args, Io io) {
  const std::string state = backend_state_path(args.backend, args.state, args.table);
  if (!state_belongs_to(args.backend, state, io)) return kExitFailure;
  if (args.backend == "iptables") return run_status_iptables(args, io);
  try {
    kernel::NetlinkKernel kernel;
    apply::FileStateStore store(state);
    const auto status = apply::read_status(kernel, args.table, store, args.verify);
    if (!status) {
      io.err << "op25bc: there is no table inet " << args.table << "\n";
      if (args.format == "json") io.out << json_text({{"table", args.table}, {"present", false}});
      return kExitFailure;
    }
    if (args.format == "json") {
      nlohmann::json j = apply::to_json(*status);
      j["present"] = true;
      io.out << json_text(j);
    } else {
      io.out << apply::to_text(*status);
    }
    return kExitOk;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace op25bc::cli
