// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/differ.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "op25bc/text/escape.h"

namespace op25bc::nft {

net::Intervals minus(const net::Intervals& a, const net::Intervals& b) {
  net::Intervals out;
  std::size_t j = 0;
  for (const auto& iv : a) {
    while (j < b.size() && b[j].first < iv.first) ++j;
    if (j < b.size() && b[j] == iv) continue;
    out.push_back(iv);
  }
  return out;
}

namespace {

const ir::Counter* find_counter(const ir::Ruleset& r, const std::string& name) {
  for (const auto& c : r.counters)
    if (c.name == name) return &c;
  return nullptr;
}

// A ruleset's sets and chains by name. A table whose sets are cut into blocks
// holds hundreds of each, and the differ looks every one up in both rulesets.
class Names {
 public:
  explicit Names(const ir::Ruleset& r) : r_(r) {
    for (std::size_t i = 0; i < r.sets.size(); ++i) sets_.emplace(r.sets[i].name, i);
    for (std::size_t i = 0; i < r.chains.size(); ++i) chains_.emplace(r.chains[i].name, i);
  }
  const ir::Set* set(const std::string& name) const {
    const auto it = sets_.find(name);
    return it == sets_.end() ? nullptr : &r_.sets[it->second];
  }
  std::optional<std::size_t> chain(const std::string& name) const {
    const auto it = chains_.find(name);
    return it == chains_.end() ? std::nullopt : std::optional{it->second};
  }

 private:
  const ir::Ruleset& r_;
  std::unordered_map<std::string_view, std::size_t> sets_, chains_;
};

void add_set(Transaction& t, const ir::Set& s) {
  t.ops.push_back(AddSet{s.name, s.family, s.comment, s.verdict_map, s.recording});
  if (!s.elements.empty())
    t.ops.push_back(AddElements{s.name, s.family, s.elements, true, s.verdict_map});
}

// Names of the objects a rule refers to: sets, counters, chains.
std::vector<std::string> references(const ir::Rule& rule) {
  std::vector<std::string> out;
  for (const auto& m : rule.matches)
    if (const auto* a = std::get_if<ir::AddressInSet>(&m)) out.push_back("set " + a->set);
  for (const auto& s : rule.statements) {
    if (const auto* c = std::get_if<ir::CounterRef>(&s)) out.push_back("counter " + c->name);
    if (const auto* r = std::get_if<ir::RecordSource>(&s)) out.push_back("set " + r->set);
  }
  if (!rule.verdict.target.empty()) out.push_back("chain " + rule.verdict.target);
  return out;
}

class Differ {
 public:
  Differ(const TableState& current, const ir::Ruleset& desired,
         const std::vector<net::SetDigest>* desired_digests)
      : cur_(current.ruleset),
        handles_(current.rule_handles),
        elements_read_(current.elements_read),
        vouched_(current.vouched),
        table_flags_(current.table_flags),
        want_(desired),
        want_digests_(desired_digests),
        cur_names_(cur_),
        want_names_(want_) {}

  Transaction run() {
    plan_objects();
    plan_elements();
    std::vector<Op> rule_deletes, rule_adds;
    plan_rules(rule_deletes, rule_adds);

    // A rule refers to sets, counters and chains, a map element to a chain:
    // deletions go referrer first, additions referrer last.
    Transaction t{want_.table, {}};
    if (table_flags_ != 0) t.ops.push_back(ResetTableFlags{table_flags_});
    append(t, rule_deletes);
    element_deletes(t);
    for (const auto& name : sets_to_delete_) t.ops.push_back(DeleteSet{name});
    for (const auto& name : chains_to_delete_) t.ops.push_back(DeleteChain{name});
    for (const auto& name : counters_to_delete_) t.ops.push_back(DeleteCounter{name});
    for (const auto& c : counters_to_add_) t.ops.push_back(AddCounter{c});
    for (const auto* c : chains_to_add_) t.ops.push_back(AddChain{c->name, c->base});
    for (const auto* s : sets_to_add_) add_set(t, *s);
    element_adds(t);
    append(t, rule_adds);
    return t;
  }

 private:
  static void append(Transaction& t, std::vector<Op>& ops) {
    for (auto& op : ops) t.ops.push_back(std::move(op));
  }

