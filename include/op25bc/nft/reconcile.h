// SPDX-License-Identifier: GPL-2.0-or-later
// Bringing the kernel to the desired ruleset: read what op25bc's table holds,
// diff, commit as one batch guarded by the generation id, retry when someone
// else committed in between, and record what was committed.
#pragma once

#include <string>

#include "op25bc/backend/run.h"
#include "op25bc/nft/kernel.h"
#include "op25bc/nft/state.h"
#include "op25bc/nft/transaction.h"

namespace op25bc::nft {

struct ReconcileOutcome {
  bool ok = false;
  std::string error;        // when !ok: what went wrong, for the operator
  bool in_sync = false;     // nothing to do
  Transaction transaction;  // what was (or, checking, would be) committed
  CommitResult commit;
  int attempts = 0;
  bool elements_read_back = false;  // every set's elements came from the kernel, not the record
  std::size_t sets_read_back = 0;   // sets whose elements were read (those changing, with a record)
  // The kernel's sets differed from the record (someone changed them): the
  // batch was rejected, everything read back and the difference applied.
  bool drift_repaired = false;
  // When !ok: a batch was sent and whether the kernel applied it is unknown
  // (acks lost or never came). Otherwise a failed run changed nothing.
  bool outcome_unknown = false;
};

// True when the record describes the kernel as it is now: written after a
// completed commit, on this boot, in this network namespace, and nobody has
// committed since (its generation is the current one). Set handles are
// checked per set by whoever uses its elements.
bool record_current(const StateRecord& record, const Instance& here, std::uint32_t generation);

ReconcileOutcome reconcile(Kernel& kernel, StateStore& state, const ir::Ruleset& desired,
                           const backend::RunOptions& options);

// A session event's change (backend::Session::replace_elements): `sets` of
// op25bc's `table` made to hold exactly their elements, in one batch guarded
// by the generation id, read back, and the record moved on with it when it
// described the kernel before (so the next run need not read the table).
// Fails, changing nothing, when the table or a set is missing.
// `last` (backend::ElementsRequest::last) is what the sets held before, if
// the caller knows: while the record says nobody has committed since it
// described them so, the sets are not read before the change.
ReconcileOutcome replace_elements(Kernel& kernel, StateStore& state, const std::string& table,
                                  const std::vector<ir::Set>& sets, int attempts = 5,
                                  const std::vector<ir::Set>& last = {});

}  // namespace op25bc::nft
