// SPDX-License-Identifier: GPL-2.0-or-later
// Ready-to-install schedules for `op25bc activate`: a cron.d file, or a
// systemd service with a timer firing at every boundary of the policy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "op25bc/backend/backend.h"
#include "op25bc/policy/model.h"
#include "op25bc/timeline/timeline.h"

namespace op25bc::schedule {

struct UnitOptions {
  std::string bin;                      // absolute path of op25bc
  std::string policy;                   // absolute path of the policy
  std::string state;                    // --state for activate, "" for its default
  std::string metrics;                  // --metrics for activate, "" for none
  std::string router;                   // --router for activate, "" for none
  std::string backend;                  // --backend for activate, "" for its default
  backend::Sandbox sandbox;             // what the backend's run needs (Backend::sandbox)
  std::string safety_every = "*:0/15";  // systemd: a periodic safety run
};

// /etc/cron.d/op25bc: every minute, and at boot.
std::string cron_file(const policy::Policy& p, const std::vector<timeline::Event>& events,
                      const UnitOptions& o);

struct SystemdUnits {
  std::string service;  // op25bc.service (oneshot)
  std::string timer;    // op25bc.timer
};
SystemdUnits systemd_units(const policy::Policy& p, const std::vector<timeline::Event>& events,
                           const UnitOptions& o);

// "2006-10-01 00:00:00 Asia/Tokyo", or the exact UTC instant when the local
// time is ambiguous or skipped (DST).
std::string on_calendar(Instant t, const policy::Policy& p);

// The [Service] lines that confine op25bc.service to `sandbox`; the unit the
// package ships carries the nftables backend's block.
std::string service_sandbox(const backend::Sandbox& sandbox);

}  // namespace op25bc::schedule