  void plan_objects() {
    for (const auto& s : cur_.sets) {
      const ir::Set* w = want_names_.set(s.name);
      if (!w || w->family != s.family || w->comment != s.comment ||
          w->verdict_map != s.verdict_map || w->recording != s.recording ||
          !s.unrecognized.empty()) {
        sets_to_delete_.push_back(s.name);
        dirty_.insert("set " + s.name);
      }
    }
    for (const auto& s : want_.sets) {
      const ir::Set* c = cur_names_.set(s.name);
      if (!c || dirty_.count("set " + s.name)) sets_to_add_.push_back(&s);
    }
    for (const auto& c : cur_.counters) {
      const ir::Counter* w = find_counter(want_, c.name);
      if (!w || *w != c) {
        counters_to_delete_.push_back(c.name);
        dirty_.insert("counter " + c.name);
      }
    }
    for (const auto& c : want_.counters)
      if (!find_counter(cur_, c.name) || dirty_.count("counter " + c.name))
        counters_to_add_.push_back(c);
    for (const auto& c : cur_.chains) {
      const auto w = want_names_.chain(c.name);
      if (!w || want_.chains[*w].base != c.base || !c.unrecognized.empty()) {
        chains_to_delete_.push_back(c.name);
        dirty_.insert("chain " + c.name);
      }
    }
    for (const auto& c : want_.chains)
      if (!cur_names_.chain(c.name) || dirty_.count("chain " + c.name))
        chains_to_add_.push_back(&c);
  }

  bool clean(const ir::Rule& rule) const {
    for (const auto& ref : references(rule))
      if (dirty_.count(ref)) return false;
    return true;
  }

  void plan_rules(std::vector<Op>& deletes, std::vector<Op>& adds) {
    for (std::size_t ci = 0; ci < cur_.chains.size(); ++ci) {
      const ir::Chain& chain = cur_.chains[ci];
      const auto& handles = handles_[ci];
      if (dirty_.count("chain " + chain.name)) {  // emptied, then deleted
        for (std::size_t r = 0; r < chain.rules.size(); ++r)
          deletes.push_back(DeleteRule{chain.name, handles[r], chain.rules[r]});
        continue;
      }
      const auto w = want_names_.chain(chain.name);
      const auto& have = chain.rules;
      const auto& want = want_.chains[*w].rules;
      // Keep the common prefix and suffix; replace what lies between.
      std::size_t p = 0;
      while (p < have.size() && p < want.size() && have[p] == want[p] && clean(have[p])) ++p;
      std::size_t s = 0;
      while (s < have.size() - p && s < want.size() - p &&
             have[have.size() - 1 - s] == want[want.size() - 1 - s] &&
             clean(have[have.size() - 1 - s]))
        ++s;
      for (std::size_t r = p; r < have.size() - s; ++r)
        deletes.push_back(DeleteRule{chain.name, handles[r], have[r]});
      if (p > 0) {  // after the last kept rule; inserted last-first so order holds
        for (std::size_t r = want.size() - s; r-- > p;)
          adds.push_back(AddRule{chain.name, want[r], handles[p - 1], false});
      } else if (s > 0) {  // before the first kept suffix rule
        for (std::size_t r = p; r < want.size() - s; ++r)
          adds.push_back(AddRule{chain.name, want[r], handles[have.size() - s], true});
      } else {
        for (std::size_t r = 0; r < want.size(); ++r)
          adds.push_back(AddRule{chain.name, want[r], std::nullopt, false});
      }
    }
    for (const auto* c : chains_to_add_)
      for (const auto& rule : c->rules) adds.push_back(AddRule{c->name, rule, std::nullopt, false});
  }

