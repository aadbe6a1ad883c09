// SPDX-License-Identifier: GPL-2.0-or-later
// Carrying out an iptables plan through the restore tools, in the order that
// keeps every moment the old or the new ruleset (xt_plan.h).
#include <algorithm>
#include <optional>

#include "op25bc/xt/plan.h"

namespace op25bc::xt {

namespace {

std::string tool_error(const ToolResult& r) {
  std::string text = r.error;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "exit status " + std::to_string(r.status) : text;
}

// Destroys each set on its own, so one in use (a foreign rule may name it)
// does not keep the others; returns those that stay.
std::vector<std::string> destroy_sets(XtKernel& kernel, const std::vector<std::string>& sets) {
  std::vector<std::string> kept;
  if (sets.empty()) return kept;
  std::string script;
  for (const std::string& s : sets) script += "destroy " + s + "\n";
  if (kernel.ipset_restore(script).ok()) return kept;
  for (const std::string& s : sets)
    if (!kernel.ipset_restore("destroy " + s + "\n").ok()) kept.push_back(s);
  // A set already gone is not kept: ipset says so, and list would not show it.
  std::string error;
  const auto view = read_view(kernel, error);
  if (!view) return kept;
  std::erase_if(kept, [&](const std::string& s) { return view->set(s) == nullptr; });
  return kept;
}

// What the kernel should hold after the plan, checked by reading it back:
// op25bc's chains rule for rule, the FORWARD jump first, each set's count.
std::string check_held(const Plan& p, XtKernel& kernel) {
  std::string error;
  const auto view = read_view(kernel, error);
  if (!view) return "cannot read the kernel back: " + error;
  for (net::Family f : {net::Family::v4, net::Family::v6}) {
    const KernelTable& k = view->of(f);
    const auto& want = p.target.of(f);
    const char* name = f == net::Family::v4 ? "iptables" : "ip6tables";
    for (const auto& c : want.chains) {
      const auto held = k.rules_of(c.name);
      bool same = k.has_chain(c.name) && held.size() == c.rules.size();
      for (std::size_t i = 0; same && i < held.size(); ++i) same = held[i]->tokens == c.rules[i];
      if (!same) return std::string{name} + " chain " + c.name + " does not hold what was applied";
    }
    const auto forward = k.rules_of("FORWARD");
    if (forward.empty() || forward.front()->tokens != want.forward_jump)
      return std::string{name} + " FORWARD does not start with op25bc's jump";
  }
  for (const auto& s : p.target.sets) {
    const KernelSet* k = view->set(s.name);
    if (k == nullptr) return "set " + s.name + " is missing";
    if (!s.recording && k->entries != s.members)
      return "set " + s.name + " holds " + std::to_string(k->entries) + " members, not " +
             std::to_string(s.members);
  }
  return {};
}

}  // namespace

RunOutcome run(const Plan& p, XtKernel& kernel, RecordStore& store, Record record,
               std::size_t parts) {
  RunOutcome out;
  // Every set and chain this run may create is op25bc's before it exists.
  Record pending = record;
  pending.pending = true;
  for (const std::string& s : p.create)
    if (std::find(pending.leftover_sets.begin(), pending.leftover_sets.end(), s) ==
        pending.leftover_sets.end())
      pending.leftover_sets.push_back(s);
  for (net::Family f : {net::Family::v4, net::Family::v6}) {
    auto& chains = f == net::Family::v4 ? pending.chains_v4 : pending.chains_v6;
    for (const auto& c : p.target.of(f).chains)
      if (std::find(chains.begin(), chains.end(), c.name) == chains.end()) chains.push_back(c.name);
  }
  pending.generation = std::max(pending.generation, p.target.generation);
  store.save(pending);

  if (!p.create.empty()) {
    for (const ToolResult& created : kernel.ipset_restore_all(create_scripts(p, parts)))
      if (!created.ok()) {
        const auto kept = destroy_sets(kernel, p.create);
        out.error = "ipset restore refused the new sets: " + tool_error(created);
        out.partial = !kept.empty();
        return out;
      }
  }
  if (!p.deltas.empty()) {
    const ToolResult changed = kernel.ipset_restore(delta_script(p));
    if (!changed.ok()) {
      out.error = "ipset restore refused a member change: " + tool_error(changed);
      out.partial = true;
      return out;
    }
  }
  std::optional<net::Family> switched;
  for (net::Family f : {net::Family::v4, net::Family::v6}) {
    if (p.restore(f).empty()) continue;
    const ToolResult restored = kernel.restore(f, p.restore(f), false);
    if (!restored.ok()) {
      out.error = std::string{f == net::Family::v4 ? "iptables" : "ip6tables"} +
                  "-legacy-restore refused op25bc's chains: " + tool_error(restored);
      // The family that switched goes back, so that neither does; then the
      // new sets, which no rule uses any more, go too.
      const bool back = !switched || kernel.restore(*switched, p.undo(*switched), false).ok();
      if (back) destroy_sets(kernel, p.create);
      out.partial = !back || !p.deltas.empty();
      return out;
    }
    switched = f;
  }
  Record done = completed(p, std::move(record));
  // The plan destroys every set op25bc owns and no longer uses (leftovers of
  // a run that died included); one still in use elsewhere stays op25bc's.
  done.leftover_sets = destroy_sets(kernel, p.destroy);
  if (const std::string wrong = check_held(p, kernel); !wrong.empty()) {
    out.error = "after the change, " + wrong + " (someone changed it at the same time?)";
    out.partial = true;
    return out;
  }
  try {
    store.save_held(p.target);  // first: a record never names members newer than these
  } catch (const std::exception&) {
    // Without it the next run reads changed sets back from the kernel.
  }
  store.save(done);
  out.ok = true;
  return out;
}

std::vector<std::string> test_restores(const Plan& p, const KernelView& view, XtKernel& kernel,
                                       bool& ok) {
  std::vector<std::string> lines;
  ok = true;
  for (net::Family f : {net::Family::v4, net::Family::v6}) {
    const std::string& text = p.restore(f);
    if (text.empty()) continue;
    const char* tool = f == net::Family::v4 ? "iptables" : "ip6tables";
    const bool names_new = std::any_of(p.create.begin(), p.create.end(), [&](const auto& s) {
      return view.set(s) == nullptr && text.find(s) != std::string::npos;
    });
    if (names_new) {
      lines.push_back(std::string{tool} +
                      "-legacy-restore --test skipped: the restore names sets that do not exist "
                      "until the apply creates them");
      continue;
    }
    const ToolResult tested = kernel.restore(f, text, true);
    if (tested.ok()) {
      lines.push_back(std::string{tool} + "-legacy-restore --test accepted the restore");
    } else {
      ok = false;
      lines.push_back(std::string{tool} +
                      "-legacy-restore --test refused the restore: " + tool_error(tested));
    }
  }
  return lines;
}

}  // namespace op25bc::xt
