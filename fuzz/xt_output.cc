// SPDX-License-Identifier: GPL-2.0-or-later
// What the iptables backend reads from outside: iptables-save -c, ipset list
// -t and ipset save output (the first byte picks which; a tool of another
// version or a foreign rule may print anything), and its own record. Never a
// crash; every rule read splits back from its rendering; a set's members are
// prefixes of its family, a recording set's sources addresses of its family
// in order; a record decodes only to what encodes back to it.
#include <cstdint>
#include <string>

#include "fuzz.h"
#include "op25bc/xt/kernel.h"
#include "op25bc/xt/plan.h"

using namespace op25bc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string error;
  switch (data[0] % 4) {
    case 0:
      if (const auto table = xt::parse_save(text, error))
        for (const auto& rule : table->rules)
          FUZZ_REQUIRE(xt::split_tokens(xt::render_tokens(rule.tokens)) == rule.tokens);
      else
        FUZZ_REQUIRE(!error.empty());
      break;
    case 1:
      if (!xt::parse_ipset_list(text, error)) FUZZ_REQUIRE(!error.empty());
      break;
    case 2:  // ipset save of a hash:net set, or of a recording set (hash:ip, timeouts)
      for (net::Family f : {net::Family::v4, net::Family::v6}) {
        if (const auto members = xt::parse_ipset_members(text, f, error))
          for (const auto& m : *members) FUZZ_REQUIRE(m.family == f);
        if (const auto sources = xt::parse_ipset_recorded(text, f, error))
          for (std::size_t i = 0; i < sources->size(); ++i)
            FUZZ_REQUIRE(
                (*sources)[i].address.family == f &&
                (i == 0 || (*sources)[i - 1].address.value <= (*sources)[i].address.value));
        else
          FUZZ_REQUIRE(!error.empty());
      }
      break;
    default:
      if (const auto record = xt::decode(text))
        FUZZ_REQUIRE(xt::decode(xt::encode(*record)) == record);
  }
  return 0;
}
