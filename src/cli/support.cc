#include "support.h"

#include <algorithm>
#include <ostream>

#include "op25bc/apply/state.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/policy/load.h"

namespace op25bc::cli {

namespace {

void report(const Diagnostics& diags, const std::string& path, Loaded& loaded, Io io) {
  for (const Diagnostic& d : diags.entries()) io.err << format_diagnostic(d, path);
  if (diags.has_errors())
    io.err << path << ": " << diags.error_count() << " error(s), " << diags.warning_count()
           << " warning(s)\n";
  loaded.warnings = diags.warning_count();
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

}  // namespace

Loaded load(const std::string& path, Io io) {
  Diagnostics diags;
  Loaded loaded;
  if (auto text = policy::read_file(path, diags)) {
    loaded.fingerprint = apply::fingerprint(text->view());  // XXH3: 20 MB in a few ms
    loaded.policy = policy::load_text(*text, diags);
    loaded.text = std::move(*text);
  }
  report(diags, path, loaded, io);
  return loaded;
}

Loaded load_bytes(std::string_view bytes, const std::string& name, Io io) {
  Diagnostics diags;
  Loaded loaded;
  loaded.text = io::FileBytes::copy_of(bytes);
  loaded.fingerprint = apply::fingerprint(loaded.text);
  loaded.policy = policy::load_text(loaded.text, diags);
  report(diags, name, loaded, io);
  return loaded;
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
