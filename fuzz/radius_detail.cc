// SPDX-License-Identifier: GPL-2.0-or-later
// The RADIUS detail file (written by FreeRADIUS from what a NAS sends) and
// the follower's position file: never a crash or undefined behaviour; what
// is read is whole records only, in order, each once however the bytes are
// cut; a Start is never wider than a session may hold; a position reads back
// exactly as written.
#include <cstdint>
#include <string_view>

#include "fuzz.h"
#include "op25bc/session/radius.h"
#include "op25bc/session/table.h"

using namespace op25bc;
namespace radius = session::radius;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (const auto p = radius::decode_position(bytes, error)) {
    FUZZ_REQUIRE(radius::encode(*p) == bytes);
  }
  const radius::Parsed all = radius::parse(bytes, 5, "User-Name", 1 << 20);
  FUZZ_REQUIRE(all.consumed <= bytes.size());
  std::size_t last = 5;
  for (const auto& r : all.records) {
    FUZZ_REQUIRE(r.end > last && r.end <= 5 + all.consumed);
    last = r.end;
    if (r.status == radius::Status::start) {
      FUZZ_REQUIRE(r.addresses.size() <= session::kMaxAddresses);
    }
    if (r.status == radius::Status::nas_off) FUZZ_REQUIRE(!r.nas.empty());
  }
  // Read again in pieces of one record at a time: the same records, in order.
  std::size_t at = 0, seen = 0;
  while (at < all.consumed) {
    const radius::Parsed one = radius::parse(bytes.substr(at), 5 + at, "User-Name", 1);
    FUZZ_REQUIRE(one.consumed > 0 && one.records.size() <= 1);
    for (const auto& r : one.records) {
      FUZZ_REQUIRE(seen < all.records.size());
      FUZZ_REQUIRE(r.end == all.records[seen].end);
      FUZZ_REQUIRE(r.subscriber == all.records[seen].subscriber);
      FUZZ_REQUIRE(r.addresses == all.records[seen].addresses);
      ++seen;
    }
    at += one.consumed;
  }
  FUZZ_REQUIRE(at == all.consumed && seen == all.records.size());
  return 0;
}
