// SPDX-License-Identifier: GPL-2.0-or-later
// metrics: the node_exporter textfile, on demand (activate writes the same
// after every run with --metrics).
#include <sstream>
#include <stdexcept>

#include "kernel_access.h"
#include "metrics_file.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/session/table.h"

namespace op25bc::cli {

std::string gather_metrics(const MetricsSource& source, Io io) {
  report::MetricsInput in;
  in.now = io.clock.now();
  in.table = source.table;
  in.warn_expiry = std::chrono::hours(static_cast<long>(source.warn_days * 24));
  in.run = source.run;
  history::FileHistoryStore history(history::FileHistoryStore::folder_for(source.state));
  // No history (or none readable): the metrics that come from it are left out.
  if (auto h = history.load()) in.history = std::move(*h);
  // The policy the kernel holds: the one just applied, else the pinned copy,
  // else the newest entry's copy. Diagnostics of a kept copy are not news.
  Loaded kept;
  const Loaded* policy = source.applied;
  if (policy == nullptr) {
    const std::string fp = in.history.pin               ? in.history.pin->fingerprint
                           : in.history.entries.empty() ? std::string{}
                                                        : in.history.entries.front().fingerprint;
    // The router of the newest run: its share of the policy is what the kernel holds.
    const std::string router =
        in.history.entries.empty() ? std::string{} : in.history.entries.front().router;
    if (auto copy = fp.empty() ? std::nullopt : history.policy(fp)) {
      std::ostringstream quiet;
      kept = load_copy(std::move(*copy), fp, fp, {quiet, quiet, io.clock, io.backends}, router);
      if (kept.policy) policy = &kept;
    }
  }
  if (policy != nullptr) {
    in.policy = &*policy->policy;
    in.fingerprint = policy->fingerprint;
  }
  // The live sessions, when the last run left an index of subscriber exemptions.
  std::string error;
  if (const auto index = session::read_index(session::index_path(source.state), error)) {
    if (const auto table = session::read_table(index->sessions, error)) {
      report::MetricsInput::Sessions counts;
      for (const auto& [subscriber, addresses] : *table) {
        const bool exempt = index->exempt_at(subscriber, in.now).has_value();
        (exempt ? counts.exempt : counts.waiting) += 1;
        if (exempt) counts.addresses += addresses.size();
      }
      in.sessions = counts;
    }
  }
  // A backend that cannot be read leaves the table's metrics out: they are
  // not reported as absent.
  const auto status = source.backend.status(source.table, source.state, false);
  in.kernel_read = status.ok();
  if (status) in.status = *status;
  return report::prometheus_text(in);
}

std::string write_metrics_file(const std::string& path, const MetricsSource& source, Io io) {
  return io::write_atomically(path, gather_metrics(source, io), 0644);
}

int run_metrics(const MetricsArgs& args, Io io) {
  const backend::Backend& b = backend_named(args.backend, io);
  const std::string state = state_file(b, args.state, args.table);
  if (!state_belongs_to(b, state, io)) return kExitFailure;
  const MetricsSource source{b, args.table, state, nullptr, args.warn_days, std::nullopt};
  return write_output(args.output, gather_metrics(source, io), io) ? kExitOk : kExitFailure;
}

}  // namespace op25bc::cli
