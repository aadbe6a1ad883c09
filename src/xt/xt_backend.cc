// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/xt/xt_backend.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <iterator>
#include <thread>

#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "op25bc/xt/plan.h"
#include "op25bc/xt/render.h"
#include "op25bc/xt/tools.h"

namespace op25bc::xt {

namespace {

ReadSet set_reader(XtKernel& kernel) {
  return [&kernel](const std::string& name, net::Family family,
                   std::string& error) -> std::optional<net::Prefixes> {
    const ToolResult saved = kernel.save_set(name);
    if (!saved.ok()) {
      error = saved.error;
      return std::nullopt;
    }
    return parse_ipset_members(saved.output, family, error);
  };
}

// The dry run's checks: each restore in test mode, then the whole ruleset
// loaded in a throwaway network namespace.
void dry_run_checks(const Plan& plan, const KernelView& view, XtKernel& kernel,
                    const Ruleset& desired, backend::Outcome& out) {
  out.checks = test_restores(plan, view, kernel, out.checks_ok);
  const io::ThrowawayResult trial = load_in_throwaway_netns(desired);
  if (!trial.ran) {
    out.checks.push_back(
        "the load of the complete ruleset in a throwaway network namespace was skipped (" +
        trial.error + "; it needs CAP_SYS_ADMIN)");
  } else if (!trial.error.empty()) {
    out.checks_ok = false;
    out.checks.push_back("loading the complete ruleset in a throwaway network namespace failed: " +
                         trial.error);
  } else {
    out.checks.push_back(
        "the complete ruleset loaded cleanly with ipset restore and iptables-legacy-restore in a "
        "throwaway network namespace");
  }
  out.checks.push_back(
      "not verified: behaviour of traffic, and changes others may make before a real apply");
}

// The tools, or why not.
std::optional<Failure> tools_missing() {
  if (const std::string missing = missing_tools(); !missing.empty())
    return Failure{"the iptables backend needs " + missing + ", not found in PATH",
                   "install the iptables and ipset packages"};
  return std::nullopt;
}

class XtSession final : public backend::Session {
 public:
  explicit XtSession(std::string state) : state_(std::move(state)) {}

  Result<backend::Outcome> run(const backend::RunRequest& request) override {
    const backend::RunOptions& ask = request.options;
    Diagnostics diags;
    Ruleset desired =
        compile(request.policy, request.at, request.kernel_timed, 1, diags, request.sessions);
    if (diags.has_errors())
      return Failure{"the policy asks for what iptables cannot express", "", std::move(diags)};
    try {
      backend::Outcome o;
      if (iptables_nft_holds_rules())
        o.notes.push_back(
            "warning: this host's iptables is iptables-nft and holds rules; --backend iptables "
            "drives iptables-legacy, whose rules iptables-nft does not show. The nftables "
            "backend is the native one here");
      FileRecordStore store(state_);
      const std::optional<Record> record = store.load();
      if (store.unusable())
        o.notes.push_back("note: the state record " + store.path() +
                          " is unusable; op25bc owns no chain or set until --adopt, and reads "
                          "every set back");
      std::string error;
      const auto view = read_view(kernel_, error);
      if (!view) return Failure{error};
      const PlanOptions options{ask.adopt, ask.verify};
      const HeldSet held = [&store](const Record::Set& set) { return store.held(set); };
      // The dry run loads the desired ruleset in a throwaway namespace too.
      auto planned = plan(request.dry_run ? desired : std::move(desired), *view, record, options,
                          set_reader(kernel_), held, error);
      if (!planned) return Failure{error};
      if (!planned->conflicts.empty())
        return Failure{
            text::join(planned->conflicts, std::string_view("\nop25bc: ")) +
                "\nop25bc: refusing to change what op25bc did not create; nothing was changed",
            "--adopt takes these chains over (their rules are replaced)"};
      const Plan& p = *planned;
      o.in_sync = p.in_sync();
      o.summary = summary(p);
      for (const std::string& line : describe(p)) o.changes += line + "\n";
      o.report = to_json(p);
      // The JSON names what a dry run asked the kernel (nothing, otherwise).
      const auto done = [&o]() -> Result<backend::Outcome> {
        o.report["checks"] = o.checks;
        return std::move(o);
      };
      if (p.drift)
        o.drift_repaired =
            "op25bc's sets differed from its record (changed by someone else); read back from "
            "the kernel and repaired";
      if (ask.check_only) {
        if (request.dry_run && !o.in_sync) dry_run_checks(p, *view, kernel_, desired, o);
        return done();
      }
      if (o.in_sync) {
        if (ask.verify && record && !record->pending) {  // every set was read back: say so
          Record verified = *record;
          verified.verified_at = ask.now;
          store.save(verified);
        }
        return done();
      }
      Record base = record.value_or(Record{});
      if (ask.verify) base.verified_at = ask.now;
      base.policy_fingerprint = ask.fingerprint;
      base.applied_at = ask.applied_at;
      base.active_phases = ask.active_phases;
      // New sets are filled by as many ipset processes as there are cores (up to 4).
      const std::size_t parts = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
      const RunOutcome ran = xt::run(p, kernel_, store, std::move(base), parts);
      if (!ran.ok)
        return Failure{ran.error + (ran.partial
                                        ? "; part of the change reached the kernel (each step is "
                                          "old or new, never between); the next run converges"
                                        : "; the ruleset is unchanged")};
      o.committed = true;
      return done();
    } catch (const std::exception& e) {
      return Failure{e.what()};
    }
  }

