// SPDX-License-Identifier: GPL-2.0-or-later
// apply (and diff, its dry-run form): the options of a run, and the
// formatter of its report, which rollback and exempt --apply share.
#include <ostream>

#include "commands.h"
#include "op25bc/policy/router.h"
#include "run_report.h"
#include "support.h"

namespace op25bc::cli {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

run::Request request_at(run::Role role, const Loaded& file, const std::string& path,
                        const std::string& router, Instant at, bool verify) {
  run::Request request;
  request.role = role;
  request.file = &file;
  request.policy_path = path;
  request.router = router;
  request.plan = [at, verify](const Loaded&) {
    return Result<run::Plan>(run::Plan{at, verify, std::nullopt});
  };
  return request;
}

int show_run(const Result<run::Report>& result, const Shown& how, Io io) {
  if (!result) return report(result.failure(), io, kExitFailure, how.policy);
  const run::Report& r = *result;
  const backend::Outcome& out = r.outcome;
  const backend::Backend& b = *r.backend;
  const Loaded& applied = r.applied();
  const policy::Policy& p = *applied.policy;
  const std::string shown = r.pinned ? applied.name : how.policy;
  for (const std::string& warning : r.warnings) note(warning, io);
  if (how.format == "json") {
    nlohmann::json j = out.report;
    j["schema_version"] = kSchemaVersion;
    j["ok"] = out.checks_ok;
    j["backend"] = b.name();
    j["table"] = p.table;
    j["in_sync"] = out.in_sync;
    j["committed"] = out.committed;
    const policy::Router* router = policy::selected_router(p);
    j["router"] = router ? nlohmann::json(router->id) : nlohmann::json(nullptr);
    j["fingerprint"] = applied.fingerprint;
    j["at"] = r.applied_at;
    j["seconds"] = seconds_since(how.start);
    io.out << json_text(j);
  } else if (how.check_only) {
    io.out << out.changes;
  }
  if (out.in_sync) {
    if (how.format != "json")
      io.out << b.describe(p.table) << ": in sync with " << shown << " at " << r.applied_at << "\n";
    return kExitOk;
  }
  if (how.check_only) {
    if (how.dry_run) {
      io.err << "dry run: " << out.summary << " pending";
      for (const std::string& c : out.checks) io.err << "; " << c;
      io.err << "\n";
      if (!out.checks_ok) return kExitFailure;
    }
    return kExitPending;
  }
  if (how.format != "json")
    io.out << "applied to " << b.describe(p.table) << " at " << r.applied_at << ": " << out.summary
           << " in " << seconds_since(how.start) << " s"
           << (out.read_back.empty() ? "" : " (" + out.read_back + ")") << "\n";
  if (!out.drift_repaired.empty()) note("warning: " + out.drift_repaired, io);
  return kExitOk;
}

int run_apply(const ApplyArgs& args, Io io) {
  const Shown how{args.format, args.diff_only || args.dry_run, args.dry_run, args.policy};
  const Loaded loaded = load(args.policy, io, args.router, {},
                             args.strict ? policy::DropIns::strict : policy::DropIns::lenient);
  if (!loaded.policy && args.format == "json")
    io.out << json_text({{"schema_version", kSchemaVersion},
                         {"ok", false},
                         {"error", loaded.first_error()},
                         {"diagnostics", diagnostics_json(loaded.diagnostics, args.policy)}});
  if (!loaded.policy) return kExitFailure;  // invalid input never reaches the kernel
  const auto at = parse_at(args.at, *loaded.policy, io);
  if (!at) return kExitUsage;
  run::Request request =
      request_at(run::Role::apply, loaded, args.policy, args.router, *at, args.verify);
  request.check_only = how.check_only;
  request.dry_run = args.dry_run;
  request.adopt = args.adopt;
  request.kernel_timed = args.kernel_timed;
  const run::Target target = run::Target::make(args.target, io.backends, loaded.policy->table);
  return show_run(run::run(target, io.backends, request, io.clock), how, io);
}

}  // namespace op25bc::cli
