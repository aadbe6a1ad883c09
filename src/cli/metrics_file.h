// SPDX-License-Identifier: GPL-2.0-or-later
// The Prometheus textfile: gathered from the kernel, the state record and the
// history, written atomically so node_exporter never reads half a file.
#pragma once

#include <optional>
#include <string>

#include "commands.h"
#include "op25bc/backend/backend.h"
#include "op25bc/report/metrics.h"
#include "support.h"

namespace op25bc::cli {

struct MetricsSource {
  const backend::Backend& backend;  // whose objects are read
  std::string table;
  std::string state;                // the state file; its history sits beside it
  const Loaded* applied = nullptr;  // the policy just applied; null: the history's
  double warn_days = 14;
  std::optional<report::ActivateRun> run;
};

std::string gather_metrics(const MetricsSource& source, Io io);

// "" on success, else what went wrong.
std::string write_metrics_file(const std::string& path, const MetricsSource& source, Io io);

}  // namespace op25bc::cli
