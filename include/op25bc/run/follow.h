// SPDX-License-Identifier: GPL-2.0-or-later
// op25bc session follow --radius-detail: RADIUS accounting as a session
// source. The follower reads the records FreeRADIUS appends to its detail
// file (session/radius.h), turns each batch of them into session events, and
// hands the batch to the run layer (session_batch: one lock, one kernel
// transaction). Only after the kernel holds a batch does its position move
// on, durably, so a follower killed at any point starts again at the first
// record the kernel may not hold; session events are idempotent, so a batch
// done again after such a kill changes nothing more. It follows the file's
// rotation (a rename; the writer starts a new file), and after a restart
// finds the file it was reading under its new name.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/backend/registry.h"
#include "op25bc/diag/result.h"
#include "op25bc/run/event.h"
#include "op25bc/run/target.h"
#include "op25bc/session/radius.h"
#include "op25bc/time/instant.h"

namespace op25bc::run {

struct FollowOptions {
  std::string detail;    // the detail file FreeRADIUS writes
  std::string position;  // where the follower keeps its place ("" = beside the state file)
  std::string attribute = "User-Name";  // the attribute that names the subscriber
  std::size_t batch = 10000;            // records per kernel transaction, at most
  uid_t writer = 0;  // who writes the detail file besides root (freerad): no one else may
};

// The position file's default: beside the state file.
std::string default_position_path(const std::string& state);

// What a follower's position file says, for metrics and status, with how
// many bytes of its detail file it has yet to read; nullopt when there is no
// readable position file.
struct FollowerView {
  session::radius::Position position;
  std::uint64_t behind = 0;
};
std::optional<FollowerView> follower_view(const std::string& position);

// What one batch read and did.
struct FollowBatch {
  std::size_t records = 0;            // records read, skipped ones included
  std::size_t events = 0;             // session events they made
  std::vector<std::string> problems;  // records skipped and events refused, with why
  std::optional<BatchReport> report;  // the run layer's, when there were events
  std::uint64_t offset = 0;           // where the follower is now
  bool rotated = false;               // it moved on to the file's new incarnation
  std::optional<Instant> newest;      // when its last record was written (Timestamp)
};

// The session events `records` make, in order: Start and Interim-Update up,
// Stop down, Accounting-On/Off down for each subscriber `nas_of` says that
// NAS serves (kept in step). A record whose subscriber could not be one is
// said in `problems`; `newest` is the last record's Timestamp.
std::vector<Event> events_of(const std::vector<session::radius::Record>& records,
                             std::map<std::string, std::string, std::less<>>& nas_of,
                             std::vector<std::string>& problems, std::optional<Instant>& newest);

// op25bc session sync --radius-detail: the session table rebuilt from the
// detail files' records (in the order given: the oldest rotated file first),
// from empty, and the kernel made to match it in one transaction. For after
// a reboot (the table lives under /run) or a follower that lost its file.
struct SyncReport {
  std::size_t records = 0;
  std::size_t events = 0;
  std::vector<std::string> problems;
  std::optional<BatchReport> report;
};
Result<SyncReport> radius_sync(const Target& target, const backend::Registry& backends,
                               const std::vector<std::string>& files, const std::string& attribute,
                               uid_t writer, const Clock& clock);

class Follower {
 public:
  // Takes the follower's own lock (one follower per position file), reads
  // the position, and opens the file it names: a failure when the detail
  // file or its folder is one others could write, when the file it was
  // reading is gone (records may be lost: "session sync" rebuilds), or when
  // the file is shorter than the position (truncated).
  static Result<Follower> open(const Target& target, const backend::Registry& backends,
                               FollowOptions options);
  Follower(Follower&&) noexcept;
  Follower& operator=(Follower&&) noexcept;
  ~Follower();

  // Applies the next whole records (at most options.batch), tells `applied`
  // (the kernel holds them now), then keeps the position: a follower killed
  // between the two reads the batch again, and tells it again. nullopt when
  // there is no whole record to read now.
  Result<std::optional<FollowBatch>> next(const Clock& clock,
                                          const std::function<void(const FollowBatch&)>& applied);
  // Returns when the detail file's folder changes, or after `timeout`.
  void wait(std::chrono::milliseconds timeout) const;

 private:
  struct State;
  explicit Follower(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace op25bc::run
