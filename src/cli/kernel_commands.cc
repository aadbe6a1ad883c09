// apply, diff and status: the commands that talk to the kernel.
#include <sys/stat.h>
#include <syslog.h>

#include <chrono>
#include <map>
#include <ostream>

#include "commands.h"
#include "op25bc/apply/diff_text.h"
#include "op25bc/apply/lock.h"
#include "op25bc/apply/reconcile.h"
#include "op25bc/compile.h"
#include "op25bc/eval/effective.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/ir/names.h"
#include "op25bc/kernel/netlink_kernel.h"
#include "op25bc/kernel/throwaway.h"
#include "op25bc/policy/resolve.h"
#include "op25bc/schedule/activation.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "op25bc/timeline/timeline.h"
#include "support.h"

namespace op25bc::cli {

namespace {

constexpr const char* kStateFolder = "/var/lib/op25bc";

// --state if given, else /var/lib/op25bc/TABLE.state. Computes; creates nothing.
std::string state_path(const std::string& given, const std::string& table) {
  return given.empty() ? std::string{kStateFolder} + "/" + table + ".state" : given;
}

// The default state folder, for a run that will write the record there (a
// failure to make it shows when the record is written).
void make_state_folder(const std::string& given) {
  if (given.empty()) io::make_folder(kStateFolder, 0700);
}

// The object a failed operation names, and where the policy says it comes
// from (ir::Origin, filled by ir::build), for the error message.
std::string origin(const apply::Op& op, const ir::Ruleset& desired) {
  std::string object;
  const ir::Origin* from = nullptr;
  const auto set = [&](const std::string& name) {
    object = "set " + name;
    for (const auto& s : desired.sets)
      if (s.name == name) from = &s.origin;
  };
  if (const auto* s = std::get_if<apply::AddSet>(&op)) set(s->name);
  if (const auto* e = std::get_if<apply::AddElements>(&op)) set(e->set);
  if (const auto* e = std::get_if<apply::DeleteElements>(&op)) set(e->set);
  if (const auto* c = std::get_if<apply::AddCounter>(&op)) {
    object = "counter " + c->counter.name;
    from = &c->counter.origin;
  }
  if (const auto* r = std::get_if<apply::AddRule>(&op)) {
    object = "a rule in chain " + r->chain;
    from = &r->rule.origin;
  }
  if (object.empty()) return "table inet " + desired.table;
  if (from == nullptr || from->pointers.empty()) return object;
  constexpr std::size_t kShown = 3;  // an exemption set may come from thousands
  const auto& all = from->pointers;
  const std::vector<std::string> shown(all.begin(), all.begin() + std::min(all.size(), kShown));
  return object + ", from " + text::join(shown) +
         (all.size() > kShown ? " and " + std::to_string(all.size() - kShown) + " more" : "");
}

std::string drift_text(const std::string& table) {
  return "the sets of table inet " + table +
         " differed from op25bc's record (changed by someone else); read back from the kernel "
         "and repaired";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct KernelAccess {
  std::string lock;
  double lock_wait;
  std::string state;  // "" = default for the table
};

// Lock, kernel, state record, reconcile: what apply and activate share.
// Reports failures on stderr; nullopt when op25bc could not get that far.
std::optional<apply::ReconcileOutcome> reconcile_kernel(const policy::Policy& p,
                                                        const ir::Ruleset& desired,
                                                        const apply::ReconcileOptions& options,
                                                        const KernelAccess& access, Io io) {
  try {
    kernel::NetlinkKernel kernel;
    kernel.generation();  // without CAP_NET_ADMIN this says so, before any file is touched
    const apply::LockFile lock(
        access.lock, std::chrono::milliseconds(static_cast<long>(access.lock_wait * 1000)));
    if (!lock.held()) {
      io.err << "op25bc: " << lock.error() << "\n";
      return std::nullopt;
    }
    make_state_folder(access.state);
    apply::FileStateStore state(state_path(access.state, p.table));
    apply::ReconcileOutcome out = apply::reconcile(kernel, state, desired, options);
    if (!out.ok) {
      io.err << "op25bc: " << out.error;
      if (out.commit.failed_op)
        io.err << " (caused by " << origin(out.transaction.ops[*out.commit.failed_op], desired)
               << ")";
      io.err << "; the ruleset is unchanged\n";
      return std::nullopt;
    }
    return out;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return std::nullopt;
  }
}

std::vector<std::string> active_phase_ids(const policy::Policy& p, Instant at) {
  std::vector<std::string> ids;
  for (std::size_t i : eval::evaluate(p, at).phases) ids.push_back(p.phases[i].id);
  return ids;
}

// Where the elements the diff started from came from, when not from the record.
std::string read_back_note(const apply::ReconcileOutcome& out) {
  if (out.elements_read_back) return " (set elements read back from the kernel)";
  if (out.sets_read_back == 0) return "";
  return " (" + std::to_string(out.sets_read_back) + " changed set" +
         (out.sets_read_back == 1 ? "" : "s") + " read back from the kernel)";
}

}  // namespace

int run_apply(const ApplyArgs& args, Io io) {
  const auto start = std::chrono::steady_clock::now();
  const Loaded loaded = load(args.policy, io);
  if (!loaded.policy) return kExitFailure;  // invalid input never reaches the kernel
  const policy::Policy& p = *loaded.policy;
  const auto at = parse_at(args.at, p, io);
  if (!at) return kExitUsage;
  const ir::Ruleset desired = compile(p, *at, args.kernel_timed);
  const bool check_only = args.diff_only || args.dry_run;
  apply::ReconcileOptions options;
  options.check_only = check_only;
  options.adopt = args.adopt;
  options.verify = args.verify;
  options.fingerprint = loaded.fingerprint;
  options.applied_at = format_time(*at, p.zone);
  options.active_phases = active_phase_ids(p, *at);
  const auto result =
      reconcile_kernel(p, desired, options, {args.lock, args.lock_wait, args.state}, io);
  if (!result) return kExitFailure;
  const apply::ReconcileOutcome& out = *result;
  if (args.format == "json") {
    nlohmann::json j = apply::to_json(out.transaction);
    j["committed"] = !check_only && !out.in_sync;
    j["drift_repaired"] = out.drift_repaired;
    j["elements_read_back"] = out.elements_read_back;
    j["sets_read_back"] = out.sets_read_back;
    j["at"] = format_time(*at, p.zone);
    j["seconds"] = seconds_since(start);
    io.out << json_text(j);
  } else if (check_only) {
    io.out << apply::to_text(out.transaction);
  }
  if (out.in_sync) {
    if (args.format != "json")
      io.out << "table inet " << p.table << " is in sync with " << args.policy << " at "
             << format_time(*at, p.zone) << "\n";
    return kExitOk;
  }
  if (args.dry_run) {
    const kernel::ThrowawayResult trial = kernel::commit_in_throwaway_netns(desired);
    io.err << "dry run: " << apply::summary(out.transaction)
           << " pending; the kernel validated this exact batch in check mode and aborted it";
    if (!trial.ran) {
      io.err << "; the commit of the complete desired table in a throwaway network namespace "
                "was skipped ("
             << trial.error
             << "; it needs CAP_SYS_ADMIN). Not verified: errors the kernel raises only at "
                "commit, behaviour of traffic, and changes others may commit before a real "
                "apply\n";
      return kExitPending;
    }
    if (!trial.error.empty()) {
      io.err << "; but committing the complete desired table in a throwaway network namespace "
                "failed: "
             << trial.error << "\n";
      return kExitFailure;
    }
    io.err << "; the complete desired table also committed cleanly in a throwaway network "
              "namespace. Not verified: behaviour of traffic, and changes others may commit "
              "before a real apply\n";
    return kExitPending;
  }
  if (args.diff_only) return kExitPending;
  if (args.format != "json")
    io.out << "applied to table inet " << p.table << " at " << format_time(*at, p.zone) << ": "
           << apply::summary(out.transaction) << " in " << seconds_since(start) << " s"
           << read_back_note(out) << "\n";
  if (out.drift_repaired) io.err << "op25bc: warning: " << drift_text(p.table) << "\n";
  return kExitOk;
}

int run_status(const StatusArgs& args, Io io) {
  try {
    kernel::NetlinkKernel kernel;
    const auto table = kernel.read(
        args.table, args.verify ? apply::ElementRead::all() : apply::ElementRead::none());
    if (!table) {
      io.err << "op25bc: there is no table inet " << args.table << "\n";
      return kExitFailure;
    }
    apply::FileStateStore store(state_path(args.state, args.table));
    const auto record = store.load();
    const auto counters = kernel.counters(args.table);
    const std::uint32_t generation = kernel.generation();
    const apply::Instance here = kernel.instance();
    nlohmann::json j;
    j["table"] = args.table;
    j["owned_by_op25bc"] = ir::owned_by_op25bc(table->ruleset.comment);
    j["comment"] = table->ruleset.comment;
    j["generation"] = generation;
    std::vector<std::string> active;
    for (const auto& chain : table->ruleset.chains)
      for (const auto& rule : chain.rules)
        for (const auto& s : rule.statements)
          if (const auto* c = std::get_if<ir::CounterRef>(&s);
              c && std::find(active.begin(), active.end(), c->name) == active.end())
            active.push_back(c->name);
    j["active_phases"] = active;
    j["sets"] = nlohmann::json::array();
    for (std::size_t i = 0; i < table->ruleset.sets.size(); ++i) {
      const auto& set = table->ruleset.sets[i];
      nlohmann::json s{{"name", set.name}, {"elements", nullptr}};
      if (args.verify)
        s["elements"] = set.elements.size();
      else if (record && apply::record_current(*record, here, generation))
        for (const auto& r : record->sets)
          if (r.name == set.name && r.handle == table->set_handles[i])
            s["elements"] = r.digest.count;
      j["sets"].push_back(s);
    }
    j["counters"] = nlohmann::json::array();
    for (const auto& c : counters)
      j["counters"].push_back({{"name", c.name}, {"packets", c.packets}, {"bytes", c.bytes}});
    j["last_apply"] = nullptr;
    if (record)
      j["last_apply"] = {{"policy_fingerprint", record->policy_fingerprint},
                         {"at", record->applied_at},
                         {"generation", record->generation},
                         {"op25bc", record->version},
                         {"current", record->generation == generation}};
    if (args.format == "json") {
      io.out << json_text(j);
      return kExitOk;
    }
    // Names and comments come from the kernel: anyone may have written them.
    io.out << "table inet " << args.table << ": " << text::printable(table->ruleset.comment)
           << "\n";
    io.out << "active phases: "
           << (active.empty() ? std::string{"none"} : text::join(active, text::printable)) << "\n";
    // A set cut into blocks is one line: its slices' elements summed.
    struct Line {
      std::string name;
      std::optional<std::size_t> elements = 0;
      std::size_t blocks = 0;
    };
    std::vector<Line> lines;
    std::map<std::string, std::size_t> line_of;
    for (const auto& s : j["sets"]) {
      const std::string name = s["name"].get<std::string>();
      const auto cut_from = ir::sliced_from(name);
      const auto [it, first] = line_of.try_emplace(cut_from.value_or(name), lines.size());
      if (first) lines.push_back({it->first});
      Line& line = lines[it->second];
      if (cut_from) ++line.blocks;
      if (s["elements"].is_null())
        line.elements.reset();
      else if (line.elements)
        *line.elements += s["elements"].get<std::size_t>();
    }
    for (const auto& line : lines)
      io.out << "set " << text::printable(line.name) << ": "
             << (line.elements ? std::to_string(*line.elements) + " elements"
                               : std::string{"? elements (--verify reads them)"})
             << (line.blocks ? " in " + std::to_string(line.blocks) + " blocks" : "") << "\n";
    for (const auto& c : counters)
      io.out << "counter " << text::printable(c.name) << ": " << c.packets << " packets, "
             << c.bytes << " bytes\n";
    if (record)
      io.out << "last applied: policy " << record->policy_fingerprint << " for "
             << record->applied_at << " by op25bc " << record->version << " (generation "
             << record->generation
             << (record->generation == generation ? ", current" : ", the ruleset changed since")
             << ")\n";
    else
      io.out << "last applied: no record\n";
    return kExitOk;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return kExitFailure;
  }
}

namespace {

// One line to stderr and, when asked, to syslog (the journal picks it up).
void log_line(int priority, const std::string& raw, bool to_syslog, Io io) {
  const std::string line = text::printable(raw);  // one log line, whatever a path holds
  io.err << line << "\n";
  if (!to_syslog) return;
  openlog("op25bc", LOG_PID, LOG_DAEMON);
  syslog(priority, "%s", line.c_str());
  closelog();
}

}  // namespace

int run_activate(const ActivateArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io);
  if (!loaded.policy) {
    log_line(LOG_ERR,
             "op25bc activate " + args.policy + ": " + loaded.first_error + "; nothing changed",
             args.syslog, io);
    return kExitFailure;
  }
  const policy::Policy& p = *loaded.policy;
  const auto now = parse_at(args.at, p, io);
  if (!now) return kExitUsage;
  make_state_folder(args.state);
  const std::string state = state_path(args.state, p.table);
  schedule::ActivationInput in;
  in.now = *now;
  in.fingerprint = loaded.fingerprint;
  in.record = apply::FileStateStore(state).load();
  in.allow_rollback = args.allow_rollback;
  in.warn_expiry = std::chrono::hours(static_cast<long>(args.warn_days * 24));
  const auto events = timeline::build(p);
  const schedule::Activation plan = schedule::plan(p, events, in);
  for (const auto& w : plan.warnings)
    log_line(LOG_WARNING, "op25bc activate " + args.policy + ": warning: " + w, args.syslog, io);

