// SPDX-License-Identifier: GPL-2.0-or-later
// The history index (TABLE.history/index.json): op25bc reads it back on every
// apply, activate, history and rollback, and anyone with root can edit it.
// Never a crash or undefined behaviour (a number beyond 64 bits, a wrong
// type anywhere); an index that reads is one that writes back to itself.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

#include "fuzz.h"
#include "op25bc/history/history.h"

using namespace op25bc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  if (const auto history = history::history_from_json(j)) {
    const auto again = history::history_from_json(history::to_json(*history));
    FUZZ_REQUIRE(again && *again == *history);
    (void)history::to_text(*history);
  }
  return 0;
}
