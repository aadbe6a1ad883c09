// SPDX-License-Identifier: GPL-2.0-or-later
// The iptables backend's reconcile: op25bc's record of what it owns, the plan
// that brings the kernel from what it holds to the desired ruleset with the
// fewest changes, and the run that carries the plan out through the tools.
//
// What is atomic (ARCHITECTURE.md, "The iptables backend"):
//   - the rules: every change to op25bc's chains in a family is ONE
//     iptables-restore, which legacy iptables commits as one table replace;
//   - sets: a change to the rules, or a change to several sets of a family
//     that does not move them all the same way, builds the changed sets anew
//     under the next generation and the same restore points the rules at them;
//   - in place: a change that only widens or only narrows what a family
//     blocks (a prefix added to pools, or removed) is `ipset add`/`del` of the
//     changed members, adds before deletes. Each member changes atomically;
//     in between, a packet is blocked only if the old or the new ruleset
//     blocks it, and passes only if one of them lets it pass.
//   - IPv4 and IPv6 are two restores: between them, the families differ.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/backend/status.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/net/digest.h"
#include "op25bc/xt/kernel.h"
#include "op25bc/xt/render.h"

namespace op25bc::xt {

// What op25bc last left in the kernel, and what it owns there.
// What every backend records (backend::Applied), and what only iptables
// keeps: the chains and sets it owns, and what each set holds.
struct Record : backend::Applied {
  std::string table;
  std::vector<std::string> chains_v4;  // op25bc's chains (ownership)
  std::vector<std::string> chains_v6;
  struct Set {
    std::string name;
    net::Family family;
    std::size_t members = 0;
    net::SetDigest digest;  // of the merged intervals it holds
    friend bool operator==(const Set&, const Set&) = default;
  };
  std::vector<Set> sets;
  // Sets a run created or could not destroy: op25bc's, though no completed
  // run says what they hold. A run that dies leaves them here.
  std::vector<std::string> leftover_sets;
  const std::vector<std::string>& chains(net::Family f) const {
    return f == net::Family::v4 ? chains_v4 : chains_v6;
  }
  friend bool operator==(const Record&, const Record&) = default;
};

std::string encode(const Record& r);
std::optional<Record> decode(std::string_view bytes);
// Whether `bytes` are a record of this (the iptables) backend, of any version.
bool looks_like_xt_record(std::string_view bytes);

// status: op25bc's chains, sets and record in the model both backends fill
// (apply/status.h); nullopt when neither family has op25bc's CHECK chain.
// Phases are named by the record's policy ids; a set's count is what the
// kernel holds (members), or nullopt when the set is gone.
// The recording sets (hash:ip) of the record that the kernel holds, with
// their counts; their sources are read with `ipset save` (parse_ipset_recorded).
std::vector<backend::Recording> recordings(const KernelView& view,
                                           const std::optional<Record>& record,
                                           const std::string& table);

std::optional<backend::Status> read_status(const KernelView& view,
                                           const std::optional<Record>& record,
                                           bool record_unusable, const std::string& table);

class RecordStore {
 public:
  virtual ~RecordStore() = default;
  virtual std::optional<Record> load() = 0;
  virtual void save(const Record& r) = 0;  // throws on failure
  // What each set of a completed run holds, kept beside the record so that a
  // change to a million-member set need not read it back from the kernel.
  virtual void save_held(const xt::Ruleset& target) = 0;
  // A recorded set's intervals, only if they match its digest.
  virtual std::optional<net::Intervals> held(const Record::Set& set) = 0;
};

// The record (JSON) at `path`; the sets' intervals beside it at PATH.members
// (binary, checksummed), written first so a record never names newer ones.
class FileRecordStore final : public RecordStore {
 public:
  explicit FileRecordStore(std::string path) : path_(std::move(path)) {}
  std::optional<Record> load() override;
  void save(const Record& r) override;
  void save_held(const xt::Ruleset& target) override;
  std::optional<net::Intervals> held(const Record::Set& set) override;
  bool unusable() const { return unusable_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool unusable_ = false;
  std::optional<io::FileBytes> held_bytes_;  // PATH.members, read once, not copied
};

struct Delta {
  std::string set;
  net::Prefixes add;
  net::Prefixes del;
};

struct Plan {
  std::vector<std::string> conflicts;  // what is in the way and not op25bc's
  xt::Ruleset target;                  // the desired ruleset, named as it will be
  std::vector<std::string> create;     // sets built fresh (names in target)
  std::vector<Delta> deltas;           // in place
  std::string restore_v4;              // "" when the family's rules stay
  std::string restore_v6;
  std::string undo_v4;  // takes a switched family back, if the other one fails
  std::string undo_v6;
  std::vector<std::string> destroy;  // op25bc's sets no longer used
  std::size_t sets_read_back = 0;
  bool drift = false;  // the kernel differed from the record: someone changed it
  bool in_sync() const {
    return create.empty() && deltas.empty() && restore_v4.empty() && restore_v6.empty() &&
           destroy.empty();
  }
  const std::string& undo(net::Family f) const { return f == net::Family::v4 ? undo_v4 : undo_v6; }
  const std::string& restore(net::Family f) const {
    return f == net::Family::v4 ? restore_v4 : restore_v6;
  }
};

struct PlanOptions {
  bool adopt = false;   // take over same-named chains op25bc did not create
  bool verify = false;  // read every set back, trust no record
};

// A recorded set's intervals as kept beside the record (RecordStore::held).
using HeldSet = std::function<std::optional<net::Intervals>(const Record::Set& set)>;

// Reads a set's members back (ipset save); nullopt after setting `error`.
using ReadSet = std::function<std::optional<net::Prefixes>(const std::string& name,
                                                           net::Family family, std::string& error)>;

// `desired` is lowered with any generation: the plan names its sets.
// When the record is trusted, a changed set's old members come from `held`
// (no kernel read); otherwise, or when it has none, from `read_set`.
std::optional<Plan> plan(xt::Ruleset desired, const KernelView& view,
                         const std::optional<Record>& record, const PlanOptions& options,
                         const ReadSet& read_set, const HeldSet& held, std::string& error);

// The ipset restore scripts of a plan: the new sets, cut into `parts` to run
// side by side; the members changed in place. And its summary for people.
std::vector<std::string> create_scripts(const Plan& p, std::size_t parts);
std::string delta_script(const Plan& p);
std::string summary(const Plan& p);
std::vector<std::string> describe(const Plan& p);  // one line per change, for diff
// The plan as apply/diff --format json has every backend's change: `changes`
// (objects: op, object, name or set, count, the first `element_limit`
// elements), `summary` (elements_added, elements_deleted, rules_added,
// rules_deleted, objects_changed), and the iptables counts beside them.
nlohmann::json to_json(const Plan& p, std::size_t element_limit = 1000);

// The record after `p` completed (`base`: the record before, or a new one).
Record completed(const Plan& p, Record base);

struct RunOutcome {
  bool ok = false;
  std::string error;
  bool partial = false;  // some of the plan reached the kernel: the next run converges
};

// Carries out `p`: pending record, new sets, deltas, one restore per family,
// old sets destroyed, record. Then reads the kernel back and fails unless it
// holds op25bc's chains and sets as planned.
// `parts`: how many ipset processes build new sets side by side.
RunOutcome run(const Plan& p, XtKernel& kernel, RecordStore& store, Record record,
               std::size_t parts = 1);

// For a dry run: whether the kernel accepts each family's restore of `p`
// (iptables-restore --test), when it names only sets that exist already.
std::vector<std::string> test_restores(const Plan& p, const KernelView& view, XtKernel& kernel,
                                       bool& ok);

}  // namespace op25bc::xt
