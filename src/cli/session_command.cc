// SPDX-License-Identifier: GPL-2.0-or-later
// session up|down|list: what the access server's session scripts call when a
// subscriber's PPP or IPoE session begins or ends (the pppd and dnsmasq hooks
// in hooks/), and what the session table holds. The options are checked
// here; the event itself is the run layer's (run/event.h).
#include <pwd.h>

#include <charconv>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "commands.h"
#include "op25bc/policy/load.h"
#include "op25bc/run/event.h"
#include "op25bc/run/follow.h"
#include "op25bc/run/leases.h"
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
      report({"session " + a.action + ": --address " + text::printable(text) + ": " + parsed.error,
              parsed.hint},
             io);
      return std::nullopt;
    }
    out.push_back(*parsed.prefix);
  }
  if (out.size() > session::kMaxAddresses) {
    report("session " + a.action + ": " + std::to_string(out.size()) +
               " addresses; a session holds at most " + std::to_string(session::kMaxAddresses),
           io);
    return std::nullopt;
  }
  return out;
}

// Where a session stands after its event, in words.
std::string standing(bool up, const run::EventReport& r) {
  if (!up) return "no longer exempt";
  if (r.exemption) return "exempt by exemption " + text::printable(*r.exemption);
  if (r.known) return "recorded; its exemption is not in force now";
  return "not exempt";
}

int event(const SessionArgs& a, Io io) {
  if (const std::string bad = policy::subscriber_problem(a.subscriber); !bad.empty())
    return report("session " + a.action + ": invalid --subscriber: " + bad, io, kExitUsage);
  const auto addresses = addresses_of(a, io);
  if (!addresses) return kExitUsage;
  const bool up = a.action == "up";
  const run::Target target = run::session_target(a.target, io.backends, a.table);
  const auto result = run::session_event(
      target, io.backends, {up, a.subscriber, *addresses, !a.target.backend.empty()}, io.clock);
  if (!result) {
    Failure failed = result.failure();
    failed.message = "session " + a.action + ": " + failed.message;
    return report(failed, io);
  }
  const run::EventReport& r = *result;
  if (r.changed_nothing) {
    io.out << "subscriber " << who(a.subscriber)
           << (up ? " has no exemption" : " holds no exempt session") << ": nothing changed\n";
    return kExitOk;
  }
  for (const std::string& taken : r.handed_over)
    note("session " + a.action + " " + who(a.subscriber) + ": " + text::printable(taken) +
             " was still held by that subscriber; taken back",
         io);
  io.out << "session " << a.action << " " << who(a.subscriber) << " "
         << (a.addresses.empty() ? std::string{"(every address)"}
                                 : text::join(a.addresses, text::printable))
         << ": " << standing(up, r) << "; " << r.backend->describe(r.table) << ": "
         << (r.outcome.in_sync ? std::string{"no change"} : r.outcome.summary) << "\n";
  return kExitOk;
}

int list(const SessionArgs& a, Io io) {
  const run::Target target = run::session_target(a.target, io.backends, a.table);
  const auto listing = run::session_listing(target, io.backends);
  if (!listing) return report("session list: " + listing.failure().message, io);
  const Instant now = io.clock.now();
  nlohmann::json rows = nlohmann::json::array();
  std::string text;
  for (const auto& [subscriber, held] : listing->table) {
    std::vector<std::string> addresses;
    for (const auto& p : held) addresses.push_back(net::to_string(p));
    const auto exemption = listing->index.exempt_at(subscriber, now);
    rows.push_back({{"subscriber", subscriber},
                    {"addresses", addresses},
                    {"exemption", exemption ? nlohmann::json(*exemption) : nlohmann::json()},
                    {"exempt", exemption.has_value()}});
    text += who(subscriber) + "  " + text::join(addresses) + "  " +
            (exemption ? "exempt by " + text::printable(*exemption) : "not exempt now") + "\n";
  }
  const std::string& table = listing->index.sessions;
  if (a.format == "json")
    io.out << json_text({{"schema_version", kSchemaVersion},
                         {"sessions", rows},
                         {"table", table.empty() ? nlohmann::json() : nlohmann::json(table)}});
  else
    io.out << text;
  return kExitOk;
}

