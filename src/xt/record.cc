// SPDX-License-Identifier: GPL-2.0-or-later
// The iptables backend's record: JSON, written atomically beside the nft one.
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "op25bc/io/atomic_file.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/io/json_integer.h"
#include "op25bc/xt/plan.h"

namespace op25bc::xt {

namespace {

constexpr const char* kFormat = "op25bc-iptables-record/1";

std::string family_text(net::Family f) {
  return f == net::Family::v4 ? "ipv4" : "ipv6";
}

std::string hex(std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = kHex[v & 0xf];
  return out;
}

std::optional<std::uint64_t> from_hex(const std::string& text) {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    const char* digits = "0123456789abcdef";
    const char* at = std::strchr(digits, c);
    if (at == nullptr || c == '\0') return std::nullopt;
    v = v << 4 | static_cast<std::uint64_t>(at - digits);
  }
  return v;
}

}  // namespace

std::string encode(const Record& r) {
  nlohmann::json sets = nlohmann::json::array();
  for (const Record::Set& s : r.sets)
    sets.push_back({{"name", s.name},
                    {"family", family_text(s.family)},
                    {"members", s.members},
                    {"intervals", s.digest.count},
                    {"digest", hex(s.digest.high) + hex(s.digest.low)}});
  const nlohmann::json j = {{"format", kFormat},
                            {"version", r.version},
                            {"table", r.table},
                            {"generation", r.generation},
                            {"pending", r.pending},
                            {"policy_fingerprint", r.policy_fingerprint},
                            {"applied_at", r.applied_at},
                            {"active_phases", r.active_phases},
                            {"chains", {{"ipv4", r.chains_v4}, {"ipv6", r.chains_v6}}},
                            {"sets", sets},
                            {"leftover_sets", r.leftover_sets},
                            {"verified_at", r.verified_at}};
  return j.dump(1) + "\n";
}

bool looks_like_xt_record(std::string_view bytes) {
  const auto j = nlohmann::json::parse(bytes, nullptr, false);
  return j.is_object() && j.contains("format") && j["format"].is_string() &&
         j["format"].get<std::string>().starts_with("op25bc-iptables-record/");
}

std::optional<Record> decode(std::string_view bytes) {
  const auto j = nlohmann::json::parse(bytes, nullptr, false);
  // A record whose "format" is not the string we write is not ours to read;
  // json::value would throw on a number there, so the type is checked first.
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat) return std::nullopt;
  try {
    Record r;
    r.version = j.at("version").get<std::string>();
    r.table = j.at("table").get<std::string>();
    const auto generation = io::json_integer<std::uint64_t>(j.at("generation"));
    if (!generation) return std::nullopt;
    r.generation = *generation;
    r.pending = j.at("pending").get<bool>();
    r.policy_fingerprint = j.at("policy_fingerprint").get<std::string>();
    r.applied_at = j.at("applied_at").get<std::string>();
    r.active_phases = j.at("active_phases").get<std::vector<std::string>>();
    r.chains_v4 = j.at("chains").at("ipv4").get<std::vector<std::string>>();
    r.chains_v6 = j.at("chains").at("ipv6").get<std::vector<std::string>>();
    r.leftover_sets = j.at("leftover_sets").get<std::vector<std::string>>();
    if (j.contains("verified_at")) {  // records of op25bc 0.1.0 before it have none
      const auto verified = io::json_integer<std::int64_t>(j["verified_at"]);
      if (!verified) return std::nullopt;
      r.verified_at = *verified;
    }
    for (const auto& s : j.at("sets")) {
      Record::Set set;
      set.name = s.at("name").get<std::string>();
      const std::string family = s.at("family").get<std::string>();
      if (family != "ipv4" && family != "ipv6") return std::nullopt;
      set.family = family == "ipv4" ? net::Family::v4 : net::Family::v6;
      const auto members = io::json_integer<std::size_t>(s.at("members"));
      const auto intervals = io::json_integer<std::uint64_t>(s.at("intervals"));
      if (!members || !intervals) return std::nullopt;
      set.members = *members;
      set.digest.count = *intervals;
      const std::string digest = s.at("digest").get<std::string>();
      const auto high = from_hex(digest.substr(0, 16));
      const auto low = digest.size() == 32 ? from_hex(digest.substr(16)) : std::nullopt;
      if (!high || !low) return std::nullopt;
      set.digest.high = *high;
      set.digest.low = *low;
      r.sets.push_back(std::move(set));
    }
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::optional<Record> FileRecordStore::load() {
  unusable_ = false;
  int error = 0;
  const auto bytes = io::read_regular(path_, error);
  if (!bytes) {
    if (error == ENOENT) return std::nullopt;
    throw std::runtime_error("cannot read " + path_ + ": " + io::error_text(error));
  }
  auto r = decode(*bytes);
  unusable_ = !r;
  return r;
}

void FileRecordStore::save(const Record& r) {
  const auto saved = io::write_atomically(path_, encode(r), 0600);
  if (!saved) throw std::runtime_error(saved.failure().message);
}

namespace {

constexpr std::string_view kHeldMagic = "OP25BCM1";

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
bool take(std::string_view& in, T& value) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&value, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}

void put_word(std::string& out, net::Family f, net::Word w) {
  if (f == net::Family::v4) {
    put(out, static_cast<std::uint32_t>(w));
  } else {
    put(out, static_cast<std::uint64_t>(w >> 64));
    put(out, static_cast<std::uint64_t>(w));
  }
}

bool take_word(std::string_view& in, net::Family f, net::Word& w) {
  if (f == net::Family::v4) {
    std::uint32_t v = 0;
    if (!take(in, v)) return false;
    w = v;
    return true;
  }
  std::uint64_t high = 0, low = 0;
  if (!take(in, high) || !take(in, low)) return false;
  w = net::Word{high} << 64 | low;
  return true;
}

}  // namespace

