// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/session/table.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <tuple>

#include "op25bc/io/file_bytes.h"
#include "op25bc/policy/load.h"

namespace op25bc::session {

namespace {

constexpr std::string_view kTableHeader = "op25bc-sessions 1\n";
constexpr std::string_view kIndexHeader = "op25bc-subscribers 1\n";

// The largest table the bounds allow: every subscriber's id at its longest
// with every byte escaped (%XX), and every address the longest IPv6 prefix
// text; about 140 MiB. The index, one line per subscriber exemption of the
// policy, is read up to io's default cap.
constexpr std::size_t kLongestPrefixText = 43;  // "ffff:...:ffff/128"
constexpr std::size_t kMaxLineBytes =
    3 * policy::kMaxSubscriberBytes + kMaxAddresses * (1 + kLongestPrefixText) + 1;
constexpr std::size_t kMaxTableBytes = kTableHeader.size() + kMaxSubscribers * kMaxLineBytes;

bool overlaps(const net::Prefix& a, const net::Prefix& b) {
  if (a.family != b.family) return false;
  const net::Interval x = a.interval(), y = b.interval();
  return x.first <= y.last && y.first <= x.last;
}

bool overlaps_any(const net::Prefix& p, const std::vector<net::Prefix>& list) {
  return std::any_of(list.begin(), list.end(),
                     [&](const net::Prefix& q) { return overlaps(p, q); });
}

}  // namespace

void append_field(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == '%' || b == 0x7f) {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    } else {
      out += c;
    }
  }
}

std::optional<std::string> field_text(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '%') {
      out += field[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= field.size()) return std::nullopt;
    const auto [end, ec] = std::from_chars(field.data() + i + 1, field.data() + i + 3, value, 16);
    if (ec != std::errc{} || end != field.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at <= line.size()) {
    const std::size_t space = line.find(' ', at);
    const std::size_t end = space == std::string_view::npos ? line.size() : space;
    out.push_back(line.substr(at, end - at));
    if (space == std::string_view::npos) break;
    at = space + 1;
  }
  return out;
}

// The lines after `header`; nullopt when the bytes do not start with it or
// the last line is not ended.
std::optional<std::vector<std::string_view>> body_lines(std::string_view bytes,
                                                        std::string_view header,
                                                        std::string& error) {
  if (!bytes.starts_with(header)) {
    error = "it does not start with \"" + std::string{header.substr(0, header.size() - 1)} + "\"";
    return std::nullopt;
  }
  bytes.remove_prefix(header.size());
  if (!bytes.empty() && bytes.back() != '\n') {
    error = "its last line is cut off";
    return std::nullopt;
  }
  std::vector<std::string_view> lines;
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    lines.push_back(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
  }
  return lines;
}

std::string instant_field(const std::optional<Instant>& t) {
  return t ? std::to_string(t->time_since_epoch().count()) : std::string{"-"};
}

bool read_instant(std::string_view field, std::optional<Instant>& t) {
  if (field == "-") return t.reset(), true;
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), seconds);
  if (ec != std::errc{} || end != field.data() + field.size()) return false;
  t = Instant{std::chrono::seconds{seconds}};
  return true;
}

std::optional<io::FileBytes> read_optional(const std::string& path, std::size_t max_bytes,
                                           bool& missing, std::string& error) {
  int e = 0;
  auto bytes = io::read_regular(path, e, max_bytes);
  missing = !bytes && e == ENOENT;
  if (!bytes && !missing) error = path + ": " + io::error_text(e);
  return bytes;
}

}  // namespace

std::string encode(const Table& table) {
  std::string out{kTableHeader};
  for (const auto& [subscriber, addresses] : table) {
    append_field(out, subscriber);
    for (const auto& a : addresses) {
      out += ' ';
      out += net::to_string(a);
    }
    out += '\n';
  }
  return out;
}

