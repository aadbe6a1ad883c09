// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/policy/load.h"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "dropins.h"
#include "op25bc/policy/check.h"
#include "op25bc/policy/resolve.h"
#include "parse.h"

namespace op25bc::policy {

std::optional<Policy> load_text(std::string_view text, Diagnostics& diags, PrefixFiles* files,
                                DropIns mode) {
  std::optional<Document> document = read_json(text, diags);
  if (!document) return std::nullopt;
  std::vector<DropIn> dropins;
  Policy policy = parse(*document, diags, files, &dropins);
  document.reset();  // the model holds everything now; free the DOM early
  resolve(policy, diags);
  {
    // Side by side (a tenth of a second each at a million prefixes and
    // 10,000 drop-ins): neither reads what the other writes.
    std::jthread indexer([&policy] { policy.pool_index = index_pools(policy); });
    if (files != nullptr) parse_dropins(dropins, *files, policy.zone, policy.file_prefix_storage);
  }
  admit_dropins(policy, dropins, mode, diags);
  // A file left out is not part of what is applied: not in the fingerprint,
  // not in the history's copy.
  for (const DropIn& d : dropins)
    if (!d.admitted && files != nullptr) files->forget(d.path);
  check(policy, diags);
  if (diags.has_errors()) return std::nullopt;
  return policy;
}

namespace {
constexpr std::size_t kMaxPolicyBytes = std::size_t{512} << 20;
}  // namespace

std::optional<io::FileBytes> read_file(const std::string& path, Diagnostics& diags) {
  int error = 0;
  std::optional<io::FileBytes> bytes = io::read_bytes(path, error, kMaxPolicyBytes);
  if (!bytes && error == EFBIG)
    diags.error("", "cannot read policy: it is larger than 512 MiB",
                "a million prefixes take about 20 MB; is this the policy file?");
  else if (!bytes && error == ETIMEDOUT)
    diags.error("", "cannot read policy: nothing was written to this FIFO within 30 s");
  else if (!bytes)
    diags.error("", std::string{"cannot read policy: "} + std::strerror(error));
  return bytes;
}

}  // namespace op25bc::policy
