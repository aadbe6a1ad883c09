// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/report/metrics.h"

#include <algorithm>

#include "op25bc/schedule/activation.h"
#include "op25bc/timeline/timeline.h"

namespace op25bc::report {

namespace {

// One metric family: HELP, TYPE, then its samples.
class Family {
 public:
  Family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
      : out_(out), name_(name) {
    out_ += "# HELP " + name_ + " " + std::string(help) + "\n# TYPE " + name_ + " " +
            std::string(type) + "\n";
  }
  Family& sample(double value,
                 const std::vector<std::pair<std::string, std::string>>& labels = {}) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += "{";
      for (std::size_t i = 0; i < labels.size(); ++i)
        out_ += (i ? "," : "") + labels[i].first + "=\"" + label_value(labels[i].second) + "\"";
      out_ += "}";
    }
    out_ += " " + number(value) + "\n";
    return *this;
  }

 private:
  static std::string number(double v) {
    // Whole numbers as integers (counters and timestamps), the rest as %g.
    if (v == static_cast<double>(static_cast<long long>(v)))
      return std::to_string(static_cast<long long>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
  }
  std::string& out_;
  std::string name_;
};

double seconds_of(Instant t) {
  return static_cast<double>(t.time_since_epoch().count());
}

std::optional<Instant> utc_instant(const std::string& rfc3339) {
  return parse_time(rfc3339, nullptr).instant;
}

}  // namespace

