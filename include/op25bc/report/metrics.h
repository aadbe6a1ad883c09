// SPDX-License-Identifier: GPL-2.0-or-later
// Prometheus metrics in the text exposition format that node_exporter's
// textfile collector reads: what op25bc's table blocked, what it holds, when
// op25bc last applied, how late the last boundary was, what comes next, and
// which exemptions expire soon. Pure: the caller reads kernel and files.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "op25bc/backend/status.h"
#include "op25bc/history/history.h"
#include "op25bc/policy/model.h"
#include "op25bc/time/instant.h"

namespace op25bc::report {

struct ActivateRun {
  Instant at;
  bool ok = false;
  std::optional<std::chrono::seconds> late_by;
};

struct MetricsInput {
  Instant now;
  std::string table;
  bool kernel_read = true;                // false: the kernel could not be asked
  std::optional<backend::Status> status;  // nullopt: the kernel has no such table
  history::History history;
  // The policy the kernel holds (the pinned copy, else the newest entry's),
  // for the next boundary and the expiring exemptions; null when unknown.
  const policy::Policy* policy = nullptr;
  std::string fingerprint;
  std::chrono::hours warn_expiry{24 * 14};
  std::optional<ActivateRun> run;  // when activate writes the file
  // The session table of subscriber exemptions (session/table.h), when the
  // policy applied has any: live sessions by whether an exemption is in
  // force now, and the addresses the session sets hold.
  struct Sessions {
    std::size_t exempt = 0;
    std::size_t waiting = 0;  // its exemption is not in force now
    std::size_t addresses = 0;
  };
  std::optional<Sessions> sessions;
  // The RADIUS follower (op25bc session follow), when its position file is
  // beside the state: what it read and skipped, when, and how far behind.
  struct Follower {
    std::uint64_t records = 0;
    std::uint64_t skipped = 0;
    std::uint64_t last_record = 0;  // Unix seconds, 0 for none
    std::uint64_t last_batch = 0;
    std::uint64_t behind = 0;  // bytes of the detail file not yet read
  };
  std::optional<Follower> follower;
};

std::string prometheus_text(const MetricsInput& in);

// A label value escaped as the exposition format says: \\, \" and \n.
std::string label_value(std::string_view text);

}  // namespace op25bc::report
