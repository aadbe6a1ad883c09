// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/nft/state.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "op25bc/io/atomic_file.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/net/digest.h"

namespace op25bc::nft {

namespace {

// The format's version is the magic's last byte: a record of any other
// version is not read (the elements are read back instead), never converted.
// Layout: magic, generation, boot id, namespace cookie, table, fingerprint,
// instant, op25bc version, pending flag, last full verification, active phase ids, then per set its
// name, family, handle, interval count and 128-bit digest; an XXH3-64 of all
// that last. Integers are in host order: the record never leaves its machine.
constexpr char kMagic[8] = {'O', 'P', '2', '5', 'B', 'C', 'R', '7'};

class Writer {
 public:
  void u64(std::uint64_t v) { raw(&v, sizeof v); }
  void u32(std::uint32_t v) { raw(&v, sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    raw(s.data(), s.size());
  }
  void raw(const void* p, std::size_t n) {
    const auto* bytes = static_cast<const char*>(p);
    out.append(bytes, n);
  }
  std::string out;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool raw(void* p, std::size_t n) {
    if (n > in_.size() - pos_) return ok_ = false;
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    raw(&v, sizeof v);
    return v;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    raw(&v, sizeof v);
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    if (!ok_ || n > in_.size() - pos_) return ok_ = false, std::string{};
    std::string s(in_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  // Every read so far found its bytes; and, complete(), nothing is left over.
  bool intact() const { return ok_; }
  bool complete() const { return ok_ && pos_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

bool looks_like_nft_record(std::string_view bytes) {
  // The magic without its version byte.
  return bytes.starts_with(std::string_view(kMagic, sizeof kMagic - 1));
}

std::optional<StateRecord> decode_record(std::string_view bytes) {
  // The last 8 bytes are a checksum of the rest: a flipped byte or a torn
  // write makes the record unusable, never trusted with wrong elements.
  if (bytes.size() < 16) return std::nullopt;
  std::uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  bytes.remove_suffix(8);
  if (sum != net::hash64(bytes)) return std::nullopt;
  Reader r(bytes);
  char magic[8];
  if (!r.raw(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0)
    return std::nullopt;
  StateRecord rec;
  rec.generation = r.u32();
  rec.boot_id = r.str();
  rec.netns_cookie = r.u64();
  rec.table = r.str();
  rec.policy_fingerprint = r.str();
  rec.applied_at = r.str();
  rec.version = r.str();
  const std::uint32_t pending = r.u32();
  if (pending > 1) return std::nullopt;
  rec.pending = pending == 1;
  rec.verified_at = static_cast<std::int64_t>(r.u64());
  const std::uint64_t phases = r.u64();
  for (std::uint64_t i = 0; i < phases && r.intact(); ++i) rec.active_phases.push_back(r.str());
  const std::uint64_t sets = r.u64();
  for (std::uint64_t i = 0; i < sets && r.intact(); ++i) {
    StateRecord::SetRecord s;
    s.name = r.str();
    const std::uint32_t family = r.u32();
    if (family != 4 && family != 6) return std::nullopt;
    s.family = family == 6 ? net::Family::v6 : net::Family::v4;
    s.handle = r.u64();
    s.digest.count = r.u64();
    s.digest.high = r.u64();
    s.digest.low = r.u64();
    rec.sets.push_back(std::move(s));
  }
  if (!r.complete()) return std::nullopt;  // torn or foreign: ignore it, read the kernel
  return rec;
}

std::string encode_record(const StateRecord& rec) {
  Writer w;
  w.raw(kMagic, sizeof kMagic);
  w.u32(static_cast<std::uint32_t>(rec.generation));
  w.str(rec.boot_id);
  w.u64(rec.netns_cookie);
  w.str(rec.table);
  w.str(rec.policy_fingerprint);
  w.str(rec.applied_at);
  w.str(rec.version);
  w.u32(rec.pending ? 1 : 0);
  w.u64(static_cast<std::uint64_t>(rec.verified_at));
  w.u64(rec.active_phases.size());
  for (const auto& id : rec.active_phases) w.str(id);
  w.u64(rec.sets.size());
  for (const auto& s : rec.sets) {
    w.str(s.name);
    w.u32(s.family == net::Family::v6 ? 6 : 4);
    w.u64(s.handle);
    w.u64(s.digest.count);
    w.u64(s.digest.high);
    w.u64(s.digest.low);
  }
  w.u64(net::hash64(w.out));
  return std::move(w.out);
}

std::optional<StateRecord> FileStateStore::load() {
  int error = 0;
  const std::optional<io::FileBytes> file = io::read_regular(path_, error);
  unusable_ = !file && error != ENOENT;
  if (!file) return std::nullopt;
  auto record = decode_record(file->view());
  unusable_ = !record;
  return record;
}

void FileStateStore::save(const StateRecord& rec) {
  // Only root reads it: it says which customers are exempt.
  const auto saved = io::write_atomically(path_, encode_record(rec), 0600);
  if (!saved) throw std::runtime_error("state file: " + saved.failure().message);
}

}  // namespace op25bc::nft
