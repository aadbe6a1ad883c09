// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/ir/shard.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "op25bc/ir/names.h"

namespace op25bc::ir {

namespace {

// The intervals of `s` that meet `block`, as an index range.
std::pair<std::size_t, std::size_t> meeting(const net::Intervals& s, const net::Interval& block) {
  const auto lo = std::partition_point(
      s.begin(), s.end(), [&](const net::Interval& iv) { return iv.last < block.first; });
  const auto hi = std::partition_point(
      lo, s.end(), [&](const net::Interval& iv) { return iv.first <= block.last; });
  return {static_cast<std::size_t>(lo - s.begin()), static_cast<std::size_t>(hi - s.begin())};
}

std::size_t count_in(const net::Intervals& s, const net::Interval& block) {
  const auto [lo, hi] = meeting(s, block);
  return hi - lo;
}

const AddressInSet* source_match(const Rule& rule, net::Family f) {
  for (const auto& m : rule.matches)
    if (const auto* a = std::get_if<AddressInSet>(&m);
        a && a->family == f && a->direction == Direction::source && !a->vmap)
      return a;
  return nullptr;
}

// True unless the rule matches the other family only.
bool may_match(const Rule& rule, net::Family f) {
  for (const auto& m : rule.matches)
    if (const auto* a = std::get_if<AddressInSet>(&m); a && a->family != f) return false;
  return true;
}

class Sharder {
 public:
  Sharder(Ruleset& r, net::Family f, std::size_t max) : r_(r), f_(f), max_(max) {}

  void run() {
    Chain* check = chain(std::string{kCheckChain});
    if (check == nullptr) return;
    find_sets(*check);
    if (!any_large_) return;
    split({0, net::max_word(f_)});
    if (blocks_.empty()) return;
    route(*check);
    add_block_chains();
    replace_large_sets();
  }

 private:
  Chain* chain(const std::string& name) {
    for (auto& c : r_.chains)
      if (c.name == name) return &c;
    return nullptr;
  }

  // Source sets of this family in `check`; the large ones among them are
  // sliced when nothing else refers to them.
  void find_sets(const Chain& check) {
    std::set<std::string> elsewhere;  // referred to other than as a source in check
    for (const auto& c : r_.chains)
      for (const auto& rule : c.rules)
        for (const auto& m : rule.matches)
          if (const auto* a = std::get_if<AddressInSet>(&m);
              a && (c.name != kCheckChain || a->direction != Direction::source || a->vmap))
            elsewhere.insert(a->set);
    for (const auto& rule : check.rules)
      if (const AddressInSet* a = source_match(rule, f_))
        sources_.try_emplace(a->set, Source{&named_set(a->set), false});
    for (auto& [name, source] : sources_) {
      source.large = source.set->elements.size() > max_ && !source.set->verdict_map &&
                     !elsewhere.count(name) && !changes_between_runs(name);
      any_large_ = any_large_ || source.large;
    }
  }

  const Set& named_set(const std::string& name) const {
    for (const auto& s : r_.sets)
      if (s.name == name) return s;
    throw std::logic_error("ir::shard: a rule refers to unknown set " + name);
  }

  // A session set: op25bc session up/down change its elements between runs.
  bool changes_between_runs(const std::string& name) const {
    return name == set_name(kSessionSet, f_);
  }

  bool is_large(const std::string& name) const {
    const auto it = sources_.find(name);
    return it != sources_.end() && it->second.large;
  }

  // Halves `block` while a large set has more than max_ intervals in it;
  // keeps the blocks where any source set has an address.
  void split(const net::Interval& block) {
    bool used = false, over = false;
    for (const auto& [name, source] : sources_) {
      if (changes_between_runs(name)) continue;  // blocks never move with a session
      const std::size_t n = count_in(source.set->elements, block);
      used = used || n > 0;
      over = over || (n > max_ && source.large);
    }
    if (!used) return;
    if (!over || block.first == block.last) {
      blocks_.push_back(block);
      return;
    }
    const net::Word half = (block.last - block.first) / 2;
    split({block.first, block.first + half});
    split({block.first + half + 1, block.last});
  }

