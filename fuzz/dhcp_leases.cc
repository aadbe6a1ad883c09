// SPDX-License-Identifier: GPL-2.0-or-later
// What DHCP servers write (session/dhcp.h): Kea's memfile lease files,
// dnsmasq's lease file, and Kea's run_script environment (as NAME=VALUE
// lines). Never a crash or undefined behaviour; a subscriber is never a
// client's own word unless client ids are trusted; a memfile read in two
// pieces cut at a line gives the same rows.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz.h"
#include "op25bc/session/dhcp.h"

using namespace op25bc;
namespace dhcp = session::dhcp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  const dhcp::Memfile whole = dhcp::parse_memfile(bytes, {});
  const dhcp::Memfile trusted = dhcp::parse_memfile(bytes, {true});
  FUZZ_REQUIRE(whole.rows.size() == trusted.rows.size());
  for (std::size_t i = 0; i < whole.rows.size(); ++i) {
    FUZZ_REQUIRE(whole.rows[i].lease.prefix.family == whole.family);
    FUZZ_REQUIRE(whole.rows[i].lease.prefix == trusted.rows[i].lease.prefix);
    // Trust only fills in what no relay named.
    if (!whole.rows[i].lease.subscriber.empty())
      FUZZ_REQUIRE(trusted.rows[i].lease.subscriber == whole.rows[i].lease.subscriber);
  }
  FUZZ_REQUIRE(dhcp::live(whole.rows, 0).size() <= whole.rows.size());
  // The rows of the body cut at its middle line: the same, in order.
  const std::size_t eol = bytes.find('\n');
  std::string error;
  if (const auto columns = dhcp::memfile_columns(bytes.substr(0, eol), error);
      columns && eol != std::string_view::npos) {
    const std::string_view body = bytes.substr(eol + 1);
    const std::size_t cut = body.find('\n', body.size() / 2);
    if (cut != std::string_view::npos) {
      const auto a = dhcp::memfile_rows(*columns, body.substr(0, cut + 1), {});
      const auto b = dhcp::memfile_rows(*columns, body.substr(cut + 1), {});
      FUZZ_REQUIRE(a.rows.size() + b.rows.size() == whole.rows.size());
      for (std::size_t i = 0; i < whole.rows.size(); ++i) {
        const auto& row = i < a.rows.size() ? a.rows[i] : b.rows[i - a.rows.size()];
        FUZZ_REQUIRE(row.lease.prefix == whole.rows[i].lease.prefix);
        FUZZ_REQUIRE(row.lease.subscriber == whole.rows[i].lease.subscriber);
      }
    }
  }

  for (const auto& lease : dhcp::parse_dnsmasq(bytes, 1000, {}).leases)
    FUZZ_REQUIRE(lease.subscriber.empty());

  // The environment: NAME=VALUE lines; the first line names the point.
  std::map<std::string, std::string> vars;
  std::string point;
  std::size_t start = 0;
  while (start <= bytes.size()) {
    std::size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    const std::string_view line = bytes.substr(start, end - start);
    if (start == 0)
      point = line;
    else if (const std::size_t eq = line.find('='); eq != std::string_view::npos)
      vars.insert_or_assign(std::string{line.substr(0, eq)}, std::string{line.substr(eq + 1)});
    start = end + 1;
  }
  const dhcp::Environment env = [&](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>{it->second};
  };
  const dhcp::HookCall call = dhcp::hook_call(point, env, {});
  FUZZ_REQUIRE(call.committed.size() <= 64 && call.gone.size() <= 64 + 1);
  const bool relayed = vars.contains("QUERY4_RELAYED") && vars["QUERY4_RELAYED"] == "true";
  for (const auto& lease : call.committed) {
    // Untrusted, a subscriber is a relay agent's: DHCPv4 only (DHCPv6's
    // come from the lease file), and only from a relayed query.
    if (!lease.subscriber.empty()) FUZZ_REQUIRE(relayed && !call.relays_in_lease_file);
  }
  if (!call.known) FUZZ_REQUIRE(call.committed.empty() && call.gone.empty());
  return 0;
}
