// SPDX-License-Identifier: GPL-2.0-or-later
// DHCP as a session source: what Kea and dnsmasq say about leases. Pure:
// text in, leases out; the files and the kernel are the run layer's
// (run/leases.h).
//
//   - Kea's run_script hook (libdhcp_run_script.so) runs a script with the
//     hook point as its argument and the lease and query in its environment
//     (LEASES4_AT0_ADDRESS, QUERY4_OPTION_82, ...).
//   - Kea's memfile lease database is a CSV file: one line per lease change,
//     the last line of an address wins. With "store-extended-info" it keeps
//     the relay agent's options in the lease's user context.
//   - dnsmasq's lease file: "EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID" lines,
//     and after a "duid" line the IPv6 leases, "EXPIRY IAID ADDRESS
//     HOSTNAME DUID".
//
// The subscriber is what the network asserts, never what the client says:
// the relay agent's ids (DHCPv4 option 82: remote id, subscriber id, circuit
// id; DHCPv6 relay options: remote id, subscriber id, interface id). A
// client id, MAC address or DUID is chosen by the client, so another machine
// could present an exempt customer's: it names the subscriber only when the
// operator trusts client ids (Trust::client_id).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/net/prefix.h"

namespace op25bc::session::dhcp {

// Kea's hex: "0x0105637573" (run_script, user contexts) or "01:05:63"
// (client ids, DUIDs); nullopt when the text is no such thing.
std::optional<std::vector<std::uint8_t>> unhex(std::string_view text);

// An id as a subscriber: its text when every byte is printable ASCII other
// than a space (a circuit id "eth0/1/3", a remote id "cust-0042"), else "0x"
// and its bytes in lower-case hex.
std::string id_text(std::span<const std::uint8_t> bytes);

// The subscriber a DHCPv4 relay agent information option (82) names: its
// remote id (sub-option 2), else its subscriber id (6), else its circuit id
// (1); nullopt when it names none or is malformed.
std::optional<std::string> agent_subscriber(std::span<const std::uint8_t> option82);

// The subscriber a DHCPv6 relay's options name: its remote id (37, after
// the 4-byte enterprise number), else its subscriber id (38), else its
// interface id (18); nullopt when they name none or are malformed.
std::optional<std::string> relay6_subscriber(std::span<const std::uint8_t> options);

struct Trust {
  bool client_id = false;  // a client id, MAC address or DUID may name the subscriber
};

// One lease.
struct Lease {
  net::Prefix prefix;      // an address (/32, /128) or a delegated prefix
  std::string subscriber;  // "" when nothing trusted names one
  std::string client;      // the client's own id, for messages
};

// What one call of the run_script hook says.
struct HookCall {
  bool known = false;             // a hook point that concerns sessions
  std::vector<Lease> committed;   // these are now their subscriber's
  std::vector<net::Prefix> gone;  // released, expired, declined, deleted: nobody's
  // A DHCPv6 commit: Kea 2.2 passes no relay options to the script, so the
  // subscribers of `committed` are found in the lease file's user contexts.
  bool relays_in_lease_file = false;
  std::vector<std::string> problems;  // what was not used, and why
};

// The environment, by name; nullopt when unset.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// The leases one hook call commits or ends. Renewals reach op25bc through
// leases4_committed and leases6_committed, which Kea calls for every
// REQUEST, RENEW and REBIND; lease4_renew, lease6_renew and lease6_rebind
// come beside them and are not `known`.
HookCall hook_call(std::string_view point, const Environment& env, Trust trust);

// Kea's memfile: a row per line.
struct Row {
  Lease lease;
  std::int64_t expire = 0;  // Unix time
  std::uint64_t valid = 0;  // valid lifetime: 0 for a lease deleted (released)
  int state = 0;            // 0 default, 1 declined, 2 expired-reclaimed
  std::string duid;         // DHCPv6: the client's DUID, as Kea writes it
};
struct Problem {
  std::size_t line = 0;  // 1-based
  std::string what;
};
struct Memfile {
  net::Family family = net::Family::v4;
  std::vector<Row> rows;  // in file order
  std::vector<Problem> problems;
};

// The columns a memfile's header line names; nullopt, with why, when it is
// no Kea lease file header (address,hwaddr,client_id,... or
// address,duid,...).
struct Columns {
  net::Family family = net::Family::v4;
  int address = -1, client = -1, hwaddr = -1, valid = -1, expire = -1, state = -1, context = -1,
      type = -1, prefix_len = -1;
  std::size_t count = 0;
};
std::optional<Columns> memfile_columns(std::string_view header, std::string& error);

// The rows of `body` (lines after the header; `first_line` is the line
// number of its first). A line that is not a lease is a problem, not a row.
Memfile memfile_rows(const Columns& columns, std::string_view body, Trust trust,
                     std::size_t first_line = 2);

// A whole memfile: the header, then the rows.
Memfile parse_memfile(std::string_view bytes, Trust trust);

// The leases live at `now` (Unix time): for each address or prefix its last
// row, when that is in the default state, not deleted and not expired.
std::vector<Lease> live(const std::vector<Row>& rows, std::int64_t now);

// dnsmasq's lease file: the leases not expired at `now` (an expiry of 0 is
// an infinite lease). The subscriber is the client id (else the MAC
// address) for IPv4 and the DUID for IPv6, only when `trust` allows.
struct DnsmasqLeases {
  std::vector<Lease> leases;
  std::vector<Problem> problems;
};
DnsmasqLeases parse_dnsmasq(std::string_view bytes, std::int64_t now, Trust trust);

}  // namespace op25bc::session::dhcp
