// SPDX-License-Identifier: GPL-2.0-or-later
// RADIUS accounting as a session source: the records FreeRADIUS's detail
// module writes (hooks/freeradius/op25bc), and the follower's position in
// them. Pure: bytes in, records out; the file handling is run/follow.h's.
//
// A detail record is a header line (the time it was written), one
// "\tAttribute = value" line per attribute, and an empty line. String values
// are quoted, with \\, \", \n, \r, \t and \ooo (octal) escapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/net/prefix.h"

namespace op25bc::session::radius {

// What an Acct-Status-Type asks of the session table.
enum class Status {
  start,    // Start, Interim-Update (Alive): the subscriber holds the addresses
  stop,     // Stop: the subscriber's session ended, all of its addresses go
  nas_off,  // Accounting-On, Accounting-Off: every session of the NAS ended
  other,    // anything else (Failed, Tunnel-*): nothing to do
};

// One record, as far as sessions are concerned.
struct Record {
  Status status = Status::other;
  std::string subscriber;  // the subscriber attribute's value; "" when absent
  // The NAS that sent it: "NAS-IP-Address 192.0.2.1", else its
  // NAS-IPv6-Address, else its NAS-Identifier; "" when it names none.
  std::string nas;
  // Framed-IP-Address, Framed-IPv6-Address, Framed-IPv6-Prefix and
  // Delegated-IPv6-Prefix, in the record's order.
  std::vector<net::Prefix> addresses;
  std::optional<std::int64_t> written;  // its Timestamp: when FreeRADIUS wrote it (Unix time)
  std::size_t end = 0;                  // the offset just past the record (its empty line)
};

// What parse() found: records, and those it could not use, with why.
struct Problem {
  std::size_t at = 0;  // the record's offset
  std::string what;
};
struct Parsed {
  std::vector<Record> records;
  std::vector<Problem> problems;
  // Bytes taken: through the last whole record (or unusable one). Anything
  // after it is a record still being written.
  std::size_t consumed = 0;
};

// The whole records at the start of `bytes`, at most `max_records` of them.
// `base` is the offset of bytes[0] in the file (for Record::end and
// Problem::at). `attribute` names the subscriber (User-Name by default). A
// record that cannot be read (no status, a bad value, no subscriber on a
// Start or Stop, more addresses than a session may hold) is a problem, not a
// record: it is skipped and said, never guessed at.
Parsed parse(std::string_view bytes, std::size_t base, std::string_view attribute,
             std::size_t max_records);

// A quoted detail value ("..." with its escapes), unquoted; nullopt when it
// is not one.
std::optional<std::string> unquote(std::string_view value);

// Where a follower is: which file (device and inode), how far its records
// were applied, and the NAS each tracked subscriber's session came from (for
// Accounting-On/Off). Written atomically after each batch the kernel holds;
// it ends with an "end" line, so a cut file is never read as a shorter one.
struct Position {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;
  std::string detail;  // the path it follows, for metrics and status
  // Since the position was first written: records read, records skipped and
  // events refused; the last record's Timestamp and the last batch's time
  // (Unix seconds, 0 for none).
  std::uint64_t records = 0;
  std::uint64_t skipped = 0;
  std::uint64_t last_record = 0;
  std::uint64_t last_batch = 0;
  std::map<std::string, std::string, std::less<>> nas_of;  // subscriber -> NAS
  bool operator==(const Position&) const = default;
};
std::string encode(const Position& position);
std::optional<Position> decode_position(std::string_view bytes, std::string& error);

}  // namespace op25bc::session::radius
