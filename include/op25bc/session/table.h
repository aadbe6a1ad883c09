// SPDX-License-Identifier: GPL-2.0-or-later
// Subscriber exemptions that follow a dynamic address. An exemption may name
// a subscriber instead of prefixes; the access server's session scripts tell
// op25bc which addresses that subscriber holds (op25bc session up/down), and
// those addresses are exempt while the exemption is in force.
//
// Two small files make that fast and safe, both written atomically:
//   - the session table (under /run, so empty after a reboot, like the
//     sessions themselves): the live addresses of subscribers that have an
//     exemption, and of no one else;
//   - the index of subscriber exemptions, written beside the state file by
//     every apply and activate: which subscribers have one and when, the
//     table and backend it was applied with, and where the session table is.
//     A session event reads the index, never the policy.
// The kernel holds the session addresses in sets of their own (session4 and
// session6, ir/names.h), so they never merge with an exempted prefix.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/diag/result.h"
#include "op25bc/net/address_set.h"
#include "op25bc/net/prefix.h"
#include "op25bc/policy/model.h"
#include "op25bc/time/instant.h"

namespace op25bc::session {

// The bounds of the table: a subscriber holds at most kMaxAddresses
// addresses or prefixes (an IPv4 address, IPv6 ones and delegated prefixes),
// and the table at most kMaxSubscribers subscribers.
inline constexpr std::size_t kMaxAddresses = 16;
inline constexpr std::size_t kMaxSubscribers = 100000;

// The live sessions: each subscriber's addresses, sorted, without duplicates.
using Table = std::map<std::string, std::vector<net::Prefix>, std::less<>>;

// A field of one of op25bc's session files: free text with ' ', '%', and
// control bytes as %XX; field_text() undoes it, nullopt for a bad escape.
void append_field(std::string& out, std::string_view text);
std::optional<std::string> field_text(std::string_view field);

// The table's bytes, and back. decode() accepts exactly what encode() makes;
// anything else is nullopt with the reason in `error`.
std::string encode(const Table& table);
std::optional<Table> decode(std::string_view bytes, std::string& error);

// What a session event did to the table.
struct Change {
  bool changed = false;
  // Addresses another subscriber held (a lease handed on without its "del"),
  // now taken from them: "SUBSCRIBER ADDRESS" each.
  std::vector<std::string> handed_over;
  std::string error;  // the bound that refused the event; the table is unchanged
};

// Who holds each address of a table, by held prefix: what up() and
// held_by_another() look up in log time rather than by walking the table (a
// batch of 100,000 events over 10,000 live sessions). Kept in step with the
// table by the up() and down() that take it.
class Holders {
 public:
  explicit Holders(const Table& table);
  // The held prefixes that overlap `p`, with their holders, in order.
  std::vector<std::pair<net::Prefix, std::string>> overlapping(const net::Prefix& p) const;
  void add(const net::Prefix& p, const std::string& subscriber);
  void remove(const net::Prefix& p, const std::string& subscriber);

 private:
  std::multimap<net::Prefix, std::string> by_prefix_;
};

// A session of `subscriber` holds `addresses`: nobody else holds them any
// more, and when `tracked` (the subscriber has an exemption) they are added
// to the subscriber's. A subscriber policy::subscriber_problem refuses is
// an error, and the table is unchanged.
Change up(Table& table, const std::string& subscriber, const std::vector<net::Prefix>& addresses,
          bool tracked);
// The same, with `holders` (of `table`) kept in step: the same change.
Change up(Table& table, Holders& holders, const std::string& subscriber,
          const std::vector<net::Prefix>& addresses, bool tracked);
// The session ended: these addresses (all of the subscriber's when empty)
// are no longer the subscriber's.
Change down(Table& table, const std::string& subscriber, const std::vector<net::Prefix>& addresses);
Change down(Table& table, Holders& holders, const std::string& subscriber,
            const std::vector<net::Prefix>& addresses);

// Whether another subscriber than `subscriber` holds an address that
// overlaps one of `addresses` (a session event must then change the table).
bool held_by_another(const Table& table, const std::string& subscriber,
                     const std::vector<net::Prefix>& addresses);
bool held_by_another(const Holders& holders, const std::string& subscriber,
                     const std::vector<net::Prefix>& addresses);

// The index of subscriber exemptions (see above).
struct Index {
  std::string table;     // the policy's table
  std::string backend;   // the backend that applied it
  std::string sessions;  // the session table's path
  struct Entry {
    std::string subscriber;
    std::string exemption;             // its id
    std::optional<Instant> effective;  // as Exemption
    std::optional<Instant> until;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  std::vector<Entry> entries;  // sorted by subscriber, then id
  friend bool operator==(const Index&, const Index&) = default;

  // Whether `subscriber` has an exemption, in force or not.
  bool knows(std::string_view subscriber) const;
  // The id of an exemption of `subscriber` in force at `at`, if any.
  std::optional<std::string> exempt_at(std::string_view subscriber, Instant at) const;
};

// The index of `policy`'s subscriber exemptions.
Index index_of(const policy::Policy& policy, std::string backend, std::string sessions);
// Whether the policy has any subscriber exemption (then its ruleset has the session sets).
bool has_subscribers(const policy::Policy& policy);

std::string encode(const Index& index);
std::optional<Index> decode_index(std::string_view bytes, std::string& error);

// Where the index of the state file `state` lives: beside it.
std::string index_path(const std::string& state);
// The session table for the state file `state` when --sessions names none:
// in /run/op25bc, named after the state file.
std::string default_table_path(const std::string& state);

// The addresses the session sets hold at `at`: those of subscribers in
// `table` with an exemption of `index` in force then, merged.
net::AddressSet exempt_addresses(const Table& table, const Index& index, Instant at);

// The table without subscribers the index does not know (their exemption
// was withdrawn); true when any was dropped.
bool prune(Table& table, const Index& index);

// Reads the table at `path`: an empty table when there is none; a failure
// when it cannot be read or is not a session table.
Result<Table> read_table(const std::string& path);
// Reads the index at `path`: nullopt when there is none; a failure when it
// cannot be read or is not an index.
Result<std::optional<Index>> read_index(const std::string& path);

}  // namespace op25bc::session
