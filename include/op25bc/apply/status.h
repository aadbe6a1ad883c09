// SPDX-License-Identifier: GPL-2.0-or-later
// What op25bc's table holds and counted, read once through the kernel port
// into a model that the JSON and the text reports are both made from.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>  // the declarations; the .cc has the whole library
#include <optional>
#include <string>
#include <vector>

#include "op25bc/apply/kernel.h"
#include "op25bc/apply/state.h"

namespace op25bc::apply {

struct SetStatus {
  std::string name;
  std::optional<std::uint64_t> elements;  // nullopt: neither read nor vouched for by the record
};

// A phase's counter, by the phase's policy id ("mobile") and its object
// name in the kernel ("phase_mobile").
struct PhaseCounter {
  std::string phase;
  std::string counter;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

// What the last apply recorded, whichever backend's record it came from.
struct LastApply {
  std::string policy_fingerprint;
  std::string applied_at;  // the policy instant, RFC 3339
  std::string version;     // of the op25bc that wrote it
  std::uint64_t generation = 0;
  // Whether the kernel provably holds what was recorded (nftables: nobody
  // committed since); nullopt where the backend cannot tell (iptables).
  std::optional<bool> current;
  bool pending = false;          // a run did not finish
  std::int64_t verified_at = 0;  // last full read-back, seconds since the epoch; 0: never
};

struct Status {
  std::string backend = "nftables";  // or "iptables"
  std::string table;
  std::string comment;
  std::uint32_t generation = 0;
  std::vector<std::string> active_phases;  // policy ids of the phases the rules count for
  std::vector<SetStatus> sets;
  std::vector<PhaseCounter> counters;
  std::optional<LastApply> last_apply;  // nullopt: no usable record
  bool record_unusable = false;         // a record was there, but truncated, corrupted or foreign
  // What turns the table's enforcement off or narrows it (apply::enforcement_drift).
  std::vector<std::string> drift;
};

// Sets as the policy names them: a set cut into blocks is one line, its
// slices' elements summed (nullopt when any slice's count is unknown).
struct SetTotal {
  std::string name;
  std::optional<std::uint64_t> elements = 0;
  std::size_t blocks = 0;  // 0: not cut
};
std::vector<SetTotal> set_totals(const Status& s);

// The policy id a phase counter counts for: the recorded id whose nft name it
// is, else the name without its "phase_" prefix ('-' in an id reads as '_').
std::string phase_of_counter(const std::string& counter, const std::vector<std::string>& ids);

// The record's part of a status.
LastApply last_apply_of(const StateRecord& r, std::uint32_t generation_now);

// nullopt when the kernel has no such table. Element counts come from the
// kernel when `verify` (every set read back), else from the record while it
// provably describes this kernel, else they are unknown. Throws KernelError.
std::optional<Status> read_status(Kernel& kernel, const std::string& table, StateStore& state,
                                  bool verify);

nlohmann::json to_json(const Status& s);
// Names and comments come from the kernel, so they are printed escaped.
std::string to_text(const Status& s);

}  // namespace op25bc::apply
