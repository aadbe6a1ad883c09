// SPDX-License-Identifier: GPL-2.0-or-later
#include "commands.h"

#include "support.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "op25bc/explain/explain.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/policy/load.h"
#include "op25bc/schedule/activation.h"
#include "op25bc/schedule/units.h"
#include "op25bc/text/escape.h"
#include "op25bc/timeline/timeline.h"

namespace op25bc::cli {

namespace {

std::optional<net::Address> address_arg(const std::string& option, const std::string& text, Io io) {
  auto a = net::parse_address(text);
  if (!a) report(option + ": \"" + text::printable(text) + "\" is not an IP address", io);
  return a;
}

}  // namespace

int run_validate(const ValidateArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io, {}, args.base, policy::DropIns::strict);
  const bool ok = loaded.policy && !(args.strict && loaded.warnings() > 0);
  std::size_t prefixes = 0;
  if (loaded.policy)
    for (const auto& pool : loaded.policy->pools) prefixes += pool.prefixes.items.size();
  if (args.format == "json") {
    io.out << json_text({{"schema_version", kSchemaVersion},
                         {"ok", ok},
                         {"policy", args.policy},
                         {"fingerprint", loaded.policy ? nlohmann::json(loaded.fingerprint)
                                                       : nlohmann::json(nullptr)},
                         {"prefixes", prefixes},
                         {"diagnostics", diagnostics_json(loaded.diagnostics, args.policy)}});
    return ok ? kExitOk : kExitFailure;
  }
  if (!loaded.policy) return kExitFailure;
  if (args.strict && loaded.warnings() > 0) {
    io.err << args.policy << ": " << loaded.warnings() << " warning(s) (--strict)\n";
    return kExitFailure;
  }
  const policy::Policy& p = *loaded.policy;
  io.out << args.policy << ": valid: " << p.services.size() << " services, " << p.pools.size()
         << " pools (" << prefixes << " prefixes), " << p.phases.size() << " phases, "
         << loaded.warnings() << " warning(s)\n";
  return kExitOk;
}

int run_compile(const CompileArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io, args.router);
  if (!loaded.policy) return kExitFailure;
  const auto at = parse_at(args.at, *loaded.policy, io);
  if (!at) return kExitUsage;
  const backend::Backend& b =
      args.backend.empty() ? io.backends.default_backend() : *io.backends.find(args.backend);
  const auto rendered = b.render(*loaded.policy, *at, args.kernel_timed,
                                 args.format.empty() ? b.formats().front() : args.format);
  if (!rendered) return report(rendered.failure(), io, kExitFailure, args.policy);
  const bool to_folder = !rendered->files.empty() && !args.output.empty() && args.output != "-";
  if (!to_folder) return write_output(args.output, rendered->text, io) ? kExitOk : kExitFailure;
  // Input made of several files: each in the folder -o names.
  if (auto made = io::make_folder(args.output, 0755); !made) return report(made.failure(), io);
  for (const auto& [name, content] : rendered->files)
    if (!write_output(args.output + "/" + name, content, io)) return kExitFailure;
  return kExitOk;
}

int run_explain(const ExplainArgs& args, Io io) {
  const auto src = address_arg("--src", args.src, io);
  const auto dst = address_arg("--dst", args.dst, io);
  if (!src || !dst) return kExitUsage;
  if (src->family != dst->family)
    return report("--src and --dst must both be IPv4 or both IPv6", io, kExitUsage);
  const Loaded loaded = load(args.policy, io, args.router);
  if (!loaded.policy) return kExitFailure;
  const auto at = parse_at(args.at, *loaded.policy, io);
  if (!at) return kExitUsage;
  const explain::Query query{*src, *dst, args.port, *at};
  const explain::Explanation e = explain::explain(*loaded.policy, query);
  if (args.format == "json")
    io.out << json_text(explain::to_json(*loaded.policy, query, e));
  else
    io.out << explain::to_text(*loaded.policy, query, e);
  return kExitOk;
}

int run_timeline(const TimelineArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io, args.router);
  if (!loaded.policy) return kExitFailure;
  const auto events = timeline::build(*loaded.policy);
  const auto now = parse_at(args.at, *loaded.policy, io);
  if (!now) return kExitUsage;
  for (const auto& w : schedule::expiry_warnings(
           *loaded.policy, *now, std::chrono::hours(static_cast<long>(args.warn_days * 24))))
    io.err << args.policy << ": warning: " << w << "\n";
  if (args.format == "json")
    io.out << json_text(timeline::to_json(*loaded.policy, events));
  else
    io.out << timeline::to_text(*loaded.policy, events);
  return kExitOk;
}

namespace {

// The program running now, as the kernel knows it; where `make install` or
// the package puts op25bc when that cannot be read.
std::string running_binary() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec || self.empty() ? std::string{OP25BC_INSTALLED_BINARY} : self.string();
}

}  // namespace

int run_schedule(const ScheduleArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io, args.router);
  if (!loaded.policy) return kExitFailure;
  const auto events = timeline::build(*loaded.policy);
  const auto absolute = run::absolute_path;
  schedule::UnitOptions options;
  options.bin = absolute(args.bin.empty() ? running_binary() : args.bin);
  if (::access(options.bin.c_str(), X_OK) != 0)
    note("warning: --bin " + text::printable(options.bin) +
             " is not an executable program here; the units run it as written",
         io);
  options.policy = absolute(args.policy);
  options.state = absolute(args.target.state);
  options.metrics = absolute(args.metrics);
  options.router = args.router;
  // The backend and state are passed through to activate as given.
  options.backend = args.target.backend;
  options.sandbox = run::Target::make(args.target, io.backends, {}).backend->sandbox();
  // Quoting keeps spaces, quotes, '%' and '$' inert; nothing can keep a line
  // break inside one crontab or unit line.
  for (const auto& [option, path] :
       {std::pair{"--bin", &options.bin}, std::pair{"POLICY", &options.policy},
        std::pair{"--state", &options.state}, std::pair{"--metrics", &options.metrics}})
    if (const auto bad = text::find_forbidden(*path))
      return report(std::string{option} + ": the path " + text::printable(*path) + " contains " +
                        text::describe(*bad) + ", which a " + args.emit + " line cannot hold",
                    io, kExitUsage);
  if (args.emit == "systemd" && !text::systemd_executable_ok(options.bin))
    return report(
        "--bin: systemd refuses to run a program whose path contains a quote or a "
        "backslash: " +
            options.bin,
        io, kExitUsage);
  if (args.emit == "cron")
    return write_output(args.output, schedule::cron_file(*loaded.policy, events, options), io)
               ? kExitOk
               : kExitFailure;
  const auto units = schedule::systemd_units(*loaded.policy, events, options);
  if (args.output.empty() || args.output == "-") {
    io.out << "# ---- op25bc.service\n" << units.service << "# ---- op25bc.timer\n" << units.timer;
    return kExitOk;
  }
  if (auto made = io::make_folder(args.output, 0755); !made) return report(made.failure(), io);
  const bool ok = write_output(args.output + "/op25bc.service", units.service, io) &&
                  write_output(args.output + "/op25bc.timer", units.timer, io);
  return ok ? kExitOk : kExitFailure;
}

}  // namespace op25bc::cli
