// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel_access.h"

#include <filesystem>
#include <ostream>

#include "op25bc/backend/registry.h"
#include "op25bc/eval/effective.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/session/bounds.h"
#include "op25bc/text/escape.h"
#include "support.h"

namespace op25bc::cli {

const backend::Backend& backend_named(const std::string& name, Io io) {
  if (name.empty()) return io.backends.default_backend();
  const backend::Backend* b = io.backends.find(name);
  // main.cc accepts only registered names, so this is a caller's mistake.
  if (b == nullptr) throw std::logic_error("no backend named " + name);
  return *b;
}

std::string state_file(const backend::Backend& b, const std::string& given,
                       const std::string& table) {
  return given.empty() ? b.default_state_file(table) : given;
}

bool state_belongs_to(const backend::Backend& b, const std::string& path, Io io) {
  int error = 0;
  const auto bytes = io::read_regular(path, error);
  if (!bytes || b.owns_record(*bytes)) return true;  // none yet, unreadable (said when read), ours
  const backend::Backend* other = io.backends.owner_of_record(*bytes);
  if (other == nullptr) return true;  // unusable: the backend says so when it reads it
  io.err << "op25bc: the state file " << text::printable(path) << " is the " << other->name()
         << " backend's record, not the " << b.name()
         << " backend's; nothing was read or changed\n"
            "  hint: give --backend "
         << other->name() << " to work with it, or name this backend's own --state\n";
  return false;
}

void report(const Failure& failure, const std::string& policy_path, Io io) {
  if (!failure.diagnostics.entries().empty()) {
    report_backend(failure.diagnostics, policy_path, io);
    return;
  }
  io.err << "op25bc: " << failure.message << "\n";
  if (!failure.hint.empty()) io.err << "  hint: " << failure.hint << "\n";
}

namespace {

// The backend's checks, then its session for `state`; nullptr after saying why.
std::unique_ptr<backend::Session> open_backend(const backend::Backend& b, const std::string& state,
                                               Io io) {
  if (!state_belongs_to(b, state, io)) return nullptr;
  auto session = b.open({state});
  if (!session) {
    report(session.failure(), {}, io);
    return nullptr;
  }
  return std::move(*session);
}

std::unique_ptr<Held> hold(std::unique_ptr<backend::Session> session,
                           std::unique_ptr<history::LockFile> lock,
                           const std::string& given_state) {
  // The default folder, for the record (a failure to make it shows when the
  // record is written).
  if (given_state.empty()) io::make_folder(backend::kStateFolder, 0700);
  return std::make_unique<Held>(Held{std::move(session), std::move(lock)});
}

}  // namespace

std::unique_ptr<Held> open_session(const backend::Backend& b, const std::string& state,
                                   const std::string& lock_path, double lock_wait,
                                   const std::string& given_state, Io io) {
  auto session = open_backend(b, state, io);
  if (!session) return nullptr;
  auto lock = history::LockFile::take(
      lock_path, std::chrono::milliseconds(static_cast<long>(lock_wait * 1000)));
  if (!lock) {
    report(lock.failure(), {}, io);
    return nullptr;
  }
  return hold(std::move(session), std::move(*lock), given_state);
}

std::unique_ptr<Held> open_session(const backend::Backend& b, const std::string& state,
                                   std::unique_ptr<history::LockFile> lock,
                                   const std::string& given_state, Io io) {
  auto session = open_backend(b, state, io);
  if (!session) return nullptr;
  return hold(std::move(session), std::move(lock), given_state);
}

std::optional<backend::Outcome> run_session(Held& held, const backend::RunRequest& request,
                                            const std::string& policy_path, Io io) {
  auto out = held.session->run(request);
  if (!out) {
    report(out.failure(), policy_path, io);
    return std::nullopt;
  }
  for (const std::string& note : out->notes) io.err << "op25bc: " << note << "\n";
  return std::move(*out);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool pin_allows(history::HistoryStore& history, const std::string& fingerprint, Io io) {
  const auto h = history.load();
  if (!h) {
    io.err << "op25bc: " << h.failure().message << " (whether a rollback is pinned is unknown)\n";
    return false;
  }
  if (!h->pin || h->pin->fingerprint == fingerprint) return true;
  io.err << "op25bc: a rollback pinned policy " << h->pin->fingerprint << " on " << h->pin->since
         << "; apply refuses another policy while the pin holds, so the rollback is not undone "
            "by accident\n"
            "  hint: release the pin with op25bc rollback --release (same --state), then apply\n";
  return false;
}

void keep_history(history::HistoryStore& history, history::HistoryEntry entry,
                  std::string_view policy_bytes,
                  const std::vector<history::NamedBytes>& prefix_files, std::size_t keep, Io io) {
  const auto kept = history::remember(history, std::move(entry), policy_bytes, prefix_files, keep);
  if (!kept)
    io.err << "op25bc: warning: the ruleset is applied, but the history was not kept: "
           << kept.failure().message << "\n";
}

std::string absolute_path(const std::string& path) {
  return path.empty() || path[0] == '/'
             ? path
             : std::filesystem::absolute(path).lexically_normal().string();
}

std::string folder_of(const std::string& path) {
  const std::string folder = std::filesystem::path(path).parent_path().string();
  return folder.empty() ? "." : folder;
}

std::optional<Loaded> load_pinned(history::HistoryStore& history, const history::Pin& pin,
                                  const std::string& policy_path, Io io, const std::string& router,
                                  policy::DropIns dropins) {
  auto copy = history.policy(pin.fingerprint);
  if (!copy) return std::nullopt;
  return load_copy(std::move(*copy), pin.fingerprint, history.policy_path(pin.fingerprint), io,
                   router, folder_of(policy_path), dropins);
}

backend::RunOptions run_options(const ApplyArgs& args, const std::string& fingerprint,
                                const policy::Policy& p, Instant at, Instant wall) {
  backend::RunOptions options;
  options.now = wall.time_since_epoch().count();
  options.check_only = args.diff_only || args.dry_run;
  options.adopt = args.adopt;
  options.verify = args.verify;
  options.fingerprint = fingerprint;
  options.applied_at = format_time(at, p.zone);
  options.active_phases = active_phase_ids(p, at);
  return options;
}

std::vector<std::string> active_phase_ids(const policy::Policy& p, Instant at) {
  std::vector<std::string> ids;
  for (std::size_t i : eval::evaluate(p, at).phases) ids.push_back(p.phases[i].id);
  return ids;
}

namespace {

// Takes out of `table` every address a session may not hold under `p`
// (session/bounds.h), saying so; true when any was.
bool keep_within_pools(const policy::Policy& p, session::Table& table, Io io) {
  bool dropped = false;
  for (auto it = table.begin(); it != table.end();) {
    std::erase_if(it->second, [&](const net::Prefix& a) {
      const std::string problem = session::address_problem(p, a);
      if (problem.empty()) return false;
      io.err << "op25bc: warning: the session table holds " << text::printable(problem)
             << " for subscriber \"" << text::printable(it->first)
             << "\"; it is left out and not exempt\n";
      return dropped = true;
    });
    it = it->second.empty() ? table.erase(it) : std::next(it);
  }
  return dropped;
}

}  // namespace

Result<std::optional<LiveSessions>> live_sessions(const policy::Policy& p, const std::string& state,
                                                  const std::string& given, Io io) {
  if (!session::has_subscribers(p)) return std::optional<LiveSessions>{};
  LiveSessions live{given.empty() ? session::default_table_path(state) : given, {}, false};
  // Session events are kept in the table only while an index beside the
  // state names it (while some subscriber exemption is applied): without
  // one, events were dropped and what the table holds from before may be
  // another subscriber's address now. It starts empty: each subscriber is
  // exempt again from their next session event.
  std::string error;
  const auto index = session::read_index(session::index_path(state), error);
  if (!index || index->sessions != live.path) {
    // ... unless it is not a session table at all: then it is not op25bc's to overwrite.
    if (!session::read_table(live.path, error))
      return Failure{text::printable(error) + "; nothing was changed",
                     "--sessions names the session table op25bc keeps; give a path of its own"};
    live.rewrite = true;
    return std::optional<LiveSessions>{std::move(live)};
  }
  auto table = session::read_table(live.path, error);
  if (!table)
    return Failure{text::printable(error) + "; nothing was changed",
                   "op25bc cannot tell whose sessions are live: move the file aside to start "
                   "with none (each exempt subscriber is exempt again from their next session "
                   "event)"};
  live.table = std::move(*table);
  live.rewrite = keep_within_pools(p, live.table, io);
  return std::optional<LiveSessions>{std::move(live)};
}

std::string keep_pool_bounds(const policy::Policy& p, const std::string& state) {
  const std::string bytes = session::encode_pools(p);
  std::string ignored;
  const auto kept = session::PoolsFile::open(session::pools_path(state), ignored);
  if (kept && kept->digest() == session::pools_digest(bytes)) return {};
  return io::write_atomically(session::pools_path(state), bytes, 0644);
}

std::string write_session_table(const std::string& path, const session::Table& table) {
  const std::size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) io::make_folder(path.substr(0, slash), 0755);
  return io::write_atomically(path, session::encode(table), 0600);
}

void keep_session_index(const policy::Policy& p, const backend::Backend& b,
                        const std::string& state, const std::optional<LiveSessions>& live, Io io) {
  const std::string path = session::index_path(state);
  if (!live) {  // session events find no subscriber exemption, and record nothing
    std::string ignored;
    if (const auto old = session::read_index(path, ignored); old && !old->sessions.empty())
      write_session_table(old->sessions, {});
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::filesystem::remove(session::pools_path(state), ec);
    return;
  }
  std::string error = keep_pool_bounds(p, state);
  const session::Index index = session::index_of(p, b.name(), live->path);
  if (error.empty()) error = io::write_atomically(path, session::encode(index), 0600);
  session::Table table = live->table;
  if (error.empty() && (session::prune(table, index) || live->rewrite))
    error = write_session_table(live->path, table);
  if (!error.empty())
    io.err << "op25bc: warning: the index of subscriber exemptions: " << text::printable(error)
           << "; session events follow the policy applied before\n";
}

}  // namespace op25bc::cli
