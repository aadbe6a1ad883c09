// SPDX-License-Identifier: GPL-2.0-or-later
// The validated policy model. Every list keeps the index of its JSON element so
// diagnostics from any pass can point into the document ("/pools/3/prefixes/2").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "op25bc/net/prefix.h"
#include "op25bc/policy/pool_index.h"
#include "op25bc/time/instant.h"

namespace date {
class time_zone;
}

namespace op25bc::policy {

// Prefixes of one JSON array. Entries that failed to parse are left out;
// `positions` then maps each kept entry back to its array index. The items
// live in the policy's prefix storage, in document order.
struct PrefixList {
  std::span<const net::Prefix> items;
  std::vector<std::uint32_t> positions;  // empty: identity

  std::size_t position(std::size_t i) const { return positions.empty() ? i : positions[i]; }
};

enum class Action { reject, icmp, drop };

struct LogRate {
  unsigned count = 0;
  std::string unit;  // second, minute, hour, day
};

struct Log {
  std::string prefix = "op25b ";
  std::optional<LogRate> rate;
};

// A kernel set holds at most this many intervals: larger source sets are cut
// by address block behind one verdict map (see ir/shard.h).
inline constexpr std::size_t kDefaultMaxSetIntervals = 4096;
inline constexpr std::size_t kMinMaxSetIntervals = 1;
inline constexpr std::size_t kMaxMaxSetIntervals = std::size_t{1} << 24;

struct Enforcement {
  std::vector<std::uint16_t> ports{25};
  Action action = Action::reject;
  std::optional<Log> log;
  std::size_t max_set_intervals = kDefaultMaxSetIntervals;
};

// A monitor period's recording: each phase that monitors keeps the source
// addresses it would have blocked in a kernel set per family, for `retention`
// after each was last seen, at most `max_sources` of them (a full set records
// no new source and changes no verdict).
inline constexpr std::int64_t kDefaultRetentionDays = 30;
inline constexpr std::int64_t kMaxRetentionDays = 3650;
inline constexpr std::size_t kDefaultMaxSources = 65536;
inline constexpr std::size_t kMaxMaxSources = std::size_t{1} << 24;

struct Monitoring {
  std::int64_t retention_days = kDefaultRetentionDays;
  std::size_t max_sources = kDefaultMaxSources;
};

struct Service {
  std::string id;
  std::string name;
  std::string pointer;  // its JSON pointer ("/services/0"): Policy::translations' key
};

// The prefixes a pool's prefixes_file added: items[first..] of its list,
// from these lines of the file.
struct PrefixFileOrigin {
  std::string display;  // as diagnostics name it
  std::size_t first = 0;
  std::vector<std::uint32_t> lines;
};

struct Pool {
  std::string id;
  std::string service;
  std::string region;  // "" when not given
  std::string name;
  PrefixList prefixes;  // "prefixes", then the prefixes_file's
  std::optional<PrefixFileOrigin> file;
  // The widest IPv6 prefix a session in this pool may hold (a delegated
  // prefix, e.g. 56); absent: sessions hold host addresses only.
  std::optional<std::uint8_t> delegated_length;
  std::optional<std::size_t> service_index;  // resolved
};

struct Smarthost {
  std::string id;
  std::string hostname;
  PrefixList addresses;
  std::vector<std::string> regions;  // serves these regions; empty: every region
};

struct Destination {
  std::string id;
  std::string name;
  std::string pointer;  // its JSON pointer: Policy::translations' key
  PrefixList prefixes;
};

struct Exemption {
  std::string id;
  std::string reason;
  PrefixList prefixes;  // empty for a subscriber's exemption
  // The subscriber (opaque text: a PPP peer name, a DHCP client id or relay
  // remote id) whose live sessions' addresses the exemption covers, instead
  // of prefixes; "" for an exemption by prefixes. See session/table.h.
  std::string subscriber;
  std::optional<Instant> effective;  // from; absent: always
  std::optional<Instant> until;      // exclusive; absent: forever
  std::string ticket;                // the helpdesk's reference; "" when none
  // The drop-in file of exemptions_dir it came from, as diagnostics name it;
  // "" for one in the policy's "exemptions" list.
  std::string file;
};

// Whom customers ask (op25bc notice): every key optional. `email` has one
// '@' and no spaces, quotes or angle brackets; `url` is http:// or https://.
struct Contact {
  std::string name;
  std::string email;
  std::string phone;
  std::string hours;
  std::string url;
};

struct Submission {
  std::vector<std::uint16_t> ports{587, 465};
  std::optional<Instant> effective;  // absent: already open
  std::string hostname;
};

struct Scope {
  // Within a key any listed id matches; across keys all given keys must match.
  std::optional<std::vector<std::string>> services;
  std::optional<std::vector<std::string>> regions;
  std::optional<std::vector<std::string>> pools;
};

struct Phase {
  std::string id;
  std::string name;
  std::string pointer;  // its JSON pointer (a router's phases are a subset)
  // From monitor_from until effective the phase blocks nothing and records
  // whom it would block.
  std::optional<Instant> monitor_from;
  std::optional<Instant> effective;  // absent only in an invalid policy
  std::optional<Instant> until;
  Scope scope;
  bool block_all = false;
  std::vector<std::string> block;  // destination ids when !block_all