// PATH.members: magic, then per set its name, family, interval count and
// intervals (4 or 16 bytes an address), then an XXH3 checksum of it all.
void FileRecordStore::save_held(const xt::Ruleset& target) {
  std::string out{kHeldMagic};
  for (const auto& s : target.sets) {
    put(out, static_cast<std::uint16_t>(s.name.size()));
    out += s.name;
    put(out, static_cast<std::uint8_t>(s.family == net::Family::v4 ? 4 : 6));
    put(out, static_cast<std::uint64_t>(s.elements.size()));
    for (const auto& iv : s.elements) {
      put_word(out, s.family, iv.first);
      put_word(out, s.family, iv.last);
    }
  }
  put(out, net::hash64(out));
  held_bytes_.reset();
  const auto saved = io::write_atomically(path_ + ".members", out, 0600);
  if (!saved) throw std::runtime_error(saved.failure().message);
}

std::optional<net::Intervals> FileRecordStore::held(const Record::Set& set) {
  if (!held_bytes_) {
    int error = 0;
    auto bytes = io::read_regular(path_ + ".members", error);
    held_bytes_ = bytes ? std::move(*bytes) : io::FileBytes::copy_of({});
  }
  std::string_view in = held_bytes_->view();
  std::uint64_t sum = 0;
  if (in.size() < kHeldMagic.size() + 8 || !in.starts_with(kHeldMagic)) return std::nullopt;
  std::string_view tail = in.substr(in.size() - 8);
  if (!take(tail, sum) || sum != net::hash64(in.substr(0, in.size() - 8))) return std::nullopt;
  in = in.substr(kHeldMagic.size(), in.size() - kHeldMagic.size() - 8);
  while (!in.empty()) {
    std::uint16_t length = 0;
    std::uint8_t family = 0;
    std::uint64_t count = 0;
    if (!take(in, length) || in.size() < length) return std::nullopt;
    const std::string_view name = in.substr(0, length);
    in.remove_prefix(length);
    if (!take(in, family) || !take(in, count) || (family != 4 && family != 6)) return std::nullopt;
    const net::Family f = family == 4 ? net::Family::v4 : net::Family::v6;
    const std::size_t bytes = (f == net::Family::v4 ? 8 : 32);
    if (count > in.size() / bytes) return std::nullopt;
    if (name != set.name || f != set.family) {
      in.remove_prefix(count * bytes);
      continue;
    }
    net::Intervals out;
    out.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      net::Interval iv{};
      take_word(in, f, iv.first);
      take_word(in, f, iv.last);
      out.push_back(iv);
    }
    if (net::digest(out) != set.digest) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

}  // namespace op25bc::xt
