#include "op25bc/apply/reconcile.h"

#include "op25bc/apply/differ.h"

namespace op25bc::apply {

namespace {

constexpr std::string_view kOwnerMark = "managed by op25bc";

// Elements come from the record where it provably describes the kernel's sets
// (same namespace, same set handle); anything else is read back.
bool fill_from_record(kernel::TableState& current, std::optional<Record>& record) {
  if (!record || record->pending || record->netns != current_netns() ||
      record->table != current.ruleset.table)
    return false;
  std::vector<Record::SetRecord*> found(current.ruleset.sets.size(), nullptr);
  for (std::size_t i = 0; i < current.ruleset.sets.size(); ++i) {
    const auto& set = current.ruleset.sets[i];
    for (auto& r : record->sets)
      if (r.name == set.name && r.handle == current.set_handles[i] && r.family == set.family)
        found[i] = &r;
    if (!found[i]) return false;
  }
  for (std::size_t i = 0; i < found.size();
       ++i)  // moved, not copied: the record is reloaded per attempt
    current.ruleset.sets[i].elements = std::move(found[i]->elements);
  return true;
}

Record record_of(kernel::Kernel& kernel, const ir::Ruleset& desired, const ReconcileOptions& o) {
  Record r;
  r.generation = kernel.generation();
  r.netns = current_netns();
  r.table = desired.table;
  r.policy_fingerprint = o.fingerprint;
  r.applied_at = o.applied_at;
  r.active_phases = o.active_phases;
  const auto after = kernel.read(desired.table, false);  // metadata only: cheap
  for (const auto& want : desired.sets)
    for (std::size_t i = 0; after && i < after->ruleset.sets.size(); ++i)
      if (after->ruleset.sets[i].name == want.name)
        r.sets.push_back({want.name, want.family, after->set_handles[i], want.elements});
  return r;
}

// What the kernel held before this run's commit, to restore the record when
// the kernel rejects the batch.
Record record_of_current(const kernel::TableState& current, std::uint32_t generation,
                         const std::optional<Record>& previous) {
  Record r;
  if (previous) r = *previous;  // fingerprint, instant, phases of the last good apply
  r.pending = false;
  r.generation = generation;
  r.netns = current_netns();
  r.table = current.ruleset.table;
  r.sets.clear();
  for (std::size_t i = 0; i < current.ruleset.sets.size(); ++i)
    r.sets.push_back({current.ruleset.sets[i].name, current.ruleset.sets[i].family,
                      current.set_handles[i], current.ruleset.sets[i].elements});
  return r;
}

}  // namespace

bool owned_by_op25bc(const std::string& table_comment) {
  return table_comment.compare(0, kOwnerMark.size(), kOwnerMark) == 0;
}

ReconcileOutcome reconcile(kernel::Kernel& kernel, StateStore& state, const ir::Ruleset& desired,
                           const ReconcileOptions& o) {
  ReconcileOutcome out;
  while (out.attempts < o.attempts) {
    ++out.attempts;
    std::optional<Record> record = state.load();
    const std::uint32_t generation = kernel.generation();
    std::optional<kernel::TableState> current = kernel.read(desired.table, o.verify);
    bool replace = false;
    if (current && !owned_by_op25bc(current->ruleset.comment)) {
      if (!o.adopt) {
        out.error = "table inet " + desired.table +
                    " exists and was not created by op25bc; refusing to change it (use --adopt "
                    "to replace it)";
        return out;
      }
      replace = true;
    }
    if (current && !replace && !o.verify && !fill_from_record(*current, record)) {
      current = kernel.read(desired.table, true);  // no usable record: read it all back
      out.elements_read_back = true;
    }
    out.elements_read_back = out.elements_read_back || o.verify;
    out.transaction = diff(current, desired, replace);
    if (out.transaction.empty()) {
      // Read back (no usable record, or --verify): record it, so the next run need not.
      if (out.elements_read_back && !o.check_only) state.save(record_of(kernel, desired, o));
      out.ok = out.in_sync = true;
      return out;
    }
    if (!o.check_only) {  // write-ahead: a run killed from here on leaves "pending"
      Record marker;
      marker.pending = true;
      marker.table = desired.table;
      marker.netns = current_netns();
      state.save(marker);
    }
    out.commit = kernel.commit(out.transaction, generation, o.check_only);
    if (!o.check_only && !out.commit.ok && current && !replace)  // nothing changed: restore
      state.save(record_of_current(*current, generation, record));
    if (out.commit.generation_changed) continue;  // someone committed meanwhile: again
    if (!out.commit.ok) {
      out.error = "the kernel rejected the batch: " + out.commit.error;
      return out;
    }
    if (!o.check_only) state.save(record_of(kernel, desired, o));
    out.ok = true;
    return out;
  }
  out.error = "the ruleset kept changing while op25bc worked (" + std::to_string(o.attempts) +
              " attempts); nothing was applied";
  return out;
}

}  // namespace op25bc::apply
