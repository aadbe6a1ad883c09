// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/history/history.h"

#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "op25bc/io/atomic_file.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/io/json_integer.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"

namespace op25bc::history {

namespace {

constexpr int kFormat = 1;

// A fingerprint is 16 lowercase hex digits; nothing else names a file.
// A backend's name as --backend takes it; which backends exist is not the
// history's business (backend/registry.h).
bool is_backend_name(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool is_fingerprint(std::string_view s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string read_whole(const std::string& path, int& error) {
  const auto bytes = io::read_regular(path, error);
  return bytes ? std::string(bytes->view()) : std::string{};
}

}  // namespace

bool record(History& h, HistoryEntry entry, std::size_t keep) {
  if (!entry.changed && !h.entries.empty() && h.entries.front().fingerprint == entry.fingerprint &&
      h.entries.front().phases == entry.phases)
    return false;
  h.entries.insert(h.entries.begin(), std::move(entry));
  if (h.entries.size() > std::max<std::size_t>(keep, 1))
    h.entries.resize(std::max<std::size_t>(keep, 1));
  return true;
}

std::vector<std::string> referenced(const History& h) {
  std::vector<std::string> out;
  for (const auto& e : h.entries) out.push_back(e.fingerprint);
  if (h.pin) out.push_back(h.pin->fingerprint);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<HistoryEntry> rollback_target(const History& h, const std::string& to,
                                            std::string& error) {
  if (h.entries.empty()) {
    error = "no policy has been applied with this state file yet";
    return std::nullopt;
  }
  if (to.empty()) {
    const std::string& current = h.entries.front().fingerprint;
    for (const auto& e : h.entries)
      if (e.fingerprint != current) return e;
    error = "the history holds no policy other than the one applied now (" + current + ")";
    return std::nullopt;
  }
  std::optional<HistoryEntry> found;
  for (const auto& e : h.entries) {
    if (!e.fingerprint.starts_with(to)) continue;
    if (found && found->fingerprint != e.fingerprint) {
      error = "the fingerprint prefix " + text::printable(to) + " names more than one policy";
      return std::nullopt;
    }
    if (!found) found = e;
  }
  if (!found) error = "no policy with fingerprint " + text::printable(to) + " in the history";
  return found;
}

nlohmann::json to_json(const History& h) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : h.entries) {
    nlohmann::json j{
        {"when", e.when},       {"instant", e.instant},    {"fingerprint", e.fingerprint},
        {"command", e.command}, {"policy", e.policy_path}, {"phases", e.phases},
        {"changed", e.changed}};
    if (e.late_by_seconds) j["late_by_seconds"] = *e.late_by_seconds;
    if (!e.router.empty()) j["router"] = e.router;
    j["backend"] = e.backend;
    entries.push_back(std::move(j));
  }
  nlohmann::json pin = nullptr;
  if (h.pin) pin = {{"fingerprint", h.pin->fingerprint}, {"since", h.pin->since}};
  return {{"format", kFormat}, {"pinned", pin}, {"entries", entries}};
}

std::optional<History> history_from_json(const nlohmann::json& j) {
  try {
    if (!j.is_object() || j.at("format") != kFormat) return std::nullopt;
    History h;
    for (const auto& e : j.at("entries")) {
      HistoryEntry entry;
      entry.when = e.at("when").get<std::string>();
      entry.instant = e.at("instant").get<std::string>();
      entry.fingerprint = e.at("fingerprint").get<std::string>();
      entry.command = e.at("command").get<std::string>();
      entry.policy_path = e.at("policy").get<std::string>();
      entry.phases = e.at("phases").get<std::vector<std::string>>();
      entry.changed = e.at("changed").get<bool>();
      if (e.contains("late_by_seconds")) {
        entry.late_by_seconds = io::json_integer<std::int64_t>(e["late_by_seconds"]);
        if (!entry.late_by_seconds) return std::nullopt;
      }
      if (e.contains("router")) entry.router = e["router"].get<std::string>();
      // Entries of op25bc before the iptables backend have none: nftables.
      if (e.contains("backend")) entry.backend = e["backend"].get<std::string>();
      if (!is_backend_name(entry.backend)) return std::nullopt;
      if (!is_fingerprint(entry.fingerprint)) return std::nullopt;
      h.entries.push_back(std::move(entry));
    }
    if (const auto& pin = j.at("pinned"); !pin.is_null()) {
      h.pin = Pin{pin.at("fingerprint").get<std::string>(), pin.at("since").get<std::string>()};
      if (!is_fingerprint(h.pin->fingerprint)) return std::nullopt;
    }
    return h;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string to_text(const History& h) {
  std::string out;
  if (h.pin)
    out += "pinned by a rollback since " + h.pin->since + ": " + h.pin->fingerprint +
           " (activate applies it instead of the policy file; op25bc rollback --release)\n";
  if (h.entries.empty()) return out + "no policy applied yet\n";
  for (const auto& e : h.entries) {
    out += e.when + "  " + e.fingerprint + "  " + e.command + (e.changed ? "" : " (no change)") +
           "  at " + e.instant + "  phases: " + (e.phases.empty() ? "none" : text::join(e.phases));
    if (e.late_by_seconds) out += "  late by " + std::to_string(*e.late_by_seconds) + " s";
    if (!e.router.empty()) out += "  router " + text::printable(e.router);
    out += "  backend " + e.backend;
    out += "\n    " + text::printable(e.policy_path) + "\n";
  }
  return out;
}

std::string FileHistoryStore::folder_for(const std::string& state_path) {
  constexpr std::string_view suffix = ".state";
  const std::string_view base(state_path);
  return std::string(base.ends_with(suffix) ? base.substr(0, base.size() - suffix.size()) : base) +
         ".history";
}

// The folder is op25bc's own: a symbolic link in its place (which would send
// the index and the policy copies elsewhere) is refused, as for the state file.
std::optional<Failure> FileHistoryStore::linked() const {
  struct stat st {};
  if (::lstat(folder_.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    return Failure{
        "the history folder " + folder_ + " is a symbolic link; op25bc does not follow it",
        "remove the link, or name another --state"};
  return std::nullopt;
}

Result<History> FileHistoryStore::load() {
  if (auto link = linked()) return std::move(*link);
  int error = 0;
  const std::string path = folder_ + "/index.json";
  const std::string text = read_whole(path, error);
  if (error == ENOENT) return History{};
  if (error != 0) return Failure{"cannot read " + path + ": " + io::error_text(error)};
  const auto j = nlohmann::json::parse(text, nullptr, false);
  auto h = history_from_json(j);
  if (!h) return Failure{path + " is not a history index op25bc wrote"};
  return std::move(*h);
}

Result<Done> FileHistoryStore::save(const History& h) {
  if (auto link = linked()) return std::move(*link);
  if (auto made = io::make_folder(folder_, 0700); !made) return made;
  return io::write_atomically(folder_ + "/index.json", to_json(h).dump(2) + "\n", 0600);
}

std::string FileHistoryStore::policy_path(const std::string& fingerprint) const {
  return folder_ + "/policy-" + fingerprint + ".json";
}

bool FileHistoryStore::has_policy(const std::string& fingerprint) {
  return is_fingerprint(fingerprint) && std::filesystem::is_regular_file(policy_path(fingerprint));
}

namespace {

constexpr std::string_view kFilesSuffix = ".prefix-files.json";

std::string files_path(const std::string& folder, const std::string& fingerprint) {
  return folder + "/policy-" + fingerprint + std::string{kFilesSuffix};
}

}  // namespace

// The files first: a policy copy is only there once what it needs is.
Result<Done> FileHistoryStore::keep_policy(const std::string& fingerprint, std::string_view bytes,
                                           const std::vector<NamedBytes>& prefix_files) {
  if (!is_fingerprint(fingerprint)) return Failure{"not a fingerprint: " + fingerprint};
  if (auto link = linked()) return std::move(*link);
  if (auto made = io::make_folder(folder_, 0700); !made) return made;
  if (!prefix_files.empty()) {
    nlohmann::json files = nlohmann::json::object();
    for (const auto& [path, content] : prefix_files) files[path] = content;
    std::string text;
    try {
      text = files.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    } catch (const nlohmann::json::exception&) {  // bytes JSON cannot carry as they are
      return Failure{"the prefix files of policy " + fingerprint +
                     " are not UTF-8 text; the history cannot keep an exact copy of them"};
    }
    if (auto kept = io::write_atomically(files_path(folder_, fingerprint), text, 0600); !kept)
      return kept;
  }
  return io::write_atomically(policy_path(fingerprint), bytes, 0600);
}

std::optional<PolicyCopy> FileHistoryStore::policy(const std::string& fingerprint) {
  if (!is_fingerprint(fingerprint) || linked()) return std::nullopt;
  int error = 0;
  PolicyCopy copy;
  copy.policy = read_whole(policy_path(fingerprint), error);
  if (error != 0) return std::nullopt;
  const std::string files = read_whole(files_path(folder_, fingerprint), error);
  if (error == ENOENT) return copy;
  if (error != 0) return std::nullopt;
  const auto j = nlohmann::json::parse(files, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  for (const auto& [path, content] : j.items()) {
    if (!content.is_string()) return std::nullopt;
    copy.prefix_files.emplace(path, content.get<std::string>());
  }
  return copy;
}

Result<Done> FileHistoryStore::forget_policies_except(const std::vector<std::string>& keep) {
  if (auto link = linked()) return std::move(*link);
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(folder_, ec)) {
    const std::string name = file.path().filename().string();
    if (!name.starts_with("policy-") || name.size() < 7 + 16) continue;
    const std::string rest = name.substr(7 + 16);
    if (rest != ".json" && rest != kFilesSuffix) continue;
    if (std::find(keep.begin(), keep.end(), name.substr(7, 16)) == keep.end())
      std::filesystem::remove(file.path(), ec);  // one left behind is only clutter
  }
  return Done{};
}

Result<Done> remember(HistoryStore& store, HistoryEntry entry, std::string_view policy_bytes,
                      const std::vector<NamedBytes>& prefix_files, std::size_t keep) {
  auto h = store.load();
  if (!h) return h.failure();
  const std::string fp = entry.fingerprint;
  if (!record(*h, std::move(entry), keep)) return Done{};
  if (!store.has_policy(fp))
    if (auto kept = store.keep_policy(fp, policy_bytes, prefix_files); !kept) return kept;
  if (auto saved = store.save(*h); !saved) return saved;
  return store.forget_policies_except(referenced(*h));
}

}  // namespace op25bc::history