std::optional<Table> decode(std::string_view bytes, std::string& error) {
  const auto lines = body_lines(bytes, kTableHeader, error);
  if (!lines) return std::nullopt;
  Table table;
  std::size_t number = 1;
  for (const std::string_view line : *lines) {
    ++number;
    const auto fields = split_fields(line);
    const auto subscriber = field_text(fields[0]);
    const auto fail = [&](const std::string& why) {
      error = "line " + std::to_string(number) + ": " + why;
      return std::nullopt;
    };
    if (!subscriber || !policy::subscriber_problem(*subscriber).empty())
      return fail("not a subscriber");
    if (fields.size() < 2 || fields.size() > kMaxAddresses + 1)
      return fail("not 1 to " + std::to_string(kMaxAddresses) + " addresses");
    std::vector<net::Prefix> addresses;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      const net::PrefixParse parsed = net::parse_prefix(fields[i]);
      if (!parsed.prefix) return fail("not an address: " + parsed.error);
      addresses.push_back(*parsed.prefix);
    }
    if (!std::is_sorted(addresses.begin(), addresses.end()) ||
        std::adjacent_find(addresses.begin(), addresses.end()) != addresses.end())
      return fail("addresses out of order");
    if (!table.empty() && !(table.rbegin()->first < *subscriber))
      return fail("subscribers out of order");
    table.emplace_hint(table.end(), *subscriber, std::move(addresses));
  }
  if (table.size() > kMaxSubscribers) {
    error = "more than " + std::to_string(kMaxSubscribers) + " subscribers";
    return std::nullopt;
  }
  if (encode(table) != bytes) {  // only what encode() makes: one spelling of each table
    error = "it is not written as op25bc writes it";
    return std::nullopt;
  }
  return table;
}

bool held_by_another(const Table& table, const std::string& subscriber,
                     const std::vector<net::Prefix>& addresses) {
  for (const auto& [who, held] : table)
    if (who != subscriber)
      for (const auto& a : held)
        if (overlaps_any(a, addresses)) return true;
  return false;
}

bool held_by_another(const Holders& holders, const std::string& subscriber,
                     const std::vector<net::Prefix>& addresses) {
  for (const auto& a : addresses)
    for (const auto& [prefix, who] : holders.overlapping(a))
      if (who != subscriber) return true;
  return false;
}

Holders::Holders(const Table& table) {
  for (const auto& [who, held] : table)
    for (const auto& p : held) by_prefix_.emplace(p, who);
}

std::vector<std::pair<net::Prefix, std::string>> Holders::overlapping(const net::Prefix& q) const {
  std::vector<std::pair<net::Prefix, std::string>> out;
  // Held prefixes that hold q (q itself among them): its supernets.
  for (int length = 0; length <= q.length; ++length) {
    const net::Prefix super{q.base & ~net::host_mask(q.family, length), q.family,
                            static_cast<std::uint8_t>(length)};
    const auto [first, last] = by_prefix_.equal_range(super);
    out.insert(out.end(), first, last);
  }
  // Held prefixes inside q, narrower than it.
  const net::Word end = q.interval().last;
  for (auto it = by_prefix_.lower_bound(net::Prefix{q.base, q.family, 0});
       it != by_prefix_.end() && it->first.family == q.family && it->first.base <= end; ++it)
    if (it->first.length > q.length) out.emplace_back(*it);
  std::sort(out.begin(), out.end());
  return out;
}

void Holders::add(const net::Prefix& p, const std::string& subscriber) {
  by_prefix_.emplace(p, subscriber);
}

void Holders::remove(const net::Prefix& p, const std::string& subscriber) {
  const auto [first, last] = by_prefix_.equal_range(p);
  for (auto it = first; it != last; ++it)
    if (it->second == subscriber) {
      by_prefix_.erase(it);
      return;
    }
}

