// SPDX-License-Identifier: GPL-2.0-or-later
// The compiler driver: the middle of the pipeline as a list of named passes.
// The front end (policy text -> validated model) is policy::load_text; the
// back ends (IR -> nft script, netlink batch, iptables and ipset input) are
// the backends behind backend/backend.h.
#pragma once

#include "op25bc/ir/ruleset.h"
#include "op25bc/policy/model.h"
#include "op25bc/session/table.h"
#include "op25bc/time/instant.h"

namespace op25bc {

// The ruleset the policy calls for at `at`, whole: a set holds every prefix.
// Kernel-timed: plus the next boundary's change, guarded by "meta time" so
// the kernel switches itself.
// `sessions`: the live sessions of subscriber exemptions (apply and activate
// read them from the session table; compile shows the policy alone).
ir::Ruleset compile_whole(const policy::Policy& policy, Instant at, bool kernel_timed,
                          const session::Table* sessions = nullptr);

// The same, each set cut into slices of at most the policy's
// enforcement.max_set_intervals (an nftables interval set's dump and update
// cost grows with its size; an ipset holds a million prefixes uncut).
ir::Ruleset compile(const policy::Policy& policy, Instant at, bool kernel_timed = false,
                    const session::Table* sessions = nullptr);

}  // namespace op25bc
