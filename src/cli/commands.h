// SPDX-License-Identifier: GPL-2.0-or-later
// The subcommands. Each returns the process exit status.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

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

// The lock every op25bc run takes; its folder is op25bc.service's
// RuntimeDirectory, made by the first run after boot when run by hand.
inline constexpr const char* kDefaultLock = "/run/op25bc/op25bc.lock";

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
  bool strict = false;   // an invalid drop-in exemption file refuses the run
  std::string state;     // default: the backend's, in /var/lib/op25bc
  std::string sessions;  // the session table; default: named after the state file, in /run/op25bc
  std::string lock = kDefaultLock;
  double lock_wait = 10;  // seconds
  std::string format = "text";
  std::size_t keep = 10;  // history entries kept
  std::string backend;    // --backend; "" for the default
};

struct ActivateArgs {
  std::string policy;
  std::string router;             // --router: narrow to that router's pools
  std::optional<std::string> at;  // for tests and catch-up drills; default now
  std::string state;
  std::string sessions;  // as ApplyArgs::sessions
  std::string lock = kDefaultLock;
  double lock_wait = 30;
  bool allow_rollback = false;
  bool kernel_timed = false;
  bool strict = false;  // an invalid drop-in exemption file refuses the run
  double warn_days = 14;
  bool syslog = true;
  std::size_t keep = 10;
  std::string metrics;       // a node_exporter textfile to write after the run
  std::string backend;       // --backend; "" for the default
  bool verify = false;       // read every set back this run
  long verify_every = 3600;  // seconds between full read-backs; 0: every run
  // Seconds after which the whole run is ended (SIGALRM), its lock released
  // with it, so a hung input never stops every later run; 0: none.
  long deadline = 300;
};

struct HistoryArgs {
  std::string table = "op25b";
  std::string state;
  std::string format = "text";
  std::string backend;  // --backend; "" for the default
};

struct RollbackArgs {
  std::string table = "op25b";
  std::string state;
  std::string sessions;  // as ApplyArgs::sessions
  std::string to;        // a fingerprint (or a prefix); default the previous policy
  std::optional<std::string> at;
  bool dry_run = false;
  bool release = false;
  std::string lock = kDefaultLock;
  double lock_wait = 10;
  std::size_t keep = 10;
  std::string backend;  // --backend; "" for the default
};

struct MetricsArgs {
  std::string table = "op25b";
  std::string state;
  std::string output;  // "" or "-": stdout
  double warn_days = 14;
  std::string backend;  // --backend; "" for the default
};

struct ScheduleArgs {
  std::string policy;
  std::string router;   // --router: narrow to that router's pools
  std::string emit;     // cron or systemd
  std::string bin;      // "": the op25bc running now (/proc/self/exe)
  std::string state;    // passed through to activate, when given
  std::string metrics;  // passed through to activate, when given
  std::string output;
  std::string backend;  // --backend; "" for the default
};

struct StatusArgs {
  std::string table = "op25b";
  std::string state;
  bool verify = false;
  std::string format = "text";
  std::string backend;  // --backend; "" for the default
};

struct AffectedArgs {
  std::string policy;
  std::string router;  // --router: narrow to that router's pools
  std::string state;
  std::string format = "text";
  std::string output;   // "" or "-": stdout; a file is written mode 0600
  std::string backend;  // --backend; "" for the default
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
  std::string state;
  std::string sessions;  // as ApplyArgs::sessions
  std::string lock = kDefaultLock;
  double lock_wait = 30;
  std::size_t keep = 10;
  std::string backend;
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
  std::string state;            // the index of subscriber exemptions lies beside it
  std::string lock = kDefaultLock;
  // Short: an access server's hook must not stall on a long apply; a
  // refused event is logged, and the next apply or activate reads the table.
  double lock_wait = 2;
  std::string backend;          // default: the one the index names
  std::string format = "text";  // list
};

// apply's path from a loaded policy to the kernel, shared with rollback
// (which pins what it applied instead of honouring the pin) and exempt
// --apply (which holds the session, and so the lock, already; under a pin it
// applies the pinned policy with the live drop-ins, as activate does).
struct Loaded;
struct Held;
enum class ApplyRole { apply, rollback, pinned };
int apply_policy(const Loaded& loaded, const ApplyArgs& args, ApplyRole role, Io io,
                 Held* held = nullptr);

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
