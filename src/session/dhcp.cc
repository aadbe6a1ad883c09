// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/session/dhcp.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "op25bc/text/escape.h"

namespace op25bc::session::dhcp {

namespace {

using Bytes = std::vector<std::uint8_t>;

// Leases one hook call may carry: a DHCPv6 reply holds a few IAs.
constexpr std::size_t kMaxHookLeases = 64;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename T>
std::optional<T> number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The sub-options of a TLV list with `width`-byte codes and lengths (1 for
// option 82, 2 for DHCPv6): code -> value; nullopt when one runs past the end.
std::optional<std::map<unsigned, Bytes>> tlvs(std::span<const std::uint8_t> bytes,
                                              std::size_t width) {
  std::map<unsigned, Bytes> out;
  std::size_t at = 0;
  const auto field = [&](std::size_t i) {
    return width == 1 ? unsigned{bytes[i]} : (unsigned{bytes[i]} << 8) | bytes[i + 1];
  };
  while (at < bytes.size()) {
    if (bytes.size() - at < 2 * width) return std::nullopt;
    const unsigned code = field(at);
    const std::size_t length = field(at + width);
    at += 2 * width;
    if (bytes.size() - at < length) return std::nullopt;
    out.try_emplace(code, bytes.begin() + static_cast<std::ptrdiff_t>(at),
                    bytes.begin() + static_cast<std::ptrdiff_t>(at + length));
    at += length;
  }
  return out;
}

// The first of `codes` that `options` holds with a non-empty value
// (`skip` bytes after its start: the remote id's enterprise number).
std::optional<std::string> first_id(const std::map<unsigned, Bytes>& options,
                                    std::initializer_list<std::pair<unsigned, std::size_t>> codes) {
  for (const auto& [code, skip] : codes) {
    const auto it = options.find(code);
    if (it == options.end() || it->second.size() <= skip) continue;
    return id_text(std::span{it->second}.subspan(skip));
  }
  return std::nullopt;
}

// Kea's CSV escape: a comma (or another byte the format reserves) written
// as "&#x" and two hex digits.
std::string unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field.substr(i, 3) == "&#x" && i + 5 <= field.size()) {
      const int hi = hex_digit(field[i + 3]), lo = hex_digit(field[i + 4]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 4;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

std::vector<std::string_view> split(std::string_view line, char by) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = line.find(by, start);
    out.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// The subscriber a Kea user context's relay information names. DHCPv4:
// {"ISC": {"relay-agent-info": "0x..."}} (Kea 2.2), or an object whose
// "sub-options" is that hex (later Kea). DHCPv6: {"ISC": {"relays": [...]}},
// of which the relay closest to the server (the highest hop count) is the
// one the network vouches for: a client can wrap its own message in relay
// options, but not the relay that delivered it.
std::optional<std::string> context_subscriber(std::string_view context, net::Family family) {
  if (context.empty()) return std::nullopt;
  const auto doc = nlohmann::json::parse(context, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const auto isc = doc.find("ISC");
  if (isc == doc.end() || !isc->is_object()) return std::nullopt;
  if (family == net::Family::v4) {
    const auto info = isc->find("relay-agent-info");
    if (info == isc->end()) return std::nullopt;
    const nlohmann::json* hex = &*info;
    if (info->is_object()) {
      const auto sub = info->find("sub-options");
      if (sub == info->end()) return std::nullopt;
      hex = &*sub;
    }
    if (!hex->is_string()) return std::nullopt;
    const auto bytes = unhex(hex->get_ref<const std::string&>());
    return bytes ? agent_subscriber(*bytes) : std::nullopt;
  }
  const auto relays = isc->find("relays");
  if (relays == isc->end() || !relays->is_array() || relays->empty()) return std::nullopt;
  const nlohmann::json* outer = nullptr;
  std::int64_t outer_hop = -1;
  for (const auto& relay : *relays) {
    if (!relay.is_object()) return std::nullopt;
    const auto hop = relay.find("hop");
    if (hop == relay.end() || !hop->is_number_integer()) return std::nullopt;
    if (hop->get<std::int64_t>() > outer_hop) {
      outer_hop = hop->get<std::int64_t>();
      outer = &relay;
    }
  }
  const auto options = outer->find("options");
  if (options == outer->end() || !options->is_string()) return std::nullopt;
  const auto bytes = unhex(options->get_ref<const std::string&>());
  return bytes ? relay6_subscriber(*bytes) : std::nullopt;
}

std::optional<net::Prefix> prefix_of(std::string_view address, std::string_view length_text) {
  const auto a = net::parse_address(address);
  if (!a) return std::nullopt;
  const int full = a->family == net::Family::v4 ? 32 : 128;
  int length = full;
  if (!length_text.empty()) {
    const auto given = number<int>(length_text);
    if (!given || *given < 1 || *given > full) return std::nullopt;
    length = *given;
  }
  const net::PrefixParse p = net::parse_prefix(std::string{address} + "/" + std::to_string(length));
  return p.prefix;
}

std::string shown(std::string_view text) {
  return text::printable(std::string{text});
}

}  // namespace

std::optional<Bytes> unhex(std::string_view text) {
  Bytes out;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    if (text.size() % 2 != 0) return std::nullopt;
    for (std::size_t i = 0; i < text.size(); i += 2) {
      const int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
  }
  if (text.empty()) return std::nullopt;
  for (const std::string_view pair : split(text, ':')) {
    if (pair.empty() || pair.size() > 2) return std::nullopt;
    int value = 0;
    for (const char c : pair) {
      const int d = hex_digit(c);
      if (d < 0) return std::nullopt;
      value = value * 16 + d;
    }
    out.push_back(static_cast<std::uint8_t>(value));
  }
  return out;
}

std::string id_text(std::span<const std::uint8_t> bytes) {
  const bool printable = !bytes.empty() && std::all_of(bytes.begin(), bytes.end(),
                                                       [](auto b) { return b > 0x20 && b < 0x7f; });
  if (printable) return {bytes.begin(), bytes.end()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  for (const std::uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::optional<std::string> agent_subscriber(std::span<const std::uint8_t> option82) {
  const auto sub = tlvs(option82, 1);
  if (!sub) return std::nullopt;
  return first_id(*sub, {{2, 0}, {6, 0}, {1, 0}});
}

std::optional<std::string> relay6_subscriber(std::span<const std::uint8_t> options) {
  const auto all = tlvs(options, 2);
  if (!all) return std::nullopt;
  return first_id(*all, {{37, 4}, {38, 0}, {18, 0}});
}

HookCall hook_call(std::string_view point, const Environment& env, Trust trust) {
  HookCall out;
  const bool v4 = point.find('4') != std::string_view::npos;
  const std::string family = v4 ? "4" : "6";
  // One lease of the call: PREFIX_ADDRESS and, for DHCPv6, its length.
  const auto lease_at = [&](const std::string& prefix) -> std::optional<net::Prefix> {
    const auto address = env(prefix + "ADDRESS");
    if (!address) return std::nullopt;
    const auto length = v4 ? std::optional<std::string>{""} : env(prefix + "PREFIX_LEN");
    auto p = prefix_of(*address, length.value_or(""));
    if (!p || p->family != (v4 ? net::Family::v4 : net::Family::v6)) {
      out.problems.push_back(prefix + "ADDRESS " + shown(*address) + "/" +
                             shown(length.value_or("")) + " is no IPv" + family +
                             " address or prefix");
      return std::nullopt;
    }
    return p;
  };
  // A list of leases: NAME_SIZE, then NAME_AT0_..., NAME_AT1_...
  const auto each = [&](const std::string& name, const auto& take) {
    const auto size_text = env(name + "_SIZE");
    const auto size = size_text ? number<std::size_t>(*size_text) : std::nullopt;
    if (size_text && !size)
      out.problems.push_back(name + "_SIZE " + shown(*size_text) + " is no count");
    if (size && *size > kMaxHookLeases) {
      out.problems.push_back(name + "_SIZE " + std::to_string(*size) + " is more than " +
                             std::to_string(kMaxHookLeases) + "; none of them is used");
      return;
    }
    for (std::size_t i = 0; size && i < *size; ++i) take(name + "_AT" + std::to_string(i) + "_");
  };

  if (point == "leases4_committed" || point == "leases6_committed") {
    out.known = true;
    each("DELETED_LEASES" + family, [&](const std::string& p) {
      if (auto prefix = lease_at(p)) out.gone.push_back(*prefix);
    });
    // DHCPv4: the relay agent's option 82, trusted only from a relayed
    // query (a client's own option 82 sent straight to the server is its
    // own word).
    std::optional<std::string> agent;
    if (v4) {
      const auto option = env("QUERY4_OPTION_82");
      if (option && env("QUERY4_RELAYED") == std::optional<std::string>{"true"}) {
        const auto bytes = unhex(*option);
        agent = bytes ? agent_subscriber(*bytes) : std::nullopt;
      } else if (option) {
        out.problems.push_back("option 82 in a query no relay agent forwarded is not trusted");
      }
    }
    out.relays_in_lease_file = !v4;
    each("LEASES" + family, [&](const std::string& p) {
      auto prefix = lease_at(p);
      if (!prefix) return;
      Lease lease{*prefix, agent.value_or(""), {}};
      if (v4) {
        const auto id = env(p + "CLIENT_ID");
        lease.client = id && !id->empty() ? *id : env(p + "HWADDR").value_or("");
      } else {
        lease.client = env(p + "DUID").value_or("");
      }
      out.committed.push_back(std::move(lease));
    });
    // DHCPv6's client ids are weighed once the lease file is read.
    if (trust.client_id && v4)
      for (Lease& lease : out.committed)
        if (lease.subscriber.empty()) lease.subscriber = lease.client;
    return out;
  }
  for (const char* end : {"_release", "_expire", "_decline"})
    if (point == "lease" + family + end) {
      out.known = true;
      if (auto prefix = lease_at("LEASE" + family + "_")) out.gone.push_back(*prefix);
      return out;
    }
  return out;
}

std::optional<Columns> memfile_columns(std::string_view header, std::string& error) {
  if (header.ends_with('\r')) header.remove_suffix(1);
  Columns c;
  const auto names = split(header, ',');
  c.count = names.size();
  // Each column op25bc reads, by the name Kea gives it.
  const std::pair<std::string_view, int Columns::*> wanted[] = {
      {"address", &Columns::address},      {"hwaddr", &Columns::hwaddr},
      {"client_id", &Columns::client},     {"duid", &Columns::client},
      {"valid_lifetime", &Columns::valid}, {"expire", &Columns::expire},
      {"state", &Columns::state},          {"user_context", &Columns::context},
      {"lease_type", &Columns::type},      {"prefix_len", &Columns::prefix_len}};
  for (std::size_t i = 0; i < names.size(); ++i)
    for (const auto& [name, column] : wanted)
      if (names[i] == name) c.*column = static_cast<int>(i);
  c.family = std::find(names.begin(), names.end(), "duid") != names.end() ? net::Family::v6
                                                                          : net::Family::v4;
  if (c.address != 0 || c.client < 0 || c.valid < 0 || c.expire < 0 ||
      (c.family == net::Family::v6 && (c.type < 0 || c.prefix_len < 0))) {
    error =
        "its first line is no Kea lease file header (address,hwaddr,client_id,... or "
        "address,duid,...)";
    return std::nullopt;
  }
  return c;
}

Memfile memfile_rows(const Columns& c, std::string_view body, Trust trust, std::size_t first_line) {
  Memfile out;
  out.family = c.family;
  std::size_t line_no = first_line;
  for (std::size_t start = 0; start < body.size(); ++line_no) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    const auto fields = split(line, ',');
    const auto bad = [&](const std::string& why) { out.problems.push_back({line_no, why}); };
    if (fields.size() < c.count) {
      bad("it has " + std::to_string(fields.size()) + " fields, the header " +
          std::to_string(c.count));
      continue;
    }
    const auto field = [&](int i) { return i < 0 ? std::string_view{} : fields[i]; };
    Row row;
    const auto valid = number<std::uint64_t>(field(c.valid));
    const auto expire = number<std::int64_t>(field(c.expire));
    const auto state = c.state < 0 ? std::optional<int>{0} : number<int>(field(c.state));
    if (!valid || !expire || !state) {
      bad("its lifetime, expiry or state is no number");
      continue;
    }
    row.valid = *valid;
    row.expire = *expire;
    row.state = *state;
    std::string_view length;
    if (c.family == net::Family::v6) {
      const auto type = number<int>(field(c.type));
      if (!type || *type < 0 || *type > 2) {
        bad("its lease type " + shown(field(c.type)) + " is none of 0, 1, 2 (NA, TA, PD)");
        continue;
      }
      length = *type == 2 ? field(c.prefix_len) : std::string_view{};
    }
    const auto prefix = prefix_of(field(c.address), length);
    if (!prefix || prefix->family != c.family) {
      bad(shown(field(c.address)) + " is no " + (c.family == net::Family::v4 ? "IPv4" : "IPv6") +
          " address or prefix");
      continue;
    }
    row.lease.prefix = *prefix;
    std::string client = unescape(field(c.client));
    if (client.empty() && c.hwaddr >= 0) client = unescape(field(c.hwaddr));
    if (c.family == net::Family::v6) row.duid = client;
    row.lease.subscriber = context_subscriber(unescape(field(c.context)), c.family).value_or("");
    if (row.lease.subscriber.empty() && trust.client_id) row.lease.subscriber = client;
    row.lease.client = std::move(client);
    out.rows.push_back(std::move(row));
  }
  return out;
}

Memfile parse_memfile(std::string_view bytes, Trust trust) {
  const std::size_t eol = bytes.find('\n');
  std::string error;
  const auto columns = memfile_columns(bytes.substr(0, eol), error);
  if (!columns) {
    Memfile out;
    out.problems.push_back({1, error});
    return out;
  }
  return memfile_rows(*columns, eol == std::string_view::npos ? "" : bytes.substr(eol + 1), trust);
}

std::vector<Lease> live(const std::vector<Row>& rows, std::int64_t now) {
  std::map<net::Prefix, const Row*> last;
  for (const Row& row : rows) last[row.lease.prefix] = &row;
  std::vector<Lease> out;
  for (const auto& [prefix, row] : last)
    if (row->state == 0 && row->valid > 0 && row->expire > now) out.push_back(row->lease);
  return out;
}

DnsmasqLeases parse_dnsmasq(std::string_view bytes, std::int64_t now, Trust trust) {
  DnsmasqLeases out;
  std::size_t line_no = 1;
  bool v6 = false;
  for (std::size_t start = 0; start < bytes.size(); ++line_no) {
    std::size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    const std::string_view line = bytes.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    std::vector<std::string_view> f;
    for (std::string_view part : split(line, ' '))
      if (!part.empty()) f.push_back(part);
    if (f.size() == 2 && f[0] == "duid") {
      v6 = true;  // the server's DUID: IPv6 leases follow
      continue;
    }
    if (f.size() < 4) {
      out.problems.push_back({line_no, "it is no lease (EXPIRY MAC-OR-IAID ADDRESS HOSTNAME ...)"});
      continue;
    }
    const auto expiry = number<std::int64_t>(f[0]);
    const auto address = net::parse_address(f[2]);
    if (!expiry || !address || (address->family == net::Family::v6) != v6) {
      out.problems.push_back({line_no, "its expiry or address is not one dnsmasq writes there"});
      continue;
    }
    if (*expiry != 0 && *expiry <= now) continue;
    Lease lease{*prefix_of(f[2], ""), {}, {}};
    // IPv4: the client id when there is one ("*" when none), else the MAC;
    // IPv6: the client's DUID.
    const std::string_view id = f.size() > 4 && f[4] != "*" ? f[4] : v6 ? "" : f[1];
    lease.client = std::string{id};
    if (trust.client_id) lease.subscriber = lease.client;
    out.leases.push_back(std::move(lease));
  }
  return out;
}

}  // namespace op25bc::session::dhcp
