// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/policy/load.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

namespace {

// As sshd's StrictModes: a policy file owned by someone other than root or
// the user running op25bc, or that its group or others may write, or in a
// folder that someone else may write, is not trusted. "" when `fd` (the open
// policy) and its folder are trusted, else why not.
std::string untrusted_policy(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return {};  // a pipe: the caller's own
  if (std::string why = io::untrusted(st, ::geteuid()); !why.empty()) return why;
  const auto slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int dir = ::open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct stat ds {};
  const bool seen = dir >= 0 && ::fstat(dir, &ds) == 0;
  if (dir >= 0) ::close(dir);
  if (!seen) return {};  // the file was opened: its folder's problem shows elsewhere
  if (std::string why = io::untrusted(ds, st.st_uid); !why.empty()) return "its folder: " + why;
  return {};
}

}  // namespace

std::optional<io::FileBytes> read_file(const std::string& path, Diagnostics& diags) {
  int error = 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd >= 0) {
    if (const std::string why = untrusted_policy(fd, path); !why.empty()) {
      ::close(fd);
      diags.error("", "cannot read policy: " + why,
                  "as sshd's StrictModes, op25bc trusts a policy only root or its owner can "
                  "change: chmod go-w, or chown");
      return std::nullopt;
    }
  }
  std::optional<io::FileBytes> bytes =
      fd < 0 ? (error = errno, std::nullopt)
             : io::read_open_file(fd, error, kMaxPolicyBytes, std::chrono::seconds{30});
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