  apply::ReconcileOptions options;
  options.fingerprint = loaded.fingerprint;
  options.applied_at = format_time(plan.apply_at, p.zone);
  options.active_phases = active_phase_ids(p, plan.apply_at);
  const auto out = reconcile_kernel(p, compile(p, plan.apply_at, args.kernel_timed), options,
                                    {args.lock, args.lock_wait, state}, io);
  if (!out) {
    log_line(LOG_ERR, "op25bc activate " + args.policy + ": failed, nothing changed", args.syslog,
             io);
    return kExitFailure;
  }
  std::string line = "op25bc activate " + args.policy + " at " + format_time(*now, p.zone);
  if (plan.apply_at != *now) line += " (keeping the state of " + options.applied_at + ")";
  const std::string phases = text::join(options.active_phases);
  line += phases.empty() ? ": no phase active; " : ": phases " + phases + " active; ";
  line += out->in_sync ? std::string{"no change"} : apply::summary(out->transaction);
  if (out->drift_repaired) line += "; " + drift_text(p.table);
  if (plan.late_by)
    line += "; the boundary of " + format_time(*plan.boundary, p.zone) + " was applied late by " +
            schedule::duration_text(*plan.late_by);
  line += plan.next ? "; next change " + format_time(plan.next->at, p.zone) : "; no further change";
  log_line(plan.late_by ? LOG_WARNING : LOG_INFO, line, args.syslog, io);
  return kExitOk;
}

}  // namespace op25bc::cli
