// SPDX-License-Identifier: GPL-2.0-or-later
// The live sessions a run enforces, and what it leaves for session events:
// the index of subscriber exemptions, the pools' bounds and the session
// table, all beside the state file. Private to the run layer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "op25bc/backend/backend.h"
#include "op25bc/diag/result.h"
#include "op25bc/policy/model.h"
#include "op25bc/session/table.h"

namespace op25bc::run {

// The live sessions of `p`'s subscriber exemptions, read under the lock from
// the session table `given` (--sessions), else the one named after `state`;
// nullopt when `p` has none. The table is trusted only while the index
// beside `state` names it (else it starts empty), and an address no session
// may hold under `p`'s pools is left out, with a warning (`rewrite`: the
// table is written back so). A table that cannot be read is a failure:
// whose sessions are live is unknown.
struct LiveSessions {
  std::string path;
  session::Table table;
  bool rewrite = false;  // the file differs from `table`: keep_session_index writes it
};
Result<std::optional<LiveSessions>> live_sessions(const policy::Policy& p, const std::string& state,
                                                  const std::string& given,
                                                  std::vector<std::string>& warnings);

// After a run that made the kernel hold `p` (still under the lock): the index
// of its subscriber exemptions and the pools' bounds beside `state`, for
// session events (removed when it has none), and the session table without
// the subscribers whose exemption is gone. A failure is a warning: the
// kernel holds the ruleset.
void keep_session_index(const policy::Policy& p, const std::string& backend,
                        const std::string& state, const std::optional<LiveSessions>& live,
                        std::vector<std::string>& warnings);

// Writes a session table (its folder made, as op25bc.service's
// RuntimeDirectory would be).
Result<Done> write_session_table(const std::string& path, const session::Table& table);

}  // namespace op25bc::run
