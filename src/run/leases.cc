// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/run/leases.h"

#include <algorithm>
#include <map>
#include <set>

#include "input_file.h"
#include "op25bc/policy/load.h"
#include "op25bc/text/escape.h"

namespace op25bc::run {

namespace {

namespace dhcp = session::dhcp;

// A lease file read whole by a sync: a large ISP's memfile between two
// cleanups is well below this.
constexpr std::uint64_t kMaxLeaseFileBytes = std::uint64_t{4} << 30;
// The tail of the memfile a hook reads first: the lease Kea just committed
// is among its last lines.
constexpr std::uint64_t kFirstTail = 256u << 10;
// ... and the most it reads: Kea's lease file cleanup (lfc-interval) keeps
// the file far smaller; a lease not in its last 64 MiB is not recorded.
constexpr std::uint64_t kMaxTail = 64u << 20;
constexpr std::size_t kMaxHeader = 64u << 10;

const char* const kLeaseHint =
    "a lease file and its folder are the DHCP server's (_kea or dnsmasq) or root's, writable by "
    "no one else; --writer names the server's user";

std::int64_t unix_now(const Clock& clock) {
  return clock.now().time_since_epoch().count();
}

std::string shown(const std::string& text) {
  return text::printable(text);
}

std::string lease_text(const dhcp::Lease& lease) {
  return net::to_string(lease.prefix) +
         (lease.client.empty() ? std::string{} : " of client " + shown(lease.client));
}

// The subscribers of DHCPv6 leases Kea just committed, from the relay ids
// their memfile lines keep: the tail of the file is read first, then more
// of it, until each lease's last line is found.
void relays_from_lease_file(std::vector<dhcp::Lease>& leases, const LeaseOptions& options,
                            std::vector<std::string>& problems) {
  const auto fail_all = [&](const std::string& why) {
    for (const dhcp::Lease& lease : leases) problems.push_back(lease_text(lease) + ": " + why);
    leases.clear();
  };
  if (options.lease_file.empty())
    return fail_all(
        "Kea passes a DHCPv6 hook no relay ids; give --lease-file, Kea's memfile with "
        "\"store-extended-info\": true; not recorded");
  auto in = open_input(options.lease_file, options.writer, kMaxLeaseFileBytes, kLeaseHint);
  if (!in) return fail_all(in.failure().message + " (" + in.failure().hint + ")");
  const auto size = static_cast<std::uint64_t>(in->st.st_size);
  const auto head =
      read_at(in->fd.get(), 0, static_cast<std::size_t>(std::min<std::uint64_t>(size, kMaxHeader)));
  const std::size_t eol = head ? head->find('\n') : std::string::npos;
  std::string error = "it has no header line";
  const auto columns =
      eol == std::string::npos ? std::nullopt : dhcp::memfile_columns(head->substr(0, eol), error);
  if (!columns || columns->family != net::Family::v6)
    return fail_all(shown(options.lease_file) + ": " +
                    (columns ? std::string{"it is a DHCPv4 lease file"} : error) +
                    "; not recorded");
  const std::uint64_t body = eol + 1;
  std::set<net::Prefix> wanted;
  for (const dhcp::Lease& lease : leases) wanted.insert(lease.prefix);
  std::map<net::Prefix, dhcp::Row> found;
  bool whole = false;
  for (std::uint64_t tail = kFirstTail;; tail = std::min(tail * 4, kMaxTail)) {
    const std::uint64_t from = size > body + tail ? size - tail : body;
    auto bytes = read_at(in->fd.get(), from, static_cast<std::size_t>(size - from));
    if (!bytes) return fail_all(shown(options.lease_file) + ": " + errno_text(errno));
    std::string_view lines = *bytes;
    if (from > body) {  // the first line may be cut: it is read whole with more
      const std::size_t cut = lines.find('\n');
      lines = cut == std::string_view::npos ? std::string_view{} : lines.substr(cut + 1);
    }
    const dhcp::Memfile rows = dhcp::memfile_rows(*columns, lines, {options.trust_client_id}, 0);
    found.clear();
    for (const dhcp::Row& row : rows.rows)
      if (wanted.contains(row.lease.prefix)) found[row.lease.prefix] = row;
    whole = from == body;
    if (found.size() == wanted.size() || whole || tail == kMaxTail) break;
  }
  std::vector<dhcp::Lease> out;
  for (dhcp::Lease& lease : leases) {
    const auto it = found.find(lease.prefix);
    if (it == found.end()) {
      problems.push_back(lease_text(lease) + ": no line " +
                         (whole ? std::string{"of "}
                                : "in the last " + std::to_string(kMaxTail >> 20) + " MiB of ") +
                         shown(options.lease_file) + " has it; not recorded");
    } else if (it->second.duid != lease.client || it->second.valid == 0) {
      problems.push_back(lease_text(lease) + ": the last line of " + shown(options.lease_file) +
                         " for it is another client's, or a deleted lease; not recorded");
    } else {
      lease.subscriber = it->second.lease.subscriber;
      out.push_back(std::move(lease));
    }
  }
  leases = std::move(out);
}

// The up events of `leases`, one per subscriber in the order they come; a
// lease no trusted id names (or one that cannot name a subscriber) is a
// problem instead.
std::vector<Event> ups_of(const std::vector<dhcp::Lease>& leases,
                          std::vector<std::string>& problems) {
  std::vector<Event> out;
  std::map<std::string, std::size_t, std::less<>> at;
  std::vector<std::string> unnamed;
  for (const dhcp::Lease& lease : leases) {
    if (lease.subscriber.empty()) {
      unnamed.push_back(lease_text(lease));
      continue;
    }
    if (const std::string why = policy::subscriber_problem(lease.subscriber); !why.empty()) {
      problems.push_back(lease_text(lease) + ": its subscriber " + why + "; not recorded");
      continue;
    }
    const auto [it, fresh] = at.try_emplace(lease.subscriber, out.size());
    if (fresh) out.push_back({true, lease.subscriber, {}, false});
    out[it->second].addresses.push_back(lease.prefix);
  }
  // One line for them all: a sync may meet thousands.
  if (!unnamed.empty()) {
    std::string which = unnamed.size() == 1 ? unnamed.front()
                                            : std::to_string(unnamed.size()) + " leases (" +
                                                  unnamed.front() + ", ...)";
    problems.push_back(which +
                       ": no relay agent id names the subscriber (a renewal goes straight to the "
                       "server, through no relay), so its session is left as it is (a client "
                       "id is trusted only with --trust-client-id)");
  }
  return out;
}

Result<LeaseReport> run_batch(const Target& target, const backend::Registry& backends,
                              std::vector<Event> events, LeaseReport out, const Clock& clock,
                              bool from_empty) {
  out.events = std::move(events);
  if (out.events.empty() && !from_empty) return out;
  auto report = session_batch(target, backends, out.events, clock, from_empty);
  if (!report) return report.failure();
  for (const std::string& why : report->refused)
    if (!why.empty()) out.problems.push_back(why);
  out.report = std::move(*report);
  return out;
}

}  // namespace

Result<LeaseReport> kea_hook(const Target& target, const backend::Registry& backends,
                             std::string_view point, const dhcp::Environment& env,
                             const LeaseOptions& options, const Clock& clock) {
  dhcp::HookCall call = dhcp::hook_call(point, env, {options.trust_client_id});
  LeaseReport out;
  out.problems = std::move(call.problems);
  if (!call.known) return out;
  out.leases = call.committed.size() + call.gone.size();
  if (call.relays_in_lease_file && !call.committed.empty()) {
    relays_from_lease_file(call.committed, options, out.problems);
    if (options.trust_client_id)
      for (dhcp::Lease& lease : call.committed)
        if (lease.subscriber.empty()) lease.subscriber = lease.client;
  }
  // What ended first: a commit that deletes leases gives the new ones.
  std::vector<Event> events;
  for (const net::Prefix& gone : call.gone) events.push_back({false, {}, {gone}, false});
  auto ups = ups_of(call.committed, out.problems);
  std::move(ups.begin(), ups.end(), std::back_inserter(events));
  return run_batch(target, backends, std::move(events), std::move(out), clock, false);
}

Result<LeaseReport> lease_sync(const Target& target, const backend::Registry& backends,
                               LeaseSource source, const std::vector<std::string>& files,
                               const LeaseOptions& options, const Clock& clock) {
  LeaseReport out;
  const dhcp::Trust trust{options.trust_client_id};
  const std::int64_t now = unix_now(clock);
  std::vector<dhcp::Lease> leases;
  std::vector<dhcp::Row> rows;
  for (const std::string& path : files) {
    const auto bytes = read_input(path, options.writer, kMaxLeaseFileBytes, kLeaseHint);
    if (!bytes) return bytes.failure();
    const auto problems = [&](const std::vector<dhcp::Problem>& found) {
      for (const dhcp::Problem& p : found)
        out.problems.push_back(shown(path) + ":" + std::to_string(p.line) + ": skipped: " + p.what);
    };
    if (source == LeaseSource::kea) {
      dhcp::Memfile parsed = dhcp::parse_memfile(*bytes, trust);
      if (parsed.rows.empty() && !parsed.problems.empty() && parsed.problems.front().line == 1)
        return Failure{shown(path) + ": " + parsed.problems.front().what + "; nothing changed"};
      problems(parsed.problems);
      std::move(parsed.rows.begin(), parsed.rows.end(), std::back_inserter(rows));
    } else {
      dhcp::DnsmasqLeases parsed = dhcp::parse_dnsmasq(*bytes, now, trust);
      problems(parsed.problems);
      std::move(parsed.leases.begin(), parsed.leases.end(), std::back_inserter(leases));
    }
  }
  if (source == LeaseSource::kea) {
    leases = dhcp::live(rows, now);
  } else {
    // dnsmasq forgets the relay ids: the subscribers the table kept keep
    // what is still leased; other leases are their client's, if trusted.
    auto kept = kept_sessions(target);
    if (!kept && !options.trust_client_id)
      return Failure{kept.failure().message +
                         "; dnsmasq's lease file names no subscriber (it keeps no relay ids), so "
                         "nothing can be rebuilt from it; nothing changed",
                     "with a relay agent, each lease is recorded again at its next renewal "
                     "(dnsmasq --script-on-renewal)"};
    std::map<net::Prefix, std::string> holder;
    if (kept)
      for (const auto& [subscriber, held] : *kept)
        for (const net::Prefix& p : held) holder.emplace(p, subscriber);
    std::vector<dhcp::Lease> named;
    std::size_t unheld = 0;
    for (dhcp::Lease& lease : leases) {
      if (const auto it = holder.find(lease.prefix); it != holder.end())
        lease.subscriber = it->second;
      if (!lease.subscriber.empty())
        named.push_back(std::move(lease));
      else
        ++unheld;
    }
    if (unheld > 0)
      out.problems.push_back(
          std::to_string(unheld) + (unheld == 1 ? " lease" : " leases") +
          " no kept session holds: dnsmasq keeps no relay ids, so each is recorded again at its "
          "next renewal (dnsmasq --script-on-renewal), or for its client id with "
          "--trust-client-id");
    out.leases = leases.size();
    return run_batch(target, backends, ups_of(named, out.problems), std::move(out), clock, true);
  }
  out.leases = leases.size();
  return run_batch(target, backends, ups_of(leases, out.problems), std::move(out), clock, true);
}

}  // namespace op25bc::run