// The user that writes the source's files: --writer, a name or a uid; else
// the source's own user (`own`), or root alone where it does not exist.
std::optional<uid_t> writer_of(const std::string& name, const char* own) {
  if (name.empty()) {
    const passwd* pw = ::getpwnam(own);
    return pw != nullptr ? pw->pw_uid : 0;
  }
  if (const passwd* pw = ::getpwnam(name.c_str())) return pw->pw_uid;
  unsigned long uid = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), uid);
  if (ec == std::errc{} && end == name.data() + name.size()) return static_cast<uid_t>(uid);
  return std::nullopt;
}

// The writer, or a usage failure said for `command`.
std::optional<uid_t> writer_for(const SessionArgs& a, const char* own, Io io) {
  auto writer = writer_of(a.writer, own);
  if (!writer)
    report("session " + a.action + ": --writer " + text::printable(a.writer) +
               " is neither a user nor a uid",
           io, kExitUsage);
  return writer;
}

Failure prefixed(const std::string& action, Failure failed) {
  failed.message = "session " + action + ": " + failed.message;
  return failed;
}

// One line for the journal per batch; what was skipped or refused beside it.
void say_batch(const run::FollowBatch& b, Io io) {
  for (const std::string& problem : b.problems) note("session follow: " + problem, io);
  if (b.rotated) {
    io.out << "session follow: the detail file was rotated; following the new one\n";
    return;
  }
  io.out << "session follow: " << b.records << (b.records == 1 ? " record, " : " records, ")
         << b.events << (b.events == 1 ? " session event" : " session events");
  if (b.report && !b.report->changed_nothing) {
    const backend::Outcome& o = b.report->outcome;
    io.out << "; " << b.report->backend->describe(b.report->table) << ": "
           << (o.in_sync || o.summary.empty() ? std::string{"no change"} : o.summary);
  }
  io.out << "; at byte " << b.offset << "\n";
}

int follow(const SessionArgs& a, Io io) {
  const auto writer = writer_for(a, "freerad", io);
  if (!writer) return kExitUsage;
  const run::Target target = run::session_target(a.target, io.backends, a.table);
  auto follower = run::Follower::open(target, io.backends,
                                      {a.radius_detail, a.position, a.attribute, a.batch, *writer});
  if (!follower) {
    Failure failed = follower.failure();
    failed.message = "session follow: " + failed.message;
    return report(failed, io);
  }
  // Each batch is said once the kernel holds it, before the position moves
  // on: the journal never misses a batch the kernel took.
  const auto say = [&](const run::FollowBatch& b) {
    say_batch(b, io);
    io.out.flush();
  };
  for (;;) {
    auto batch = follower->next(io.clock, say);
    if (!batch) {
      Failure failed = batch.failure();
      failed.message = "session follow: " + failed.message;
      return report(failed, io);
    }
    if (*batch) continue;
    if (a.once) return kExitOk;
    follower->wait(std::chrono::seconds{1});
  }
}

// What a hook call or a lease sync did, in one line (and, for a hook call,
// a line per event), and what it did not record beside it.
void say_leases(const std::string& what, const run::LeaseReport& r, bool each, Io io) {
  for (const std::string& problem : r.problems) note("session " + what + ": " + problem, io);
  const std::size_t events = r.events.size();
  io.out << "session " << what << ": " << r.leases << (r.leases == 1 ? " lease, " : " leases, ")
         << events << (events == 1 ? " session event" : " session events");
  if (r.report && !r.report->changed_nothing)
    io.out << "; " << r.report->backend->describe(r.report->table) << ": "
           << (r.report->outcome.in_sync || r.report->outcome.summary.empty()
                   ? std::string{"no change"}
                   : r.report->outcome.summary);
  else if (events > 0)
    io.out << "; nothing changed";
  io.out << "\n";
  for (std::size_t i = 0; each && r.report && i < events; ++i) {
    const run::Event& e = r.events[i];
    const run::EventReport& done = r.report->events[i];
    if (!r.report->refused[i].empty()) continue;  // said above
    io.out << "  " << (e.up ? "up " + who(e.subscriber) + " " : std::string{"down "})
           << text::join(e.addresses, [](const net::Prefix& p) { return net::to_string(p); })
           << ": "
           << (!e.up && e.subscriber.empty() ? std::string{"no longer anyone's"}
                                             : standing(e.up, done))
           << "\n";
  }
}

