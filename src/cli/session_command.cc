// SPDX-License-Identifier: GPL-2.0-or-later
// session up|down|list: what the access server's session scripts call when a
// subscriber's PPP or IPoE session begins or ends (the pppd and dnsmasq hooks
// in hooks/). A subscriber with an exemption in force has its addresses put
// in the session sets; nobody else's event changes anything but to take an
// address back from a subscriber who no longer holds it. No policy is read:
// the index apply and activate leave beside the state file says who is
// exempt and when, and where the session table is.
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <tuple>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/backend/registry.h"
#include "op25bc/ir/names.h"
#include "op25bc/policy/load.h"
#include "op25bc/session/bounds.h"
#include "op25bc/session/table.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "support.h"

namespace op25bc::cli {

namespace {

std::string who(const std::string& subscriber) {
  return quote(text::printable(subscriber));
}

// The addresses given, or nullopt after saying which one is not.
std::optional<std::vector<net::Prefix>> addresses_of(const SessionArgs& a, Io io) {
  std::vector<net::Prefix> out;
  for (const std::string& text : a.addresses) {
    const net::PrefixParse parsed = net::parse_prefix(text);
    if (!parsed.prefix) {
      io.err << "op25bc: session " << a.action << ": --address " << text::printable(text) << ": "
             << parsed.error << "\n";
      if (!parsed.hint.empty()) io.err << "  hint: " << parsed.hint << "\n";
      return std::nullopt;
    }
    out.push_back(*parsed.prefix);
  }
  if (out.size() > session::kMaxAddresses) {
    io.err << "op25bc: session " << a.action << ": " << out.size()
           << " addresses; a session holds at most " << session::kMaxAddresses << "\n";
    return std::nullopt;
  }
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

struct Where {
  const backend::Backend* backend;
  std::string state;
};

// The backend and state file the event is for. Without --backend and
// --state: the default state file of the backend whose run left an index
// beside it (a router runs one backend), else the default backend's.
Where where(const SessionArgs& a, Io io) {
  if (a.backend.empty() && a.state.empty())
    for (const std::string& name : io.backends.names()) {
      const backend::Backend& b = backend_named(name, io);
      const std::string state = state_file(b, {}, a.table);
      if (::access(session::index_path(state).c_str(), F_OK) == 0) return Where{&b, state};
    }
  const backend::Backend& b = backend_named(a.backend, io);
  return Where{&b, state_file(b, a.state, a.table)};
}

// false, after saying so, when the index says another backend than w's
// applied the state file.
bool applied_by(const SessionArgs& a, const Where& w, const session::Index& index, Io io) {
  if (index.backend == w.backend->name()) return true;
  io.err << "op25bc: session " << a.action << ": " << text::printable(w.state)
         << " was applied with --backend " << text::printable(index.backend) << ", not "
         << w.backend->name() << "\n";
  return false;
}

// The index beside the state file; nullopt with `said` when there is none
// (not an error: no subscriber exemption was applied) or it is unreadable.
std::optional<session::Index> index_for(const std::string& state, const SessionArgs& a, Io io,
                                        int& status) {
  std::string error;
  auto index = session::read_index(session::index_path(state), error);
  if (index) return index;
  if (!error.empty())
    io.err << "op25bc: session " << a.action << ": " << text::printable(error) << "\n";
  else  // a hook pointed at the wrong state file, or no subscriber exemption applied
    io.err << "op25bc: session " << a.action << ": no subscriber exemption is applied with "
           << text::printable(state) << " (no " << text::printable(session::index_path(state))
           << "); the event is not recorded\n  hint: give the hook the --state (and "
              "--backend) that apply and activate use\n";
  status = kExitFailure;
  return std::nullopt;
}

// false, after saying why, when a session may not hold one of `addresses`
// (session/bounds.h): the event is refused before anything is read or changed.
bool within_pools(const SessionArgs& a, const std::string& state,
                  const std::vector<net::Prefix>& addresses, Io io) {
  std::string error;
  const auto pools = session::PoolsFile::open(session::pools_path(state), error);
  std::string problem;
  if (!pools) {
    problem = text::printable(error) + " (op25bc apply or activate writes it)";
  } else {
    for (const net::Prefix& address : addresses) {
      const auto range = pools->find({address.family, address.interval().first}, error);
      problem = error.empty() ? session::address_problem(address, range) : error;
      if (!problem.empty()) break;
    }
  }
  if (problem.empty()) return true;
  io.err << "op25bc: session " << a.action << " " << who(a.subscriber) << ": "
         << text::printable(problem) << "; nothing changed, the session is not exempt\n";
  return false;
}

// Which file `path` is: device, inode, size and change time; nullopt when none.
std::optional<std::tuple<dev_t, ino_t, off_t, long, long>> identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::tuple{st.st_dev, st.st_ino, st.st_size, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
}

int event(const SessionArgs& a, Io io) {
  if (const std::string bad = policy::subscriber_problem(a.subscriber); !bad.empty()) {
    io.err << "op25bc: session " << a.action << ": invalid --subscriber: " << bad << "\n";
    return kExitUsage;
  }
  const auto addresses = addresses_of(a, io);
  if (!addresses) return kExitUsage;
  const bool up = a.action == "up";
  const Where w = where(a, io);
  int status = kExitOk;
  const auto seen = identity(session::index_path(w.state));  // before it is read
  auto index = index_for(w.state, a, io, status);
  if (!index) return status;
  if (!a.backend.empty() && !applied_by(a, w, *index, io)) return kExitFailure;
  if (io.backends.find(index->backend) == nullptr) {
    io.err << "op25bc: session " << a.action << ": " << text::printable(w.state)
           << ".subscribers names backend " << quote(text::printable(index->backend))
           << ", which this op25bc does not have\n";
    return kExitFailure;
  }
  const backend::Backend& b = backend_named(index->backend, io);
  if (up && !within_pools(a, w.state, *addresses, io)) return kExitFailure;
  // The lookup, without the lock: an event that changes nothing ends here.
  std::string error;
  auto table = session::read_table(index->sessions, error);
  if (table) {
    const bool tracked = index->knows(a.subscriber);
    const bool nothing =
        up ? !tracked && !session::held_by_another(*table, a.subscriber, *addresses)
           : !table->contains(a.subscriber);
    if (nothing) {
      io.out << "subscriber " << who(a.subscriber)
             << (up ? " has no exemption" : " holds no exempt session") << ": nothing changed\n";
      return kExitOk;
    }
  }
  const auto held = open_session(b, w.state, a.lock, a.lock_wait, a.state, io);
  if (!held) return kExitFailure;
  // Under the lock: what the last run left, read again unless it is the same
  // file (an index is replaced by rename, never rewritten in place).
  if (identity(session::index_path(w.state)) != seen) {
    index = index_for(w.state, a, io, status);
    if (!index) return status;
  }
  table = session::read_table(index->sessions, error);
  if (!table) {
    io.err << "op25bc: session " << a.action << " " << who(a.subscriber) << ": "
           << text::printable(error)
           << "; nothing changed (whose sessions are live is unknown)\n  hint: move the file "
              "aside; the next apply or activate starts an empty table, and each exempt "
              "subscriber is exempt again from their next session event\n";
    return kExitFailure;
  }
  const Instant now = io.clock.now();
  std::vector<ir::Set> last = session_sets(*table, *index, now);  // before the event
  const session::Change change =
      up ? session::up(*table, a.subscriber, *addresses, index->knows(a.subscriber))
         : session::down(*table, a.subscriber, *addresses);
  if (!change.error.empty()) {
    io.err << "op25bc: session up " << who(a.subscriber) << ": " << change.error
           << "; nothing changed, the session is not exempt\n";
    return kExitFailure;
  }
  if (change.changed) {
    if (const std::string failed = write_session_table(index->sessions, *table); !failed.empty()) {
      io.err << "op25bc: session " << a.action << ": " << text::printable(failed)
             << "; nothing changed\n";
      return kExitFailure;
    }
  }
  for (const std::string& taken : change.handed_over)
    io.err << "op25bc: session " << a.action << " " << who(a.subscriber) << ": "
           << text::printable(taken) << " was still held by that subscriber; taken back\n";
  auto out = held->session->replace_elements(
      {index->table, session_sets(*table, *index, now), std::move(last)});
  if (!out) {
    report(out.failure(), {}, io);
    io.err << "op25bc: the session table " << text::printable(index->sessions)
           << " records the event; the next apply or activate makes the kernel follow\n";
    return kExitFailure;
  }
  const auto exemption = index->exempt_at(a.subscriber, now);
  io.out << "session " << a.action << " " << who(a.subscriber) << " "
         << (a.addresses.empty() ? std::string{"(every address)"}
                                 : text::join(a.addresses, text::printable))
         << ": ";
  if (!up)
    io.out << "no longer exempt";
  else if (exemption)
    io.out << "exempt by exemption " << text::printable(*exemption);
  else if (index->knows(a.subscriber))
    io.out << "recorded; its exemption is not in force now";
  else
    io.out << "not exempt";
  io.out << "; " << b.describe(index->table) << ": "
         << (out->in_sync ? std::string{"no change"} : out->summary) << "\n";
  return kExitOk;
}

int list(const SessionArgs& a, Io io) {
  const Where w = where(a, io);
  if (!state_belongs_to(*w.backend, w.state, io)) return kExitFailure;
  int status = kExitOk;
  std::string error;
  auto index = session::read_index(session::index_path(w.state), error);
  if (!index) {
    if (!error.empty()) {
      io.err << "op25bc: session list: " << text::printable(error) << "\n";
      return kExitFailure;
    }
    index.emplace();
  }
  if (!index->backend.empty() && !applied_by(a, w, *index, io)) return kExitFailure;
  auto table = index->sessions.empty() ? std::optional<session::Table>(session::Table{})
                                       : session::read_table(index->sessions, error);
  if (!table) {
    io.err << "op25bc: session list: " << text::printable(error) << "\n";
    return kExitFailure;
  }
  const Instant now = io.clock.now();
  nlohmann::json rows = nlohmann::json::array();
  std::string text;
  for (const auto& [subscriber, held] : *table) {
    std::vector<std::string> addresses;
    for (const auto& p : held) addresses.push_back(net::to_string(p));
    const auto exemption = index->exempt_at(subscriber, now);
    rows.push_back({{"subscriber", subscriber},
                    {"addresses", addresses},
                    {"exemption", exemption ? nlohmann::json(*exemption) : nlohmann::json()},
                    {"exempt", exemption.has_value()}});
    text += who(subscriber) + "  " + text::join(addresses) + "  " +
            (exemption ? "exempt by " + text::printable(*exemption) : "not exempt now") + "\n";
  }
  if (a.format == "json")
    io.out << json_text(
        {{"schema_version", kSchemaVersion},
         {"sessions", rows},
         {"table", index->sessions.empty() ? nlohmann::json() : nlohmann::json(index->sessions)}});
  else
    io.out << text;
  return status;
}

}  // namespace

int run_session_command(const SessionArgs& args, Io io) {
  if (args.action == "list") return list(args, io);
  return event(args, io);
}

}  // namespace op25bc::cli
