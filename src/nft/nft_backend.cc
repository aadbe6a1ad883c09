// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/nft_backend.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <variant>

#include "op25bc/compile/compile.h"
#include "op25bc/ir/names.h"
#include "op25bc/nft/diff_text.h"
#include "op25bc/nft/netlink_kernel.h"
#include "op25bc/nft/reconcile.h"
#include "op25bc/nft/render_text.h"
#include "op25bc/nft/state.h"
#include "op25bc/nft/status.h"
#include "op25bc/nft/throwaway.h"
#include "op25bc/text/join.h"

namespace op25bc::nft {

namespace {

// The object a failed operation names, and where the policy says it comes
// from (ir::Origin, filled by ir::build), for the error message.
std::string origin(const Op& op, const ir::Ruleset& desired) {
  std::string object;
  const ir::Origin* from = nullptr;
  const auto set = [&](const std::string& name) {
    object = "set " + name;
    for (const auto& s : desired.sets)
      if (s.name == name) from = &s.origin;
  };
  if (const auto* s = std::get_if<AddSet>(&op)) set(s->name);
  if (const auto* e = std::get_if<AddElements>(&op)) set(e->set);
  if (const auto* e = std::get_if<DeleteElements>(&op)) set(e->set);
  if (const auto* c = std::get_if<AddCounter>(&op)) {
    object = "counter " + c->counter.name;
    from = &c->counter.origin;
  }
  if (const auto* r = std::get_if<AddRule>(&op)) {
    object = "a rule in chain " + r->chain;
    from = &r->rule.origin;
  }
  if (object.empty()) return "table inet " + desired.table;
  if (from == nullptr || from->pointers().empty()) return object;
  constexpr std::size_t kShown = 3;  // an exemption set may come from thousands
  const auto& all = from->pointers();
  const std::vector<std::string> shown(all.begin(), all.begin() + std::min(all.size(), kShown));
  return object + ", from " + text::join(shown) +
         (all.size() > kShown ? " and " + std::to_string(all.size() - kShown) + " more" : "");
}

// Where the elements the diff started from came from, when not from the record.
std::string read_back_note(const ReconcileOutcome& out) {
  if (out.elements_read_back) return "set elements read back from the kernel";
  if (out.sets_read_back == 0) return "";
  return std::to_string(out.sets_read_back) + " changed set" +
         (out.sets_read_back == 1 ? "" : "s") + " read back from the kernel";
}

// The dry run's checks: the batch in check mode (done by reconcile), then the
// whole table committed in a throwaway network namespace.
void dry_run_checks(const ir::Ruleset& desired, backend::Outcome& out) {
  out.checks.push_back("the kernel validated this exact batch in check mode and aborted it");
  const io::ThrowawayResult trial = commit_in_throwaway_netns(desired);
  if (!trial.ran) {
    out.checks.push_back(
        "the commit of the complete desired table in a throwaway network namespace was skipped (" +
        trial.error +
        "; it needs CAP_SYS_ADMIN); not verified: errors the kernel raises only at commit");
  } else if (!trial.error.empty()) {
    out.checks_ok = false;
    out.checks.push_back(
        "but committing the complete desired table in a throwaway network namespace failed: " +
        trial.error);
  } else {
    out.checks.push_back(
        "the complete desired table also committed cleanly in a throwaway network namespace");
  }
  out.checks.push_back(
      "not verified: behaviour of traffic, and changes others may commit before a real apply");
}

class NftSession final : public backend::Session {
 public:
  explicit NftSession(std::string state) : state_(std::move(state)) {}

  Result<backend::Outcome> run(const backend::RunRequest& request) override {
    const ir::Ruleset desired =
        compile(request.policy, request.at, request.kernel_timed, request.sessions);
    try {
      FileStateStore state(state_);
      const ReconcileOutcome out = reconcile(kernel_, state, desired, request.options);
      backend::Outcome o;
      if (state.unusable())
        o.notes.push_back("note: the state record " + state.path() +
                          " is unusable (truncated, corrupted or of another version); the "
                          "kernel's sets were read back instead");
      if (!out.ok) {
        std::string message = out.error;
        if (out.commit.failed_op)
          message +=
              " (caused by " + origin(out.transaction.ops[*out.commit.failed_op], desired) + ")";
        message += out.outcome_unknown ? "; the next run reads the kernel back and converges"
                                       : "; the ruleset is unchanged";
        return Failure{message};
      }
      o.in_sync = out.in_sync;
      o.committed = !request.options.check_only && !out.in_sync;
      o.summary = summary(out.transaction);
      o.changes = to_text(out.transaction);
      o.report = to_json(out.transaction);
      o.report["drift_repaired"] = out.drift_repaired;
      o.report["elements_read_back"] = out.elements_read_back;
      o.report["sets_read_back"] = out.sets_read_back;
      if (out.drift_repaired)
        o.drift_repaired = "the sets of table inet " + desired.table +
                           " differed from op25bc's record (changed by someone else); read back "
                           "from the kernel and repaired";
      o.read_back = read_back_note(out);
      if (request.dry_run && !out.in_sync) dry_run_checks(desired, o);
      return o;
    } catch (const std::exception& e) {
      return Failure{e.what()};
    }
  }

