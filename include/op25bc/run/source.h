// SPDX-License-Identifier: GPL-2.0-or-later
// Where a run's policy comes from: the policy file (with its prefix files
// and drop-in exemptions), the policy as it will be once a new drop-in is
// written, or a copy the history kept (a rollback, a pin) with the live
// drop-ins. Every diagnostic is data here; the commands print them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/history/history.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/policy/load.h"
#include "op25bc/policy/model.h"
#include "op25bc/policy/prefix_file.h"

namespace op25bc::run {

struct Loaded {
  std::optional<policy::Policy> policy;  // none when invalid
  std::string name;                      // the file as diagnostics name it
  std::string fingerprint;               // of the policy file's bytes and its prefix files'
  io::FileBytes text;  // the policy as read (moved, not copied), for the history's copy
  std::unique_ptr<policy::PrefixFiles> prefix_files;  // what the policy's prefix files hold
  std::vector<Diagnostic> diagnostics;                // every one, in order
  // A failure that is no diagnostic of the policy's: an unknown --router, a
  // kept copy changed since. "" for none.
  std::string error;

  std::size_t warnings() const;
  std::size_t errors() const;
  // When invalid: the first error in one line, for a log ("(and N more)").
  std::string first_error() const;
  // The prefix files as the fingerprint and the history take them.
  std::vector<history::NamedBytes> named_prefix_files() const;
};

// Reads and validates the policy file, then narrows it to `router` when one
// is named (an unknown one is an error). `base`: the folder prefix files are
// read from (default: the policy's). An invalid drop-in exemption file is
// left out, with a warning, unless `dropins` is strict.
Loaded load_file(const std::string& path, const std::string& router = {},
                 const std::string& base = {}, policy::DropIns dropins = policy::DropIns::lenient);
// The policy as it will be once the drop-in exemption file `name` (`bytes`)
// is in its exemptions_dir: op25bc exempt add checks and applies it before
// and after writing the file, with one read of the policy.
Loaded load_pending(const std::string& path, const std::string& router, std::string name,
                    std::string bytes, policy::DropIns dropins = policy::DropIns::lenient);
// A policy the history kept under `fingerprint`, its diagnostics naming it
// `name`. A copy whose bytes no longer have that fingerprint (edited since
// op25bc kept it) is refused: no policy, one error. With `live_folder` (the
// folder of the policy file in use), a policy that names an exemptions_dir
// takes its drop-ins from there, not from the copy: a rollback never
// withdraws an exemption granted since. `fingerprint` of the result covers
// what was loaded.
Loaded load_copy(history::PolicyCopy copy, const std::string& fingerprint, const std::string& name,
                 const std::string& router = {}, const std::string& live_folder = {},
                 policy::DropIns dropins = policy::DropIns::lenient);

// Takes drop-in exemption `id` out of `loaded` (its file out of the files
// read, the fingerprint made again): the policy as it is once the file is
// removed. false, with `loaded` unchanged, when that cannot be known without
// reading the folder again: no such drop-in, or one was left out (it could
// be admitted in its stead).
bool drop_dropin(Loaded& loaded, const std::string& id);

// The absolute path of a policy file, as the history names it.
std::string absolute_path(const std::string& path);
// The folder holding `path` ("." for a bare file name).
std::string folder_of(const std::string& path);

}  // namespace op25bc::run
