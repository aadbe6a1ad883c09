// SPDX-License-Identifier: GPL-2.0-or-later
#include "xt_access.h"

#include <algorithm>
#include <chrono>
#include <ostream>
#include <thread>

#include "kernel_access.h"
#include "op25bc/apply/lock.h"
#include "op25bc/kernel/xt_tools.h"

namespace op25bc::cli {

namespace {

// Tools and capability, before any file is touched; a warning on an
// iptables-nft host. false after saying why.
bool preflight(Io io) {
  if (const std::string missing = kernel::missing_tools(); !missing.empty()) {
    io.err << "op25bc: the iptables backend needs " << missing
           << ", not found in PATH; install the iptables and ipset packages\n";
    return false;
  }
  if (const std::string missing = kernel::missing_capabilities(); !missing.empty()) {
    io.err << "op25bc: the iptables backend needs CAP_NET_ADMIN and CAP_NET_RAW (iptables-legacy "
              "opens a raw socket); this process lacks "
           << missing
           << "\n  hint: run it as root; a systemd unit for it comes from op25bc "
              "schedule --emit systemd --backend iptables\n";
    return false;
  }
  if (kernel::iptables_nft_holds_rules())
    io.err << "op25bc: warning: this host's iptables is iptables-nft and holds rules; --backend "
              "iptables drives iptables-legacy, whose rules iptables-nft does not show. The "
              "nftables backend is the native one here\n";
  return true;
}

apply::xt::ReadSet set_reader(apply::xt::XtKernel& kernel) {
  return [&kernel](const std::string& name, net::Family family,
                   std::string& error) -> std::optional<net::Prefixes> {
    const apply::xt::ToolResult saved = kernel.save_set(name);
    if (!saved.ok()) {
      error = saved.error;
      return std::nullopt;
    }
    return apply::xt::parse_ipset_members(saved.output, family, error);
  };
}

void dry_run_checks(const apply::xt::Plan& plan, const apply::xt::KernelView& view,
                    apply::xt::XtKernel& kernel, const backend::xt::Ruleset& desired,
                    XtOutcome& out) {
  out.checks = apply::xt::test_restores(plan, view, kernel, out.checks_ok);
  const kernel::ThrowawayResult trial = kernel::load_in_throwaway_netns(desired);
  if (!trial.ran) {
    out.checks.push_back(
        "the load of the complete ruleset in a throwaway network namespace was "
        "skipped (" +
        trial.error + "; it needs CAP_SYS_ADMIN)");
  } else if (!trial.error.empty()) {
    out.checks_ok = false;
    out.checks.push_back("loading the complete ruleset in a throwaway network namespace failed: " +
                         trial.error);
  } else {
    out.checks.push_back(
        "the complete ruleset loaded cleanly with ipset restore and "
        "iptables-legacy-restore in a throwaway network namespace");
  }
  out.checks.push_back(
      "not verified: behaviour of traffic, and changes others may make before "
      "a real apply");
}

}  // namespace

std::string xt_state_path(const std::string& given, const std::string& table) {
  return given.empty() ? state_path({}, table + ".iptables") : given;  // TABLE.iptables.state
}

std::unique_ptr<apply::LockFile> open_xt_session(const KernelAccess& access, Io io) {
  if (!access.state.empty() && !state_belongs_to("iptables", access.state, io)) return nullptr;
  if (!preflight(io)) return nullptr;
  try {
    auto lock = std::make_unique<apply::LockFile>(
        access.lock, std::chrono::milliseconds(static_cast<long>(access.lock_wait * 1000)));
    if (lock->held()) return lock;
    io.err << "op25bc: " << lock->error() << "\n";
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
  }
  return nullptr;
}

std::optional<XtOutcome> xt_reconcile(const policy::Policy& p, backend::xt::Ruleset desired,
                                      const XtRequest& request, Io io) {
  try {
    const KernelAccess& access = request.access;
    make_state_folder(access.state);
    apply::xt::FileRecordStore store(xt_state_path(access.state, p.table));
    const std::optional<apply::xt::Record> record = store.load();
    if (store.unusable())
      io.err << "op25bc: note: the state record " << store.path()
             << " is unusable; op25bc owns no chain or set until --adopt, and reads every set "
                "back\n";
    kernel::ToolsKernel kernel;
    std::string error;
    const auto view = apply::xt::read_view(kernel, error);
    if (!view) {
      io.err << "op25bc: " << error << "\n";
      return std::nullopt;
    }
    const apply::ReconcileOptions& ask = request.options;
    const apply::xt::PlanOptions options{ask.adopt, ask.verify};
    const apply::xt::HeldSet held = [&store](const apply::xt::Record::Set& set) {
      return store.held(set);
    };
    // The dry run loads the desired ruleset in a throwaway namespace too.
    auto plan = apply::xt::plan(request.dry_run ? desired : std::move(desired), *view, record,
                                options, set_reader(kernel), held, error);
    if (!plan) {
      io.err << "op25bc: " << error << "\n";
      return std::nullopt;
    }
    if (!plan->conflicts.empty()) {
      for (const std::string& c : plan->conflicts) io.err << "op25bc: " << c << "\n";
      io.err << "op25bc: refusing to change what op25bc did not create; nothing was changed\n"
                "  hint: --adopt takes these chains over (their rules are replaced)\n";
      return std::nullopt;
    }
    XtOutcome out{std::move(*plan), false, {}, true};
    if (ask.check_only) {
      if (request.dry_run && !out.plan.in_sync())
        dry_run_checks(out.plan, *view, kernel, desired, out);
      return out;
    }
    if (out.plan.in_sync()) {
      if (ask.verify && record && !record->pending) {  // every set was read back: say so
        apply::xt::Record verified = *record;
        verified.verified_at = ask.now;
        store.save(verified);
      }
      return out;
    }
    apply::xt::Record base = record.value_or(apply::xt::Record{});
    if (ask.verify) base.verified_at = ask.now;
    base.policy_fingerprint = ask.fingerprint;
    base.applied_at = ask.applied_at;
    base.active_phases = ask.active_phases;
    // New sets are filled by as many ipset processes as there are cores (up to 4).
    const std::size_t parts = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    const apply::xt::RunOutcome run =
        apply::xt::run(out.plan, kernel, store, std::move(base), parts);
    if (!run.ok) {
      io.err << "op25bc: " << run.error
             << (run.partial ? "; part of the change reached the kernel (each step is old or "
                               "new, never between); the next run converges\n"
                             : "; the ruleset is unchanged\n");
      return std::nullopt;
    }
    out.committed = true;
    return out;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return std::nullopt;
  }
}

std::optional<apply::Status> xt_status(const std::string& table, const std::string& state_file) {
  if (const std::string missing = kernel::missing_tools(); !missing.empty())
    throw std::runtime_error("the iptables backend needs " + missing +
                             "; install the iptables and ipset packages");
  kernel::ToolsKernel kernel;
  std::string error;
  const auto view = apply::xt::read_view(kernel, error);
  if (!view) throw std::runtime_error(error);
  apply::xt::FileRecordStore store(state_file);
  const auto record = store.load();
  return apply::xt::read_status(*view, record, store.unusable(), table);
}

std::optional<apply::StateRecord> xt_schedule_record(const std::string& state_file) {
  apply::xt::FileRecordStore store(state_file);
  const auto record = store.load();
  if (!record || record->pending) return std::nullopt;
  apply::StateRecord r;
  r.table = record->table;
  r.policy_fingerprint = record->policy_fingerprint;
  r.applied_at = record->applied_at;
  r.active_phases = record->active_phases;
  r.verified_at = record->verified_at;
  return r;
}

}  // namespace op25bc::cli