namespace {

// up() and down(), with or without the index of holders: written once.
Change up_in(Table& table, Holders* holders, const std::string& subscriber,
             const std::vector<net::Prefix>& addresses, bool tracked) {
  Change change;
  // The table holds only what decode() reads back: a subscriber the file
  // could not name is refused here, not written and then unreadable.
  if (const std::string why = policy::subscriber_problem(subscriber); !why.empty()) {
    change.error = "subscriber: " + why;
    return change;
  }
  std::vector<net::Prefix> mine;
  if (tracked) {
    if (const auto it = table.find(subscriber); it != table.end()) mine = it->second;
    for (const auto& a : addresses)
      if (std::find(mine.begin(), mine.end(), a) == mine.end()) mine.push_back(a);
    std::sort(mine.begin(), mine.end());
    if (mine.size() > kMaxAddresses) {
      change.error = "subscriber would hold " + std::to_string(mine.size()) +
                     " addresses, more than " + std::to_string(kMaxAddresses);
      return change;
    }
    if (!table.contains(subscriber) && table.size() >= kMaxSubscribers) {
      change.error = "the session table holds " + std::to_string(table.size()) +
                     " subscribers already, its bound";
      return change;
    }
  }
  // What others hold of the addresses, in the table's order: taken from them.
  std::vector<std::pair<std::string, net::Prefix>> taken;
  if (holders != nullptr) {
    for (const auto& a : addresses)
      for (const auto& [prefix, who] : holders->overlapping(a))
        if (who != subscriber) taken.emplace_back(who, prefix);
    std::sort(taken.begin(), taken.end());
    taken.erase(std::unique(taken.begin(), taken.end()), taken.end());
  } else {
    for (const auto& [who, held] : table)
      if (who != subscriber)
        for (const auto& a : held)
          if (overlaps_any(a, addresses)) taken.emplace_back(who, a);
  }
  for (const auto& [who, prefix] : taken) {
    change.handed_over.push_back(who + " " + net::to_string(prefix));
    const auto it = table.find(who);
    std::erase(it->second, prefix);
    if (it->second.empty()) table.erase(it);
    if (holders != nullptr) holders->remove(prefix, who);
    change.changed = true;
  }
  if (tracked && !mine.empty()) {
    auto& entry = table[subscriber];
    change.changed = change.changed || entry != mine;
    if (holders != nullptr)
      for (const auto& p : mine)  // mine holds all of entry: only new ones are added
        if (!std::binary_search(entry.begin(), entry.end(), p)) holders->add(p, subscriber);
    entry = std::move(mine);
  }
  return change;
}

Change down_in(Table& table, Holders* holders, const std::string& subscriber,
               const std::vector<net::Prefix>& addresses) {
  Change change;
  const auto it = table.find(subscriber);
  if (it == table.end()) return change;
  auto& held = it->second;
  const std::size_t before = held.size();
  const auto goes = [&](const net::Prefix& a) {
    return addresses.empty() || std::find(addresses.begin(), addresses.end(), a) != addresses.end();
  };
  if (holders != nullptr)
    for (const auto& a : held)
      if (goes(a)) holders->remove(a, subscriber);
  std::erase_if(held, goes);
  change.changed = held.size() != before;
  if (held.empty()) table.erase(it);
  return change;
}

}  // namespace

Change up(Table& table, const std::string& subscriber, const std::vector<net::Prefix>& addresses,
          bool tracked) {
  return up_in(table, nullptr, subscriber, addresses, tracked);
}

Change up(Table& table, Holders& holders, const std::string& subscriber,
          const std::vector<net::Prefix>& addresses, bool tracked) {
  return up_in(table, &holders, subscriber, addresses, tracked);
}

Change down(Table& table, const std::string& subscriber,
            const std::vector<net::Prefix>& addresses) {
  return down_in(table, nullptr, subscriber, addresses);
}

Change down(Table& table, Holders& holders, const std::string& subscriber,
            const std::vector<net::Prefix>& addresses) {
  return down_in(table, &holders, subscriber, addresses);
}

bool Index::knows(std::string_view subscriber) const {
  const auto it = std::lower_bound(
      entries.begin(), entries.end(), subscriber,
      [](const Entry& e, std::string_view s) { return std::string_view{e.subscriber} < s; });
  return it != entries.end() && it->subscriber == subscriber;
}

std::optional<std::string> Index::exempt_at(std::string_view subscriber, Instant at) const {
  auto it = std::lower_bound(
      entries.begin(), entries.end(), subscriber,
      [](const Entry& e, std::string_view s) { return std::string_view{e.subscriber} < s; });
  for (; it != entries.end() && it->subscriber == subscriber; ++it)
    if (policy::is_active(it->effective, it->until, at)) return it->exemption;
  return std::nullopt;
}

bool has_subscribers(const policy::Policy& policy) {
  return std::any_of(policy.exemptions.begin(), policy.exemptions.end(),
                     [](const policy::Exemption& x) { return !x.subscriber.empty(); });
}

