// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/run/event.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <tuple>

#include "live.h"
#include "op25bc/ir/names.h"
#include "op25bc/run/run.h"
#include "op25bc/session/bounds.h"
#include "op25bc/text/escape.h"

namespace op25bc::run {

namespace {

std::string who(const std::string& subscriber) {
  return quote(text::printable(subscriber));
}

// Who an event is about: its subscriber, or the addresses whoever holds.
std::string who(const Event& e) {
  if (!e.subscriber.empty()) return who(e.subscriber);
  std::string out = "whoever holds";
  for (const net::Prefix& p : e.addresses) out += " " + net::to_string(p);
  return out;
}

// The subscribers that hold exactly `address`.
std::vector<std::string> holders_of(const session::Holders& holders, const net::Prefix& address) {
  std::vector<std::string> out;
  for (const auto& [held, subscriber] : holders.overlapping(address))
    if (held == address) out.push_back(subscriber);
  return out;
}

// The session sets as the table and the index want them at `at`.
std::vector<ir::Set> session_sets(const session::Table& table, const session::Index& index,
                                  Instant at) {
  net::AddressSet exempt = session::exempt_addresses(table, index, at);
  std::vector<ir::Set> sets;
  for (net::Family f : {net::Family::v4, net::Family::v6})
    sets.push_back({ir::set_name(ir::kSessionSet, f), f, {}, std::move(exempt.of(f))});
  return sets;
}

// A failure when the index says another backend than the target's applied
// the state file.
Result<Done> applied_by(const Target& t, const session::Index& index) {
  if (index.backend == t.backend->name()) return Done{};
  return Failure{text::printable(t.state) + " was applied with --backend " +
                 text::printable(index.backend) + ", not " + t.backend->name()};
}

// The index beside the state file; a failure when there is none (a hook
// pointed at the wrong state file, or no subscriber exemption applied) or it
// is unreadable.
Result<session::Index> index_for(const std::string& state) {
  auto index = session::read_index(session::index_path(state));
  if (!index) return Failure{text::printable(index.failure().message)};
  if (*index) return std::move(**index);
  return Failure{"no subscriber exemption is applied with " + text::printable(state) + " (no " +
                     text::printable(session::index_path(state)) + "); the event is not recorded",
                 "give the hook the --state (and --backend) that apply and activate use"};
}

// Why a session may not hold one of `addresses` (session/bounds.h), "" when
// it may: such an event is refused before anything is changed.
std::string pools_problem(const std::vector<net::Prefix>& addresses,
                          const std::optional<session::PoolsFile>& pools,
                          const std::string& pools_error) {
  if (!pools) return text::printable(pools_error) + " (op25bc apply or activate writes it)";
  std::string error;
  for (const net::Prefix& address : addresses) {
    const auto range = pools->find({address.family, address.interval().first}, error);
    const std::string problem = error.empty() ? session::address_problem(address, range) : error;
    if (!problem.empty()) return text::printable(problem);
  }
  return {};
}

// Which file `path` is: device, inode, size and change time; nullopt when none.
std::optional<std::tuple<dev_t, ino_t, off_t, long, long>> identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::tuple{st.st_dev, st.st_ino, st.st_size, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
}

}  // namespace

Target session_target(const TargetOptions& options, const backend::Registry& backends,
                      const std::string& table) {
  if (options.backend.empty() && options.state.empty())
    for (const std::string& name : backends.names()) {
      TargetOptions named = options;
      named.backend = name;
      Target t = Target::make(named, backends, table);
      if (::access(session::index_path(t.state).c_str(), F_OK) == 0) return t;
    }
  return Target::make(options, backends, table);
}

Result<BatchReport> session_batch(const Target& target, const backend::Registry& backends,
                                  const std::vector<Event>& events, const Clock& clock,
                                  bool from_empty) {
  const auto seen = identity(session::index_path(target.state));  // before it is read
  auto index = index_for(target.state);
  if (!index) return index.failure();
  if (std::any_of(events.begin(), events.end(), [](const Event& e) { return e.backend_given; }))
    if (auto ours = applied_by(target, *index); !ours) return ours.failure();
  const backend::Backend* b = backends.find(index->backend);
  if (b == nullptr)
    return Failure{text::printable(target.state) + ".subscribers names backend " +
                   quote(text::printable(index->backend)) + ", which this op25bc does not have"};
  BatchReport report;
  report.backend = b;
  report.table = index->table;
  report.events.resize(events.size());
  report.refused.resize(events.size());
  const auto refuse = [&](std::size_t i, const std::string& why) {
    report.refused[i] =
        who(events[i]) + ": " + why + "; nothing changed, the session is not exempt";
  };
  // The pools' bounds, opened once for the batch.
  std::optional<session::PoolsFile> pools;
  std::string pools_error;
  bool pools_opened = false;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!events[i].up) continue;
    if (!pools_opened) {
      if (auto opened = session::PoolsFile::open(session::pools_path(target.state), pools_error))
        pools.emplace(std::move(*opened));
      pools_opened = true;
    }
    if (const std::string why = pools_problem(events[i].addresses, pools, pools_error);
        !why.empty())
      refuse(i, why);
  }
  const auto subject = [&] {
    return events.size() == 1 ? who(events.front())
                              : std::to_string(events.size()) + " session events";
  };
  // The lookup, without the lock: a batch whose every event changes nothing
  // (read against the table as it is) ends here.
  // An exempt subscriber's session always goes to the kernel: then the
  // lookup would be read for nothing.
  const bool exempt_up = std::any_of(events.begin(), events.end(), [&](const Event& e) {
    return e.up && index->knows(e.subscriber);
  });
  std::optional<session::Table> looked;
  if (!from_empty && !exempt_up)
    if (auto read = session::read_table(index->sessions)) looked = std::move(*read);
  if (const auto& table = looked) {
    const session::Holders holders(*table);
    bool nothing = true;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      if (!report.refused[i].empty()) continue;
      const bool tracked = index->knows(e.subscriber);
      report.events[i].known = tracked;
      report.events[i].changed_nothing =
          e.up ? !tracked && !session::held_by_another(holders, e.subscriber, e.addresses)
          : e.subscriber.empty()
              ? std::all_of(e.addresses.begin(), e.addresses.end(),
                            [&](const net::Prefix& a) { return holders_of(holders, a).empty(); })
              : !table->contains(e.subscriber);
      nothing = nothing && report.events[i].changed_nothing;
    }
    report.changed_nothing = nothing;
    if (nothing) return report;
  }
  Target t = target;
  t.backend = b;
  auto hold = Hold::open(t, backends);
  if (!hold) return hold.failure();
  // Under the lock: what the last run left, read again unless it is the same
  // file (an index is replaced by rename, never rewritten in place).
  if (identity(session::index_path(t.state)) != seen) {
    index = index_for(t.state);
    if (!index) return index.failure();
  }
  auto table =
      from_empty ? Result<session::Table>{session::Table{}} : session::read_table(index->sessions);
  if (!table)
    return Failure{subject() + ": " + text::printable(table.failure().message) +
                       "; nothing changed (whose sessions are live is unknown)",
                   "move the file aside; the next apply or activate starts an empty table, and "
                   "each exempt subscriber is exempt again from their next session event"};
  const Instant now = clock.now();
  // Before the events; no hint when starting afresh (the kernel is read).
  std::vector<ir::Set> last =
      from_empty ? std::vector<ir::Set>{} : session_sets(*table, *index, now);
  bool changed = false;
  session::Holders holders(*table);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (!report.refused[i].empty()) continue;
    if (!e.up && e.subscriber.empty()) {  // a lease ended: whoever holds its address
      for (const net::Prefix& address : e.addresses)
        for (const std::string& holder : holders_of(holders, address))
          changed = session::down(*table, holders, holder, {address}).changed || changed;
      continue;
    }
    const session::Change change =
        e.up ? session::up(*table, holders, e.subscriber, e.addresses, index->knows(e.subscriber))
             : session::down(*table, holders, e.subscriber, e.addresses);
    if (!change.error.empty()) {
      refuse(i, change.error);
      continue;
    }
    changed = changed || change.changed;
    EventReport& r = report.events[i];
    r.handed_over = change.handed_over;
    r.known = index->knows(e.subscriber);
    r.exemption = index->exempt_at(e.subscriber, now);
  }
  // Every event refused: nothing to write, nothing for the kernel.
  if (!from_empty && std::none_of(report.refused.begin(), report.refused.end(),
                                  [](const std::string& why) { return why.empty(); }))
    return report;
  if (changed || from_empty)
    if (auto written = write_session_table(index->sessions, *table); !written)
      return Failure{text::printable(written.failure().message) + "; nothing changed"};
  auto out = hold->session()->replace_elements(
      {index->table, session_sets(*table, *index, now), std::move(last)});
  if (!out) {
    Failure failed = out.failure();
    failed.hint = "the session table " + text::printable(index->sessions) +
                  " records the event; the next apply or activate makes the kernel follow";
    return failed;
  }
  report.outcome = std::move(*out);
  return report;
}

