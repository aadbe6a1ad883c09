// SPDX-License-Identifier: GPL-2.0-or-later
// metrics: the node_exporter textfile, on demand (activate writes the same
// after every run with --metrics).
#include "commands.h"
#include "op25bc/report/gather.h"
#include "support.h"

namespace op25bc::cli {

int run_metrics(const MetricsArgs& args, Io io) {
  const run::Target target = run::Target::make(args.target, io.backends, args.table);
  if (auto owned = run::check_owner(target, io.backends); !owned)
    return report(owned.failure(), io);
  const report::MetricsSource source{target, args.table, nullptr, args.warn_days, std::nullopt};
  return write_output(args.output, report::gather_metrics(source, io.clock), io) ? kExitOk
                                                                                 : kExitFailure;
}

}  // namespace op25bc::cli
