// SPDX-License-Identifier: GPL-2.0-or-later
// Session events (op25bc session up|down) and what the session table holds:
// the run layer's other way to the kernel. No policy is read: the index the
// last apply or activate left beside the state file says who is exempt and
// when, and where the session table is.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "op25bc/backend/backend.h"
#include "op25bc/backend/registry.h"
#include "op25bc/diag/result.h"
#include "op25bc/net/prefix.h"
#include "op25bc/run/target.h"
#include "op25bc/session/table.h"
#include "op25bc/time/instant.h"

namespace op25bc::run {

// The target of a session command. Without --backend and --state: the
// default state file of the backend whose run left an index beside it (a
// router runs one backend), else the default backend's.
Target session_target(const TargetOptions& options, const backend::Registry& backends,
                      const std::string& table);

struct Event {
  bool up = true;
  // Checked by policy::subscriber_problem. Empty in a down: the addresses'
  // leases ended (a DHCP release, expiry), and whoever holds exactly one of
  // them holds it no more.
  std::string subscriber;
  std::vector<net::Prefix> addresses;  // at most session::kMaxAddresses
  bool backend_given = false;          // --backend: the index must name it
};

struct EventReport {
  const backend::Backend* backend = nullptr;  // the one the index names
  std::string table;                          // op25bc's table
  bool changed_nothing = false;               // not exempt and holding nothing: no lock, no kernel
  bool known = false;                         // the subscriber has an exemption in the index
  std::optional<std::string> exemption;       // the exemption in force now
  std::vector<std::string> handed_over;       // addresses taken back from another subscriber
  backend::Outcome outcome;
};

// Records the event in the session table and makes the session sets follow,
// in one hold of op25bc's lock. A failure changes nothing, or (said in its
// hint) leaves the event recorded for the next apply to enforce.
Result<EventReport> session_event(const Target& target, const backend::Registry& backends,
                                  const Event& event, const Clock& clock);

// Many events in order (a follower's batch): each is checked and recorded as
// session_event would, in one hold of the lock, and the session sets follow
// them all in one kernel transaction. An event that is refused (its address
// outside the pools, a bound) is said in its own report and changes nothing;
// the others still apply. A failure of the batch as a whole (the index, the
// table, the lock, the kernel) is the returned failure, as for one event.
struct BatchReport {
  const backend::Backend* backend = nullptr;
  std::string table;
  std::vector<EventReport> events;   // one per event, in order
  std::vector<std::string> refused;  // per event: "" or why it changed nothing
  bool changed_nothing = false;      // no event changed anything: no lock, no kernel
  backend::Outcome outcome;
};
// With `from_empty`, the events start from an empty session table rather
// than the one kept (which is not read: it may be what is being repaired),
// and the session sets are made to hold what they leave: a resync.
Result<BatchReport> session_batch(const Target& target, const backend::Registry& backends,
                                  const std::vector<Event>& events, const Clock& clock,
                                  bool from_empty = false);

// What the session table holds, with the index that says who is exempt:
// empty when no subscriber exemption is applied.
struct Listing {
  session::Index index;
  session::Table table;
};
Result<Listing> session_listing(const Target& target, const backend::Registry& backends);

// The session table the last run with `target` kept (--sessions, the one the
// index names, or the default); a failure when it cannot be read.
Result<session::Table> kept_sessions(const Target& target);

}  // namespace op25bc::run
