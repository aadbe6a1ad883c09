// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/time/instant.h"

#include <date/tz.h>

#include <cstdio>

namespace op25bc {

namespace {

using namespace std::chrono;

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  out = value;
  return true;
}

std::optional<date::year_month_day> parse_ymd(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (!digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  return date::year{y} / date::month{static_cast<unsigned>(m)} /
         date::day{static_cast<unsigned>(d)};
}

const char* const kFormatHint =
    "use a date YYYY-MM-DD (local midnight in the policy's time zone) or an RFC 3339 "
    "timestamp such as 2006-10-01T00:00:00+09:00";

TimeParse fail(std::string_view text, std::string why) {
  return {std::nullopt, "\"" + std::string{text} + "\" " + why + "; " + kFormatHint};
}

// "YYYY-MM-DDTHH:MM:SS" of seconds since the epoch (local or UTC), without
// a stream: affected formats two for each of 65,536 sources.
std::string civil_text(seconds since_epoch) {
  const auto day = floor<date::days>(date::sys_seconds{since_epoch});
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<seconds> time{date::sys_seconds{since_epoch} - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return buffer;
}

}  // namespace

bool host_dependent_zone(std::string_view name) {
  return name == "localtime" || name == "posixrules";
}

const date::time_zone* find_zone(std::string_view name) {
  if (name.empty() || host_dependent_zone(name)) return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The instants op25bc handles: from the epoch (nftables' meta time counts
// from it) to the last day whose instants still print with a 4-digit year in
// every zone. Year 0 or 1887 is a typo, not a plan (and printed back through
// a zone's local mean time it named another instant; found by fuzzing).
TimeParse in_range(std::string_view text, Instant t) {
  constexpr Instant kFirst{date::sys_days{date::year{1970} / 1 / 1}};
  constexpr Instant kEnd{date::sys_days{date::year{9999} / 12 / 31}};
  if (t < kFirst || t >= kEnd)
    return {std::nullopt,
            "\"" + std::string{text} + "\" is outside the instants op25bc handles (1970 to 9999)"};
  return {t, {}};
}

TimeParse parse_time(std::string_view text, const date::time_zone* zone) {
  if (text.size() < 10) return fail(text, "is not a date");
  const auto ymd = parse_ymd(text);
  if (!ymd) return fail(text, "is not a date");
  if (!ymd->ok()) return {std::nullopt, "\"" + std::string{text} + "\" is not a calendar date"};

  if (text.size() == 10) {
    if (zone == nullptr) zone = date::locate_zone("UTC");
    // choose::earliest resolves an ambiguous midnight to its first occurrence and
    // a nonexistent one to the instant the gap ends.
    return in_range(text, zone->to_sys(date::local_days{*ymd}, date::choose::earliest));
  }

  int hh = 0, mm = 0, ss = 0;
  // "THH:MM:SS" in full before any character of it is looked at (a text
  // cut after the minutes read past its end; found by fuzz/time_and_prefix).
  if (text.size() < 19) return fail(text, "is not an RFC 3339 timestamp");
  if ((text[10] != 'T' && text[10] != 't') || !digits(text, 11, 2, hh) || text[13] != ':' ||
      !digits(text, 14, 2, mm) || text[16] != ':' || !digits(text, 17, 2, ss))
    return fail(text, "is not an RFC 3339 timestamp");
  if (hh > 23 || mm > 59 || ss > 60) return fail(text, "has an impossible time of day");
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return fail(text, "has an empty fraction of a second");
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, om) || oh > 23 || om > 59)
      return fail(text, "has an invalid UTC offset");
    offset_minutes = (text[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return fail(text, "has no UTC offset (Z or +HH:MM)");
  }
  if (pos != text.size()) return fail(text, "has trailing characters");
  // A leap second (:60) is folded into the next second.
  const auto local = date::sys_days{*ymd} + hours{hh} + minutes{mm} + seconds{ss};
  return in_range(text, Instant{local - minutes{offset_minutes}});
}

std::string format_time(Instant t, const date::time_zone* zone) {
  if (zone == nullptr) return format_utc(t);
  const auto info = zone->get_info(t);
  // RFC 3339 offsets are whole minutes; local mean time before a zone's
  // first standard offset is not (Tokyo's was +09:18:59): say it in UTC
  // rather than name another instant.
  if (info.offset % minutes{1} != seconds{0}) return format_utc(t);
  std::string out = civil_text(t.time_since_epoch() + info.offset);
  const auto offset = duration_cast<minutes>(info.offset).count();
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%c%02d:%02d", offset < 0 ? '-' : '+',
                static_cast<int>(std::abs(offset) / 60), static_cast<int>(std::abs(offset) % 60));
  return out + buffer;
}

std::string format_date(Instant t, const date::time_zone* zone) {
  if (zone == nullptr) return date::format("%F", t);
  return date::format("%F", zone->to_local(t));
}

std::string format_utc(Instant t) {
  return civil_text(t.time_since_epoch()) + "Z";
}

Instant SystemClock::now() const {
  return floor<seconds>(system_clock::now());
}

}  // namespace op25bc
