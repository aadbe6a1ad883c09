// SPDX-License-Identifier: GPL-2.0-or-later
// history and rollback: what op25bc applied, and going back to it.
#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/history/history.h"
#include "support.h"

namespace op25bc::cli {

int run_history(const HistoryArgs& args, Io io) {
  const backend::Backend& b = backend_named(args.backend, io);
  const std::string state = state_file(b, args.state, args.table);
  if (!state_belongs_to(b, state, io)) return kExitFailure;
  history::FileHistoryStore store(history::FileHistoryStore::folder_for(state));
  const auto h = store.load();
  if (!h) {
    report(h.failure(), {}, io);
    return kExitFailure;
  }
  if (args.format == "json") {
    nlohmann::json j = history::to_json(*h);  // the index as kept, plus the output's version
    j["schema_version"] = kSchemaVersion;
    io.out << json_text(j);
  } else {
    io.out << history::to_text(*h);
  }
  return kExitOk;
}

namespace {

int release(history::HistoryStore& store, const std::string& folder, Io io) {
  auto h = store.load();
  if (!h) {
    report(h.failure(), {}, io);
    return kExitFailure;
  }
  if (!h->pin) {
    io.out << "no rollback is pinned in " << folder << "\n";
    return kExitOk;
  }
  const std::string was = h->pin->fingerprint;
  h->pin.reset();
  if (const auto saved = store.save(*h); !saved) {
    report(saved.failure(), {}, io);
    return kExitFailure;
  }
  (void)store.forget_policies_except(history::referenced(*h));  // leftovers are only clutter
  io.out << "released the rollback pin of policy " << was
         << "; the next activate applies the policy file again\n";
  return kExitOk;
}

}  // namespace

int run_rollback(const RollbackArgs& args, Io io) {
  const backend::Backend& b = backend_named(args.backend, io);
  const std::string state = state_file(b, args.state, args.table);
  if (!state_belongs_to(b, state, io)) return kExitFailure;
  const std::string folder = history::FileHistoryStore::folder_for(state);
  history::FileHistoryStore store(folder);
  if (args.release) return release(store, folder, io);
  const auto h = store.load();
  if (!h) {
    io.err << "op25bc: rollback: " << h.failure().message << "\n";
    return kExitFailure;
  }
  std::string error;
  const auto target = history::rollback_target(*h, args.to, error);
  if (!target) {
    io.err << "op25bc: rollback: " << error << " (" << folder << ")\n";
    return kExitFailure;
  }
  auto kept = store.policy(target->fingerprint);
  if (!kept) {
    io.err << "op25bc: rollback: the copy of policy " << target->fingerprint << " is missing ("
           << store.policy_path(target->fingerprint) << ")\n";
    return kExitFailure;
  }
  if (target->backend != b.name()) {
    io.err << "op25bc: rollback: policy " << target->fingerprint << " was applied through the "
           << target->backend << " backend; this rollback is on the " << b.name()
           << " backend, so nothing was changed\n  hint: roll back with --backend "
           << target->backend << "\n";
    return kExitFailure;
  }
  const std::string copy = store.policy_path(target->fingerprint);
  // Drop-in exemptions come from the folder of the policy file the entry
  // applied (unless that was itself a kept copy): never withdrawn by a rollback.
  const bool from_file = !target->policy_path.starts_with(folder + "/");
  const Loaded loaded = load_copy(std::move(*kept), target->fingerprint, copy, io, target->router,
                                  from_file ? folder_of(target->policy_path) : std::string{});
  if (!loaded.policy) return kExitFailure;
  if (loaded.policy->table != args.table) {
    io.err << "op25bc: rollback: policy " << target->fingerprint << " is for table "
           << loaded.policy->table << ", not " << args.table << "\n";
    return kExitFailure;
  }
  ApplyArgs apply;
  apply.policy = copy;
  apply.router = target->router;  // the same router's share of the policy
  apply.at = args.at;
  apply.dry_run = args.dry_run;
  apply.state = args.state;
  apply.sessions = args.sessions;
  apply.lock = args.lock;
  apply.lock_wait = args.lock_wait;
  apply.keep = args.keep;
  apply.backend = b.name();
  io.out << "rolling back to policy " << target->fingerprint << " (" << target->command << " of "
         << target->when << ", from " << target->policy_path << ")\n";
  const int status = apply_policy(loaded, apply, ApplyRole::rollback, io);
  if (status == kExitOk)
    io.out << "pinned: activate keeps policy " << target->fingerprint
           << " instead of the policy file until op25bc rollback --release\n";
  return status;
}

}  // namespace op25bc::cli