  // ipset add/del of the changed members and a save of each changed set, in
  // one restore: each member changes atomically, and the sets hold RETURN
  // addresses, so in between a packet is let through only if the old or the
  // new sessions let it; the save is the read-back. The difference is taken
  // from what op25bc last asked the set to hold (request.last) when the
  // record vouches for that, else from the set read first; a read-back that
  // differs (someone else changed the set) is repaired once from what it
  // showed. A set that does not change is neither read nor written. No
  // pending record: a run that dies before the record is rewritten leaves a
  // set the record's digest does not describe, which the next run reads back
  // (RecordStore::held refuses it) and an idempotent "ipset -exist" repairs.
  Result<backend::Outcome> replace_elements(const backend::ElementsRequest& request) override {
    try {
      FileRecordStore store(state_);
      std::optional<Record> record = store.load();
      if (!record || record->pending || record->table != request.table)
        return Failure{"the state record " + store.path() + " names no completed run for table " +
                           request.table + "; the ruleset is unchanged",
                       "op25bc apply (or activate) makes the session sets first"};
      Record next = *record;
      struct Change {
        Record::Set* set;
        net::Prefixes want, had;  // sorted members
      };
      std::vector<Change> changes;
      for (std::size_t k = 0; k < request.sets.size(); ++k) {
        const ir::Set& w = request.sets[k];
        const auto it = std::find_if(next.sets.begin(), next.sets.end(), [&](const auto& r) {
          return strip_generation(r.name) == set_stem(request.table, w.name) &&
                 r.family == w.family;
        });
        if (it == next.sets.end())
          return Failure{"op25bc's ipsets have no set for " + w.name +
                         " (session addresses): the policy applied last has no subscriber "
                         "exemption; the ruleset is unchanged"};
        Change c{&*it, sorted_members(it->name, w), {}};
        const ir::Set* last = k < request.last.size() ? &request.last[k] : nullptr;
        const bool vouched =
            last != nullptr && last->name == w.name && it->digest == net::digest(last->elements);
        if (vouched) {
          if (it->digest == net::digest(w.elements)) continue;  // unchanged: not touched
          c.had = sorted_members(it->name, *last);
        } else {
          std::string error;
          auto held = read_members(it->name, w.family, error);
          if (!held) return Failure{error + "; the ruleset is unchanged"};
          c.had = std::move(*held);
        }
        it->members = c.want.size();
        it->digest = net::digest(w.elements);
        changes.push_back(std::move(c));
      }
      backend::Outcome o;
      std::size_t added = 0, deleted = 0;
      for (const Change& c : changes) {
        for (const auto& p : minus_members(c.had, c.want)) {
          o.changes += "delete element " + c.set->name + " " + net::to_string(p) + "\n";
          ++deleted;
        }
        for (const auto& p : minus_members(c.want, c.had)) {
          o.changes += "add element " + c.set->name + " " + net::to_string(p) + "\n";
          ++added;
        }
      }
      o.summary = "+" + std::to_string(added) + " -" + std::to_string(deleted) + " members";
      o.report = {{"summary", {{"elements_added", added}, {"elements_deleted", deleted}}}};
      if (added + deleted == 0) {
        o.in_sync = true;
        return o;
      }
      for (int attempt = 1;; ++attempt) {
        std::string script;
        for (const Change& c : changes) {
          for (const auto& p : minus_members(c.had, c.want))
            append_member_line(script, "del", c.set->name, p);
          for (const auto& p : minus_members(c.want, c.had))
            append_member_line(script, "add", c.set->name, p);
          script += "save " + c.set->name + "\n";
        }
        const ToolResult ran = kernel_.ipset_restore(script);
        if (!ran.ok())
          return Failure{"ipset restore failed: " + ran.error +
                         (attempt == 1 ? "; the ruleset is unchanged"
                                       : "; the next run reads the sets back and converges")};
        bool held_as_asked = true;
        for (Change& c : changes) {  // the read-back
          std::string error;
          auto held =
              parse_ipset_members(saved_lines(ran.output, c.set->name), c.set->family, error);
          if (!held)
            return Failure{"ipset " + c.set->name + " could not be read back (" + error +
                           "); the next run reads it back and converges"};
          held_as_asked = held_as_asked && *held == c.want;  // both sorted (net::Prefix's order)
          c.had = std::move(*held);
        }
        if (held_as_asked) break;
        if (attempt == 2)
          return Failure{
              "the session ipsets do not hold what was written (changed meanwhile by "
              "someone else); the next run reads them back and converges"};
      }
      store.save(next);
      o.committed = true;
      return o;
    } catch (const std::exception& e) {
      return Failure{e.what()};
    }
  }

