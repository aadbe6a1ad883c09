// SPDX-License-Identifier: GPL-2.0-or-later
// The state record decoder. A record is either exactly what encode_record
// makes of some record, or unusable (nullopt: op25bc reads the kernel back);
// never a crash and never a record that decodes to something else. With the
// first byte odd the harness repairs the checksum first, so the fuzzer
// reaches the structure behind it.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz.h"
#include "op25bc/net/digest.h"
#include "op25bc/nft/state.h"

using namespace op25bc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0 && bytes.size() >= 8) {
    const std::uint64_t sum = net::hash64(std::string_view(bytes).substr(0, bytes.size() - 8));
    std::memcpy(bytes.data() + bytes.size() - 8, &sum, 8);
  }
  const auto record = nft::decode_record(bytes);
  if (!record) return 0;
  FUZZ_REQUIRE(nft::encode_record(*record) == bytes);
  FUZZ_REQUIRE(nft::decode_record(nft::encode_record(*record)) == record);
  return 0;
}
