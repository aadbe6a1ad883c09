// SPDX-License-Identifier: GPL-2.0-or-later
// op25bc: compiles an Outbound Port 25 Blocking policy into firewall rulesets.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <iostream>

#include "backends.h"
#include "commands.h"
#include "op25bc/diag/diagnostics.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"

namespace {

using namespace op25bc::cli;

constexpr const char* kKernelTimedHelp =
    "also install the next boundary's change, guarded by meta time, so the kernel switches at "
    "the exact second";

void add_policy(CLI::App& cmd, std::string& path) {
  cmd.add_option("POLICY", path, "policy file (JSON, see schemas/op25bc-policy.schema.json)")
      ->required();
}

void add_router(CLI::App& cmd, std::string& router) {
  cmd.add_option("--router", router,
                 "narrow the policy to the pools this router carries (an id under \"routers\")");
}

// A finite number of seconds or days within [0, max]: "inf", "nan" and
// negative values are usage errors, never an endless wait.
CLI::Validator bounded(double max) {
  return CLI::Validator(
      [max](std::string& text) -> std::string {
        double v = 0;
        try {
          std::size_t used = 0;
          v = std::stod(text, &used);
          if (used != text.size()) return "not a number: " + text;
        } catch (const std::exception&) {
          return "not a number: " + text;
        }
        if (!std::isfinite(v) || v < 0 || v > max)
          return text + " is not between 0 and " + std::to_string(static_cast<long>(max));
        return {};
      },
      "0.." + std::to_string(static_cast<long>(max)));
}

void add_at(CLI::App& cmd, std::optional<std::string>& at) {
  cmd.add_option("--at", at,
                 "instant to evaluate: YYYY-MM-DD (local midnight in the policy's time zone), "
                 "an RFC 3339 timestamp, or now (default)");
}

// --backend NAME, one of the registered backends (backends.cc).
void add_backend(CLI::App& cmd, std::string& backend, const op25bc::backend::Registry& backends) {
  const std::vector<std::string> names = backends.names();
  std::string help = names.front() + " (default)";
  for (std::size_t i = 1; i < names.size(); ++i) help += ", or " + names[i];
  cmd.add_option("--backend", backend, help)->check(CLI::IsMember(names));
}

// What a command that reaches a backend takes beside --backend and --state.
enum Takes : unsigned { kStateOnly = 0, kSessions = 1, kLock = 2, kKeep = 4, kRun = 7 };

// The options of a run's target (run/target.h), added once for every command
// that has one: --backend, --state (whose default each backend names), and
// as `takes` says --sessions, --lock and --lock-wait, --keep.
void add_target(CLI::App& cmd, op25bc::run::TargetOptions& target,
                const op25bc::backend::Registry& backends, unsigned takes,
                const std::string& state_help = "state file") {
  add_backend(cmd, target.backend, backends);
  std::string defaults;
  for (const std::string& name : backends.names())
    defaults += (defaults.empty() ? "" : ", ") + name + ": " +
                backends.find(name)->default_state_file("TABLE");
  cmd.add_option("--state", target.state,
                 state_help + " (default the backend's, " + defaults + ")");
  if (takes & kSessions)
    cmd.add_option("--sessions", target.sessions,
                   "session table of subscriber exemptions (default /run/op25bc/STATE.sessions, "
                   "after the state file's name)");
  if (takes & kLock) {
    cmd.add_option("--lock", target.lock, "lock file serialising op25bc runs")
        ->capture_default_str();
    cmd.add_option("--lock-wait", target.lock_wait, "seconds to wait for the lock")
        ->check(bounded(86400))
        ->capture_default_str();
  }
  if (takes & kKeep)
    cmd.add_option("--keep", target.keep, "policies kept in the history for rollback")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  const op25bc::backend::Registry backends = op25bc::cli::make_backends();
  CLI::App app{"op25bc: compile an Outbound Port 25 Blocking policy into firewall rulesets",
               "op25bc"};
  app.set_version_flag("--version", "op25bc " OP25BC_VERSION);
  app.require_subcommand(1);

  ValidateArgs validate;
  auto* v = app.add_subcommand("validate", "check a policy and report every problem");
  add_policy(*v, validate.policy);
  v->add_flag("--strict", validate.strict, "treat warnings as errors");
  v->add_option("--base", validate.base,
                "folder prefixes_file paths are relative to (default: the policy file's)");
  v->add_option("--format", validate.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  CompileArgs compile;
  auto* c = app.add_subcommand("compile", "print the ruleset in effect at an instant");
  add_policy(*c, compile.policy);
  add_router(*c, compile.router);
  add_at(*c, compile.at);
  std::vector<std::string> formats;
  std::string formats_help = "the backend's input, its first format the default:";
  for (const std::string& name : backends.names()) {
    const auto own = backends.find(name)->formats();
    formats.insert(formats.end(), own.begin(), own.end());
    formats_help += " " + name + ": " + op25bc::text::join(own, std::string_view(" or ")) + ";";
  }
  formats_help.pop_back();
  c->add_option("--format", compile.format, formats_help)->check(CLI::IsMember(formats));
  c->add_option("-o,--output", compile.output,
                "write to FILE (atomically) instead of stdout; for a backend whose input is "
                "several files (see op25bc(8)), the folder they are written to");
  c->add_flag("--kernel-timed", compile.kernel_timed, kKernelTimedHelp);
  add_backend(*c, compile.backend, backends);

  ExplainArgs explain;
  auto* e = app.add_subcommand("explain", "say whether a connection is blocked, and why");
  add_policy(*e, explain.policy);
  add_router(*e, explain.router);
  e->add_option("--src", explain.src, "source address (the subscriber)")->required();
  e->add_option("--dst", explain.dst, "destination address (the mail server)")->required();
  e->add_option("--port", explain.port, "destination TCP port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  add_at(*e, explain.at);
  e->add_option("--format", explain.format, "text or json")->check(CLI::IsMember({"text", "json"}));

  TimelineArgs timeline;
  auto* t = app.add_subcommand("timeline", "list every instant at which the ruleset changes");
  add_policy(*t, timeline.policy);
  add_router(*t, timeline.router);
  t->add_option("--at", timeline.at, "the instant expiry warnings count from (default now)");
  t->add_option("--warn-days", timeline.warn_days, "warn about exemptions expiring this soon")
      ->check(bounded(3650))
      ->capture_default_str();
  t->add_option("--format", timeline.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  ApplyArgs apply;
  auto* a = app.add_subcommand("apply", "make the kernel hold the ruleset in effect at an instant");
  ApplyArgs diff;
  diff.diff_only = true;
  auto* d =
      app.add_subcommand("diff", "show what apply would change (exit 2 when changes are pending)");
  for (auto [cmd, args] : {std::pair{a, &apply}, std::pair{d, &diff}}) {
    add_policy(*cmd, args->policy);
    add_router(*cmd, args->router);
    add_at(*cmd, args->at);
    cmd->add_flag("--verify", args->verify,
                  "read set elements back from the kernel instead of trusting op25bc's record "
                  "(slow for large sets)");
    add_target(*cmd, args->target, backends, cmd == a ? kRun : kSessions | kLock);
    cmd->add_option("--format", args->format, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    cmd->add_flag("--kernel-timed", args->kernel_timed, kKernelTimedHelp);
  }
  a->add_flag("--dry-run", apply.dry_run,
              "show the changes and have the kernel validate them without committing");
  a->add_flag("--adopt", apply.adopt,
              "take over same-named objects (a table, chains) that op25bc did not create");
  a->add_flag("--strict", apply.strict,
              "refuse when a drop-in exemption file is invalid, instead of leaving it out");

  ActivateArgs activate;
  auto* ac = app.add_subcommand(
      "activate", "cron/systemd entry point: apply what the policy says for now, log one line");
  add_policy(*ac, activate.policy);
  add_router(*ac, activate.router);
  add_at(*ac, activate.at);
  add_target(*ac, activate.target, backends, kRun);
  ac->add_flag("--allow-rollback", activate.allow_rollback,
               "follow the clock back across a boundary already applied");
  ac->add_flag("--kernel-timed", activate.kernel_timed, kKernelTimedHelp);
  ac->add_flag("--strict", activate.strict,
               "refuse when a drop-in exemption file is invalid, instead of leaving it out");
  ac->add_option("--warn-days", activate.warn_days, "warn about exemptions expiring this soon")
      ->check(bounded(3650))
      ->capture_default_str();
  ac->add_flag("!--no-syslog", activate.syslog, "log to stderr only");
  ac->add_flag("--verify", activate.verify,
               "read every set back from the kernel this run, trusting no record");
  ac->add_option("--verify-every", activate.verify_every,
                 "seconds between full read-backs of every set (0: every run)")
      ->check(bounded(86400 * 366))
      ->capture_default_str();
  ac->add_option("--deadline", activate.deadline,
                 "seconds after which the run is ended, its lock released (0: none)")
      ->check(bounded(86400))
      ->capture_default_str();
  ac->add_option("--metrics", activate.metrics,
                 "write Prometheus metrics (node_exporter textfile format) to FILE after the run");

  ScheduleArgs schedule;
  auto* sc = app.add_subcommand("schedule", "write a crontab or systemd units running activate");
  add_policy(*sc, schedule.policy);
  add_router(*sc, schedule.router);
  sc->add_option("--emit", schedule.emit, "cron or systemd")
      ->required()
      ->check(CLI::IsMember({"cron", "systemd"}));
  sc->add_option("--bin", schedule.bin,
                 "path of op25bc in the units (default: this op25bc's own path)");
  sc->add_option("--metrics", schedule.metrics,
                 "have activate write Prometheus metrics to FILE after every run");
  sc->add_option("-o,--output", schedule.output,
                 "cron: a file; systemd: a folder for op25bc.service and op25bc.timer");
  add_target(*sc, schedule.target, backends, kStateOnly, "state file for activate");

  StatusArgs status;
  auto* s = app.add_subcommand("status", "show what op25bc's table holds");
  s->add_option("--table", status.table, "table name")->capture_default_str();
  add_target(*s, status.target, backends, kStateOnly);
  s->add_flag("--verify", status.verify, "count set elements by reading them from the kernel");
  s->add_option("--format", status.format, "text or json")->check(CLI::IsMember({"text", "json"}));

  AffectedArgs affected;
  auto* af = app.add_subcommand(
      "affected", "list the subscribers monitoring phases recorded: whom they will block");
  add_policy(*af, affected.policy);
  add_router(*af, affected.router);
  add_target(*af, affected.target, backends, kStateOnly);
  af->add_option("--format", affected.format, "text, json or csv")
      ->check(CLI::IsMember({"text", "json", "csv"}));
  af->add_option("-o,--output", affected.output, "write to FILE (mode 0600) instead of stdout");

  HistoryArgs history;
  auto* h = app.add_subcommand("history", "list the policies op25bc applied, newest first");
  h->add_option("--table", history.table, "table name")->capture_default_str();
  add_target(*h, history.target, backends, kStateOnly);
  h->add_option("--format", history.format, "text or json")->check(CLI::IsMember({"text", "json"}));

  RollbackArgs rollback;
  auto* r = app.add_subcommand(
      "rollback", "re-apply the previous (or a named) policy from the history and pin it");
  r->add_option("--table", rollback.table, "table name")->capture_default_str();
  add_target(*r, rollback.target, backends, kRun);
  r->add_option("--to", rollback.to,
                "fingerprint (or a unique prefix) of the policy to go back to");
  add_at(*r, rollback.at);
  r->add_flag("--dry-run", rollback.dry_run,
              "show the changes and have the kernel validate them without committing");
  r->add_flag("--release", rollback.release,
              "drop the pin: the next activate applies the policy file again");
  r->get_option("--release")->excludes(r->get_option("--to"))->excludes(r->get_option("--dry-run"));

  ExemptArgs exempt;
  auto* ex = app.add_subcommand(
      "exempt", "grant, withdraw and list exemptions as drop-in files (exemptions_dir)");
  ex->require_subcommand(1);
  auto* ex_add = ex->add_subcommand("add", "check a new exemption, then write its drop-in file");
  auto* ex_remove = ex->add_subcommand("remove", "withdraw a drop-in exemption: remove its file");
  auto* ex_list = ex->add_subcommand("list", "every exemption, inline and drop-in");
  for (auto* cmd : {ex_add, ex_remove, ex_list}) add_policy(*cmd, exempt.policy);
  ex_add->add_option("--id", exempt.id, "the exemption's id, and its file's name")->required();
  auto* prefix =
      ex_add->add_option("--prefix", exempt.prefixes, "an exempted address or prefix (repeatable)");
  auto* subscriber = ex_add->add_option(
      "--subscriber", exempt.subscriber,
      "instead of prefixes: the subscriber whose live sessions' addresses are exempt");
  prefix->excludes(subscriber);  // one of the two is required (exempt_command.cc)
  ex_add->add_option("--reason", exempt.reason, "why, for the helpdesk")->required();
  ex_add->add_option("--effective", exempt.effective,
                     "from, in the policy's time zone (default: always)");
  ex_add->add_option("--until", exempt.until, "until, exclusive (default: forever)");
  ex_add->add_option("--ticket", exempt.ticket, "the helpdesk's reference");
  ex_remove->add_option("id", exempt.id, "the drop-in exemption's id")->required();
  for (auto* cmd : {ex_add, ex_remove}) {
    cmd->add_flag("--apply", exempt.apply, "make the kernel follow at once, as apply would");
    add_router(*cmd, exempt.router);
    add_at(*cmd, exempt.at);
    add_target(*cmd, exempt.target, backends, kRun);
  }
  add_at(*ex_list, exempt.at);
  add_target(*ex_list, exempt.target, backends, kSessions,
             "state file whose session table lists live sessions");
  ex_list->add_option("--format", exempt.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  ex_list->add_option("--expiring", exempt.expiring, "only those that end within DAYS")
      ->check(bounded(3650));

  NoticeArgs notice;
  auto* no = app.add_subcommand(
      "notice", "write the customer notice of the policy (HTML or Markdown, English or Japanese)");
  add_policy(*no, notice.policy);
  add_router(*no, notice.router);
  no->add_option("--lang", notice.lang, "en or ja")->check(CLI::IsMember({"en", "ja"}));
  no->add_option("--format", notice.format, "html or markdown")
      ->check(CLI::IsMember({"html", "markdown"}));
  no->add_option("--at", notice.at,
                 "mark what has happened by this instant (YYYY-MM-DD, RFC 3339, or now)");
  no->add_option("-o,--output", notice.output, "write to FILE (atomically) instead of stdout");

  SessionArgs session;
  auto* se = app.add_subcommand(
      "session", "a subscriber's session began or ended: its exemption follows the address");
  se->require_subcommand(1);
  auto* se_up = se->add_subcommand("up", "a session of the subscriber holds these addresses");
  auto* se_down = se->add_subcommand("down", "the subscriber's session ended");
  auto* se_list = se->add_subcommand("list", "the live sessions of subscribers with an exemption");
  auto* se_follow = se->add_subcommand(
      "follow", "follow RADIUS accounting: the records FreeRADIUS writes to a detail file");
  se_follow
      ->add_option("--radius-detail", session.radius_detail,
                   "the detail file of FreeRADIUS's op25bc module (hooks/freeradius/op25bc)")
      ->required();
  auto* se_sync = se->add_subcommand(
      "sync",
      "rebuild the session table from RADIUS detail files or DHCP lease files and make the "
      "kernel match it");
  auto* se_kea = se->add_subcommand(
      "kea", "Kea's run_script hook (hooks/kea-lease): the leases of one hook call");
  se_kea
      ->add_option("POINT", session.kea_point, "the hook point Kea passes (leases4_committed, ...)")
      ->required();
  se_kea->add_option("VARIABLE", session.kea_env,
                     "NAME=VALUE: the hook's variables as arguments (through sudo), instead of "
                     "the environment");
  se_kea->add_option("--lease-file", session.lease_file,
                     "Kea's memfile, where DHCPv6 leases' relay ids are (store-extended-info)");
  auto* sync_detail = se_sync->add_option(
      "--radius-detail", session.detail_files,
      "a detail file, the oldest first (repeatable: rotated files, then the current)");
  auto* sync_kea = se_sync->add_option(
      "--kea-leases", session.kea_files,
      "a Kea memfile (repeatable: FILE.1 and FILE.2 first, then FILE; DHCPv4 and DHCPv6)");
  auto* sync_dnsmasq = se_sync->add_option("--dnsmasq-leases", session.dnsmasq_files,
                                           "dnsmasq's lease file (dhcp-leasefile)");
  sync_detail->excludes(sync_kea)->excludes(sync_dnsmasq);
  sync_kea->excludes(sync_dnsmasq);
  for (auto* cmd : {se_follow, se_sync}) {
    cmd->add_option("--subscriber-attribute", session.attribute,
                    "the attribute that names the subscriber")
        ->capture_default_str();
  }
  for (auto* cmd : {se_follow, se_sync, se_kea})
    cmd->add_option("--writer", session.writer,
                    "the user that writes the source's files, trusted besides root (default "
                    "freerad, _kea or dnsmasq)");
  for (auto* cmd : {se_sync, se_kea})
    cmd->add_flag("--trust-client-id", session.trust_client_id,
                  "let a client id, MAC address or DUID name the subscriber when no relay agent "
                  "id does (only where the access network pins them)");
  se_follow->add_flag("--once", session.once, "read the whole records there are, then exit");
  se_follow->add_option("--position", session.position,
                        "where the follower keeps its place (default STATE.radius-position)");
  se_follow->add_option("--batch", session.batch, "records per kernel transaction, at most")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();

  for (auto* cmd : {se_up, se_down})
    cmd->add_option("--subscriber", session.subscriber,
                    "the subscriber, as its exemption names it (a PPP peer name, a DHCP client "
                    "id or relay remote id)")
        ->required();
  se_up
      ->add_option("--address", session.addresses,
                   "an address (or delegated prefix) of the session (repeatable)")
      ->required();
  se_down->add_option("--address", session.addresses,
                      "an address the session released (repeatable; default: every one)");
  for (auto* cmd : {se_up, se_down, se_list, se_follow, se_sync, se_kea}) {
    cmd->add_option("--table", session.table, "table name, for the default state file")
        ->capture_default_str();
    add_target(*cmd, session.target, backends, cmd == se_list ? kStateOnly : kLock,
               "state file of the apply or activate whose index of subscriber exemptions to "
               "follow");
  }
  se_list->add_option("--format", session.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  MetricsArgs metrics;
  auto* m =
      app.add_subcommand("metrics", "write Prometheus metrics (node_exporter textfile format)");
  m->add_option("--table", metrics.table, "table name")->capture_default_str();
  add_target(*m, metrics.target, backends, kStateOnly);
  m->add_option("-o,--output", metrics.output, "write to FILE (atomically) instead of stdout");
  m->add_option("--warn-days", metrics.warn_days, "count exemptions expiring this soon")
      ->check(bounded(3650))
      ->capture_default_str();

  // A word where the command goes that is no command: say so, with the
  // nearest name (CLI11 alone would ask for "a subcommand").
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  if (argc == 1 ||
      (argv[1][0] != '-' && std::find(names.begin(), names.end(), argv[1]) == names.end())) {
    if (argc == 1) {
      std::cerr << "op25bc: a command is required";
    } else {
      const std::string near = op25bc::did_you_mean(argv[1], names);
      std::cerr << "op25bc: unknown command " << op25bc::quote(op25bc::text::printable(argv[1]))
                << (near.empty() ? "" : "; did you mean \"" + near + "\"?");
    }
    std::cerr << "\ncommands: " << op25bc::text::join(names)
              << "\nRun with --help for more information.\n";
    return kExitUsage;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion&) {
    std::cout << "op25bc " OP25BC_VERSION "\n";
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    std::cerr << "op25bc: " << error.what() << "\nRun with --help for more information.\n";
    return kExitUsage;
  }

  const op25bc::SystemClock clock;
  const Io io{std::cout, std::cerr, clock, backends};
  // Expected failures come back as values and are reported where they
  // arise; anything thrown this far is a defect, reported, never a crash.
  try {
    if (*v) return run_validate(validate, io);
    if (*c) return run_compile(compile, io);
    if (*e) return run_explain(explain, io);
    if (*t) return run_timeline(timeline, io);
    if (*a) return run_apply(apply, io);
    if (*d) return run_apply(diff, io);
    if (*s) return run_status(status, io);
    if (*af) return run_affected(affected, io);
    if (*ac) {
      // The kernel ends the process at the deadline (SIGALRM's default
      // action): the lock goes with it, and a netlink batch is atomic.
      if (activate.deadline > 0) ::alarm(static_cast<unsigned>(activate.deadline));
      return run_activate(activate, io);
    }
    if (*sc) return run_schedule(schedule, io);
    if (*h) return run_history(history, io);
    if (*r) return run_rollback(rollback, io);
    if (*m) return run_metrics(metrics, io);
    if (*no) return run_notice(notice, io);
    if (*se) {
      session.action = *se_up       ? "up"
                       : *se_down   ? "down"
                       : *se_follow ? "follow"
                       : *se_sync   ? "sync"
                       : *se_kea    ? "kea"
                                    : "list";
      // A follower or a resync is no hook an access server waits on: it
      // waits out a long activate rather than failing.
      for (const auto* waits : {se_follow, se_sync})
        if (*waits && waits->get_option("--lock-wait")->count() == 0) session.target.lock_wait = 60;
      return run_session_command(session, io);
    }
    if (*ex) {
      exempt.action = *ex_add ? "add" : *ex_remove ? "remove" : "list";
      return run_exempt(exempt, io);
    }
  } catch (const std::exception& e) {
    std::cerr << "op25bc: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitUsage;
}
