// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/history/fingerprint.h"

#include <cstdio>

#include "op25bc/net/digest.h"

namespace op25bc::history {

namespace {

std::string hex(std::uint64_t h) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

std::string fingerprint(std::string_view bytes) {
  return hex(net::hash64(bytes));
}

std::string fingerprint(std::string_view policy, const std::vector<NamedBytes>& files) {
  if (files.empty()) return fingerprint(policy);
  // Each part as its length and hash: the parts' boundaries count too.
  std::string framed;
  const auto part = [&](std::string_view bytes) {
    const std::uint64_t words[2] = {bytes.size(), net::hash64(bytes)};
    framed.append(reinterpret_cast<const char*>(words), sizeof words);
  };
  part(policy);
  for (const auto& [path, bytes] : files) {
    part(path);
    part(bytes);
  }
  return hex(net::hash64(framed));
}

}  // namespace op25bc::history
