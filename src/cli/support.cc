// SPDX-License-Identifier: GPL-2.0-or-later
#include "support.h"

#include <algorithm>
#include <ostream>

#include "op25bc/io/atomic_file.h"

namespace op25bc::cli {

void say_loaded(const Loaded& loaded, Io io) {
  for (const Diagnostic& d : loaded.diagnostics) io.err << format_diagnostic(d, loaded.name);
  if (const std::size_t errors = loaded.errors(); errors > 0)
    io.err << loaded.name << ": " << errors << " error(s), " << loaded.warnings()
           << " warning(s)\n";
  if (!loaded.error.empty()) io.err << "op25bc: " << loaded.error << "\n";
}

Loaded load(const std::string& path, Io io, const std::string& router, const std::string& base,
            policy::DropIns dropins) {
  Loaded loaded = run::load_file(path, router, base, dropins);
  say_loaded(loaded, io);
  return loaded;
}

int report(const Failure& failure, Io io, int status, const std::string& policy_path) {
  if (!failure.diagnostics.entries().empty()) {  // what in the policy a backend cannot express
    report_backend(failure.diagnostics, policy_path, io);
    return status;
  }
  io.err << "op25bc: " << failure.message << "\n";
  if (!failure.hint.empty()) io.err << "  hint: " << failure.hint << "\n";
  return status;
}

int report(const std::string& message, Io io, int status) {
  return report(Failure{message}, io, status);
}

void note(const std::string& line, Io io) {
  io.err << "op25bc: " << line << "\n";
}

bool report_backend(const Diagnostics& diags, const std::string& policy_path, Io io) {
  for (const Diagnostic& d : diags.entries()) io.err << format_diagnostic(d, policy_path);
  if (diags.has_errors())
    io.err << policy_path << ": " << diags.error_count()
           << " error(s) for this backend; nothing was written or applied\n";
  return !diags.has_errors();
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
  if (!parsed.instant) report("--at: " + parsed.error, io);
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
  const auto written = io::write_atomically(path, content, 0644);
  if (!written) report(written.failure(), io);
  return written.ok();
}

}  // namespace op25bc::cli