  // Moves this family's source rules out of `check`, behind one vmap rule.
  // A later rule that may match this family stays and is also copied, so a
  // packet meets it whether or not its address is in a block.
  void route(Chain& check) {
    std::vector<Rule> kept;
    bool routing = false;
    for (auto& rule : check.rules) {
      if (source_match(rule, f_) != nullptr) {
        if (!routing) {
          kept.push_back({{AddressInSet{f_, Direction::source, dispatch_map(f_), true}}, {}, {}});
          routing = true;
        }
        routed_.push_back(std::move(rule));
      } else {
        if (routing && may_match(rule, f_)) routed_.push_back(rule);
        kept.push_back(std::move(rule));
      }
    }
    check.rules = std::move(kept);
  }

  // The rule as it reads inside `block`; nullopt when it cannot match there.
  std::optional<Rule> in_block(Rule rule, const net::Interval& block) const {
    for (auto& m : rule.matches) {
      auto* a = std::get_if<AddressInSet>(&m);
      if (a == nullptr || a->family != f_ || a->direction != Direction::source) continue;
      const Source& source = sources_.at(a->set);
      if (changes_between_runs(a->set)) continue;  // whatever it holds when the packet comes
      if (count_in(source.set->elements, block) == 0) return std::nullopt;
      if (source.large) a->set = block_set(a->set, f_, block);
    }
    return rule;
  }

  void add_block_chains() {
    std::vector<Chain> chains;
    for (const auto& block : blocks_) {
      Chain c{block_chain(f_, block), std::nullopt, {}};
      for (const auto& rule : routed_)
        if (auto r = in_block(rule, block)) c.rules.push_back(std::move(*r));
      chains.push_back(std::move(c));
    }
    // Before chain "block": IPv4's blocks, then IPv6's.
    auto at = std::find_if(r_.chains.begin(), r_.chains.end(),
                           [](const Chain& c) { return c.name == kBlockChain; });
    r_.chains.insert(at, std::make_move_iterator(chains.begin()),
                     std::make_move_iterator(chains.end()));
  }

  // Each large set gives way to its slices; the dispatch map comes first.
  void replace_large_sets() {
    std::vector<Set> out;
    bool map_added = false;
    for (auto& s : r_.sets) {
      if (!is_large(s.name)) {
        out.push_back(std::move(s));
        continue;
      }
      if (!map_added) {
        out.push_back(dispatch_set());
        map_added = true;
      }
      for (const auto& block : blocks_) {
        const auto [lo, hi] = meeting(s.elements, block);
        if (lo == hi) continue;
        Set slice{
            block_set(s.name, f_, block), f_, s.name + " in " + net::to_string(f_, block), {}};
        slice.origin = s.origin;
        slice.elements.assign(s.elements.begin() + static_cast<std::ptrdiff_t>(lo),
                              s.elements.begin() + static_cast<std::ptrdiff_t>(hi));
        slice.elements.front().first = std::max(slice.elements.front().first, block.first);
        slice.elements.back().last = std::min(slice.elements.back().last, block.last);
        out.push_back(std::move(slice));
      }
    }
    r_.sets = std::move(out);
  }

  Set dispatch_set() const {
    Set map{dispatch_map(f_),
            f_,
            "source address blocks, each to its chain of rules (" +
                std::string{net::family_name(f_)} + ")",
            {}};
    map.elements.assign(blocks_.begin(), blocks_.end());
    map.verdict_map = true;
    return map;
  }

  Ruleset& r_;
  const net::Family f_;
  const std::size_t max_;
  // The family's source sets in `check`; valid until replace_large_sets().
  struct Source {
    const Set* set;
    bool large;  // cut into slices
  };
  std::map<std::string, Source> sources_;
  bool any_large_ = false;
  std::vector<net::Interval> blocks_;
  std::vector<Rule> routed_;
};

}  // namespace

void shard(Ruleset& ruleset, std::size_t max_intervals) {
  for (net::Family f : {net::Family::v4, net::Family::v6}) Sharder(ruleset, f, max_intervals).run();
}

}  // namespace op25bc::ir
