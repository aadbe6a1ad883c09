// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/run/source.h"

#include <algorithm>
#include <filesystem>

#include "op25bc/history/fingerprint.h"
#include "op25bc/policy/router.h"

namespace op25bc::run {

namespace {

bool is_error(const Diagnostic& d) {
  return d.severity == Severity::error;
}

void narrow(Loaded& loaded, const std::string& router) {
  if (!loaded.policy || router.empty()) return;
  std::string error;
  if (policy::select_router(*loaded.policy, router, error)) return;
  loaded.error = "--router: " + error;
  loaded.policy.reset();
}

Loaded load_from(const std::string& path, const std::string& router,
                 std::unique_ptr<policy::PrefixFiles> files, policy::DropIns dropins) {
  Diagnostics diags;
  Loaded loaded;
  loaded.name = path;
  if (auto text = policy::read_file(path, diags)) {
    loaded.prefix_files = std::move(files);
    loaded.policy = policy::load_text(*text, diags, loaded.prefix_files.get(), dropins);
    loaded.text = std::move(*text);
    // XXH3: 20 MB in a few ms.
    loaded.fingerprint = history::fingerprint(loaded.text, loaded.named_prefix_files());
  }
  loaded.diagnostics = diags.entries();
  narrow(loaded, router);
  return loaded;
}

}  // namespace

std::size_t Loaded::warnings() const {
  return diagnostics.size() - errors();
}

std::size_t Loaded::errors() const {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(), is_error));
}

std::string Loaded::first_error() const {
  const auto first = std::find_if(diagnostics.begin(), diagnostics.end(), is_error);
  if (first == diagnostics.end()) return error;
  const std::string text = format_diagnostic(*first, name);
  std::string line = text.substr(0, text.find('\n'));  // without the hint
  if (errors() > 1) line += " (and " + std::to_string(errors() - 1) + " more)";
  return line;
}

std::vector<history::NamedBytes> Loaded::named_prefix_files() const {
  return prefix_files ? prefix_files->files_read() : std::vector<history::NamedBytes>{};
}

Loaded load_file(const std::string& path, const std::string& router, const std::string& base,
                 policy::DropIns dropins) {
  return load_from(path, router, std::make_unique<policy::FolderPrefixFiles>(path, base), dropins);
}

Loaded load_pending(const std::string& path, const std::string& router, std::string name,
                    std::string bytes, policy::DropIns dropins) {
  return load_from(
      path, router,
      std::make_unique<policy::PendingDropIn>(std::make_unique<policy::FolderPrefixFiles>(path),
                                              std::move(name), std::move(bytes)),
      dropins);
}

Loaded load_copy(history::PolicyCopy copy, const std::string& fingerprint, const std::string& name,
                 const std::string& router, const std::string& live_folder,
                 policy::DropIns dropins) {
  Diagnostics diags;
  Loaded loaded;
  loaded.name = name;
  loaded.text = io::FileBytes::copy_of(copy.policy);
  loaded.prefix_files = std::make_unique<policy::StoredPrefixFiles>(copy.prefix_files, name);
  loaded.policy = policy::load_text(loaded.text, diags, loaded.prefix_files.get(), dropins);
  loaded.fingerprint = history::fingerprint(loaded.text, loaded.named_prefix_files());
  if (loaded.fingerprint != fingerprint) {
    loaded.policy.reset();
    loaded.error = "the copy " + name + " does not have the fingerprint " + fingerprint +
                   " it was kept under (its bytes give " + loaded.fingerprint +
                   "): it was changed after op25bc kept it; nothing was applied";
    return loaded;
  }
  // The copy is what was kept; its drop-in exemptions are the live folder's.
  if (loaded.policy && !loaded.policy->exemptions_dir.empty() && !live_folder.empty()) {
    diags = {};
    loaded.prefix_files = std::make_unique<policy::StoredPrefixFiles>(
        std::move(copy.prefix_files), name,
        std::make_unique<policy::FolderPrefixFiles>(std::string{}, live_folder));
    loaded.policy = policy::load_text(loaded.text, diags, loaded.prefix_files.get(), dropins);
    loaded.fingerprint = history::fingerprint(loaded.text, loaded.named_prefix_files());
  }
  loaded.diagnostics = diags.entries();
  narrow(loaded, router);
  return loaded;
}

bool drop_dropin(Loaded& loaded, const std::string& id) {
  policy::Policy& p = *loaded.policy;
  const auto x = std::find_if(p.exemptions.begin(), p.exemptions.end(),
                              [&](const policy::Exemption& e) { return e.id == id; });
  if (!p.skipped_dropins.empty() || x == p.exemptions.end() || x->file.empty()) return false;
  for (const auto& [path, bytes] : loaded.prefix_files->files_read())
    if (loaded.prefix_files->display_name(path) == x->file) loaded.prefix_files->forget(path);
  p.exemptions.erase(x);
  loaded.fingerprint = history::fingerprint(loaded.text, loaded.named_prefix_files());
  return true;
}

std::string absolute_path(const std::string& path) {
  return path.empty() || path[0] == '/'
             ? path
             : std::filesystem::absolute(path).lexically_normal().string();
}

std::string folder_of(const std::string& path) {
  const std::string folder = std::filesystem::path(path).parent_path().string();
  return folder.empty() ? "." : folder;
}

}  // namespace op25bc::run
