// SPDX-License-Identifier: GPL-2.0-or-later
// op25bc's record of what it last committed, so that a diff never has to dump
// large interval sets from the kernel (their dump is quadratic in size). It
// keeps a digest of each set, not its elements: a set the policy still wants
// as it was is left alone, one it wants changed is read back (one slice of a
// cut set is small). The record is trusted only while the kernel is provably
// the one it describes: the same boot, the same network namespace (by cookie,
// never reused), the same ruleset generation (nobody committed since), each
// set's kernel handle unchanged, and its checksum intact. Otherwise every set
// is read back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "op25bc/backend/status.h"
#include "op25bc/net/digest.h"
#include "op25bc/net/prefix.h"

namespace op25bc::nft {

// What every backend records (backend::Applied: the generation is the
// ruleset's right after op25bc's commit, pending until the commit is known),
// and what only nftables keeps: which kernel, and each set's handle and digest.
struct StateRecord : backend::Applied {
  std::string boot_id;  // the Instance recorded
  std::uint64_t netns_cookie = 0;
  std::string table;
  struct SetRecord {
    std::string name;
    net::Family family;
    std::uint64_t handle;
    net::SetDigest digest;  // of the elements it holds
    friend bool operator==(const SetRecord&, const SetRecord&) = default;
  };
  std::vector<SetRecord> sets;
  friend bool operator==(const StateRecord&, const StateRecord&) = default;
};

// The record's bytes, checksummed; and back. decode_record() accepts exactly
// the bytes encode_record() makes: anything truncated, corrupted or of another
// format version is nullopt (unusable: the kernel is read back instead).
std::string encode_record(const StateRecord& record);
// Whether `bytes` are a record of this (the nftables) backend, of any format
// version: the iptables backend's record is JSON, and neither backend may
// take the other's file as its own.
bool looks_like_nft_record(std::string_view bytes);
std::optional<StateRecord> decode_record(std::string_view bytes);

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual std::optional<StateRecord> load() = 0;  // nullopt: none, or unreadable
  virtual void save(const StateRecord& r) = 0;    // all or nothing; throws on failure
  // The last load() found a record it could not use (truncated, corrupted, of
  // another format version): worth telling the operator, unlike no record.
  virtual bool unusable() const { return false; }
};

// A file written atomically: temporary file, fsync, rename, fsync of the folder.
class FileStateStore final : public StateStore {
 public:
  explicit FileStateStore(std::string path) : path_(std::move(path)) {}
  std::optional<StateRecord> load() override;
  void save(const StateRecord& r) override;
  bool unusable() const override { return unusable_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool unusable_ = false;
};

}  // namespace op25bc::nft
