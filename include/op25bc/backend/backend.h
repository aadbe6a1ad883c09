// SPDX-License-Identifier: GPL-2.0-or-later
// The backend port: what every enforcement backend (nftables over netlink,
// iptables-legacy and ipset through their tools, a third one) implements, and
// all that the commands above it ever see of one. ARCHITECTURE.md lists what
// a new backend writes; backend/registry.h is where it is made known.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/backend/run.h"
#include "op25bc/backend/status.h"
#include "op25bc/diag/result.h"
#include "op25bc/ir/ruleset.h"
#include "op25bc/policy/model.h"
#include "op25bc/session/table.h"
#include "op25bc/time/instant.h"

namespace op25bc::backend {

// Where every backend's state file lives unless --state names one.
inline constexpr const char* kStateFolder = "/var/lib/op25bc";

// What a confined run needs from systemd (op25bc schedule --emit systemd and
// the packaged unit): capabilities, socket address families, paths it writes.
struct Sandbox {
  std::vector<std::string_view> capabilities;
  std::vector<std::string_view> address_families;
  std::vector<std::string_view> writable_paths;
};

// What `compile` prints: one text (stdout or -o FILE) or, for input made of
// several files, those files by name (-o DIR; `text` is then what stdout gets).
struct Rendered {
  std::string text;
  std::vector<std::pair<std::string, std::string>> files;  // name in the folder, content
};

// What a session works with. op25bc's lock is taken above the port, for
// every backend alike, after open() and before the first run.
struct Access {
  std::string state;  // the backend's state file, resolved (given or default)
};

// What a run is asked: the policy's state at `at` (kernel-timed: plus the
// next boundary), with the options every backend takes.
struct RunRequest {
  const policy::Policy& policy;
  Instant at;
  bool kernel_timed = false;
  RunOptions options;
  // With options.check_only: also ask the kernel to check the change and load
  // the whole ruleset in a throwaway network namespace (apply --dry-run).
  bool dry_run = false;
  // The live sessions of subscriber exemptions (session/table.h), read under
  // op25bc's lock; none when the policy has no subscriber exemption.
  const session::Table* sessions = nullptr;
};

// What a session event asks (op25bc session up/down): these sets of op25bc's
// table, which its last run made, to hold exactly these elements; nothing
// else is read or changed.
struct ElementsRequest {
  std::string table;
  std::vector<ir::Set> sets;  // name, family and elements; as ir::build names them
  // What op25bc last asked the same sets to hold (the session table before
  // this event), in the same order, or none: a hint, so a backend may write
  // only the difference without reading the sets first, as long as it reads
  // back that they hold `sets`.
  std::vector<ir::Set> last;
};

// What a run found and did, worded by the backend, shaped for every command.
struct Outcome {
  bool in_sync = false;    // the kernel held the policy already
  bool committed = false;  // this run changed the kernel, and read it back
  std::string summary;     // the change in one line: "+2 rules, -1 element"
  std::string changes;     // the change, one line per operation (diff, --dry-run)
  // The change in the apply/diff JSON contract (schemas/op25bc-apply.schema.json):
  // the backend's own keys; the command adds those every backend shares.
  nlohmann::json report = nlohmann::json::object();
  // Someone else changed op25bc's objects and this run repaired them: what.
  std::string drift_repaired;
  std::string read_back;            // how the kernel was read beyond the record, "" for not
  std::vector<std::string> notes;   // worth telling the operator (an unusable record)
  std::vector<std::string> checks;  // dry run: what the kernel was asked, and what it said
  bool checks_ok = true;            // false: a dry-run check failed
};

// The kernel (or its tools), open for a run.
class Session {
 public:
  virtual ~Session() = default;
  // Reads what the kernel holds, plans and (unless check_only) changes it,
  // atomically where the backend can, and records what it holds.
  virtual Result<Outcome> run(const RunRequest& request) = 0;
  // Makes the sets hold what `request` says, in one atomic change, reads them
  // back, and keeps the record in step so that the next run need not read
  // them. A failure when op25bc's table lacks one of them (no run made it).
  virtual Result<Outcome> replace_elements(const ElementsRequest& request) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;  // what --backend and the history call it
  // What the backend's objects for `table` are called, for messages:
  // "table inet op25b", "op25bc's iptables chains and ipsets (table op25b)".
  virtual std::string describe(const std::string& table) const = 0;
  // The state file when --state gives none, in kStateFolder.
  virtual std::string default_state_file(const std::string& table) const = 0;
  // Whether `bytes` (a state file's) is this backend's record: no command of
  // one backend reads, trusts or overwrites another's.
  virtual bool owns_record(std::string_view bytes) const = 0;
  virtual Sandbox sandbox() const = 0;

  // compile: the policy's ruleset at `at` as this backend's input, in
  // `format` (its first format is the default).
  virtual std::vector<std::string> formats() const = 0;
  virtual Result<Rendered> render(const policy::Policy& policy, Instant at, bool kernel_timed,
                                  const std::string& format) const = 0;

  // Checks what the backend needs (tools, capabilities) before any file is
  // touched, and opens the kernel for a run.
  virtual Result<std::unique_ptr<Session>> open(const Access& access) const = 0;

  // What op25bc's objects hold and counted; nullopt when there are none.
  // `verify`: every set read back instead of vouched for by the record.
  virtual Result<std::optional<Status>> status(const std::string& table,
                                               const std::string& state_file,
                                               bool verify) const = 0;

  // The recording sets of op25bc's objects for `table` (monitor periods) and
  // the sources the rules put in them, sorted by set; nullopt when there are
  // no such objects. `affected` maps them to the policy.
  virtual Result<std::optional<std::vector<Recording>>> recordings(
      const std::string& table, const std::string& state_file) const = 0;

  // What the state file says the last completed run applied (for activate's
  // scheduler); nullopt when there is none or a run did not finish.
  virtual std::optional<LastApply> last_applied(const std::string& state_file) const = 0;
};

}  // namespace op25bc::backend