Index index_of(const policy::Policy& policy, std::string backend, std::string sessions) {
  Index index{policy.table, std::move(backend), std::move(sessions), {}};
  for (const auto& x : policy.exemptions)
    if (!x.subscriber.empty()) index.entries.push_back({x.subscriber, x.id, x.effective, x.until});
  std::sort(index.entries.begin(), index.entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.subscriber, a.exemption) < std::tie(b.subscriber, b.exemption);
  });
  return index;
}

std::string encode(const Index& index) {
  std::string out{kIndexHeader};
  const auto line = [&out](std::string_view key, std::string_view value) {
    out += key;
    out += ' ';
    append_field(out, value);
    out += '\n';
  };
  line("table", index.table);
  line("backend", index.backend);
  line("sessions", index.sessions);
  for (const auto& e : index.entries) {
    out += "exemption ";
    append_field(out, e.subscriber);
    out += ' ';
    append_field(out, e.exemption);
    out += ' ' + instant_field(e.effective) + ' ' + instant_field(e.until) + '\n';
  }
  return out;
}

std::optional<Index> decode_index(std::string_view bytes, std::string& error) {
  const auto lines = body_lines(bytes, kIndexHeader, error);
  if (!lines) return std::nullopt;
  Index index;
  index.entries.reserve(lines->size());
  std::size_t number = 1;
  for (const std::string_view line : *lines) {
    ++number;
    const auto fields = split_fields(line);
    const auto fail = [&]() {
      error = "line " + std::to_string(number) + " is not part of an index";
      return std::nullopt;
    };
    if (fields.size() == 2 && number <= 4) {
      const auto value = field_text(fields[1]);
      const std::string_view key = number == 2 ? "table" : number == 3 ? "backend" : "sessions";
      if (!value || fields[0] != key) return fail();
      (number == 2 ? index.table : number == 3 ? index.backend : index.sessions) = *value;
      continue;
    }
    Index::Entry e;
    const auto subscriber = fields.size() == 5 ? field_text(fields[1]) : std::nullopt;
    const auto id = fields.size() == 5 ? field_text(fields[2]) : std::nullopt;
    if (number <= 4 || fields[0] != "exemption" || !subscriber || !id ||
        !read_instant(fields[3], e.effective) || !read_instant(fields[4], e.until))
      return fail();
    e.subscriber = *subscriber;
    e.exemption = *id;
    if (!index.entries.empty() &&
        std::tie(e.subscriber, e.exemption) <=
            std::tie(index.entries.back().subscriber, index.entries.back().exemption))
      return fail();
    index.entries.push_back(std::move(e));
  }
  if (lines->size() < 3) {
    error = "it is cut off";
    return std::nullopt;
  }
  if (encode(index) != bytes) {
    error = "it is not written as op25bc writes it";
    return std::nullopt;
  }
  return index;
}

std::string index_path(const std::string& state) {
  return state + ".subscribers";
}

std::string default_table_path(const std::string& state) {
  const std::size_t slash = state.rfind('/');
  return "/run/op25bc/" + (slash == std::string::npos ? state : state.substr(slash + 1)) +
         ".sessions";
}

net::AddressSet exempt_addresses(const Table& table, const Index& index, Instant at) {
  net::AddressSet out;
  for (const auto& [subscriber, addresses] : table)
    if (index.exempt_at(subscriber, at))
      for (const auto& a : addresses) out.add(a);
  out.merge();
  return out;
}

bool prune(Table& table, const Index& index) {
  return std::erase_if(table, [&](const auto& entry) { return !index.knows(entry.first); }) > 0;
}

Result<Table> read_table(const std::string& path) {
  bool missing = false;
  std::string error;
  const auto bytes = read_optional(path, kMaxTableBytes, missing, error);
  if (missing) return Table{};
  if (!bytes) return Failure{error};
  std::string why;
  auto table = decode(*bytes, why);
  if (!table) return Failure{path + " is not op25bc's session table: " + why};
  return std::move(*table);
}

Result<std::optional<Index>> read_index(const std::string& path) {
  bool missing = false;
  std::string error;
  const auto bytes = read_optional(path, std::size_t{1} << 30, missing, error);
  if (missing) return std::optional<Index>{};
  if (!bytes) return Failure{error};
  std::string why;
  auto index = decode_index(*bytes, why);
  if (!index) return Failure{path + " is not op25bc's index of subscriber exemptions: " + why};
  return std::optional<Index>{std::move(*index)};
}

}  // namespace op25bc::session
