// SPDX-License-Identifier: GPL-2.0-or-later
// RADIUS accounting records as FreeRADIUS's detail module writes them
// (session/radius.h): the record FreeRADIUS 3.2 really wrote, the records
// that must never exempt anyone, and as properties over generated streams:
// read in whatever pieces a writer leaves them, every record is read once, in
// order, none lost; the follower's position reads back exactly as written.
#include "op25bc/session/radius.h"

#include <doctest/doctest.h>

#include <random>

#include "op25bc/session/table.h"
#include "support/policies.h"

using namespace op25bc;
namespace radius = session::radius;

namespace {

// Written by FreeRADIUS 3.2.1 (Debian 12) for radclient's Start and
// Accounting-On, with hooks/freeradius/op25bc.
constexpr std::string_view kWritten =
    "Mon Dec  7 21:51:31 2026\n"
    "\tUser-Name = \"a b\\\"c\\\\d\\001\xc3\xa9\\n\"\n"
    "\tAcct-Status-Type = Start\n"
    "\tAcct-Session-Id = \"s1\"\n"
    "\tFramed-IP-Address = 198.18.1.100\n"
    "\tDelegated-IPv6-Prefix = 2001:db8:1:100::/56\n"
    "\tFramed-IPv6-Prefix = 2001:db8:2::/64\n"
    "\tNAS-IP-Address = 192.0.2.1\n"
    "\tNAS-Identifier = \"bng-1\"\n"
    "\tEvent-Timestamp = \"Nov 14 2023 22:13:20 UTC\"\n"
    "\tTimestamp = 1796680291\n"
    "\n"
    "Mon Dec  7 21:51:31 2026\n"
    "\tAcct-Status-Type = Accounting-On\n"
    "\tNAS-IP-Address = 192.0.2.1\n"
    "\tTimestamp = 1796680291\n"
    "\n";

std::string record(std::initializer_list<std::string_view> attributes) {
  std::string out = "Mon Dec  7 21:51:31 2026\n";
  for (const auto a : attributes) out += "\t" + std::string{a} + "\n";
  return out + "\n";
}

// A value as FreeRADIUS prints a string: quoted, \\ \" \n \r \t, other
// controls as octal.
std::string as_freeradius_prints(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (b < 0x20 || b == 0x7f) {
      const char octal[] = {'\\', static_cast<char>('0' + (b >> 6)),
                            static_cast<char>('0' + ((b >> 3) & 7)),
                            static_cast<char>('0' + (b & 7)), 0};
      out += octal;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string hex_byte(unsigned value) {
  static constexpr char kHex[] = "0123456789abcdef";
  return {kHex[(value >> 4) & 15], kHex[value & 15]};
}

}  // namespace

TEST_CASE("the records FreeRADIUS 3.2 wrote are read as it meant them") {
  const radius::Parsed p = radius::parse(kWritten, 1000, "User-Name", 100);
  REQUIRE(p.problems.empty());
  REQUIRE(p.records.size() == 2);
  CHECK(p.consumed == kWritten.size());
  const radius::Record& start = p.records[0];
  CHECK(start.status == radius::Status::start);
  CHECK(start.subscriber == "a b\"c\\d\001\xc3\xa9\n");
  CHECK(start.nas == "NAS-IP-Address 192.0.2.1");  // before NAS-Identifier
  CHECK(start.addresses == std::vector<net::Prefix>{test::prefix("198.18.1.100"),
                                                    test::prefix("2001:db8:1:100::/56"),
                                                    test::prefix("2001:db8:2::/64")});
  CHECK(start.written == 1796680291);
  CHECK(start.end == 1000 + kWritten.find("\n\nMon") + 2);
  CHECK(p.records[1].status == radius::Status::nas_off);
  CHECK(p.records[1].nas == "NAS-IP-Address 192.0.2.1");
  CHECK(p.records[1].end == 1000 + kWritten.size());
  // Another attribute names the subscriber when the operator says so.
  CHECK(radius::parse(kWritten, 0, "Acct-Session-Id", 1).records.front().subscriber == "s1");
}

TEST_CASE("statuses: Start and Interim-Update hold, Stop ends, Accounting-On/Off end a NAS") {
  const std::vector<std::pair<std::string, radius::Status>> table = {
      {"Start", radius::Status::start},
      {"1", radius::Status::start},
      {"Interim-Update", radius::Status::start},
      {"Alive", radius::Status::start},
      {"3", radius::Status::start},
      {"Stop", radius::Status::stop},
      {"2", radius::Status::stop},
      {"Accounting-On", radius::Status::nas_off},
      {"Accounting-Off", radius::Status::nas_off},
      {"7", radius::Status::nas_off},
      {"8", radius::Status::nas_off},
      {"Failed", radius::Status::other},
      {"Tunnel-Start", radius::Status::other},
  };
  for (const auto& [status, want] : table) {
    const std::string bytes =
        record({"User-Name = \"ann\"", "Acct-Status-Type = " + status, "NAS-Identifier = \"bng-1\"",
                "Framed-IP-Address = 198.18.1.7"});
    const auto p = radius::parse(bytes, 0, "User-Name", 10);
    REQUIRE_MESSAGE(p.records.size() == 1, status);
    CHECK_MESSAGE(p.records[0].status == want, status);
    CHECK(p.records[0].nas == "NAS-Identifier bng-1");
  }
}

TEST_CASE("a record that cannot be read whole is skipped and said, never guessed at") {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {record({"User-Name = \"ann\"", "Framed-IP-Address = 198.18.1.7"}),
       "it has no Acct-Status-Type"},
      {record({"Acct-Status-Type = Start", "Framed-IP-Address = 198.18.1.7"}),
       "it has no User-Name"},
      {record({"Acct-Status-Type = Stop"}), "it has no User-Name"},
      {record({"User-Name = \"ann\"", "User-Name = \"bob\"", "Acct-Status-Type = Start"}),
       "it has two User-Name"},
      {record({"User-Name = \"ann\"", "Acct-Status-Type = Start", "Acct-Status-Type = Stop"}),
       "it has two Acct-Status-Type"},
      {record({"User-Name = \"ann", "Acct-Status-Type = Start"}),
       "User-Name is not a well-quoted value"},
      {record({"User-Name = \"a\"b\"", "Acct-Status-Type = Start"}),
       "User-Name is not a well-quoted value"},
      {record({"User-Name = \"a\\9\"", "Acct-Status-Type = Start"}),
       "User-Name is not a well-quoted value"},
      {record(
           {"User-Name = \"ann\"", "Acct-Status-Type = Start", "Framed-IP-Address = 198.18.1.300"}),
       "Framed-IP-Address 198.18.1.300: "},
      {record({"User-Name = \"ann\"", "Acct-Status-Type = Start",
               "Delegated-IPv6-Prefix = 2001:db8:1:101::/56"}),
       "Delegated-IPv6-Prefix 2001:db8:1:101::/56: "},
      {record({"Acct-Status-Type = Accounting-On"}), "it names no NAS"},
      {"\tUser-Name = \"ann\"\n\tAcct-Status-Type = Start\n\n", "it has no header line"},
      {record({"User-Name: ann", "Acct-Status-Type = Start"}), "line 2 is not"},
  };
  for (const auto& [bytes, why] : refused) {
    const auto p = radius::parse(bytes, 7, "User-Name", 10);
    CHECK_MESSAGE(p.records.empty(), bytes);
    REQUIRE_MESSAGE(p.problems.size() == 1, bytes);
    CHECK_MESSAGE(p.problems[0].what.find(why) != std::string::npos, p.problems[0].what);
    CHECK(p.problems[0].at == 7);
    CHECK(p.consumed == bytes.size());
  }
  // More addresses than a session may hold.
  std::vector<std::string> many = {"User-Name = \"ann\"", "Acct-Status-Type = Start"};
  for (std::size_t i = 0; i <= session::kMaxAddresses; ++i)
    many.push_back("Framed-IPv6-Address = 2001:db8::" + std::to_string(i + 1));
  std::string bytes = "h\n";
  for (const auto& a : many) bytes += "\t" + a + "\n";
  bytes += "\n";
  const auto p = radius::parse(bytes, 0, "User-Name", 10);
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].what.find("a session holds at most 16") != std::string::npos);
  // A Stop ends the session whatever its addresses say.
  const auto stop = radius::parse(
      record({"User-Name = \"ann\"", "Acct-Status-Type = Stop", "Framed-IP-Address = nonsense"}), 0,
      "User-Name", 10);
  REQUIRE(stop.records.size() == 1);
  CHECK(stop.records[0].status == radius::Status::stop);
}