int kea(const SessionArgs& a, Io io) {
  const auto writer = writer_for(a, "_kea", io);
  if (!writer) return kExitUsage;
  const run::Target target = run::session_target(a.target, io.backends, a.table);
  // The variables given as arguments (the hook passes them so, through
  // sudo, which would not keep them), else the environment Kea gave.
  std::map<std::string, std::string, std::less<>> given;
  for (const std::string& pair : a.kea_env) {
    const std::size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0)
      return report("session kea: " + text::printable(pair) + " is no NAME=VALUE", io, kExitUsage);
    given.insert_or_assign(pair.substr(0, eq), pair.substr(eq + 1));
  }
  const auto env = [&](const std::string& name) -> std::optional<std::string> {
    if (!a.kea_env.empty()) {
      const auto it = given.find(name);
      return it != given.end() ? std::optional<std::string>{it->second} : std::nullopt;
    }
    const char* value = std::getenv(name.c_str());
    return value != nullptr ? std::optional<std::string>{value} : std::nullopt;
  };
  const auto r = run::kea_hook(target, io.backends, a.kea_point, env,
                               {a.lease_file, a.trust_client_id, *writer}, io.clock);
  if (!r) return report(prefixed("kea " + a.kea_point, r.failure()), io);
  say_leases("kea " + text::printable(a.kea_point), *r, true, io);
  return kExitOk;
}

int lease_sync(const SessionArgs& a, Io io) {
  const bool from_kea = !a.kea_files.empty();
  const auto writer = writer_for(a, from_kea ? "_kea" : "dnsmasq", io);
  if (!writer) return kExitUsage;
  const run::Target target = run::session_target(a.target, io.backends, a.table);
  const auto r = run::lease_sync(
      target, io.backends, from_kea ? run::LeaseSource::kea : run::LeaseSource::dnsmasq,
      from_kea ? a.kea_files : a.dnsmasq_files, {{}, a.trust_client_id, *writer}, io.clock);
  if (!r) return report(prefixed("sync", r.failure()), io);
  say_leases("sync", *r, false, io);
  return kExitOk;
}

int sync(const SessionArgs& a, Io io) {
  if (a.detail_files.empty() && a.kea_files.empty() && a.dnsmasq_files.empty())
    return report(Failure{"session sync: no source",
                          "give --radius-detail, --kea-leases or --dnsmasq-leases"},
                  io, kExitUsage);
  if (a.detail_files.empty()) return lease_sync(a, io);
  const auto writer = writer_for(a, "freerad", io);
  if (!writer) return kExitUsage;
  const run::Target target = run::session_target(a.target, io.backends, a.table);
  const auto r =
      run::radius_sync(target, io.backends, a.detail_files, a.attribute, *writer, io.clock);
  if (!r) return report(prefixed("sync", r.failure()), io);
  for (const std::string& problem : r->problems) note("session sync: " + problem, io);
  const run::BatchReport& b = *r->report;
  io.out << "session sync: " << r->records << (r->records == 1 ? " record" : " records") << " from "
         << a.detail_files.size() << (a.detail_files.size() == 1 ? " file, " : " files, ")
         << r->events << (r->events == 1 ? " session event" : " session events") << "; "
         << b.backend->describe(b.table) << ": "
         << (b.outcome.in_sync ? std::string{"no change"} : b.outcome.summary) << "\n";
  return kExitOk;
}

}  // namespace

int run_session_command(const SessionArgs& args, Io io) {
  if (args.action == "sync") return sync(args, io);
  if (args.action == "list") return list(args, io);
  if (args.action == "follow") return follow(args, io);
  if (args.action == "kea") return kea(args, io);
  return event(args, io);
}

}  // namespace op25bc::cli
