// SPDX-License-Identifier: GPL-2.0-or-later
#include "support/fake_kernel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "op25bc/ir/names.h"
#include "op25bc/net/address_set.h"
#include "op25bc/nft/render_text.h"

namespace op25bc::test {

namespace {

using namespace nft;

// A rejection with the errno the real kernel would give.
struct Rejected : std::runtime_error {
  explicit Rejected(int e) : std::runtime_error(std::strerror(e)), code(e) {}
  int code;
};

template <typename T>
auto find_named(std::vector<T>& items, const std::string& name) {
  return std::find_if(items.begin(), items.end(), [&](const T& x) { return x.name == name; });
}

bool referenced(const ir::Ruleset& r, const std::string& kind, const std::string& name) {
  for (const auto& chain : r.chains)
    for (const auto& rule : chain.rules) {
      for (const auto& m : rule.matches)
        if (const auto* a = std::get_if<ir::AddressInSet>(&m); a && kind == "set" && a->set == name)
          return true;
      for (const auto& s : rule.statements)
        if (const auto* c = std::get_if<ir::CounterRef>(&s);
            c && kind == "counter" && c->name == name)
          return true;
        else if (const auto* f = std::get_if<ir::RecordSource>(&s);
                 f && kind == "set" && f->set == name)
          return true;
      if (kind == "chain" && rule.verdict.target == name) return true;
    }
  if (kind == "chain")
    for (const auto& set : r.sets)
      if (set.verdict_map)
        for (const auto& block : set.elements)
          if (ir::block_chain(set.family, block) == name) return true;
  return false;
}

class Applier {
 public:
  Applier(nft::TableState& t, std::uint64_t& next_handle) : t_(t), next_handle_(next_handle) {}

