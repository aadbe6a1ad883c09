// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/xt/plan.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "op25bc/net/address_set.h"

namespace op25bc::xt {

namespace {

using xt::IpSet;
bool same_prefix(const net::Prefix& a, const net::Prefix& b) {
  return a.base == b.base && a.length == b.length;
}

// a - b, both sorted.
net::Prefixes minus(const net::Prefixes& a, const net::Prefixes& b) {
  net::Prefixes out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

net::Intervals merged(const net::Prefixes& prefixes, net::Family family) {
  net::Intervals out;
  out.reserve(prefixes.size());
  for (const net::Prefix& p : prefixes) out.push_back(p.interval());
  net::merge_intervals(out, family);
  return out;
}

// Every address of `a` lies in `b` (both merged).
bool within(const net::Intervals& a, const net::Intervals& b) {
  std::size_t j = 0;
  for (const auto& iv : a) {
    while (j < b.size() && b[j].last < iv.first) ++j;
    if (j == b.size() || b[j].first > iv.first || b[j].last < iv.last) return false;
  }
  return true;
}

std::string table_name(net::Family f) {
  return f == net::Family::v4 ? "iptables (IPv4)" : "ip6tables (IPv6)";
}

// How a set's change moves what its family blocks.
enum class Move { tighten, loosen, mixed };

struct Change {
  std::size_t set;  // index into the target's sets
  Delta delta;
  Move move;
};

class Planner {
 public:
  Planner(xt::Ruleset desired, const KernelView& view, const std::optional<Record>& record,
          const PlanOptions& options, const ReadSet& read_set, const HeldSet& held)
      : view_(view), record_(record), options_(options), read_set_(read_set), held_(held) {
    out_.target = std::move(desired);
  }

  std::optional<Plan> run(std::string& error) {
    find_owned();
    find_conflicts();
    if (!out_.conflicts.empty()) return std::move(out_);
    for (std::size_t i = 0; i < out_.target.sets.size(); ++i)
      if (!choose_set(i, error)) return std::nullopt;
    for (net::Family f : {net::Family::v4, net::Family::v6}) decide_family(f);
    name_fresh_sets();
    for (net::Family f : {net::Family::v4, net::Family::v6})
      if (switching_[index(f)]) {
        (f == net::Family::v4 ? out_.restore_v4 : out_.restore_v6) = restore_text(f);
        (f == net::Family::v4 ? out_.undo_v4 : out_.undo_v6) = undo_text(f);
      }
    find_destroy();
    return std::move(out_);
  }

 private:
  static std::size_t index(net::Family f) { return f == net::Family::v4 ? 0 : 1; }

  const std::string& table() const { return out_.target.table; }

  void find_owned() {
    if (!record_) return;
    for (const auto& s : record_->sets) owned_sets_.insert(s.name);
    owned_sets_.insert(record_->leftover_sets.begin(), record_->leftover_sets.end());
    for (net::Family f : {net::Family::v4, net::Family::v6})
      owned_chains_[index(f)].insert(record_->chains(f).begin(), record_->chains(f).end());
  }

  bool owns_chain(net::Family f, const std::string& chain) const {
    return owned_chains_[index(f)].contains(chain);
  }

  void find_conflicts() {
    for (net::Family f : {net::Family::v4, net::Family::v6})
      for (const xt::Chain& c : out_.target.of(f).chains)
        if (view_.of(f).has_chain(c.name) && !owns_chain(f, c.name)) {
          if (options_.adopt)
            owned_chains_[index(f)].insert(c.name);  // taken over: flushed and rewritten
          else
            out_.conflicts.push_back("chain " + c.name + " in " + table_name(f) +
                                     " was not created by op25bc");
        }
  }

  // The set of this stem the kernel's rules use now, if op25bc owns one.
  std::string current_set(const std::string& stem, net::Family f) const {
    std::string fallback;
    for (const KernelSet& k : view_.sets) {
      if (!owned_sets_.contains(k.name) || xt::strip_generation(k.name) != stem) continue;
      if (referenced(k.name, f)) return k.name;
      if (fallback.empty() || recorded(k.name) != nullptr) fallback = k.name;
    }
    return fallback;
  }

  bool referenced(const std::string& set, net::Family f) const {
    for (const KernelRule& r : view_.of(f).rules) {
      if (!owns_chain(f, r.chain)) continue;
      for (std::size_t i = 0; i + 1 < r.tokens.size(); ++i)
        if (r.tokens[i] == "--match-set" && r.tokens[i + 1] == set) return true;
    }
    return false;
  }

  // What a recorded set holds, from the copy kept beside the record (checked
  // against the record's digest): its intervals, and its members as op25bc
  // wrote them. Empty elements when there is no usable copy.
  IpSet recorded_set(const Record::Set& rec) const {
    IpSet set;
    set.family = rec.family;
    if (auto intervals = held_ ? held_(rec) : std::nullopt) set.elements = std::move(*intervals);
    return set;
  }

  const Record::Set* recorded(const std::string& name) const {
    if (!record_) return nullptr;
    for (const auto& s : record_->sets)
      if (s.name == name) return &s;
    return nullptr;
  }

  bool choose_set(std::size_t i, std::string& error) {
    IpSet& want = out_.target.sets[i];
    const std::string current = current_set(xt::strip_generation(want.name), want.family);
    const KernelSet* k = current.empty() ? nullptr : view_.set(current);
    const char* family = want.family == net::Family::v4 ? "inet" : "inet6";
    if (want.recording) {  // kept as the kernel made it; its members are the rules'
      if (k == nullptr || k->type != "hash:ip" || k->family != family ||
          k->maxelem != want.maxelem || k->timeout != want.recording->timeout_seconds)
        fresh_.insert(i);
      else
        rename_[want.name] = current;
      return true;
    }
    if (k == nullptr || k->type != "hash:net" || k->family != family || k->maxelem < want.members) {
      fresh_.insert(i);
      return true;
    }
    rename_[want.name] = current;
    const Record::Set* rec = recorded(current);
    const net::SetDigest desired = net::digest(want.elements);
    const bool trusted = rec != nullptr && !record_->pending && !options_.verify &&
                         rec->members == k->entries && rec->family == want.family;
    if (rec != nullptr && !record_->pending && rec->members != k->entries) out_.drift = true;
    if (trusted && rec->digest == desired) return true;
    // The old members: from beside the record when trusted (their intervals
    // come along, so a million need not be merged again), else read back.
    IpSet before_set = trusted ? recorded_set(*rec) : IpSet{};
    std::optional<net::Prefixes> held;
    if (!before_set.elements.empty()) held = xt::members(before_set);
    if (!held) {
      held = read_set_(current, want.family, error);
      if (!held) return false;
      ++out_.sets_read_back;
      before_set.elements = merged(*held, want.family);
    }
    const net::Prefixes wanted = xt::members(want);
    if (held->size() == wanted.size() &&
        std::equal(held->begin(), held->end(), wanted.begin(), same_prefix)) {
      if (trusted) out_.drift = true;  // the record said otherwise
      return true;
    }
    const net::Intervals& before = before_set.elements;
    Change change{i, {current, minus(wanted, *held), minus(*held, wanted)}, Move::mixed};
    const bool grows = within(before, want.elements);
    const bool shrinks = within(want.elements, before);
    if (grows != shrinks) change.move = (grows != want.allows) ? Move::tighten : Move::loosen;
    changes_.push_back(std::move(change));
    return true;
  }

  // The desired rules of family f, with the sets named as they are now.
  std::vector<xt::Chain> renamed_chains(net::Family f) const {
    std::vector<xt::Chain> chains = out_.target.of(f).chains;
    for (auto& c : chains)
      for (auto& rule : c.rules)
        for (auto& token : rule)
          if (auto it = rename_.find(token); it != rename_.end()) token = it->second;
    return chains;
  }

  bool uses_fresh_set(net::Family f) const {
    for (std::size_t i : fresh_)
      if (out_.target.sets[i].family == f) return true;
    return false;
  }

  bool forward_in_place(net::Family f) const {
    const auto forward = view_.of(f).rules_of("FORWARD");
    const xt::Tokens& jump = out_.target.of(f).forward_jump;
    const std::string& check = xt::check_chain(table());
    std::size_t jumps = 0;
    for (const KernelRule* r : forward)
      if (r->tokens.size() >= 2 && r->tokens[r->tokens.size() - 2] == "-j" &&
          r->tokens.back() == check)
        ++jumps;
    return jumps == 1 && !forward.empty() && forward.front()->tokens == jump;
  }

  bool rules_in_place(net::Family f) const {
    const KernelTable& k = view_.of(f);
    const auto chains = renamed_chains(f);
    std::set<std::string> wanted;
    for (const xt::Chain& c : chains) {
      wanted.insert(c.name);
      if (!k.has_chain(c.name)) return false;
      const auto held = k.rules_of(c.name);
      if (held.size() != c.rules.size()) return false;
      for (std::size_t r = 0; r < held.size(); ++r)
        if (held[r]->tokens != c.rules[r]) return false;
    }
    for (const std::string& chain : owned_chains_[index(f)])
      if (!wanted.contains(chain) && k.has_chain(chain)) return false;  // to remove
    return forward_in_place(f);
  }

  void decide_family(net::Family f) {
    std::vector<Change*> changed;
    for (Change& c : changes_)
      if (out_.target.sets[c.set].family == f) changed.push_back(&c);
    bool switching = uses_fresh_set(f) || !rules_in_place(f);
    if (!switching && changed.size() > 1) {
      const Move first = changed.front()->move;
      switching =
          first == Move::mixed || std::any_of(changed.begin(), changed.end(),
                                              [&](const Change* c) { return c->move != first; });
    }
    switching_[index(f)] = switching;
    for (Change* c : changed) {
      if (switching)
        fresh_.insert(c->set);  // rebuilt, so that the one restore switches it too
      else
        out_.deltas.push_back(std::move(c->delta));
    }
  }

  void name_fresh_sets() {
    std::uint64_t generation = record_ ? record_->generation : 0;
    for (const KernelSet& k : view_.sets) {
      const std::string stem = xt::strip_generation(k.name);
      if (stem.empty() || !stem.starts_with(table() + "-")) continue;
      generation = std::max<std::uint64_t>(
          generation, std::stoull(k.name.substr(stem.size() + 1).substr(0, 18)));
    }
    if (!fresh_.empty()) ++generation;
    out_.target.generation = generation;
    for (std::size_t i : fresh_) {
      IpSet& s = out_.target.sets[i];
      const std::string name = xt::set_name(table(), s.base, generation);
      rename_[s.name] = name;
      out_.create.push_back(name);
    }
    for (IpSet& s : out_.target.sets)
      if (auto it = rename_.find(s.name); it != rename_.end()) s.name = it->second;
    for (net::Family f : {net::Family::v4, net::Family::v6}) {
      auto& rules = f == net::Family::v4 ? out_.target.v4 : out_.target.v6;
      rules.chains = renamed_chains(f);
    }
    rename_.clear();
  }

  // The target's chains the restore must declare (which flushes them): all
  // but the phase chains that already hold their one rule (their counters).
  std::vector<const xt::Chain*> declared(net::Family f) const {
    const KernelTable& k = view_.of(f);
    const std::string check = xt::check_chain(table());
    const std::string block = xt::block_chain(table());
    std::vector<const xt::Chain*> out;
    for (const xt::Chain& c : out_.target.of(f).chains) {
      bool keep =
          c.name != check && c.name != block && k.has_chain(c.name) && owns_chain(f, c.name);
      if (keep) {
        const auto held = k.rules_of(c.name);
        keep = held.size() == c.rules.size();
        for (std::size_t r = 0; keep && r < held.size(); ++r) keep = held[r]->tokens == c.rules[r];
      }
      if (!keep) out.push_back(&c);
    }
    return out;
  }

  // op25bc's chains in the kernel that the target no longer has.
  std::vector<std::string> removed(net::Family f) const {
    std::set<std::string> wanted;
    for (const xt::Chain& c : out_.target.of(f).chains) wanted.insert(c.name);
    std::vector<std::string> out;
    for (const std::string& chain : owned_chains_[index(f)])
      if (!wanted.contains(chain) && view_.of(f).has_chain(chain)) out.push_back(chain);
    return out;
  }

  bool jumps_to_check(const KernelRule& r) const {
    return r.tokens.size() >= 2 && r.tokens[r.tokens.size() - 2] == "-j" &&
           r.tokens.back() == xt::check_chain(table());
  }

  std::string header(net::Family f, const char* what) const {
    return "# op25bc " OP25BC_VERSION ": table " + table() + ", generation " +
           std::to_string(out_.target.generation) + ", " + std::string{net::family_name(f)} + what +
           "\n*filter\n";
  }

  // One restore for the family: op25bc's chains as the target has them.
  std::string restore_text(net::Family f) const {
    const auto chains = declared(f);
    std::string out = header(f, "");
    for (const xt::Chain* c : chains) out += ":" + c->name + " - [0:0]\n";
    for (const xt::Chain* c : chains)
      for (const xt::Tokens& rule : c->rules) out += xt::rule_line(c->name, rule) + "\n";
    for (const std::string& chain : removed(f)) out += "-F " + chain + "\n-X " + chain + "\n";
    if (!forward_in_place(f)) {
      for (const KernelRule* r : view_.of(f).rules_of("FORWARD"))
        if (jumps_to_check(*r)) out += "-D FORWARD " + xt::render_tokens(r->tokens) + "\n";
      out += "-I FORWARD 1 " + xt::render_tokens(out_.target.of(f).forward_jump) + "\n";
    }
    return out + "COMMIT\n";
  }

  // The restore that takes the family back to what the kernel held, should
  // the other family's restore fail after this one's succeeded.
  std::string undo_text(net::Family f) const {
    const KernelTable& k = view_.of(f);
    std::vector<std::string> again, created;  // chains to refill as they were; to remove
    for (const xt::Chain* c : declared(f))
      (k.has_chain(c->name) ? again : created).push_back(c->name);
    for (const std::string& chain : removed(f)) again.push_back(chain);
    std::string out = header(f, ", undo");
    for (const std::string& chain : again) out += ":" + chain + " - [0:0]\n";
    for (const std::string& chain : again)
      for (const KernelRule* r : k.rules_of(chain)) out += xt::rule_line(chain, r->tokens) + "\n";
    if (!forward_in_place(f)) {
      out += "-D FORWARD " + xt::render_tokens(out_.target.of(f).forward_jump) + "\n";
      const auto forward = k.rules_of("FORWARD");
      for (std::size_t i = 0; i < forward.size(); ++i)
        if (jumps_to_check(*forward[i]))
          out += "-I FORWARD " + std::to_string(i + 1) + " " +
                 xt::render_tokens(forward[i]->tokens) + "\n";
    }
    for (const std::string& chain : created) out += "-F " + chain + "\n";
    for (const std::string& chain : created) out += "-X " + chain + "\n";
    return out + "COMMIT\n";
  }

  void find_destroy() {
    std::set<std::string> used;
    for (const IpSet& s : out_.target.sets) used.insert(s.name);
    for (const KernelSet& k : view_.sets)
      if (owned_sets_.contains(k.name) && !used.contains(k.name)) out_.destroy.push_back(k.name);
  }

  const KernelView& view_;
  const std::optional<Record>& record_;
  const PlanOptions& options_;
  const ReadSet& read_set_;
  const HeldSet& held_;
  Plan out_;
  std::set<std::string> owned_sets_;
  std::set<std::string> owned_chains_[2];
  std::set<std::size_t> fresh_;                // target sets built anew
  std::map<std::string, std::string> rename_;  // desired name -> the kernel's
  std::vector<Change> changes_;
  bool switching_[2] = {false, false};
};

std::string count_text(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::optional<Plan> plan(xt::Ruleset desired, const KernelView& view,
                         const std::optional<Record>& record, const PlanOptions& options,
                         const ReadSet& read_set, const HeldSet& held, std::string& error) {
  return Planner(std::move(desired), view, record, options, read_set, held).run(error);
}

std::vector<std::string> create_scripts(const Plan& p, std::size_t parts) {
  std::vector<const IpSet*> sets;
  for (const IpSet& s : p.target.sets)
    if (std::find(p.create.begin(), p.create.end(), s.name) != p.create.end()) sets.push_back(&s);
  return xt::render_sets(sets, parts);
}

std::string delta_script(const Plan& p) {
  std::string out;
  for (const Delta& d : p.deltas) {
    for (const auto& m : d.add) xt::append_member_line(out, "add", d.set, m);
    for (const auto& m : d.del) xt::append_member_line(out, "del", d.set, m);
  }
  return out;
}

std::vector<std::string> describe(const Plan& p) {
  std::vector<std::string> lines;
  for (const IpSet& s : p.target.sets)
    if (std::find(p.create.begin(), p.create.end(), s.name) != p.create.end())
      lines.push_back("create set " + s.name + " (" + count_text(s.members, "member", "members") +
                      ")");
  for (const Delta& d : p.deltas)
    lines.push_back("set " + d.set + ": add " + count_text(d.add.size(), "member", "members") +
                    ", delete " + std::to_string(d.del.size()) + " (in place, adds first)");
  for (net::Family f : {net::Family::v4, net::Family::v6}) {
    const std::string& text = p.restore(f);
    if (text.empty()) continue;
    lines.push_back(table_name(f) + ": one restore rewrites op25bc's chains:");
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = text.find('\n', start);
      const std::string line = text.substr(start, end - start);
      if (!line.empty() && line[0] != '#' && line != "*filter" && line != "COMMIT")
        lines.push_back("  " + line);
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  for (const std::string& s : p.destroy) lines.push_back("destroy set " + s);
  return lines;
}

nlohmann::json to_json(const Plan& p, std::size_t element_limit) {
  nlohmann::json changes = nlohmann::json::array();
  const auto members = [&](const std::string& set, const char* op, const net::Prefixes& list) {
    nlohmann::json shown = nlohmann::json::array();
    for (std::size_t i = 0; i < list.size() && i < element_limit; ++i)
      shown.push_back(net::to_string(list[i]));
    changes.push_back({{"op", op},
                       {"object", "elements"},
                       {"set", set},
                       {"count", list.size()},
                       {"elements", shown},
                       {"truncated", list.size() > element_limit}});
  };
  for (const IpSet& s : p.target.sets)
    if (std::find(p.create.begin(), p.create.end(), s.name) != p.create.end())
      changes.push_back({{"op", "add"}, {"object", "set"}, {"name", s.name}, {"count", s.members}});
  for (const Delta& d : p.deltas) {
    if (!d.add.empty()) members(d.set, "add", d.add);
    if (!d.del.empty()) members(d.set, "delete", d.del);
  }
  std::size_t rules = 0;
  for (net::Family f : {net::Family::v4, net::Family::v6}) {
    const std::string& text = p.restore(f);
    if (text.empty()) continue;
    nlohmann::json lines = nlohmann::json::array();
    for (std::size_t start = 0; start < text.size();) {
      const auto end = std::min(text.find('\n', start), text.size());
      const std::string line = text.substr(start, end - start);
      if (line.starts_with("-A ") || line.starts_with("-I ")) lines.push_back(line);
      start = end + 1;
    }
    rules += lines.size();
    changes.push_back({{"op", "replace"},
                       {"object", "chains"},
                       {"family", f == net::Family::v4 ? "ipv4" : "ipv6"},
                       {"rules", lines}});
  }
  for (const std::string& s : p.destroy)
    changes.push_back({{"op", "delete"}, {"object", "set"}, {"name", s}});
  std::size_t added = 0, deleted = 0;
  for (const Delta& d : p.deltas) {
    added += d.add.size();
    deleted += d.del.size();
  }
  const int restores = !p.restore_v4.empty() + !p.restore_v6.empty();
  return {{"changes", changes},
          {"summary",
           {{"elements_added", added},
            {"elements_deleted", deleted},
            {"rules_added", rules},
            {"rules_deleted", 0},
            {"objects_changed", p.create.size() + p.destroy.size() + restores}}},
          // The iptables backend's own counts, as before.
          {"sets_created", p.create},
          {"members_added", added},
          {"members_deleted", deleted},
          {"restores", restores},
          {"sets_destroyed", p.destroy},
          {"sets_read_back", p.sets_read_back},
          {"drift_repaired", p.drift}};
}

std::string summary(const Plan& p) {
  std::size_t added = 0, deleted = 0;
  for (const Delta& d : p.deltas) {
    added += d.add.size();
    deleted += d.del.size();
  }
  std::vector<std::string> parts;
  if (!p.create.empty()) parts.push_back(count_text(p.create.size(), "set built", "sets built"));
  if (!p.deltas.empty())
    parts.push_back(count_text(added, "member added", "members added") + ", " +
                    std::to_string(deleted) + " deleted in place");
  const int restores = !p.restore_v4.empty() + !p.restore_v6.empty();
  if (restores > 0) parts.push_back(count_text(restores, "chain restore", "chain restores"));
  if (!p.destroy.empty())
    parts.push_back(count_text(p.destroy.size(), "set destroyed", "sets destroyed"));
  if (parts.empty()) return "no change";
  std::string out = parts.front();
  for (std::size_t i = 1; i < parts.size(); ++i) out += ", " + parts[i];
  return out;
}

Record completed(const Plan& p, Record r) {
  r.table = p.target.table;
  r.generation = std::max(r.generation, p.target.generation);
  r.pending = false;
  r.sets.clear();
  for (const IpSet& s : p.target.sets)
    r.sets.push_back({s.name, s.family, s.members, net::digest(s.elements)});
  r.chains_v4.clear();
  r.chains_v6.clear();
  for (const auto& c : p.target.v4.chains) r.chains_v4.push_back(c.name);
  for (const auto& c : p.target.v6.chains) r.chains_v6.push_back(c.name);
  r.version = OP25BC_VERSION;
  return r;
}

}  // namespace op25bc::xt
