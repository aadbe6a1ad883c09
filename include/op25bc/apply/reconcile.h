// SPDX-License-Identifier: GPL-2.0-or-later
// Bringing the kernel to the desired ruleset: read what op25bc's table holds,
// diff, commit as one batch guarded by the generation id, retry when someone
// else committed in between, and record what was committed.
#pragma once

#include <string>

#include "op25bc/apply/kernel.h"
#include "op25bc/apply/state.h"
#include "op25bc/apply/transaction.h"

namespace op25bc::apply {

struct ReconcileOptions {
  bool check_only = false;  // dry run: the kernel validates the batch and aborts it
  bool adopt = false;       // replace a same-named table op25bc did not create
  bool verify = false;      // read set elements back from the kernel, trust no record
  int attempts = 3;         // on a generation change between read and commit
  std::string fingerprint;  // of the policy, recorded after a commit
  std::string applied_at;   // the policy instant, recorded after a commit
  std::vector<std::string> active_phases;  // recorded after a commit
  // The wall clock (seconds since the epoch): recorded as the last full
  // verification when this run reads every set back (StateRecord::verified_at).
  std::int64_t now = 0;
};

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
  // Another backend's account of what it did (the transaction stays empty).
  std::string summary = {};
};

// True when the record describes the kernel as it is now: written after a
// completed commit, on this boot, in this network namespace, and nobody has
// committed since (its generation is the current one). Set handles are
// checked per set by whoever uses its elements.
bool record_current(const StateRecord& record, const Instance& here, std::uint32_t generation);

ReconcileOutcome reconcile(Kernel& kernel, StateStore& state, const ir::Ruleset& desired,
                           const ReconcileOptions& options);

}  // namespace op25bc::apply