std::string label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string prometheus_text(const MetricsInput& in) {
  std::string out;
  Family(out, "op25bc_build_info", "gauge", "The op25bc build that wrote these metrics.")
      .sample(1, {{"version", OP25BC_VERSION}});
  if (in.kernel_read)
    Family(
        out, "op25bc_table_present", "gauge",
        "Whether the kernel holds op25bc's nftables table, or its iptables chains (1), or not (0).")
        .sample(in.status ? 1 : 0, {{"table", in.table}});
  if (in.status) {
    Family packets(out, "op25bc_blocked_packets_total", "counter",
                   "Port 25 packets blocked, by the policy id of the phase that blocked them.");
    for (const auto& c : in.status->counters)
      packets.sample(static_cast<double>(c.packets), {{"phase", c.phase}});
    Family bytes(out, "op25bc_blocked_bytes_total", "counter",
                 "Bytes of the port 25 packets blocked, by the policy id of the phase.");
    for (const auto& c : in.status->counters)
      bytes.sample(static_cast<double>(c.bytes), {{"phase", c.phase}});
    // Only when every count is known: a missing line would read as a gap.
    const auto totals = backend::set_totals(*in.status);
    if (std::all_of(totals.begin(), totals.end(), [](const auto& t) { return t.elements; })) {
      Family sets(out, "op25bc_set_elements", "gauge",
                  "Elements (merged prefixes) in each of op25bc's sets.");
      for (const auto& t : totals) sets.sample(static_cast<double>(*t.elements), {{"set", t.name}});
    }
    if (!in.status->monitor_counters.empty()) {
      Family connections(out, "op25bc_monitored_connections_total", "counter",
                         "Connections a phase in its monitor period would have blocked (it let "
                         "them pass), by the phase id as its counter spells it.");
      for (const auto& c : in.status->monitor_counters)
        connections.sample(static_cast<double>(c.packets), {{"phase", c.phase}});
    }
    if (!in.status->recordings.empty()) {
      Family sources(out, "op25bc_monitored_sources", "gauge",
                     "Source addresses a monitoring phase recorded and still keeps, by phase "
                     "and family.");
      for (const auto& r : in.status->recordings)
        sources.sample(static_cast<double>(r.recorded),
                       {{"phase", r.phase}, {"family", std::string{net::family_name(r.family)}}});
      Family full(out, "op25bc_monitor_set_full", "gauge",
                  "Whether a monitoring phase's recording set is full (1), so that new sources "
                  "are not recorded, by phase and family.");
      for (const auto& r : in.status->recordings)
        full.sample(r.full() ? 1 : 0,
                    {{"phase", r.phase}, {"family", std::string{net::family_name(r.family)}}});
    }
    for (const char* kind : {"submission", "smarthost"}) {
      const bool submission = kind == std::string_view{"submission"};
      if (std::none_of(in.status->adoption.begin(), in.status->adoption.end(),
                       [&](const auto& a) { return a.kind == kind; }))
        continue;
      Family adoption(out, std::string{"op25bc_"} + kind + "_connections_total", "counter",
                      submission ? "Connections the pools the phases cover opened to a mail "
                                   "submission port, to any destination, by family; counted with "
                                   "or without a phase in force."
                                 : "Connections the pools the phases cover opened to a smarthost "
                                   "on an enforcement port, by family; counted with or without a "
                                   "phase in force.");
      for (const auto& a : in.status->adoption)
        if (a.kind == kind)
          adoption.sample(static_cast<double>(a.connections),
                          {{"family", std::string{net::family_name(a.family)}}});
    }
    Family active(out, "op25bc_phase_active", "gauge",
                  "Phases whose blocking rules the kernel holds, by policy id.");
    for (const auto& id : in.status->active_phases) active.sample(1, {{"phase", id}});
    if (in.status->last_apply && in.status->last_apply->verified_at > 0)
      Family(out, "op25bc_last_verification_timestamp_seconds", "gauge",
             "When op25bc last read every set back from the kernel and found or made it as "
             "the policy wants (Unix time).")
          .sample(static_cast<double>(in.status->last_apply->verified_at));
  }
  if (!in.history.entries.empty())
    if (const auto when = utc_instant(in.history.entries.front().when))
      Family(out, "op25bc_last_apply_timestamp_seconds", "gauge",
             "When op25bc last changed the kernel or applied another policy (Unix time).")
          .sample(seconds_of(*when));
  if (in.run) {
    Family(out, "op25bc_activate_last_run_timestamp_seconds", "gauge",
           "When op25bc activate last ran (Unix time).")
        .sample(seconds_of(in.run->at));
    Family(out, "op25bc_activate_last_run_success", "gauge",
           "Whether the last op25bc activate left the kernel holding the policy (1) or failed (0).")
        .sample(in.run->ok ? 1 : 0);
  }
  std::optional<double> lateness;
  if (in.run)
    lateness = in.run->late_by ? static_cast<double>(in.run->late_by->count()) : 0.0;
  else
    for (const auto& e : in.history.entries)
      if (e.command == "activate") {
        lateness = e.late_by_seconds ? static_cast<double>(*e.late_by_seconds) : 0.0;
        break;
      }
  if (lateness)
    Family(out, "op25bc_activate_lateness_seconds", "gauge",
           "How late the last boundary op25bc activate applied was applied (0: on time).")
        .sample(*lateness);
  if (in.policy) {
    const auto events = timeline::build(*in.policy);
    if (const auto* next = timeline::next_change(events, in.now))
      Family(out, "op25bc_next_boundary_timestamp_seconds", "gauge",
             "The next instant at which the policy changes the ruleset (Unix time).")
          .sample(seconds_of(next->at));
    Family expiring(out, "op25bc_exemption_expiry_timestamp_seconds", "gauge",
                    "Exemptions that expire within the warning window, by id (Unix time).");
    const auto soon = schedule::expiring(*in.policy, in.now, in.warn_expiry);
    for (const auto* x : soon) expiring.sample(seconds_of(*x->until), {{"exemption", x->id}});
    Family(out, "op25bc_exemptions_expiring", "gauge",
           "How many exemptions expire within the warning window.")
        .sample(static_cast<double>(soon.size()),
                {{"within_days", std::to_string(in.warn_expiry.count() / 24)}});
    std::size_t dropins = 0;
    for (const auto& x : in.policy->exemptions) dropins += x.file.empty() ? 0 : 1;
    Family(out, "op25bc_exemptions", "gauge",
           "Exemptions in the policy, by where they are written: the policy file (inline) or "
           "a drop-in file of exemptions_dir (dropin); active or not.")
        .sample(static_cast<double>(in.policy->exemptions.size() - dropins), {{"source", "inline"}})
        .sample(static_cast<double>(dropins), {{"source", "dropin"}});
    Family(out, "op25bc_exemption_dropins_skipped", "gauge",
           "Drop-in exemption files left out because they are invalid (op25bc validate names "
           "every problem).")
        .sample(static_cast<double>(in.policy->skipped_dropins.size()));
  }
  if (in.sessions) {
    Family(out, "op25bc_live_sessions", "gauge",
           "Subscribers with an exemption and a live session (op25bc session up), by whether "
           "the exemption is in force now.")
        .sample(static_cast<double>(in.sessions->exempt), {{"exempt", "true"}})
        .sample(static_cast<double>(in.sessions->waiting), {{"exempt", "false"}});
    Family(out, "op25bc_live_session_addresses", "gauge",
           "Addresses and prefixes of live sessions exempt now (the session sets).")
        .sample(static_cast<double>(in.sessions->addresses));
  }
  if (in.follower) {
    const auto& f = *in.follower;
    Family(out, "op25bc_radius_records_total", "counter",
           "RADIUS accounting records op25bc session follow read from the detail file, skipped "
           "ones included.")
        .sample(static_cast<double>(f.records));
    Family(out, "op25bc_radius_skipped_total", "counter",
           "Records skipped (not readable whole) and session events refused by the follower.")
        .sample(static_cast<double>(f.skipped));
    Family(out, "op25bc_radius_last_record_timestamp_seconds", "gauge",
           "When FreeRADIUS wrote the last record the follower read (its Timestamp).")
        .sample(static_cast<double>(f.last_record));
    Family(out, "op25bc_radius_last_batch_timestamp_seconds", "gauge",
           "When the follower last put a batch into the kernel.")
        .sample(static_cast<double>(f.last_batch));
    Family(out, "op25bc_radius_behind_bytes", "gauge",
           "Bytes of the detail file written and not yet read by the follower.")
        .sample(static_cast<double>(f.behind));
    const auto now =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, in.now.time_since_epoch().count()));
    Family(out, "op25bc_radius_lag_seconds", "gauge",
           "Seconds since the follower's last batch while records wait unread; 0 when it has "
           "read all there is.")
        .sample(f.behind == 0 || now < f.last_batch ? 0.0
                                                    : static_cast<double>(now - f.last_batch));
  }
  if (!in.fingerprint.empty())
    Family(out, "op25bc_policy_info", "gauge",
           "The policy the kernel holds, by fingerprint; pinned=\"true\" after a rollback.")
        .sample(1,
                {{"fingerprint", in.fingerprint}, {"pinned", in.history.pin ? "true" : "false"}});
  return out;
}

}  // namespace op25bc::report
