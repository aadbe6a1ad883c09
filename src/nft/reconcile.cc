// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/reconcile.h"

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <unordered_map>

#include "op25bc/ir/names.h"
#include "op25bc/nft/differ.h"

namespace op25bc::nft {

namespace {

// A record that describes the kernel as it is now, for op25bc's table; else nullptr.
const StateRecord* usable(const std::optional<StateRecord>& record, const Instance& here,
                          std::uint32_t generation, const std::string& table) {
  return record && record_current(*record, here, generation) && record->table == table ? &*record
                                                                                       : nullptr;
}

// The sets whose elements must be read back: every one without a usable
// record; with one, those the policy wants changed (or the record does not know).
ElementRead elements_to_read(const StateRecord* record, const ir::Ruleset& desired,
                             const std::vector<net::SetDigest>& digests) {
  if (!record) return ElementRead::all();
  std::unordered_map<std::string_view, const net::SetDigest*> held;
  for (const auto& r : record->sets) held.emplace(r.name, &r.digest);
  std::vector<std::string> changed;
  for (std::size_t i = 0; i < desired.sets.size(); ++i)
    if (const auto it = held.find(desired.sets[i].name);
        it == held.end() || *it->second != digests[i])
      changed.push_back(desired.sets[i].name);
  return ElementRead::of(std::move(changed));
}

// The record vouches for the sets not read back, if it knows every set the
// kernel holds by name, handle and family; otherwise it vouches for none.
bool vouch(TableState& current, const StateRecord& record) {
  std::unordered_map<std::string_view, const StateRecord::SetRecord*> by_name;
  for (const auto& r : record.sets) by_name.emplace(r.name, &r);
  for (std::size_t i = 0; i < current.ruleset.sets.size(); ++i) {
    const auto& set = current.ruleset.sets[i];
    const auto it = by_name.find(set.name);
    if (it == by_name.end() || it->second->handle != current.set_handles[i] ||
        it->second->family != set.family)
      return false;
  }
  for (std::size_t i = 0; i < current.ruleset.sets.size(); ++i)
    if (!current.elements_read[i])
      current.vouched[i] = by_name[current.ruleset.sets[i].name]->digest;
  return true;
}

StateRecord bound_record(const Instance& here, const std::string& table) {
  StateRecord r;
  r.boot_id = here.boot_id;
  r.netns_cookie = here.netns_cookie;
  r.table = table;
  return r;
}

// What the kernel holds at `generation`: the desired ruleset just committed
// (or found in sync), with the set handles the kernel assigned.
StateRecord record_of(Kernel& kernel, const Instance& here, std::uint32_t generation,
                      const ir::Ruleset& desired, const std::vector<net::SetDigest>& digests,
                      const backend::RunOptions& o, std::int64_t verified_at) {
  StateRecord r = bound_record(here, desired.table);
  r.generation = generation;
  r.verified_at = verified_at;
  r.policy_fingerprint = o.fingerprint;
  r.applied_at = o.applied_at;
  r.active_phases = o.active_phases;
  // The handles the kernel gave the sets: the sets alone are read, not the
  // chains and rules (at a million prefixes, a tenth of a one-prefix apply).
  const auto after = kernel.read_sets(desired.table, ElementRead::none());
  if (!after) return r;
  std::unordered_map<std::string_view, std::uint64_t> handles;
  for (std::size_t i = 0; i < after->ruleset.sets.size(); ++i)
    handles.emplace(after->ruleset.sets[i].name, after->set_handles[i]);
  for (std::size_t i = 0; i < desired.sets.size(); ++i)
    if (const auto it = handles.find(desired.sets[i].name); it != handles.end())
      r.sets.push_back({desired.sets[i].name, desired.sets[i].family, it->second, digests[i]});
  return r;
}

// What the kernel held before this run's commit, to restore the record when
// the kernel rejects the batch for a reason that does not contradict it.
StateRecord record_of_current(const TableState& current, const Instance& here,
                              std::uint32_t generation,
                              const std::optional<StateRecord>& previous) {
  StateRecord r = bound_record(here, current.ruleset.table);
  if (previous) {  // fingerprint, instant, phases of the last good apply
    r.policy_fingerprint = previous->policy_fingerprint;
    r.applied_at = previous->applied_at;
    r.active_phases = previous->active_phases;
    r.version = previous->version;
    r.verified_at = previous->verified_at;
  }
  r.generation = generation;
  for (std::size_t i = 0; i < current.ruleset.sets.size(); ++i) {
    const ir::Set& set = current.ruleset.sets[i];
    // A recording set's elements are never op25bc's: it holds none of them.
    r.sets.push_back({set.name, set.family, current.set_handles[i],
                      current.elements_read[i] || set.recording ? net::digest(set.elements)
                                                                : *current.vouched[i]});
  }
  return r;
}

// An element the batch adds that exists, or deletes that does not: the kernel's
// set differs from what op25bc believed it held. Drift, not a policy error.
bool element_drift(const Transaction& t, const CommitResult& c) {
  if (!c.failed_op || (c.error_code != ENOENT && c.error_code != EEXIST)) return false;
  const Op& op = t.ops[*c.failed_op];
  return std::holds_alternative<AddElements>(op) || std::holds_alternative<DeleteElements>(op);
}

}  // namespace

bool record_current(const StateRecord& record, const Instance& here, std::uint32_t generation) {
  return !record.pending && here.known() && record.boot_id == here.boot_id &&
         record.netns_cookie == here.netns_cookie && record.generation == generation;
}

ReconcileOutcome reconcile(Kernel& kernel, StateStore& state, const ir::Ruleset& desired,
                           const backend::RunOptions& o) {
  ReconcileOutcome out;
  const Instance here = kernel.instance();
  std::vector<net::SetDigest> digests;  // of each desired set, hashed once
  for (const auto& set : desired.sets) digests.push_back(net::digest(set.elements));
  bool read_back = o.verify;  // after drift, trust nothing but the kernel
  int attempts = o.attempts;
  while (out.attempts < attempts) {
    ++out.attempts;
    const std::optional<StateRecord> record = state.load();
    const std::uint32_t generation = kernel.generation();
    const StateRecord* trusted =
        read_back ? nullptr : usable(record, here, generation, desired.table);
    const ElementRead wanted = elements_to_read(trusted, desired, digests);
    std::optional<TableState> current = kernel.read(desired.table, wanted);
    bool replace = false;
    if (current && !ir::owned_by_op25bc(current->ruleset.comment)) {
      if (!o.adopt) {
        out.error = "table inet " + desired.table +
                    " exists and was not created by op25bc; refusing to change it (use --adopt "
                    "to replace it)";
        return out;
      }
      replace = true;
    }
    bool from_record = trusted && !wanted.everything();
    if (current && !replace && from_record && !vouch(*current, *trusted)) {
      current = kernel.read(desired.table, ElementRead::all());  // it does not know them
      from_record = false;
    }
    out.elements_read_back =
        out.elements_read_back || read_back || (current && !replace && !from_record);
    out.sets_read_back =
        current ? static_cast<std::size_t>(std::count(current->elements_read.begin(),
                                                      current->elements_read.end(), true))
                : 0;
    out.transaction = diff(current, desired, replace, &digests);
    // Every set read back, or the whole table made anew: what the kernel
    // holds was seen (or sent whole), so the record may say so.
    const std::int64_t verified_at = out.elements_read_back || !current || replace ? o.now
                                     : record ? record->verified_at
                                              : 0;
    // Tables op25bc made under a name the policy no longer uses still block:
    // they go in the same batch.
    for (const auto& [name, comment] : kernel.tables())
      if (name != desired.table && ir::owned_by_op25bc(comment))
        out.transaction.ops.push_back(DeleteTable{name});
    if (out.transaction.empty()) {
      // Read back: record it at the generation read, so the next run need not.
      if ((out.elements_read_back || out.sets_read_back > 0) && !o.check_only)
        state.save(record_of(kernel, here, generation, desired, digests, o, verified_at));
      out.ok = out.in_sync = true;
      return out;
    }
    if (!o.check_only) {  // write-ahead: a run killed from here on leaves "pending"
      StateRecord marker = bound_record(here, desired.table);
      marker.pending = true;
      state.save(marker);
    }
    out.commit = kernel.commit(out.transaction, generation, o.check_only);
    if (out.commit.generation_changed) continue;  // someone committed meanwhile: again
    const bool drift = !out.commit.ok && element_drift(out.transaction, out.commit);
    if (drift && from_record && !out.drift_repaired) {
      // The record said the kernel held what it does not. The pending marker
      // stays (never restore a record the kernel just contradicted); read
      // everything back and try once more.
      out.drift_repaired = true;
      read_back = true;
      ++attempts;
      continue;
    }
    if (!out.commit.ok) {
      // A rejection that says nothing about the elements: the kernel is as it
      // was, so is the record. Lost acks (no failed operation): unknown, keep "pending".
      if (!o.check_only && current && !replace && out.commit.failed_op && !drift)
        state.save(record_of_current(*current, here, generation, record));
      out.outcome_unknown = out.commit.outcome_unknown;
      out.error = out.commit.failed_op ? "the kernel rejected the batch: " + out.commit.error
                                       : out.commit.error;
      return out;
    }
    if (!o.check_only)
      state.save(
          record_of(kernel, here, generation_after(generation), desired, digests, o, verified_at));
    out.ok = true;
    return out;
  }
  out.error = "the ruleset kept changing while op25bc worked (" + std::to_string(out.attempts) +
              " attempts); nothing was applied";
  return out;
}

ReconcileOutcome replace_elements(Kernel& kernel, StateStore& state, const std::string& table,
                                  const std::vector<ir::Set>& sets, int attempts,
                                  const std::vector<ir::Set>& last) {
  ReconcileOutcome out;
  const Instance here = kernel.instance();
  std::vector<std::string> names;
  for (const auto& s : sets) names.push_back(s.name);
  const ElementRead wanted = ElementRead::of(names);
  // The wanted set's counterpart in `held`, if it is one op25bc's elements may go to.
  const auto find = [](const TableState& held, const ir::Set& w) -> const ir::Set* {
    for (const auto& c : held.ruleset.sets)
      if (c.name == w.name && c.family == w.family && !c.verdict_map && !c.recording &&
          c.unrecognized.empty())
        return &c;
    return nullptr;
  };
  // `last` stands for the kernel's sets when the record describes the kernel
  // as it is now (nobody committed since: the generation is the record's)
  // and holds exactly `last` in each set: then the sets need not be read
  // before the change; the read-back after it still checks them whole.
  const auto as_last = [&](const std::optional<StateRecord>& record,
                           std::uint32_t generation) -> std::optional<TableState> {
    if (last.size() != sets.size() || !record || record->table != table ||
        !record_current(*record, here, generation))
      return std::nullopt;
    TableState held;
    held.ruleset.comment = ir::table_comment("");  // the record is of op25bc's table
    for (std::size_t i = 0; i < sets.size(); ++i) {
      const ir::Set& l = last[i];
      const auto r = std::find_if(record->sets.begin(), record->sets.end(), [&](const auto& r) {
        return r.name == l.name && r.family == l.family;
      });
      if (l.name != sets[i].name || r == record->sets.end() || r->digest != net::digest(l.elements))
        return std::nullopt;
      held.ruleset.sets.push_back(l);
    }
    return held;
  };
  while (out.attempts < attempts) {
    ++out.attempts;
    const std::optional<StateRecord> record = state.load();
    const std::uint32_t generation = kernel.generation();
    std::optional<TableState> current =
        out.attempts == 1 ? as_last(record, generation) : std::nullopt;
    if (!current) current = kernel.read_sets(table, wanted);
    if (!current || !ir::owned_by_op25bc(current->ruleset.comment)) {
      out.error = "there is no op25bc table inet " + table + " to change";
      return out;
    }
    out.transaction = Transaction{table, {}};
    std::vector<Op> adds;
    for (const auto& w : sets) {
      const ir::Set* c = find(*current, w);
      if (c == nullptr) {
        out.error = "table inet " + table + " has no set " + w.name +
                    " for session addresses: the policy applied last has no subscriber exemption";
        return out;
      }
      if (auto removed = minus(c->elements, w.elements); !removed.empty())
        out.transaction.ops.push_back(DeleteElements{w.name, w.family, std::move(removed)});
      if (auto added = minus(w.elements, c->elements); !added.empty())
        adds.push_back(AddElements{w.name, w.family, std::move(added), false, false});
    }
    std::ranges::move(adds, std::back_inserter(out.transaction.ops));  // deletes first
    if (out.transaction.empty()) {
      out.ok = out.in_sync = true;
      return out;
    }
    out.commit = kernel.commit(out.transaction, generation, false);
    if (out.commit.generation_changed) continue;
    if (!out.commit.ok) {
      out.outcome_unknown = out.commit.outcome_unknown;
      out.error = out.commit.failed_op ? "the kernel rejected the batch: " + out.commit.error
                                       : out.commit.error;
      return out;
    }
    // Read back: the kernel holds each set as asked, or op25bc says otherwise.
    const std::uint32_t after = kernel.generation();
    const std::optional<TableState> held = kernel.read_sets(table, wanted);
    for (const auto& w : sets)
      if (const ir::Set* c = held ? find(*held, w) : nullptr;
          c == nullptr || c->elements != w.elements) {
        out.error = "set " + w.name + " of table inet " + table +
                    " does not hold what was committed (changed again meanwhile?)";
        return out;
      }
    // The record moves on with the kernel, if it described it and nobody else committed.
    if (record && after == generation_after(generation) &&
        record_current(*record, here, generation) && record->table == table) {
      StateRecord next = *record;
      next.generation = after;
      for (auto& r : next.sets)
        for (const auto& w : sets)
          if (r.name == w.name) r.digest = net::digest(w.elements);
      state.save(next);
    }
    out.ok = true;
    return out;
  }
  out.error = "the ruleset kept changing while op25bc worked (" + std::to_string(out.attempts) +
              " attempts); nothing was changed";
  return out;
}

}  // namespace op25bc::nft
