// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel_access.h"
#include "xt_access.h"

#include <filesystem>
#include <ostream>

#include "op25bc/apply/xt_plan.h"
#include "op25bc/eval/effective.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"

namespace op25bc::cli {

namespace {

constexpr const char* kStateFolder = "/var/lib/op25bc";

// The object a failed operation names, and where the policy says it comes
// from (ir::Origin, filled by ir::build), for the error message.
std::string origin(const apply::Op& op, const ir::Ruleset& desired) {
  std::string object;
  const ir::Origin* from = nullptr;
  const auto set = [&](const std::string& name) {
    object = "set " + name;
    for (const auto& s : desired.sets)
      if (s.name == name) from = &s.origin;
  };
  if (const auto* s = std::get_if<apply::AddSet>(&op)) set(s->name);
  if (const auto* e = std::get_if<apply::AddElements>(&op)) set(e->set);
  if (const auto* e = std::get_if<apply::DeleteElements>(&op)) set(e->set);
  if (const auto* c = std::get_if<apply::AddCounter>(&op)) {
    object = "counter " + c->counter.name;
    from = &c->counter.origin;
  }
  if (const auto* r = std::get_if<apply::AddRule>(&op)) {
    object = "a rule in chain " + r->chain;
    from = &r->rule.origin;
  }
  if (object.empty()) return "table inet " + desired.table;
  if (from == nullptr || from->pointers().empty()) return object;
  constexpr std::size_t kShown = 3;  // an exemption set may come from thousands
  const auto& all = from->pointers();
  const std::vector<std::string> shown(all.begin(), all.begin() + std::min(all.size(), kShown));
  return object + ", from " + text::join(shown) +
         (all.size() > kShown ? " and " + std::to_string(all.size() - kShown) + " more" : "");
}

}  // namespace

// --state if given, else /var/lib/op25bc/TABLE.state. Computes; creates nothing.
std::string state_path(const std::string& given, const std::string& table) {
  return given.empty() ? std::string{kStateFolder} + "/" + table + ".state" : given;
}

// The default state folder, for a run that will write the record there (a
// failure to make it shows when the record is written).
void make_state_folder(const std::string& given) {
  if (given.empty()) io::make_folder(kStateFolder, 0700);
}

std::string drift_text(const std::string& table) {
  return "the sets of table inet " + table +
         " differed from op25bc's record (changed by someone else); read back from the kernel "
         "and repaired";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string backend_state_path(const std::string& backend, const std::string& given,
                               const std::string& table) {
  return backend == "iptables" ? xt_state_path(given, table) : state_path(given, table);
}

bool state_belongs_to(const std::string& backend, const std::string& path, Io io) {
  int error = 0;
  const auto bytes = io::read_bytes(path, error);
  if (!bytes) return true;  // none yet (or unreadable: the backend says so when it reads it)
  const char* other = backend == "iptables"
                          ? (apply::looks_like_nft_record(*bytes) ? "nftables" : nullptr)
                          : (apply::xt::looks_like_xt_record(*bytes) ? "iptables" : nullptr);
  if (other == nullptr) return true;
  io.err << "op25bc: the state file " << text::printable(path) << " is the " << other
         << " backend's record, not the " << backend
         << " backend's; nothing was read or changed\n"
            "  hint: give --backend "
         << other << " to work with it, or name this backend's own --state\n";
  return false;
}

std::unique_ptr<Session> open_session(const KernelAccess& access, Io io) {
  if (!access.state.empty() && !state_belongs_to("nftables", access.state, io)) return nullptr;
  try {
    auto session = std::make_unique<Session>();
    session->kernel.generation();  // without CAP_NET_ADMIN this says so, before any file is touched
    session->lock.emplace(access.lock,
                          std::chrono::milliseconds(static_cast<long>(access.lock_wait * 1000)));
    if (!session->lock->held()) {
      io.err << "op25bc: " << session->lock->error() << "\n";
      return nullptr;
    }
    return session;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return nullptr;
  }
}

// State record and reconcile: what apply, activate and rollback share.
// Reports failures on stderr; nullopt when op25bc could not get that far.
std::optional<apply::ReconcileOutcome> reconcile_kernel(Session& session, const policy::Policy& p,
                                                        const ir::Ruleset& desired,
                                                        const apply::ReconcileOptions& options,
                                                        const std::string& state_file, Io io) {
  try {
    make_state_folder(state_file);
    apply::FileStateStore state(state_path(state_file, p.table));
    apply::ReconcileOutcome out = apply::reconcile(session.kernel, state, desired, options);
    if (state.unusable())
      io.err << "op25bc: note: the state record " << state.path()
             << " is unusable (truncated, corrupted or of another version); the kernel's sets "
                "were read back instead\n";
    if (!out.ok) {
      io.err << "op25bc: " << out.error;
      if (out.commit.failed_op)
        io.err << " (caused by " << origin(out.transaction.ops[*out.commit.failed_op], desired)
               << ")";
      io.err << (out.outcome_unknown ? "; the next run reads the kernel back and converges\n"
                                     : "; the ruleset is unchanged\n");
      return std::nullopt;
    }
    return out;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return std::nullopt;
  }
}

std::string history_folder(const std::string& state_file, const std::string& table) {
  return apply::FileHistoryStore::folder_for(state_path(state_file, table));
}

bool pin_allows(apply::HistoryStore& history, const std::string& fingerprint, Io io) {
  try {
    const apply::History h = history.load();
    if (!h.pin || h.pin->fingerprint == fingerprint) return true;
    io.err << "op25bc: a rollback pinned policy " << h.pin->fingerprint << " on " << h.pin->since
           << "; apply refuses another policy while the pin holds, so the rollback is not undone "
              "by accident\n"
              "  hint: release the pin with op25bc rollback --release (same --state), then apply\n";
    return false;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << " (whether a rollback is pinned is unknown)\n";
    return false;
  }
}

void keep_history(apply::HistoryStore& history, apply::HistoryEntry entry,
                  std::string_view policy_bytes, const std::vector<apply::NamedBytes>& prefix_files,
                  std::size_t keep, Io io) {
  try {
    apply::remember(history, std::move(entry), policy_bytes, prefix_files, keep);
  } catch (const std::exception& e) {
    io.err << "op25bc: warning: the ruleset is applied, but the history was not kept: " << e.what()
           << "\n";
  }
}

std::string absolute_path(const std::string& path) {
  return path.empty() || path[0] == '/'
             ? path
             : std::filesystem::absolute(path).lexically_normal().string();
}

std::vector<std::string> active_phase_ids(const policy::Policy& p, Instant at) {
  std::vector<std::string> ids;
  for (std::size_t i : eval::evaluate(p, at).phases) ids.push_back(p.phases[i].id);
  return ids;
}

}  // namespace op25bc::cli
