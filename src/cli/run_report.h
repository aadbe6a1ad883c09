// SPDX-License-Identifier: GPL-2.0-or-later
// The formatter of a run's report (run/run.h) that apply, diff, rollback and
// exempt --apply share: what changed, in text or in the apply JSON contract
// (schemas/op25bc-apply.schema.json), and the exit status it means.
#pragma once

#include <chrono>
#include <string>

#include "commands.h"
#include "op25bc/run/run.h"

namespace op25bc::cli {

struct Shown {
  std::string format = "text";
  bool check_only = false;  // diff, --dry-run
  bool dry_run = false;
  std::string policy;  // the policy file as the command was given it
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

// Prints the report (or the failure, with what it carries) and returns the
// exit status: ok, pending (a diff with changes), or failure.
int show_run(const Result<run::Report>& report, const Shown& how, Io io);

// A run of `file` (read from `path`, narrowed to `router`) at `at` (--at, in
// the policy's zone): the backend's record is not consulted; `verify` reads
// every set back.
run::Request request_at(run::Role role, const run::Loaded& file, const std::string& path,
                        const std::string& router, Instant at, bool verify = false);

}  // namespace op25bc::cli
