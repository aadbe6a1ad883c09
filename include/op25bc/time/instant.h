// SPDX-License-Identifier: GPL-2.0-or-later
// Instants and the policy's time zone. A policy date "YYYY-MM-DD" is local
// midnight in the policy's IANA zone; an RFC 3339 timestamp names its own offset.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace op25bc {

using Instant = std::chrono::sys_seconds;

// An IANA zone from the system tz database, or nullptr when unknown.
const date::time_zone* find_zone(std::string_view name);

// "localtime" and "posixrules" are links to whatever this host is set to: a
// policy's dates must mean the same instant on every router, so find_zone
// refuses them.
bool host_dependent_zone(std::string_view name);

struct TimeParse {
  std::optional<Instant> instant;
  std::string error;
};

// Accepts "YYYY-MM-DD" (local midnight in `zone`; if midnight does not exist
// because of a DST jump, the first instant after the gap) and RFC 3339
// "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)".
TimeParse parse_time(std::string_view text, const date::time_zone* zone);

// "2006-10-01T00:00:00+09:00" in `zone`.
std::string format_time(Instant t, const date::time_zone* zone);
// "2006-10-01" local date in `zone`.
std::string format_date(Instant t, const date::time_zone* zone);
// "2006-09-30T15:00:00Z".
std::string format_utc(Instant t);

// The clock is a side effect: commands take one so tests can fix "now".
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Instant now() const override;
};

}  // namespace op25bc