  // Resolved by the resolve pass.
  std::vector<std::size_t> pool_indexes;         // pools the scope selects
  std::vector<std::size_t> destination_indexes;  // when !block_all
};

// A router of the fleet and the pools it carries: `--router ID` narrows the
// source sets to those pools (see policy/router.h).
struct Router {
  std::string id;
  Scope scope;
  std::vector<std::size_t> pool_indexes;  // resolved: the pools the scope selects
};

struct Policy {
  int version = 0;
  std::string operator_name;
  // Texts a customer reads (op25bc notice) that the policy gives by
  // language: the text's JSON pointer ("/services/0/name") -> language tag
  // -> text. The fields hold the text to use where no language is asked for
  // (its "en", else its first language); compile, explain and status use it.
  std::map<std::string, std::map<std::string, std::string>, std::less<>> translations;
  // "regions": how customers name each region id of the pools and
  // smarthosts; a region without a name is shown as its id.
  std::map<std::string, std::string, std::less<>> region_names;
  std::string timezone;
  const date::time_zone* zone = nullptr;
  std::string table = "op25b";
  Enforcement enforcement;
  std::vector<Service> services;
  std::vector<Pool> pools;
  std::vector<Smarthost> smarthosts;
  std::vector<Destination> destinations;
  // The policy's "exemptions" first, then the drop-ins of exemptions_dir that
  // were admitted (Exemption::file), in file name order.
  std::vector<Exemption> exemptions;
  std::string exemptions_dir;  // as the policy writes it; "" when it names none
  // Drop-in files left out because they are invalid (lenient loading, see
  // policy/load.h), in file name order: the file as diagnostics name it, and
  // the exemption id it claims when it parsed that far ("" otherwise), so
  // that a withdrawal can see every file that holds an id.
  struct SkippedDropIn {
    std::string file;
    std::string id;
    friend bool operator==(const SkippedDropIn&, const SkippedDropIn&) = default;
  };
  std::vector<SkippedDropIn> skipped_dropins;
  // skipped_dropins' files alone.
  std::vector<std::string> skipped_files() const;
  Submission submission;
  std::optional<Contact> contact;
  Monitoring monitoring;
  std::vector<Phase> phases;
  std::vector<Router> routers;
  // The router the policy was narrowed to by select_router; unset: every pool.
  std::optional<std::size_t> router;

  // Every PrefixList's items, read in one stream; copies of the policy share it.
  std::shared_ptr<const net::Prefixes> prefix_storage;
  std::vector<std::shared_ptr<const net::Prefixes>> file_prefix_storage;  // pools' prefix files
  PoolIndex pool_index;  // built by the index pass, after resolve
};

constexpr bool is_active(const std::optional<Instant>& from, const std::optional<Instant>& until,
                         Instant t) {
  return (!from || *from <= t) && (!until || t < *until);
}

}  // namespace op25bc::policy
