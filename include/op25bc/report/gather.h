// SPDX-License-Identifier: GPL-2.0-or-later
// The Prometheus textfile's input, gathered from the kernel (through the
// backend's status), the state record, the history and the session table
// beside the state file: a read of what the run layer left, nothing written
// but the textfile itself, atomically, so node_exporter never reads half a
// file.
#pragma once

#include <optional>
#include <string>

#include "op25bc/diag/result.h"
#include "op25bc/report/metrics.h"
#include "op25bc/run/source.h"
#include "op25bc/run/target.h"
#include "op25bc/time/instant.h"

namespace op25bc::report {

struct MetricsSource {
  const run::Target& target;  // whose objects are read, and the state file
  std::string table;
  const run::Loaded* applied = nullptr;  // the policy just applied; null: the history's
  double warn_days = 14;
  std::optional<ActivateRun> run;
};

std::string gather_metrics(const MetricsSource& source, const Clock& clock);

Result<Done> write_metrics_file(const std::string& path, const MetricsSource& source,
                                const Clock& clock);

}  // namespace op25bc::report