 private:
  static net::Prefixes minus_members(const net::Prefixes& a, const net::Prefixes& b) {
    net::Prefixes out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
  }
  static net::Prefixes sorted_members(const std::string& name, const ir::Set& s) {
    net::Prefixes out = members(IpSet{name, s.name, s.family, true, s.elements});
    std::sort(out.begin(), out.end());
    return out;
  }
  // The lines of set `name` in the output of saves of several sets.
  static std::string saved_lines(std::string_view output, const std::string& name) {
    std::string out;
    while (!output.empty()) {
      const std::size_t end = output.find('\n');
      const std::string_view line = output.substr(0, end);
      const std::string_view rest = line.substr(std::min(line.size(), line.find(' ') + 1));
      if (rest.starts_with(name) && (rest.size() == name.size() || rest[name.size()] == ' '))
        (out += line) += '\n';
      output.remove_prefix(end == std::string_view::npos ? output.size() : end + 1);
    }
    return out;
  }
  std::optional<net::Prefixes> read_members(const std::string& name, net::Family family,
                                            std::string& error) {
    auto held = set_reader(kernel_)(name, family, error);
    if (held) std::sort(held->begin(), held->end());
    return held;
  }

  std::string state_;
  ToolsKernel kernel_;
};

class XtBackend final : public backend::Backend {
 public:
  std::string name() const override { return "iptables"; }
  std::string describe(const std::string& table) const override {
    return "op25bc's iptables chains and ipsets (table " + table + ")";
  }
  std::string default_state_file(const std::string& table) const override {
    return std::string{backend::kStateFolder} + "/" + table + ".iptables.state";
  }
  bool owns_record(std::string_view bytes) const override { return looks_like_xt_record(bytes); }
  // iptables-legacy talks to the kernel through a raw IPv4/IPv6 socket
  // (CAP_NET_RAW) and takes the xtables lock in /run; ipset speaks netlink.
  backend::Sandbox sandbox() const override {
    return {{"CAP_NET_ADMIN", "CAP_NET_RAW"},
            {"AF_NETLINK", "AF_UNIX", "AF_INET", "AF_INET6"},
            {"/run"}};
  }