TEST_CASE("a record still being written is left for later; an overlong one is skipped") {
  const std::string whole = record({"User-Name = \"ann\"", "Acct-Status-Type = Start"});
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    const auto p = radius::parse(std::string_view{whole}.substr(0, cut), 0, "User-Name", 10);
    CHECK(p.records.empty());
    CHECK(p.problems.empty());
    CHECK(p.consumed == 0);
  }
  const std::string overlong = "h\n\tReply-Message = \"" + std::string(70000, 'x') + "\"\n\n";
  const auto p = radius::parse(overlong + whole, 0, "User-Name", 10);
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].what == "a record longer than 64 KiB");
  REQUIRE(p.records.size() == 1);
  CHECK(p.records[0].subscriber == "ann");
}

TEST_CASE("property: read in any pieces, every record is read once, in order, none lost") {
  std::mt19937 rng(36);
  const std::vector<std::string> statuses = {"Start", "Interim-Update", "Stop", "Accounting-On",
                                             "Failed"};
  for (int round = 0; round < 200; ++round) {
    // A stream of 1 to 40 records with odd subscribers and addresses.
    std::string bytes;
    std::vector<std::string> subscribers;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      std::string who;
      for (std::size_t k = 1 + rng() % 12; k > 0; --k) who += static_cast<char>(1 + rng() % 255);
      subscribers.push_back(who);
      const std::string status = statuses[rng() % statuses.size()];
      bytes += record({"User-Name = " + as_freeradius_prints(who), "Acct-Status-Type = " + status,
                       "NAS-IP-Address = 192.0.2." + std::to_string(rng() % 4),
                       "Framed-IP-Address = 198.18.1." + std::to_string(rng() % 256),
                       "Delegated-IPv6-Prefix = 2001:db8:1:" + hex_byte(rng()) + "00::/56"});
    }
    const radius::Parsed all = radius::parse(bytes, 0, "User-Name", 1000);
    REQUIRE(all.problems.empty());
    REQUIRE(all.records.size() == subscribers.size());
    for (std::size_t i = 0; i < subscribers.size(); ++i)
      CHECK(all.records[i].subscriber == subscribers[i]);
    // The follower's loop: the file grows by random pieces; each time the
    // whole records after the position are read, at most `batch` of them.
    std::vector<radius::Record> seen;
    std::size_t position = 0, written = 0;
    const std::size_t batch = 1 + rng() % 5;
    while (position < bytes.size()) {
      written = std::min(bytes.size(), written + rng() % 300);
      const auto p = radius::parse(std::string_view{bytes}.substr(position, written - position),
                                   position, "User-Name", batch);
      CHECK(p.problems.empty());
      CHECK(p.records.size() <= batch);
      for (const auto& r : p.records) seen.push_back(r);
      position += p.consumed;
      if (!p.records.empty()) CHECK(p.records.back().end == position);
    }
    REQUIRE(seen.size() == all.records.size());
    for (std::size_t i = 0; i < seen.size(); ++i) {
      CHECK(seen[i].subscriber == all.records[i].subscriber);
      CHECK(seen[i].end == all.records[i].end);
      CHECK(seen[i].addresses == all.records[i].addresses);
    }
  }
}

