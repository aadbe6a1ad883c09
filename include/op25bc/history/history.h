// SPDX-License-Identifier: GPL-2.0-or-later
// What op25bc applied, and when: every run that left the kernel holding a
// policy keeps a copy of that policy (by fingerprint) and one entry, so an
// operator can see what changed and roll back to an earlier policy through
// the same atomic, minimal path. A rollback pins its policy: activate applies
// the pinned copy, not the policy file, until the pin is released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>  // the declarations; the .cc has the whole library
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/diag/result.h"
#include "op25bc/history/fingerprint.h"

namespace op25bc::history {

struct HistoryEntry {
  std::string when;                             // wall clock of the run, RFC 3339 UTC
  std::string instant;                          // the policy instant applied, in the policy's zone
  std::string fingerprint;                      // of the policy's bytes
  std::string command;                          // apply, activate or rollback
  std::string policy_path;                      // where the policy was read from
  std::vector<std::string> phases;              // ids of the phases active at `instant`
  bool changed = false;                         // the run committed a change
  std::optional<std::int64_t> late_by_seconds;  // activate: a boundary applied late by
  std::string router;                           // --router of the run, "" for none
  std::string backend = "nftables";             // what enforced it: nftables or iptables
  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

struct Pin {
  std::string fingerprint;
  std::string since;  // wall clock of the rollback
  friend bool operator==(const Pin&, const Pin&) = default;
};

struct History {
  std::vector<HistoryEntry> entries;  // newest first
  std::optional<Pin> pin;
  friend bool operator==(const History&, const History&) = default;
};

inline constexpr std::size_t kDefaultKeep = 10;

// A policy as the history keeps it: its bytes and the prefix files it read,
// so a rollback applies exactly what was applied, whatever the files say now.
struct PolicyCopy {
  std::string policy;
  std::map<std::string, std::string> prefix_files;  // path as the policy writes it -> bytes
  friend bool operator==(const PolicyCopy&, const PolicyCopy&) = default;
};

// Adds `entry` when it says something new (the kernel changed, or another
// policy or set of phases than the newest entry), keeping the newest `keep`.
// Returns whether it was added.
bool record(History& h, HistoryEntry entry, std::size_t keep);

// The fingerprints the history still needs a policy copy of.
std::vector<std::string> referenced(const History& h);

// The entry a rollback goes to: `to` (a fingerprint or an unambiguous prefix
// of one), or the newest entry whose policy differs from the newest entry's.
// nullopt with `error` set when there is none.
std::optional<HistoryEntry> rollback_target(const History& h, const std::string& to,
                                            std::string& error);

nlohmann::json to_json(const History& h);
// nullopt when `j` is not a history index op25bc wrote.
std::optional<History> history_from_json(const nlohmann::json& j);
std::string to_text(const History& h);

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;
  virtual Result<History> load() = 0;               // empty when none; a failure when unreadable
  virtual Result<Done> save(const History& h) = 0;  // all or nothing
  virtual bool has_policy(const std::string& fingerprint) = 0;
  virtual Result<Done> keep_policy(const std::string& fingerprint, std::string_view bytes,
                                   const std::vector<NamedBytes>& prefix_files) = 0;
  // nullopt when there is no such copy, or it cannot be read.
  virtual std::optional<PolicyCopy> policy(const std::string& fingerprint) = 0;
  virtual std::string policy_path(const std::string& fingerprint) const = 0;
  virtual Result<Done> forget_policies_except(const std::vector<std::string>& keep) = 0;
};

// A folder beside the state file: /var/lib/op25bc/TABLE.history/ holding
// index.json and policy-FINGERPRINT.json, and for a policy with prefix files
// policy-FINGERPRINT.prefix-files.json ({path: contents}), each written
// atomically.
class FileHistoryStore final : public HistoryStore {
 public:
  explicit FileHistoryStore(std::string folder) : folder_(std::move(folder)) {}
  // The history folder that belongs to a state file (X.state -> X.history).
  static std::string folder_for(const std::string& state_path);

  Result<History> load() override;
  Result<Done> save(const History& h) override;
  bool has_policy(const std::string& fingerprint) override;
  Result<Done> keep_policy(const std::string& fingerprint, std::string_view bytes,
                           const std::vector<NamedBytes>& prefix_files) override;
  std::optional<PolicyCopy> policy(const std::string& fingerprint) override;
  std::string policy_path(const std::string& fingerprint) const override;
  Result<Done> forget_policies_except(const std::vector<std::string>& keep) override;
  const std::string& folder() const { return folder_; }

 private:
  std::optional<Failure> linked() const;  // the folder is a symbolic link
  std::string folder_;
};

// Keeps the policy copy, adds the entry and drops copies nothing refers to
// any more; the store's failure, if any.
Result<Done> remember(HistoryStore& store, HistoryEntry entry, std::string_view policy_bytes,
                      const std::vector<NamedBytes>& prefix_files, std::size_t keep);

}  // namespace op25bc::history