  std::vector<std::string> formats() const override { return {"restore"}; }
  Result<backend::Rendered> render(const policy::Policy& policy, Instant at, bool kernel_timed,
                                   const std::string& format) const override {
    if (format != "restore")
      return Failure{"compile --format " + format + " is not a format of the iptables backend",
                     "--format restore (the default) writes the restore tools' input"};
    Diagnostics diags;
    const Ruleset r = compile(policy, at, kernel_timed, 1, diags);
    if (diags.has_errors())
      return Failure{"the policy asks for what iptables cannot express", "", std::move(diags)};
    const std::string ipset = render_ipset(r);
    const std::string v4 = render_restore(r, net::Family::v4);
    const std::string v6 = render_restore(r, net::Family::v6);
    std::string script =
        "#!/bin/sh\n"
        "# " +
        text::comment_line(
            "op25bc " OP25BC_VERSION ": outbound port 25 blocking" +
            (policy.operator_name.empty() ? std::string{} : " for " + policy.operator_name)) +
        "\n# ruleset in effect at " + format_time(at, policy.zone) + " (" + policy.timezone +
        "), for iptables-legacy and ipset.\n"
        "# Loads into a router that has none of op25bc's chains and sets yet (op25bc apply\n"
        "# --backend iptables also updates them); touches no other chain or set.\n"
        "set -e\n";
    // Quoted here-document delimiters: the shell expands nothing inside, and no
    // line of a restore input can equal one (each starts with a command word).
    script += "ipset restore <<'OP25BC_IPSET'\n" + ipset + "OP25BC_IPSET\n";
    script += "iptables-legacy-restore -w --noflush <<'OP25BC_IPV4'\n" + v4 + "OP25BC_IPV4\n";
    script += "ip6tables-legacy-restore -w --noflush <<'OP25BC_IPV6'\n" + v6 + "OP25BC_IPV6\n";
    return backend::Rendered{
        std::move(script),
        {{"ipset.restore", ipset}, {"iptables.restore", v4}, {"ip6tables.restore", v6}}};
  }

  Result<std::unique_ptr<backend::Session>> open(const backend::Access& access) const override {
    if (auto missing = tools_missing()) return std::move(*missing);
    if (const std::string missing = missing_capabilities(); !missing.empty())
      return Failure{
          "the iptables backend needs CAP_NET_ADMIN and CAP_NET_RAW (iptables-legacy opens a "
          "raw socket); this process lacks " +
              missing,
          "run it as root; a systemd unit for it comes from op25bc schedule --emit systemd "
          "--backend iptables"};
    try {
      return std::unique_ptr<backend::Session>(std::make_unique<XtSession>(access.state));
    } catch (const std::exception& e) {
      return Failure{e.what()};
    }
  }

  Result<std::optional<backend::Status>> status(
      const std::string& table, const std::string& state_file,
      bool /*verify: ipset counts are always read*/) const override {
    return with_kernel<std::optional<backend::Status>>(
        state_file,
        [&](ToolsKernel&, const KernelView& view,
            FileRecordStore& store) -> Result<std::optional<backend::Status>> {
          return read_status(view, store.load(), store.unusable(), table);
        });
  }

  Result<std::optional<std::vector<backend::Recording>>> recordings(
      const std::string& table, const std::string& state_file) const override {
    using Out = std::optional<std::vector<backend::Recording>>;
    return with_kernel<Out>(
        state_file,
        [&](ToolsKernel& kernel, const KernelView& view, FileRecordStore& store) -> Result<Out> {
          if (!view.v4.has_chain(xt::check_chain(table)) &&
              !view.v6.has_chain(xt::check_chain(table)))
            return Out{};
          auto sets = xt::recordings(view, store.load(), table);
          for (auto& r : sets) {
            const ToolResult saved = kernel.save_set(r.set);
            if (!saved.ok()) return Failure{"ipset save " + r.set + ": " + saved.error};
            std::string error;
            auto sources = parse_ipset_recorded(saved.output, r.family, error);
            if (!sources) return Failure{error};
            r.sources = std::move(*sources);
            r.recorded = r.sources.size();
          }
          return Out{std::move(sets)};
        });
  }

  std::optional<backend::LastApply> last_applied(const std::string& state_file) const override {
    FileRecordStore store(state_file);
    const auto record = store.load();
    if (!record || record->pending) return std::nullopt;
    return backend::LastApply{*record, std::nullopt};
  }

 private:
  // The tools checked, the kernel read, the record opened: what status and
  // recordings both start from; a failure on the way is the answer.
  template <typename T, typename Read>
  static Result<T> with_kernel(const std::string& state_file, Read read) {
    if (auto missing = tools_missing()) return std::move(*missing);
    try {
      ToolsKernel kernel;
      std::string error;
      const auto view = read_view(kernel, error);
      if (!view) return Failure{error};
      FileRecordStore store(state_file);
      return read(kernel, *view, store);
    } catch (const std::exception& e) {
      return Failure{e.what()};
    }
  }
};

}  // namespace

std::unique_ptr<backend::Backend> make_backend() {
  return std::make_unique<XtBackend>();
}

}  // namespace op25bc::xt