  void operator()(const AddTable&) {}
  void operator()(const DeleteTable&) { t_ = nft::TableState{}; }
  void operator()(const ResetTableFlags&) { t_.table_flags = 0; }
  void operator()(const AddCounter& op) {
    if (find_named(r().counters, op.counter.name) != r().counters.end()) throw Rejected(EEXIST);
    r().counters.push_back(op.counter);
  }
  void operator()(const DeleteCounter& op) {
    auto it = find_named(r().counters, op.name);
    if (it == r().counters.end()) throw Rejected(ENOENT);
    if (referenced(r(), "counter", op.name)) throw Rejected(EBUSY);
    r().counters.erase(it);
  }
  void operator()(const AddSet& op) {
    if (find_named(r().sets, op.name) != r().sets.end()) throw Rejected(EEXIST);
    ir::Set set{op.name, op.family, op.comment, {}};
    set.verdict_map = op.verdict_map;
    set.recording = op.recording;
    r().sets.push_back(std::move(set));
    t_.set_handles.push_back(next_handle_++);
  }
  void operator()(const DeleteSet& op) {
    auto it = find_named(r().sets, op.name);
    if (it == r().sets.end()) throw Rejected(ENOENT);
    if (referenced(r(), "set", op.name)) throw Rejected(EBUSY);
    t_.set_handles.erase(t_.set_handles.begin() + (it - r().sets.begin()));
    r().sets.erase(it);
  }
  void operator()(const AddElements& op) {
    ir::Set& set = existing_set(op.set);
    if (op.verdict_map != set.verdict_map) throw Rejected(EINVAL);
    if (op.verdict_map)
      for (const auto& block : op.elements) chain_index(ir::block_chain(op.family, block));
    for (const auto& iv : op.elements)
      for (const auto& have : set.elements)
        if (iv.first <= have.last && have.first <= iv.last) throw Rejected(EEXIST);
    set.elements.insert(set.elements.end(), op.elements.begin(), op.elements.end());
    std::sort(set.elements.begin(), set.elements.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  void operator()(const DeleteElements& op) {
    ir::Set& set = existing_set(op.set);
    for (const auto& iv : op.elements) {
      auto it = std::find(set.elements.begin(), set.elements.end(), iv);
      if (it == set.elements.end()) throw Rejected(ENOENT);
      set.elements.erase(it);
    }
  }
  void operator()(const AddChain& op) {
    if (find_named(r().chains, op.name) != r().chains.end()) throw Rejected(EEXIST);
    r().chains.push_back({op.name, op.base, {}});
    t_.rule_handles.emplace_back();
  }
  void operator()(const DeleteChain& op) {
    auto it = find_named(r().chains, op.name);
    if (it == r().chains.end()) throw Rejected(ENOENT);
    if (!it->rules.empty() || referenced(r(), "chain", op.name)) throw Rejected(EBUSY);
    t_.rule_handles.erase(t_.rule_handles.begin() + (it - r().chains.begin()));
    r().chains.erase(it);
  }
  void operator()(const AddRule& op) {
    const std::size_t ci = chain_index(op.chain);
    check_references(op.rule);
    auto& rules = r().chains[ci].rules;
    auto& handles = t_.rule_handles[ci];
    std::size_t at = rules.size();
    if (op.handle) {
      auto it = std::find(handles.begin(), handles.end(), *op.handle);
      if (it == handles.end()) throw Rejected(ENOENT);
      at = static_cast<std::size_t>(it - handles.begin()) + (op.before ? 0 : 1);
    }
    rules.insert(rules.begin() + static_cast<std::ptrdiff_t>(at), op.rule);
    handles.insert(handles.begin() + static_cast<std::ptrdiff_t>(at), next_handle_++);
  }
  void operator()(const DeleteRule& op) {
    const std::size_t ci = chain_index(op.chain);
    auto& handles = t_.rule_handles[ci];
    auto it = std::find(handles.begin(), handles.end(), op.handle);
    if (it == handles.end()) throw Rejected(ENOENT);
    r().chains[ci].rules.erase(r().chains[ci].rules.begin() + (it - handles.begin()));
    handles.erase(it);
  }

 private:
  ir::Ruleset& r() { return t_.ruleset; }

  ir::Set& existing_set(const std::string& name) {
    auto it = find_named(r().sets, name);
    if (it == r().sets.end()) throw Rejected(ENOENT);
    return *it;
  }

  std::size_t chain_index(const std::string& name) {
    auto it = find_named(r().chains, name);
    if (it == r().chains.end()) throw Rejected(ENOENT);
    return static_cast<std::size_t>(it - r().chains.begin());
  }

  void check_references(const ir::Rule& rule) {
    for (const auto& m : rule.matches)
      if (const auto* a = std::get_if<ir::AddressInSet>(&m)) existing_set(a->set);
    for (const auto& s : rule.statements) {
      if (const auto* c = std::get_if<ir::CounterRef>(&s);
          c && find_named(r().counters, c->name) == r().counters.end())
        throw Rejected(ENOENT);
      if (const auto* f = std::get_if<ir::RecordSource>(&s)) existing_set(f->set);
    }
    if (!rule.verdict.target.empty()) chain_index(rule.verdict.target);
  }

  nft::TableState& t_;
  std::uint64_t& next_handle_;
};

}  // namespace

std::optional<nft::TableState> FakeKernel::read(const std::string& table,
                                                const nft::ElementRead& elements) {
  auto it = tables_.find(table);
  if (it == tables_.end()) return std::nullopt;
  nft::TableState state = it->second;
  state.elements_read.assign(state.ruleset.sets.size(), false);
  state.vouched.assign(state.ruleset.sets.size(), std::nullopt);
  bool any = false;
  for (std::size_t i = 0; i < state.ruleset.sets.size(); ++i) {
    ir::Set& set = state.ruleset.sets[i];
    // As the real kernel: a recording set's elements are the rules', never read.
    state.elements_read[i] = elements.wants(set.name) && !set.recording;
    if (state.elements_read[i])
      sets_read_.push_back(set.name);
    else
      set.elements.clear();
    any = any || state.elements_read[i];
  }
  if (any) ++element_reads_;
  return state;
}

std::vector<nft::CounterValue> FakeKernel::counters(const std::string& table) {
  std::vector<nft::CounterValue> out;
  if (const auto it = tables_.find(table); it != tables_.end())
    for (const auto& c : it->second.ruleset.counters) {
      const auto counted = counts_.find({table, c.name});
      out.push_back(counted == counts_.end() ? nft::CounterValue{c.name, 0, 0} : counted->second);
    }
  return out;
}

nft::CommitResult FakeKernel::commit(const Transaction& t, std::uint32_t generation,
                                     bool check_only) {
  nft::CommitResult result;
  result.messages = message_count(t);
  last_messages_ = result.messages;
  if (generation != generation_) {
    result.generation_changed = true;
    result.error_code = ERESTART;
    result.error = std::strerror(ERESTART);
    return result;
  }
  auto it = tables_.find(t.table);
  const bool creates = !t.ops.empty() && std::holds_alternative<AddTable>(t.ops.front());
  if (it == tables_.end() && !creates && !t.ops.empty() &&
      !std::holds_alternative<DeleteTable>(t.ops.front())) {
    result.error_code = ENOENT;
    result.error = std::strerror(ENOENT);
    result.failed_op = 0;
    return result;
  }
  nft::TableState work = it == tables_.end() ? nft::TableState{} : it->second;  // all or nothing
  if (it == tables_.end()) work.ruleset.table = t.table;
  std::vector<std::string> dropped;  // other tables this batch deletes
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    try {
      if (const auto* del = std::get_if<DeleteTable>(&t.ops[i]); del && !del->other.empty()) {
        if (!tables_.count(del->other)) throw Rejected(ENOENT);
        dropped.push_back(del->other);
        continue;
      }
      if (fail_at_ && *fail_at_ == i) throw Rejected(EINVAL);
      if (const auto* add = std::get_if<AddTable>(&t.ops[i])) {
        if (work.ruleset.comment.empty()) work.ruleset.comment = add->comment;
        continue;
      }
      std::uint64_t handle = next_handle_;
      Applier applier(work, handle);
      std::visit(applier, t.ops[i]);
      next_handle_ = handle;
      if (std::holds_alternative<DeleteTable>(t.ops[i])) work.ruleset.table = t.table;
    } catch (const Rejected& e) {
      result.error_code = e.code;
      result.error = e.what();
      result.failed_op = i;
      return result;
    }
  }
  if (check_only) {
    result.ok = true;
    return result;
  }
  if (!t.ops.empty()) {
    forget_counts(t, dropped);
    for (const auto& name : dropped) tables_.erase(name);
    if (it != tables_.end() || dropped.size() < t.ops.size()) tables_[t.table] = std::move(work);
    ++generation_;
  }
  ++commits_;
  result.ok = true;
  return result;
}

std::vector<std::pair<std::string, std::string>> FakeKernel::tables() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, t] : tables_) out.emplace_back(name, t.ruleset.comment);
  return out;
}

