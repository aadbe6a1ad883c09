// SPDX-License-Identifier: GPL-2.0-or-later
// The subcommands. Each returns the process exit status.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/run/target.h"
#include "op25bc/time/instant.h"

namespace op25bc::backend {
class Registry;
}

namespace op25bc::cli {

// Exit statuses, distinct so scripts and cron can tell them apart.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitPending = 2;  // diff / dry-run: changes pending
inline constexpr int kExitUsage = 64;   // EX_USAGE

// The version of every --format json output's shape (schemas/op25bc-*.schema.json):
// keys may be added within a version; one that changes meaning makes a new one.
inline constexpr int kSchemaVersion = 1;

struct Io {
  std::ostream& out;
  std::ostream& err;
  const Clock& clock;
  const backend::Registry& backends;  // what --backend chooses from (backends.cc)
};

struct ValidateArgs {
  std::string policy;
  bool strict = false;
  std::string base;  // where prefix files are read from (default: the policy's folder)
  std::string format = "text";
};

struct CompileArgs {
  std::string policy;
  std::string router;  // --router: narrow to that router's pools
  std::optional<std::string> at;
  std::string format;  // "" for the backend's first
  std::string output;  // "" or "-": stdout; a folder for a backend whose input is several files
  bool kernel_timed = false;
  std::string backend;  // --backend; "" for the default
};

struct ExplainArgs {
  std::string policy;
  std::string router;  // --router: narrow to that router's pools
  std::string src;
  std::string dst;
  std::uint16_t port = 25;
  std::optional<std::string> at;
  std::string format = "text";
};

struct TimelineArgs {
  std::string policy;
  std::string router;  // --router: narrow to that router's pools
  std::string format = "text";
  std::optional<std::string> at;  // "now" for the expiry warnings
  double warn_days = 14;
};

// apply and diff share one command: diff never commits.
struct ApplyArgs {
  std::string policy;
  std::string router;  // --router: narrow to that router's pools
  std::optional<std::string> at;
  bool diff_only = false;  // `op25bc diff`
  bool dry_run = false;    // `op25bc apply --dry-run`
  bool adopt = false;
  bool verify = false;
  bool kernel_timed = false;
  bool strict = false;  // an invalid drop-in exemption file refuses the run
  std::string format = "text";
  run::TargetOptions target;  // backend, state, sessions, lock, keep
};

struct ActivateArgs {
  std::string policy;
  std::string router;             // --router: narrow to that router's pools
  std::optional<std::string> at;  // for tests and catch-up drills; default now
  run::TargetOptions target = run::TargetOptions::waiting(30);
  bool allow_rollback = false;
  bool kernel_timed = false;
  bool strict = false;  // an invalid drop-in exemption file refuses the run
  double warn_days = 14;
  bool syslog = true;
  std::string metrics;       // a node_exporter textfile to write after the run
  bool verify = false;       // read every set back this run
  long verify_every = 3600;  // seconds between full read-backs; 0: every run
  // Seconds after which the whole run is ended (SIGALRM), its lock released
  // with it, so a hung input never stops every later run; 0: none.
  long deadline = 300;
};

struct HistoryArgs {
  std::string table = "op25b";
  std::string format = "text";
  run::TargetOptions target;  // backend and state
};

struct RollbackArgs {
  std::string table = "op25b";
  std::string to;  // a fingerprint (or a prefix); default the previous policy
  std::optional<std::string> at;
  bool dry_run = false;
  bool release = false;
  run::TargetOptions target;
};

struct MetricsArgs {
  std::string table = "op25b";
  std::string output;  // "" or "-": stdout
  double warn_days = 14;
  run::TargetOptions target;  // backend and state
};

struct ScheduleArgs {
  std::string policy;
  std::string router;   // --router: narrow to that router's pools
  std::string emit;     // cron or systemd
  std::string bin;      // "": the op25bc running now (/proc/self/exe)
  std::string metrics;  // passed through to activate, when given
  std::string output;
  run::TargetOptions target;  // backend and state, passed through to activate when given
};

struct StatusArgs {
  std::string table = "op25b";
  bool verify = false;
  std::string format = "text";
  run::TargetOptions target;  // backend and state
};

struct AffectedArgs {
  std::string policy;
  std::string router;  // --router: narrow to that router's pools
  std::string format = "text";
  std::string output;         // "" or "-": stdout; a file is written mode 0600
  run::TargetOptions target;  // backend and state
};
// exempt add|remove|list: drop-in exemptions, one file each.
struct ExemptArgs {
  std::string action;  // add, remove, list
  std::string policy;
  std::string id;
  std::vector<std::string> prefixes;
  std::string subscriber;  // instead of prefixes
  std::string reason;
  std::string ticket;
  std::optional<std::string> effective;
  std::optional<std::string> until;
  bool apply = false;  // make the kernel follow at once
  std::string router;
  std::optional<std::string> at;
  run::TargetOptions target = run::TargetOptions::waiting(30);
  std::string format = "text";     // list
  std::optional<double> expiring;  // list: days
};

// notice: the customer notice.
struct NoticeArgs {
  std::string policy;
  std::string router;  // --router: the notice for that router's customers
  std::string lang = "en";
  std::string format = "html";
  std::optional<std::string> at;  // mark what has happened by then
  std::string output;             // "" or "-": stdout
};

// session up|down|list: a subscriber's session began or ended (the access
// server's scripts call it), or what the session table holds.
struct SessionArgs {
  std::string action;  // up, down, list
  std::string subscriber;
  std::vector<std::string> addresses;
  std::string table = "op25b";  // names the default state file
  // The state file: the index of subscriber exemptions lies beside it;
  // default the backend's whose index is there. The lock wait is short: an
  // access server's hook must not stall on a long apply; a refused event is
  // logged, and the next apply or activate reads the table.
  run::TargetOptions target = run::TargetOptions::waiting(2);
  std::string format = "text";  // list
  // follow: the RADIUS detail file, where the follower keeps its place, the
  // attribute naming the subscriber, records per batch, FreeRADIUS's user.
  std::string radius_detail;
  std::vector<std::string> detail_files;  // sync
  std::string position;
  std::string attribute = "User-Name";
  std::size_t batch = 10000;
  // Who writes the source's files besides root: "" for the source's own
  // (freerad, _kea, dnsmasq; root alone where that user does not exist).
  std::string writer;
  bool once = false;
  // kea: the run_script hook point; sync: the lease files.
  std::string kea_point;
  std::string lease_file;            // kea: Kea's memfile, for DHCPv6 relay ids
  std::vector<std::string> kea_env;  // kea: NAME=VALUE, instead of the environment
  std::vector<std::string> kea_files, dnsmasq_files;
  bool trust_client_id = false;
};

int run_validate(const ValidateArgs& args, Io io);
int run_compile(const CompileArgs& args, Io io);
int run_explain(const ExplainArgs& args, Io io);
int run_timeline(const TimelineArgs& args, Io io);
int run_apply(const ApplyArgs& args, Io io);
int run_status(const StatusArgs& args, Io io);
int run_affected(const AffectedArgs& args, Io io);
int run_activate(const ActivateArgs& args, Io io);
int run_schedule(const ScheduleArgs& args, Io io);
int run_history(const HistoryArgs& args, Io io);
int run_rollback(const RollbackArgs& args, Io io);
int run_metrics(const MetricsArgs& args, Io io);
int run_exempt(const ExemptArgs& args, Io io);
int run_session_command(const SessionArgs& args, Io io);
int run_notice(const NoticeArgs& args, Io io);

}  // namespace op25bc::cli
