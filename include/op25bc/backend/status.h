// SPDX-License-Identifier: GPL-2.0-or-later
// What a backend holds and counted, in the one model every backend fills
// (Backend::status), so that text, JSON and the metrics are made once.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>  // the declarations; the .cc has the whole library
#include <optional>
#include <string>
#include <vector>

#include "op25bc/net/prefix.h"

namespace op25bc::backend {

struct SetStatus {
  std::string name;
  std::optional<std::uint64_t> elements;  // nullopt: neither read nor vouched for by the record
};

// A phase's counter, by the phase's policy id ("mobile") and the name of the
// kernel object that counts it ("phase_mobile", "OP25B-P-mobile").
struct PhaseCounter {
  std::string phase;
  std::string counter;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

// A source a monitoring phase's recording set holds, and the seconds left
// until it expires (its retention after it was last seen).
struct RecordedSource {
  net::Address address;
  std::uint64_t expires_in = 0;
};

// A recording set (ir::Set::recording) and what the rules put in it. `phase`
// is the phase id as the set's name spells it ('-' reads '_'); a command
// that has the policy maps names to ids itself (ir::recording_set_base).
struct Recording {
  std::string phase;
  std::string base;  // the IR set's name: "phase_all_seen4"
  std::string set;   // the backend's name for it
  net::Family family = net::Family::v4;
  std::uint64_t size = 0;               // the most sources it keeps
  std::uint64_t timeout = 0;            // seconds a source is kept after it was last seen
  std::uint64_t recorded = 0;           // sources it holds
  std::vector<RecordedSource> sources;  // which: filled for affected, not for status
  bool full() const { return size > 0 && recorded >= size; }
};

// Submission adoption: connections the pools opened to a submission port
// (kind "submission") or to a smarthost on an enforcement port ("smarthost"),
// counted whether or not a phase is active. `counter` is the kernel object
// that counts them ("submission4", "OP25B-C-submission4").
struct AdoptionCount {
  std::string kind;
  net::Family family = net::Family::v4;
  std::string counter;
  std::uint64_t connections = 0;
};

// What a run applied, as every backend records it: one type, which each
// backend's own record extends with what only it keeps (nft::StateRecord,
// xt::Record), and which the commands read back as LastApply.
struct Applied {
  // nftables: the ruleset generation right after op25bc's commit; iptables:
  // the newest generation op25bc has used for its chains and sets.
  std::uint64_t generation = 0;
  std::string policy_fingerprint;
  std::string applied_at;                  // the policy instant, RFC 3339
  std::vector<std::string> active_phases;  // policy ids of the phases it applied
  std::string version = OP25BC_VERSION;    // of the op25bc that wrote it
  // Written just before the kernel is changed, rewritten after: a run that
  // did not finish leaves it set, and its record is never trusted for elements.
  bool pending = false;
  // When a run last read every set back and found (or made) it as the policy
  // wants: seconds since the epoch, 0 for never. Between such verifications a
  // set is vouched for by its digest; activate verifies again when this is
  // older than its --verify-every.
  std::int64_t verified_at = 0;
  friend bool operator==(const Applied&, const Applied&) = default;
};

// What the last run recorded, whichever backend's record it came from.
struct LastApply : Applied {
  // Whether the kernel provably holds what was recorded (nftables: nobody
  // committed since); nullopt where the backend cannot tell (iptables).
  std::optional<bool> current;

  LastApply() = default;
  LastApply(const Applied& applied, std::optional<bool> current_now)
      : Applied(applied), current(current_now) {}
};

struct Status {
  std::string backend;  // Backend::name()
  std::string table;
  std::string heading;  // how the backend names what it holds: "table inet op25b"
  std::string comment;  // what the kernel says of it
  bool owned = false;   // op25bc made it (a table comment, or a record)
  std::uint32_t generation = 0;
  std::vector<std::string> active_phases;  // policy ids of the phases the rules count for
  std::vector<SetStatus> sets;
  std::vector<PhaseCounter> counters;
  // Monitor periods: the connections each phase would have blocked, and its
  // recording sets (sources, not listed here: op25bc affected lists them).
  std::vector<PhaseCounter> monitor_counters;
  std::vector<Recording> recordings;
  std::vector<AdoptionCount> adoption;  // what the kernel counts, sorted by kind and family
  std::optional<LastApply> last_apply;  // nullopt: no usable record
  bool record_unusable = false;         // a record was there, but truncated, corrupted or foreign
  // What turns enforcement off or narrows it without changing op25bc's objects.
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

// schemas/op25bc-status.schema.json describes it.
nlohmann::json to_json(const Status& s);
// Names and comments come from the kernel, so they are printed escaped.
std::string to_text(const Status& s);

}  // namespace op25bc::backend