Result<EventReport> session_event(const Target& target, const backend::Registry& backends,
                                  const Event& e, const Clock& clock) {
  auto batch = session_batch(target, backends, {e}, clock);
  if (!batch) return batch.failure();
  if (!batch->refused.front().empty()) return Failure{batch->refused.front()};
  EventReport report = std::move(batch->events.front());
  report.backend = batch->backend;
  report.table = batch->table;
  report.changed_nothing = batch->changed_nothing;
  report.outcome = std::move(batch->outcome);
  return report;
}

Result<Listing> session_listing(const Target& target, const backend::Registry& backends) {
  if (auto owned = check_owner(target, backends); !owned) return owned.failure();
  auto index = session::read_index(session::index_path(target.state));
  if (!index) return Failure{text::printable(index.failure().message)};
  Listing out;
  if (!*index) return out;
  out.index = std::move(**index);
  if (auto ours = applied_by(target, out.index); !ours) return ours.failure();
  if (out.index.sessions.empty()) return out;
  auto table = session::read_table(out.index.sessions);
  if (!table) return Failure{text::printable(table.failure().message)};
  out.table = std::move(*table);
  return out;
}

Result<session::Table> kept_sessions(const Target& target) {
  std::string path = target.sessions;
  if (path.empty()) {
    const auto index = session::read_index(session::index_path(target.state));
    path = index && *index ? (*index)->sessions : session::default_table_path(target.state);
  }
  auto table = session::read_table(path);
  if (!table) return Failure{text::printable(table.failure().message)};
  return table;
}

}  // namespace op25bc::run
