// SPDX-License-Identifier: GPL-2.0-or-later
// What a run works on: the backend, its state file (and so the history and
// the subscriber index beside it), the session table, op25bc's lock and how
// long to wait for it, and how much history to keep. Built once from the
// options every command that reaches a backend takes (cli/main.cc adds them
// with one helper), so no command resolves a default of its own.
#pragma once

#include <cstddef>
#include <string>

#include "op25bc/backend/backend.h"
#include "op25bc/backend/registry.h"
#include "op25bc/diag/result.h"

namespace op25bc::run {

// The lock every op25bc run takes; its folder is op25bc.service's
// RuntimeDirectory, made by the first run after boot when run by hand.
inline constexpr const char* kDefaultLock = "/run/op25bc/op25bc.lock";

// The options as given: "" for "not given".
struct TargetOptions {
  std::string backend;   // --backend; "" for the default one
  std::string state;     // --state; "" for the backend's default
  std::string sessions;  // --sessions; "" for the one named after the state file
  std::string lock = kDefaultLock;
  double lock_wait = 10;  // seconds
  std::size_t keep = 10;  // history entries kept

  // The defaults, with another wait for the lock.
  static TargetOptions waiting(double seconds) {
    TargetOptions o;
    o.lock_wait = seconds;
    return o;
  }
};

struct Target {
  const backend::Backend* backend = nullptr;
  std::string state;          // resolved: given, or the backend's default for the table
  bool default_state = true;  // --state was not given: the default folder is made for the record
  std::string sessions;       // as given
  std::string lock;
  double lock_wait = 10;
  std::size_t keep = 10;

  // `options` resolved against `backends` for `table`. The backend name is
  // one main.cc accepted: an unknown one is a caller's mistake (throws).
  static Target make(const TargetOptions& options, const backend::Registry& backends,
                     const std::string& table);
  // The history folder beside the state file.
  std::string history_folder() const;
};

// A failure when the state file holds the record of another backend than the
// target's: no command of one backend reads, trusts or overwrites the other's
// state file (or, through it, its history). Fine when there is none.
Result<Done> check_owner(const Target& target, const backend::Registry& backends);

}  // namespace op25bc::run
