// The iptables backend's record: JSON, written atomically beside the nft one.
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "op25bc/apply/xt_plan.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/io/file_bytes.h"

namespace op25bc::apply::xt {

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
                            {"leftover_sets", r.leftover_sets}};
  return j.dump(1) + "\n";
}

std::optional<Record> decode(std::string_view bytes) {
  const auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (!j.is_object() || j.value("format", "") != kFormat) return std::nullopt;
  try {
    Record r;
    r.version = j.at("version").get<std::string>();
    r.table = j.at("table").get<std::string>();
    r.generation = j.at("generation").get<std::uint64_t>();
    r.pending = j.at("pending").get<bool>();
    r.policy_fingerprint = j.at("policy_fingerprint").get<std::string>();
    r.applied_at = j.at("applied_at").get<std::string>();
    r.active_phases = j.at("active_phases").get<std::vector<std::string>>();
    r.chains_v4 = j.at("chains").at("ipv4").get<std::vector<std::string>>();
    r.chains_v6 = j.at("chains").at("ipv6").get<std::vector<std::string>>();
    r.leftover_sets = j.at("leftover_sets").get<std::vector<std::string>>();
    for (const auto& s : j.at("sets")) {
      Record::Set set;
      set.name = s.at("name").get<std::string>();
      const std::string family = s.at("family").get<std::string>();
      if (family != "ipv4" && family != "ipv6") return std::nullopt;
      set.family = family == "ipv4" ? net::Family::v4 : net::Family::v6;
      set.members = s.at("members").get<std::size_t>();
      set.digest.count = s.at("intervals").get<std::uint64_t>();
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
  const auto bytes = io::read_bytes(path_, error);
  if (!bytes) {
    if (error == ENOENT) return std::nullopt;
    throw std::runtime_error("cannot read " + path_ + ": " + std::strerror(error));
  }
  auto r = decode(*bytes);
  unusable_ = !r;
  return r;
}

void FileRecordStore::save(const Record& r) {
  const std::string error = io::write_atomically(path_, encode(r), 0600);
  if (!error.empty()) throw std::runtime_error(error);
}

}  // namespace op25bc::apply::xt
