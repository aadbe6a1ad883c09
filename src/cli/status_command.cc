// SPDX-License-Identifier: GPL-2.0-or-later
// status: what op25bc's objects hold and counted, in the one status model
// (backend/status.h), whichever backend holds them.
#include <ostream>

#include "commands.h"
#include "op25bc/backend/status.h"
#include "op25bc/run/follow.h"
#include "op25bc/text/escape.h"
#include "support.h"

namespace op25bc::cli {

namespace {

std::string utc_or_none(std::uint64_t seconds) {
  return seconds == 0 ? std::string{"none"}
                      : format_utc(Instant{std::chrono::seconds{static_cast<long long>(seconds)}});
}

// The RADIUS follower's position beside the state file, when there is one.
void follower_json(const run::FollowerView& v, nlohmann::json& j) {
  const auto& p = v.position;
  const auto when = [](std::uint64_t s) {
    return s == 0 ? nlohmann::json() : nlohmann::json(utc_or_none(s));
  };
  j["radius_follower"] = {{"detail", p.detail},
                          {"offset", p.offset},
                          {"behind_bytes", v.behind},
                          {"records", p.records},
                          {"skipped", p.skipped},
                          {"last_record", when(p.last_record)},
                          {"last_batch", when(p.last_batch)}};
}

std::string follower_text(const run::FollowerView& v) {
  const auto& p = v.position;
  return "radius follower: " + text::printable(p.detail) + " at byte " + std::to_string(p.offset) +
         ", " + std::to_string(v.behind) + " bytes behind; " + std::to_string(p.records) +
         " records read, " + std::to_string(p.skipped) + " skipped; last record " +
         utc_or_none(p.last_record) + ", last batch " + utc_or_none(p.last_batch) + "\n";
}

}  // namespace

int run_status(const StatusArgs& args, Io io) {
  const run::Target target = run::Target::make(args.target, io.backends, args.table);
  if (auto owned = run::check_owner(target, io.backends); !owned)
    return report(owned.failure(), io);
  const backend::Backend& b = *target.backend;
  const auto status = b.status(args.table, target.state, args.verify);
  if (!status) return report(status.failure(), io);
  if (!*status) {
    report("there is no " + b.describe(args.table), io);
    if (args.format == "json")
      io.out << json_text({{"schema_version", kSchemaVersion},
                           {"backend", b.name()},
                           {"table", args.table},
                           {"present", false}});
    return kExitFailure;
  }
  const auto follower = run::follower_view(run::default_position_path(target.state));
  if (args.format == "json") {
    nlohmann::json j = backend::to_json(**status);
    j["schema_version"] = kSchemaVersion;
    j["present"] = true;
    if (follower) follower_json(*follower, j);
    io.out << json_text(j);
  } else {
    io.out << backend::to_text(**status);
    if (follower) io.out << follower_text(*follower);
  }
  return kExitOk;
}

}  // namespace op25bc::cli
