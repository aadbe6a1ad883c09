// SPDX-License-Identifier: GPL-2.0-or-later
// DHCP leases as a session source (session/dhcp.h for what the servers
// say): Kea's run_script hook, one process per call, and op25bc session sync
// from Kea's or dnsmasq's lease files. Each call or sync is one session
// batch (run/event.h): one lock, one kernel transaction.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/backend/registry.h"
#include "op25bc/diag/result.h"
#include "op25bc/run/event.h"
#include "op25bc/run/target.h"
#include "op25bc/session/dhcp.h"
#include "op25bc/time/instant.h"

namespace op25bc::run {

struct LeaseOptions {
  // Kea's memfile: where a DHCPv6 lease's relay ids are (Kea 2.2 passes the
  // script none). Kea must keep them: "store-extended-info": true.
  std::string lease_file;
  bool trust_client_id = false;  // session::dhcp::Trust
  uid_t writer = 0;              // who writes the lease files besides root (_kea, dnsmasq)
};

// What a hook call or a sync read and did.
struct LeaseReport {
  std::size_t leases = 0;             // leases read (live ones, for a sync)
  std::vector<Event> events;          // the session events they made
  std::vector<std::string> problems;  // leases not recorded and events refused, with why
  std::optional<BatchReport> report;  // the run layer's, when there were events
};

// One call of Kea's run_script hook: `point` is its argument, `env` its
// environment. Committed leases are up for the subscriber the relay agent
// names; released, expired, declined and deleted ones are down for whoever
// holds them. A lease no trusted id names is said in `problems` and not
// recorded.
Result<LeaseReport> kea_hook(const Target& target, const backend::Registry& backends,
                             std::string_view point, const session::dhcp::Environment& env,
                             const LeaseOptions& options, const Clock& clock);

// op25bc session sync --kea-leases / --dnsmasq-leases: the session table
// rebuilt, from empty, from the leases live now, and the kernel made to
// match it in one transaction.
//   - Kea: each memfile in the order given (FILE.1 and FILE.2 of a lease
//     file cleanup first, then FILE; a DHCPv4 and a DHCPv6 file may both be
//     given); the subscriber is in each lease's relay information.
//   - dnsmasq: its lease file keeps no relay ids, so each subscriber of the
//     kept session table keeps the addresses still leased; a lease no one
//     holds is recorded for its client id only when client ids are trusted.
enum class LeaseSource { kea, dnsmasq };
Result<LeaseReport> lease_sync(const Target& target, const backend::Registry& backends,
                               LeaseSource source, const std::vector<std::string>& files,
                               const LeaseOptions& options, const Clock& clock);

}  // namespace op25bc::run
