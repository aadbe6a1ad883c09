// SPDX-License-Identifier: GPL-2.0-or-later
// apply, diff and status on the iptables backend (xt_access.h).
#include <chrono>
#include <map>
#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/apply/history.h"
#include "op25bc/compile.h"
#include "op25bc/kernel/xt_tools.h"
#include "op25bc/policy/resolve.h"
#include "op25bc/policy/router.h"
#include "support.h"
#include "xt_access.h"

namespace op25bc::cli {

namespace {

nlohmann::json plan_json(const apply::xt::Plan& plan) {
  std::size_t added = 0, deleted = 0;
  for (const auto& d : plan.deltas) {
    added += d.add.size();
    deleted += d.del.size();
  }
  return {{"sets_created", plan.create},
          {"members_added", added},
          {"members_deleted", deleted},
          {"restores", !plan.restore_v4.empty() + !plan.restore_v6.empty()},
          {"sets_destroyed", plan.destroy},
          {"sets_read_back", plan.sets_read_back},
          {"drift_repaired", plan.drift},
          {"changes", apply::xt::describe(plan)}};
}

}  // namespace

int apply_iptables(const Loaded& loaded, const ApplyArgs& args, ApplyRole role, Io io) {
  const auto start = std::chrono::steady_clock::now();
  const policy::Policy& p = *loaded.policy;
  const auto at = parse_at(args.at, p, io);
  if (!at) return kExitUsage;
  Diagnostics diags;
  backend::xt::Ruleset desired = compile_iptables(p, *at, args.kernel_timed, 1, diags);
  if (!report_backend(diags, args.policy, io)) return kExitFailure;
  const XtRequest request{reconcile_options(args, loaded.fingerprint, p, *at, io.clock.now()),
                          {args.lock, args.lock_wait, args.state},
                          args.dry_run};
  const apply::ReconcileOptions& ask = request.options;
  const auto session = open_xt_session(request.access, io);
  if (!session) return kExitFailure;
  const std::string state = xt_state_path(args.state, p.table);
  apply::FileHistoryStore history(apply::FileHistoryStore::folder_for(state));
  if (!ask.check_only && role == ApplyRole::apply && !pin_allows(history, loaded.fingerprint, io))
    return kExitFailure;
  const auto out = xt_reconcile(p, std::move(desired), request, io);
  if (!out) return kExitFailure;
  const bool in_sync = out->plan.in_sync();
  if (out->committed)
    keep_history(history,
                 {format_utc(io.clock.now()), ask.applied_at, loaded.fingerprint,
                  role == ApplyRole::rollback ? "rollback" : "apply", absolute_path(args.policy),
                  ask.active_phases, true, std::nullopt, args.router, "iptables"},
                 loaded.text, loaded.named_prefix_files(), args.keep, io);
  if (args.format == "json") {
    nlohmann::json j = plan_json(out->plan);
    j["ok"] = out->checks_ok;
    j["backend"] = "iptables";
    j["in_sync"] = in_sync;
    j["committed"] = out->committed;
    const policy::Router* router = policy::selected_router(p);
    j["router"] = router ? nlohmann::json(router->id) : nlohmann::json(nullptr);
    j["fingerprint"] = loaded.fingerprint;
    j["at"] = ask.applied_at;
    j["checks"] = out->checks;
    j["seconds"] = seconds_since(start);
    io.out << json_text(j);
  } else if (ask.check_only) {
    for (const std::string& line : apply::xt::describe(out->plan)) io.out << line << "\n";
  }
  if (in_sync) {
    if (args.format != "json")
      io.out << "op25bc's iptables chains and sets (table " << p.table << ") are in sync with "
             << args.policy << " at " << ask.applied_at << "\n";
    return kExitOk;
  }
  if (ask.check_only) {
    if (args.dry_run) {
      io.err << "dry run: " << apply::xt::summary(out->plan) << " pending";
      for (const std::string& c : out->checks) io.err << "; " << c;
      io.err << "\n";
      if (!out->checks_ok) return kExitFailure;
    }
    return kExitPending;
  }
  if (args.format != "json")
    io.out << "applied to iptables and ipset (table " << p.table << ") at " << ask.applied_at
           << ": " << apply::xt::summary(out->plan) << " in " << seconds_since(start) << " s\n";
  if (out->plan.drift)
    io.err << "op25bc: warning: op25bc's sets differed from its record (changed by someone "
              "else); read back from the kernel and repaired\n";
  return kExitOk;
}

int run_status_iptables(const StatusArgs& args, Io io) {
  try {
    if (const std::string missing = kernel::missing_tools(); !missing.empty()) {
      io.err << "op25bc: the iptables backend needs " << missing
             << "; install the iptables and ipset packages\n";
      return kExitFailure;
    }
    kernel::ToolsKernel kernel;
    std::string error;
    const auto view = apply::xt::read_view(kernel, error);
    if (!view) {
      io.err << "op25bc: " << error << "\n";
      return kExitFailure;
    }
    apply::xt::FileRecordStore store(xt_state_path(args.state, args.table));
    const auto record = store.load();
    const std::string check = backend::xt::check_chain(args.table);
    const bool present = view->v4.has_chain(check) || view->v6.has_chain(check);
    nlohmann::json j{{"backend", "iptables"}, {"table", args.table}, {"present", present}};
    if (!present) {
      io.err << "op25bc: there is no chain " << check << " in iptables or ip6tables\n";
      if (args.format == "json") io.out << json_text(j);
      return kExitFailure;
    }
    // The phase counters: each phase chain's one rule, both families summed.
    // By policy id where the record knows the phase, else by the chain's name.
    const std::string prefix = backend::xt::phase_chain(args.table, "");
    std::map<std::string, std::string> ids;
    if (record)
      for (const std::string& id : record->active_phases)
        ids[backend::xt::phase_chain(args.table, policy::nft_name(id))] = id;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> counters;
    for (const auto* table : {&view->v4, &view->v6})
      for (const auto& r : table->rules)
        if (r.chain.starts_with(prefix)) {
          const auto id = ids.find(r.chain);
          auto& c = counters[id != ids.end() ? id->second : r.chain.substr(prefix.size())];
          c.first += r.packets;
          c.second += r.bytes;
        }
    nlohmann::json phases = nlohmann::json::array();
    for (const auto& [phase, c] : counters)
      phases.push_back({{"phase", phase}, {"packets", c.first}, {"bytes", c.second}});
    nlohmann::json sets = nlohmann::json::array();
    if (record)
      for (const auto& s : record->sets) {
        const auto* k = view->set(s.name);
        sets.push_back({{"name", s.name},
                        {"members", k ? nlohmann::json(k->entries) : nlohmann::json(nullptr)},
                        {"recorded_members", s.members}});
      }
    j["counters"] = phases;
    j["sets"] = sets;
    j["record"] =
        record
            ? nlohmann::json{{"applied_at", record->applied_at},
                             {"policy_fingerprint", record->policy_fingerprint},
                             {"active_phases", record->active_phases},
                             {"generation", record->generation},
                             {"pending", record->pending},
                             {"verified_at", record->verified_at > 0
                                                 ? nlohmann::json(format_utc(Instant(
                                                       std::chrono::seconds(record->verified_at))))
                                                 : nlohmann::json(nullptr)}}
            : nlohmann::json(nullptr);
    j["record_unusable"] = !record && store.unusable();
    if (args.format == "json") {
      io.out << json_text(j);
      return kExitOk;
    }
    io.out << "iptables backend, table " << args.table << ": chains " << check << " present"
           << (view->v4.has_chain(check) && view->v6.has_chain(check) ? " (IPv4 and IPv6)" : "")
           << "\n";
    if (record)
      io.out << "applied " << record->applied_at << ", policy " << record->policy_fingerprint
             << ", generation " << record->generation
             << (record->pending ? " (a run did not finish)" : "") << "\n"
             << "last full verification: "
             << (record->verified_at > 0
                     ? format_utc(Instant(std::chrono::seconds(record->verified_at)))
                     : std::string{"never"})
             << "\n";
    else if (store.unusable())
      io.out << "applied: unknown: the record " << store.path()
             << " is unusable (truncated, corrupted or of another version)\n";
    else
      io.out << "applied: no record\n";
    for (const auto& [phase, c] : counters)
      io.out << "phase " << phase << " blocked " << c.first
             << (c.first == 1 ? " packet, " : " packets, ") << c.second << " bytes\n";
    for (const auto& s : sets)
      io.out << "set " << s["name"].get<std::string>() << ": "
             << (s["members"].is_null()
                     ? std::string{"missing"}
                     : std::to_string(s["members"].get<std::size_t>()) + " members")
             << "\n";
    return kExitOk;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace op25bc::cli