  // Element changes of sets kept: every deletion before any addition, so a
  // reshaped interval never overlaps itself.
  void element_deletes(Transaction& t) const {
    for (const auto& [c, w] : changing_sets_) {
      auto removed = minus(c->elements, w->elements);
      if (!removed.empty()) t.ops.push_back(DeleteElements{w->name, w->family, std::move(removed)});
    }
  }
  void element_adds(Transaction& t) const {
    for (const auto& [c, w] : changing_sets_) {
      auto added = minus(w->elements, c->elements);
      if (!added.empty())
        t.ops.push_back(AddElements{w->name, w->family, std::move(added), false, w->verdict_map});
    }
  }
  void plan_elements() {
    for (const auto& w : want_.sets)
      if (const ir::Set* c = changing_set(w)) changing_sets_.emplace_back(c, &w);
  }
  // The kept set `wanted` is diffed against, unless it provably holds what is
  // wanted already: its elements were not read, and the record vouches for them.
  const ir::Set* changing_set(const ir::Set& wanted) const {
    const ir::Set* c = cur_names_.set(wanted.name);
    if (!c || dirty_.count("set " + wanted.name)) return nullptr;
    if (wanted.recording) return nullptr;  // the rules fill it; its elements are no one's to diff
    const auto i = static_cast<std::size_t>(c - cur_.sets.data());
    if (elements_read_.at(i)) return c;
    if (vouched_.at(i) && *vouched_[i] == digest_of(wanted)) return nullptr;
    throw std::logic_error("differ: the elements of set " + wanted.name +
                           " were neither read back nor vouched for by the record");
  }

  const ir::Ruleset& cur_;
  const std::vector<std::vector<std::uint64_t>>& handles_;
  const std::vector<bool>& elements_read_;
  const std::vector<std::optional<net::SetDigest>>& vouched_;
  const std::uint32_t table_flags_;
  net::SetDigest digest_of(const ir::Set& wanted) const {
    if (want_digests_ == nullptr) return net::digest(wanted.elements);
    return want_digests_->at(static_cast<std::size_t>(&wanted - want_.sets.data()));
  }

  const ir::Ruleset& want_;
  const std::vector<net::SetDigest>* want_digests_;  // of want_.sets, or nullptr
  const Names cur_names_, want_names_;
  std::set<std::string> dirty_;  // "set x", "counter x", "chain x" deleted or recreated
  std::vector<std::string> sets_to_delete_, counters_to_delete_, chains_to_delete_;
  std::vector<const ir::Set*> sets_to_add_;
  std::vector<std::pair<const ir::Set*, const ir::Set*>> changing_sets_;  // held, wanted
  std::vector<ir::Counter> counters_to_add_;
  std::vector<const ir::Chain*> chains_to_add_;
};

}  // namespace

std::vector<std::string> enforcement_drift(const TableState& held) {
  std::vector<std::string> out;
  if (held.table_flags != 0)
    out.push_back("table inet " + text::printable(held.ruleset.table) + " has flags " +
                  table_flags_text(held.table_flags) +
                  ((held.table_flags & kTableDormant) != 0
                       ? ": dormant, its hooks are off and it blocks nothing"
                       : ": op25bc's table has none"));
  for (const auto& c : held.ruleset.chains)
    if (!c.unrecognized.empty())
      out.push_back("chain " + text::printable(c.name) + ": " + text::printable(c.unrecognized));
  for (const auto& s : held.ruleset.sets)
    if (!s.unrecognized.empty())
      out.push_back("set " + text::printable(s.name) + ": " + text::printable(s.unrecognized));
  return out;
}

Transaction create(const ir::Ruleset& desired) {
  // The order nft uses: table, chains, objects, sets and elements, rules.
  Transaction t{desired.table, {AddTable{desired.comment}}};
  for (const auto& c : desired.chains) t.ops.push_back(AddChain{c.name, c.base});
  for (const auto& c : desired.counters) t.ops.push_back(AddCounter{c});
  for (const auto& s : desired.sets) add_set(t, s);
  for (const auto& c : desired.chains)
    for (const auto& rule : c.rules) t.ops.push_back(AddRule{c.name, rule, std::nullopt, false});
  return t;
}

Transaction diff(const std::optional<TableState>& current, const ir::Ruleset& desired,
                 bool replace_table, const std::vector<net::SetDigest>* desired_digests) {
  if (!current) return create(desired);
  if (replace_table) {
    Transaction t = create(desired);
    t.ops.insert(t.ops.begin(), DeleteTable{});
    return t;
  }
  return Differ(*current, desired, desired_digests).run();
}

}  // namespace op25bc::nft