  Result<backend::Outcome> replace_elements(const backend::ElementsRequest& request) override {
    try {
      FileStateStore state(state_);
      const ReconcileOutcome out =
          nft::replace_elements(kernel_, state, request.table, request.sets, 5, request.last);
      if (!out.ok)
        return Failure{out.error + (out.outcome_unknown
                                        ? "; the next run reads the kernel back and converges"
                                        : "; the ruleset is unchanged")};
      backend::Outcome o;
      o.in_sync = out.in_sync;
      o.committed = !out.in_sync;
      o.summary = summary(out.transaction);
      o.changes = to_text(out.transaction);
      o.report = to_json(out.transaction);
      return o;
    } catch (const std::exception& e) {
      return Failure{e.what()};
    }
  }

 private:
  std::string state_;
  NetlinkKernel kernel_;
};

class NftBackend final : public backend::Backend {
 public:
  std::string name() const override { return "nftables"; }
  std::string describe(const std::string& table) const override { return "table inet " + table; }
  std::string default_state_file(const std::string& table) const override {
    return std::string{backend::kStateFolder} + "/" + table + ".state";
  }
  bool owns_record(std::string_view bytes) const override { return looks_like_nft_record(bytes); }
  backend::Sandbox sandbox() const override {
    return {{"CAP_NET_ADMIN"}, {"AF_NETLINK", "AF_UNIX"}, {}};
  }

  std::vector<std::string> formats() const override { return {"nft", "json"}; }
  Result<backend::Rendered> render(const policy::Policy& policy, Instant at, bool kernel_timed,
                                   const std::string& format) const override {
    if (format != "nft" && format != "json")
      return Failure{"compile --format " + format + " is not a format of the nftables backend",
                     "--format nft (an nft -f script, the default) or json (nft -j -f)"};
    const ir::Ruleset ruleset = compile(policy, at, kernel_timed);
    return backend::Rendered{
        nft::render(policy, ruleset, at, format == "json" ? Format::json : Format::script), {}};
  }

  Result<std::unique_ptr<backend::Session>> open(const backend::Access& access) const override {
    try {
      // Without CAP_NET_ADMIN this says so, before any file is touched.
      NetlinkKernel probe;
      probe.generation();
      return std::unique_ptr<backend::Session>(std::make_unique<NftSession>(access.state));
    } catch (const std::exception& e) {
      return Failure{e.what()};
    }
  }

  Result<std::optional<backend::Status>> status(const std::string& table,
                                                const std::string& state_file,
                                                bool verify) const override {
    try {
      NetlinkKernel kernel;
      FileStateStore store(state_file);
      return read_status(kernel, table, store, verify);
    } catch (const std::exception& e) {
      return Failure{e.what()};
    }
  }

  Result<std::optional<std::vector<backend::Recording>>> recordings(
      const std::string& table, const std::string& /*state_file*/) const override {
    try {
      NetlinkKernel kernel;
      const auto held = kernel.read(table, ElementRead::none());
      if (!held) return std::optional<std::vector<backend::Recording>>{};
      if (!ir::owned_by_op25bc(held->ruleset.comment))
        return Failure{"table inet " + table + " was not created by op25bc",
                       "name op25bc's table with --table"};
      return std::optional{read_recordings(kernel, held->ruleset)};
    } catch (const std::exception& e) {
      return Failure{e.what()};
    }
  }

  std::optional<backend::LastApply> last_applied(const std::string& state_file) const override {
    const std::optional<StateRecord> record = FileStateStore(state_file).load();
    if (!record) return std::nullopt;
    backend::LastApply last = last_apply_of(*record, record->generation);
    last.current.reset();  // nobody asked the kernel
    return last;
  }
};

}  // namespace

std::unique_ptr<backend::Backend> make_backend() {
  return std::make_unique<NftBackend>();
}

}  // namespace op25bc::nft
