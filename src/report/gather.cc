// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/report/gather.h"

#include "op25bc/history/history.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/run/follow.h"
#include "op25bc/session/table.h"

namespace op25bc::report {

std::string gather_metrics(const MetricsSource& source, const Clock& clock) {
  MetricsInput in;
  in.now = clock.now();
  in.table = source.table;
  in.warn_expiry = std::chrono::hours(static_cast<long>(source.warn_days * 24));
  in.run = source.run;
  const std::string& state = source.target.state;
  history::FileHistoryStore history(source.target.history_folder());
  // No history (or none readable): the metrics that come from it are left out.
  if (auto h = history.load()) in.history = std::move(*h);
  // The policy the kernel holds: the one just applied, else the pinned copy,
  // else the newest entry's copy. Diagnostics of a kept copy are not news.
  run::Loaded kept;
  const run::Loaded* policy = source.applied;
  if (policy == nullptr) {
    const std::string fp = in.history.pin               ? in.history.pin->fingerprint
                           : in.history.entries.empty() ? std::string{}
                                                        : in.history.entries.front().fingerprint;
    // The router of the newest run: its share of the policy is what the kernel holds.
    const std::string router =
        in.history.entries.empty() ? std::string{} : in.history.entries.front().router;
    if (auto copy = fp.empty() ? std::nullopt : history.policy(fp)) {
      kept = run::load_copy(std::move(*copy), fp, fp, router);
      if (kept.policy) policy = &kept;
    }
  }
  if (policy != nullptr) {
    in.policy = &*policy->policy;
    in.fingerprint = policy->fingerprint;
  }
  // The live sessions, when the last run left an index of subscriber exemptions.
  if (const auto index = session::read_index(session::index_path(state)); index && *index) {
    if (const auto table = session::read_table((*index)->sessions)) {
      MetricsInput::Sessions counts;
      for (const auto& [subscriber, addresses] : *table) {
        const bool exempt = (*index)->exempt_at(subscriber, in.now).has_value();
        (exempt ? counts.exempt : counts.waiting) += 1;
        if (exempt) counts.addresses += addresses.size();
      }
      in.sessions = counts;
    }
  }
  // The RADIUS follower, when its position is beside the state.
  if (const auto view = run::follower_view(run::default_position_path(state))) {
    const auto& p = view->position;
    in.follower =
        MetricsInput::Follower{p.records, p.skipped, p.last_record, p.last_batch, view->behind};
  }
  // A backend that cannot be read leaves the table's metrics out: they are
  // not reported as absent.
  const auto status = source.target.backend->status(source.table, state, false);
  in.kernel_read = status.ok();
  if (status) in.status = *status;
  return prometheus_text(in);
}

Result<Done> write_metrics_file(const std::string& path, const MetricsSource& source,
                                const Clock& clock) {
  return io::write_atomically(path, gather_metrics(source, clock), 0644);
}

}  // namespace op25bc::report
