// SPDX-License-Identifier: GPL-2.0-or-later
#include "live.h"

#include <filesystem>

#include "op25bc/io/atomic_file.h"
#include "op25bc/session/bounds.h"
#include "op25bc/text/escape.h"

namespace op25bc::run {

namespace {

// Takes out of `table` every address a session may not hold under `p`
// (session/bounds.h), saying so; true when any was.
bool keep_within_pools(const policy::Policy& p, session::Table& table,
                       std::vector<std::string>& warnings) {
  bool dropped = false;
  for (auto it = table.begin(); it != table.end();) {
    std::erase_if(it->second, [&](const net::Prefix& a) {
      const std::string problem = session::address_problem(p, a);
      if (problem.empty()) return false;
      warnings.push_back("warning: the session table holds " + text::printable(problem) +
                         " for subscriber \"" + text::printable(it->first) +
                         "\"; it is left out and not exempt");
      return dropped = true;
    });
    it = it->second.empty() ? table.erase(it) : std::next(it);
  }
  return dropped;
}

// The pools' bounds beside `state` (session/bounds.h), written only when they changed.
Result<Done> keep_pool_bounds(const policy::Policy& p, const std::string& state) {
  const std::string bytes = session::encode_pools(p);
  std::string ignored;
  const auto kept = session::PoolsFile::open(session::pools_path(state), ignored);
  if (kept && kept->digest() == session::pools_digest(bytes)) return Done{};
  return io::write_atomically(session::pools_path(state), bytes, 0644);
}

}  // namespace

Result<std::optional<LiveSessions>> live_sessions(const policy::Policy& p, const std::string& state,
                                                  const std::string& given,
                                                  std::vector<std::string>& warnings) {
  if (!session::has_subscribers(p)) return std::optional<LiveSessions>{};
  LiveSessions live{given.empty() ? session::default_table_path(state) : given, {}, false};
  // Session events are kept in the table only while an index beside the
  // state names it (while some subscriber exemption is applied): without
  // one, events were dropped and what the table holds from before may be
  // another subscriber's address now. It starts empty: each subscriber is
  // exempt again from their next session event.
  const auto index = session::read_index(session::index_path(state));
  if (!index || !*index || (*index)->sessions != live.path) {
    // ... unless it is not a session table at all: then it is not op25bc's to overwrite.
    if (const auto table = session::read_table(live.path); !table)
      return Failure{text::printable(table.failure().message) + "; nothing was changed",
                     "--sessions names the session table op25bc keeps; give a path of its own"};
    live.rewrite = true;
    return std::optional<LiveSessions>{std::move(live)};
  }
  auto table = session::read_table(live.path);
  if (!table)
    return Failure{text::printable(table.failure().message) + "; nothing was changed",
                   "op25bc cannot tell whose sessions are live: move the file aside to start "
                   "with none (each exempt subscriber is exempt again from their next session "
                   "event)"};
  live.table = std::move(*table);
  live.rewrite = keep_within_pools(p, live.table, warnings);
  return std::optional<LiveSessions>{std::move(live)};
}

Result<Done> write_session_table(const std::string& path, const session::Table& table) {
  const std::size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) (void)io::make_folder(path.substr(0, slash), 0755);
  return io::write_atomically(path, session::encode(table), 0600);
}

void keep_session_index(const policy::Policy& p, const std::string& backend,
                        const std::string& state, const std::optional<LiveSessions>& live,
                        std::vector<std::string>& warnings) {
  const std::string path = session::index_path(state);
  if (!live) {  // session events find no subscriber exemption, and record nothing
    if (const auto old = session::read_index(path); old && *old && !(*old)->sessions.empty())
      (void)write_session_table((*old)->sessions, {});
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::filesystem::remove(session::pools_path(state), ec);
    return;
  }
  Result<Done> kept = keep_pool_bounds(p, state);
  const session::Index index = session::index_of(p, backend, live->path);
  if (kept) kept = io::write_atomically(path, session::encode(index), 0600);
  session::Table table = live->table;
  if (kept && (session::prune(table, index) || live->rewrite))
    kept = write_session_table(live->path, table);
  if (!kept)
    warnings.push_back(
        "warning: the index of subscriber exemptions: " + text::printable(kept.failure().message) +
        "; session events follow the policy applied before");
}

}  // namespace op25bc::run