void FakeKernel::replace_elements(const std::string& table, const std::string& set,
                                  net::Intervals elements) {
  for (auto& s : tables_.at(table).ruleset.sets)
    if (s.name == set) s.elements = std::move(elements);
  ++generation_;
}

void FakeKernel::count(const std::string& table, const std::string& counter, std::uint64_t packets,
                       std::uint64_t bytes) {
  auto& counters = tables_.at(table).ruleset.counters;
  if (find_named(counters, counter) == counters.end())
    throw std::invalid_argument("no counter " + counter);
  auto& value =
      counts_.try_emplace({table, counter}, nft::CounterValue{counter, 0, 0}).first->second;
  value.packets += packets;
  value.bytes += bytes;
}

// A deleted counter object takes its values with it, as in the kernel.
void FakeKernel::forget_counts(const nft::Transaction& t, const std::vector<std::string>& dropped) {
  const auto forget_table = [&](const std::string& table) {
    std::erase_if(counts_, [&](const auto& entry) { return entry.first.first == table; });
  };
  for (const auto& name : dropped) forget_table(name);
  for (const auto& op : t.ops) {
    if (const auto* del = std::get_if<DeleteTable>(&op); del && del->other.empty())
      forget_table(t.table);
    if (const auto* del = std::get_if<DeleteCounter>(&op)) counts_.erase({t.table, del->name});
  }
}

void FakeKernel::add_foreign_table(const std::string& name) {
  nft::TableState foreign;
  foreign.ruleset.table = name;
  foreign.ruleset.comment = "someone else's";
  tables_[name] = foreign;
  ++generation_;
}

std::string FakeKernel::dump(const std::string& table) const {
  auto it = tables_.find(table);
  if (it == tables_.end()) return {};
  return nft::render_nft_table(it->second.ruleset);
}

std::vector<backend::RecordedSource> FakeKernel::recorded(const std::string& table,
                                                          const std::string& set) {
  const auto it = recorded_.find({table, set});
  return it == recorded_.end() ? std::vector<backend::RecordedSource>{} : it->second;
}

}  // namespace op25bc::test
