// apply, diff and status: the commands that talk to the kernel.
#include <sys/stat.h>

#include <chrono>
#include <ostream>

#include "commands.h"
#include "op25bc/apply/diff_text.h"
#include "op25bc/apply/lock.h"
#include "op25bc/apply/reconcile.h"
#include "op25bc/compile.h"
#include "op25bc/kernel/netlink_kernel.h"
#include "op25bc/kernel/throwaway.h"
#include "op25bc/policy/resolve.h"
#include "support.h"

namespace op25bc::cli {

namespace {

std::string default_state(const std::string& table) {
  ::mkdir("/var/lib/op25bc", 0755);
  return "/var/lib/op25bc/" + table + ".state";
}

// The policy object behind a failed operation, for the error message.
std::string origin(const apply::Op& op, const policy::Policy& p) {
  std::string object;
  if (const auto* s = std::get_if<apply::AddSet>(&op)) object = s->name;
  if (const auto* e = std::get_if<apply::AddElements>(&op)) object = e->set;
  if (const auto* e = std::get_if<apply::DeleteElements>(&op)) object = e->set;
  if (const auto* c = std::get_if<apply::AddCounter>(&op)) object = c->counter.name;
  if (const auto* r = std::get_if<apply::AddRule>(&op)) object = "chain " + r->chain;
  if (object.empty()) return "table inet " + p.table;
  for (std::size_t i = 0; i < p.phases.size(); ++i) {
    const std::string name = policy::nft_name(p.phases[i].id);
    for (const char* suffix : {"", "_src4", "_src6", "_dst4", "_dst6"})
      if (object == name + suffix)
        return object + " (phase \"" + p.phases[i].id + "\", /phases/" + std::to_string(i) + ")";
  }
  if (object.rfind("smarthost", 0) == 0) return object + " (/smarthosts)";
  if (object.rfind("exempt", 0) == 0) return object + " (/exemptions)";
  return object;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int run_apply(const ApplyArgs& args, Io io) {
  const auto start = std::chrono::steady_clock::now();
  const Loaded loaded = load(args.policy, io);
  if (!loaded.policy) return kExitFailure;  // invalid input never reaches the kernel
  const policy::Policy& p = *loaded.policy;
  const auto at = instant(args.at, p, io);
  if (!at) return kExitUsage;
  const ir::Ruleset desired = compile(p, *at);
  const bool check_only = args.diff_only || args.dry_run;
  try {
    const apply::LockFile lock(args.lock,
                               std::chrono::milliseconds(static_cast<long>(args.lock_wait * 1000)));
    if (!lock.held()) {
      io.err << "op25bc: " << lock.error() << "\n";
      return kExitFailure;
    }
    kernel::NetlinkKernel kernel;
    apply::FileStateStore state(args.state.empty() ? default_state(p.table) : args.state);
    apply::ReconcileOptions options;
    options.check_only = check_only;
    options.adopt = args.adopt;
    options.verify = args.verify;
    options.fingerprint = loaded.fingerprint;
    options.applied_at = format_time(*at, p.zone);
    const apply::ReconcileOutcome out = apply::reconcile(kernel, state, desired, options);
    if (!out.ok) {
      io.err << "op25bc: " << out.error;
      if (out.commit.failed_op)
        io.err << " (caused by " << origin(out.transaction.ops[*out.commit.failed_op], p) << ")";
      io.err << "; the ruleset is unchanged\n";
      return kExitFailure;
    }
    if (args.format == "json") {
      nlohmann::json j = apply::to_json(out.transaction);
      j["committed"] = !check_only && !out.in_sync;
      j["at"] = format_time(*at, p.zone);
      j["seconds"] = seconds_since(start);
      io.out << j.dump(2) << "\n";
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
      const std::string trial = kernel::commit_in_throwaway_netns(desired);
      io.err << "dry run: " << apply::summary(out.transaction)
             << " pending; the kernel validated this exact batch in check mode and aborted it";
      if (trial.empty()) {
        io.err << "; the complete desired table also committed cleanly in a throwaway network "
                  "namespace. Not verified: behaviour of traffic, and changes others may commit "
                  "before a real apply\n";
      } else {
        io.err << "; but committing the complete desired table in a throwaway network namespace "
                  "failed: "
               << trial << "\n";
        return kExitFailure;
      }
      return kExitPending;
    }
    if (args.diff_only) return kExitPending;
    if (args.format != "json")
      io.out << "applied to table inet " << p.table << " at " << format_time(*at, p.zone) << ": "
             << apply::summary(out.transaction) << " in " << seconds_since(start) << " s"
             << (out.elements_read_back ? " (set elements read back from the kernel)" : "") << "\n";
    return kExitOk;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return kExitFailure;
  }
}

int run_status(const StatusArgs& args, Io io) {
  try {
    kernel::NetlinkKernel kernel;
    const auto table = kernel.read(args.table, args.verify);
    if (!table) {
      io.err << "op25bc: there is no table inet " << args.table << "\n";
      return kExitFailure;
    }
    apply::FileStateStore store(args.state.empty() ? "/var/lib/op25bc/" + args.table + ".state"
                                                   : args.state);
    const auto record = store.load();
    const auto counters = kernel.counters(args.table);
    const std::uint32_t generation = kernel.generation();
    nlohmann::json j;
    j["table"] = args.table;
    j["owned_by_op25bc"] = apply::owned_by_op25bc(table->ruleset.comment);
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
      else if (record && record->netns == apply::current_netns())
        for (const auto& r : record->sets)
          if (r.name == set.name && r.handle == table->set_handles[i])
            s["elements"] = r.elements.size();
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
      io.out << j.dump(2) << "\n";
      return kExitOk;
    }
    io.out << "table inet " << args.table << ": " << table->ruleset.comment << "\n";
    io.out << "active phases: ";
    for (std::size_t i = 0; i < active.size(); ++i) io.out << (i ? ", " : "") << active[i];
    io.out << (active.empty() ? "none\n" : "\n");
    for (const auto& s : j["sets"])
      io.out << "set " << s["name"].get<std::string>() << ": "
             << (s["elements"].is_null()
                     ? std::string{"? elements (--verify reads them)"}
                     : std::to_string(s["elements"].get<std::size_t>()) + " elements")
             << "\n";
    for (const auto& c : counters)
      io.out << "counter " << c.name << ": " << c.packets << " packets, " << c.bytes << " bytes\n";
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

}  // namespace op25bc::cli
