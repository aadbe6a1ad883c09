// SPDX-License-Identifier: GPL-2.0-or-later
#include "support.h"

#include <algorithm>
#include <ostream>

#include "op25bc/history/fingerprint.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/policy/load.h"
#include "op25bc/policy/router.h"

namespace op25bc::cli {

namespace {

void report(const Diagnostics& diags, const std::string& path, Loaded& loaded, Io io) {
  for (const Diagnostic& d : diags.entries()) io.err << format_diagnostic(d, path);
  if (diags.has_errors())
    io.err << path << ": " << diags.error_count() << " error(s), " << diags.warning_count()
           << " warning(s)\n";
  loaded.warnings = diags.warning_count();
  loaded.diagnostics = diags.entries();
  const auto& all = diags.entries();
  const auto first = std::find_if(
      all.begin(), all.end(), [](const Diagnostic& d) { return d.severity == Severity::error; });
  if (first != all.end()) {
    const std::string text = format_diagnostic(*first, path);
    loaded.first_error = text.substr(0, text.find('\n'));  // without the hint
    if (diags.error_count() > 1)
      loaded.first_error += " (and " + std::to_string(diags.error_count() - 1) + " more)";
  }
}

void narrow(Loaded& loaded, const std::string& router, Io io) {
  if (!loaded.policy || router.empty()) return;
  std::string error;
  if (policy::select_router(*loaded.policy, router, error)) return;
  io.err << "op25bc: --router: " << error << "\n";
  loaded.first_error = "--router: " + error;
  loaded.policy.reset();
}

}  // namespace

bool report_backend(const Diagnostics& diags, const std::string& policy_path, Io io) {
  for (const Diagnostic& d : diags.entries()) io.err << format_diagnostic(d, policy_path);
  if (diags.has_errors())
    io.err << policy_path << ": " << diags.error_count()
           << " error(s) for this backend; nothing was written or applied\n";
  return !diags.has_errors();
}

namespace {

Loaded load_from(const std::string& path, Io io, const std::string& router,
                 std::unique_ptr<policy::PrefixFiles> files, policy::DropIns dropins) {
  Diagnostics diags;
  Loaded loaded;
  if (auto text = policy::read_file(path, diags)) {
    loaded.prefix_files = std::move(files);
    loaded.policy = policy::load_text(*text, diags, loaded.prefix_files.get(), dropins);
    loaded.text = std::move(*text);
    // XXH3: 20 MB in a few ms.
    loaded.fingerprint = history::fingerprint(loaded.text, loaded.named_prefix_files());
  }
  report(diags, path, loaded, io);
  narrow(loaded, router, io);
  return loaded;
}

}  // namespace

Loaded load(const std::string& path, Io io, const std::string& router, const std::string& base,
            policy::DropIns dropins) {
  return load_from(path, io, router, std::make_unique<policy::FolderPrefixFiles>(path, base),
                   dropins);
}

Loaded load_pending(const std::string& path, Io io, const std::string& router, std::string name,
                    std::string bytes, policy::DropIns dropins) {
  return load_from(
      path, io, router,
      std::make_unique<policy::PendingDropIn>(std::make_unique<policy::FolderPrefixFiles>(path),
                                              std::move(name), std::move(bytes)),
      dropins);
}

Loaded load_copy(history::PolicyCopy copy, const std::string& fingerprint, const std::string& name,
                 Io io, const std::string& router, const std::string& live_folder,
                 policy::DropIns dropins) {
  Diagnostics diags;
  Loaded loaded;
  loaded.text = io::FileBytes::copy_of(copy.policy);
  loaded.prefix_files = std::make_unique<policy::StoredPrefixFiles>(copy.prefix_files, name);
  loaded.policy = policy::load_text(loaded.text, diags, loaded.prefix_files.get(), dropins);
  loaded.fingerprint = history::fingerprint(loaded.text, loaded.named_prefix_files());
  if (loaded.fingerprint != fingerprint) {
    loaded.policy.reset();
    loaded.first_error = "the copy " + name + " does not have the fingerprint " + fingerprint +
                         " it was kept under (its bytes give " + loaded.fingerprint +
                         "): it was changed after op25bc kept it; nothing was applied";
    io.err << "op25bc: " << loaded.first_error << "\n";
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
  report(diags, name, loaded, io);
  narrow(loaded, router, io);
  return loaded;
}

std::vector<history::NamedBytes> Loaded::named_prefix_files() const {
  return prefix_files ? prefix_files->files_read() : std::vector<history::NamedBytes>{};
}

nlohmann::json diagnostics_json(const std::vector<Diagnostic>& diagnostics,
                                const std::string& policy_path) {
  nlohmann::json out = nlohmann::json::array();
  const auto place = [&](nlohmann::json& j, const Location& w) {
    j["file"] = w.file.empty() ? policy_path : w.file;
    j["pointer"] =
        w.file.empty() || !w.pointer.empty() ? nlohmann::json(w.pointer) : nlohmann::json(nullptr);
    j["line"] = w.line == 0 ? nlohmann::json(nullptr) : nlohmann::json(w.line);
  };
  for (const Diagnostic& d : diagnostics) {
    nlohmann::json j{{"severity", d.severity == Severity::error ? "error" : "warning"},
                     {"message", d.message}};
    place(j, {d.pointer, d.file, d.line});
    if (d.column != 0) j["column"] = d.column;
    j["hint"] = d.hint.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.hint);
    j["related"] = nlohmann::json::array();
    for (const Related& r : d.related) {
      nlohmann::json rel{{"note", r.note}};
      place(rel, r.where);
      j["related"].push_back(std::move(rel));
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::optional<Instant> parse_at(const std::optional<std::string>& at, const policy::Policy& p,
                                Io io) {
  if (!at || *at == "now") return io.clock.now();
  TimeParse parsed = parse_time(*at, p.zone);
  if (!parsed.instant) io.err << "op25bc: --at: " << parsed.error << "\n";
  return parsed.instant;
}

std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

bool write_output(const std::string& path, const std::string& content, Io io) {
  if (path.empty() || path == "-") {
    io.out << content;
    io.out.flush();
    return static_cast<bool>(io.out);
  }
  const std::string error = io::write_atomically(path, content, 0644);
  if (!error.empty()) io.err << "op25bc: " << error << "\n";
  return error.empty();
}

}  // namespace op25bc::cli
