// SPDX-License-Identifier: GPL-2.0-or-later
// What a run asks of a backend, whichever it is (Backend::run).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace op25bc::backend {

struct RunOptions {
  bool check_only = false;                 // diff, dry run: nothing is changed
  bool adopt = false;                      // take over same-named objects op25bc did not create
  bool verify = false;                     // read every set back from the kernel, trust no record
  int attempts = 3;                        // on a concurrent change between read and commit
  std::string fingerprint;                 // of the policy, recorded after a change
  std::string applied_at;                  // the policy instant, recorded after a change
  std::vector<std::string> active_phases;  // recorded after a change
  // The wall clock (seconds since the epoch): recorded as the last full
  // verification when this run reads every set back.
  std::int64_t now = 0;
};

}  // namespace op25bc::backend