TEST_CASE("property: the follower's position reads back exactly as written, nothing else") {
  std::mt19937 rng(25);
  for (int round = 0; round < 300; ++round) {
    radius::Position p;
    p.device = rng();
    p.inode = rng();
    p.offset = rng() % 100000;
    p.detail = "/var/log/freeradius/radacct/op25bc/detail";
    for (std::size_t c = rng() % 4; c > 0; --c) p.detail += static_cast<char>(1 + rng() % 255);
    p.records = rng();
    p.skipped = rng() % 100;
    p.last_record = rng();
    p.last_batch = rng();
    for (std::size_t k = rng() % 6; k > 0; --k) {
      std::string who, nas = "NAS-Identifier ";
      for (std::size_t c = 1 + rng() % 10; c > 0; --c) who += static_cast<char>(1 + rng() % 255);
      for (std::size_t c = 1 + rng() % 10; c > 0; --c) nas += static_cast<char>(rng() % 256);
      p.nas_of[who] = nas;
    }
    const std::string bytes = radius::encode(p);
    std::string error;
    const auto back = radius::decode_position(bytes, error);
    INFO(bytes);
    REQUIRE_MESSAGE(back, error);
    CHECK(*back == p);
    // Cut anywhere, or one byte changed to a space or a newline: refused or
    // another valid position, never a crash; a cut one is always refused.
    const std::size_t at = rng() % bytes.size();
    CHECK_FALSE(radius::decode_position(std::string_view{bytes}.substr(0, at), error));
    std::string changed = bytes;
    changed[at] = rng() % 2 ? ' ' : '\n';
    if (const auto other = radius::decode_position(changed, error))
      CHECK(radius::encode(*other) == changed);
  }
  std::string error;
  const std::string head = "op25bc-radius-position 1\nfile 1 2 3\ndetail /d\nstats 4 5 6 7\n";
  const auto read = radius::decode_position(head + "ann bng\nend\n", error);
  REQUIRE_MESSAGE(read, error);
  CHECK(read->detail == "/d");
  CHECK(read->records == 4);
  CHECK(read->skipped == 5);
  CHECK(read->last_record == 6);
  CHECK(read->last_batch == 7);
  CHECK(read->nas_of.at("ann") == "bng");
  for (const std::string bad : {
           "op25bc-radius-position 1\nfile 1 2\ndetail /d\nstats 4 5 6 7\nend\n",
           "op25bc-radius-position 1\nfile 1 2 03\ndetail /d\nstats 4 5 6 7\nend\n",
           "op25bc-radius-position 1\nfile 1 2 3\ndetail /d\nstats 4 5 -6 7\nend\n",
           "op25bc-radius-position 1\nfile 1 2 3\ndetail \nstats 4 5 6 7\nend\n",
           "op25bc-radius-position 1\nfile 1 2 3\nstats 4 5 6 7\nend\n",
           "op25bc-radius-position 1\nfile 1 2 3\ndetail /d\nend\n",
       })
    CHECK_FALSE_MESSAGE(radius::decode_position(bad, error), bad);
  CHECK_FALSE(radius::decode_position(head + "ann\nend\n", error));
  CHECK_FALSE(radius::decode_position(head + "ann bng\n", error));
  CHECK_FALSE(radius::decode_position("op25bc-radius-position 1\nend\n", error));
}
