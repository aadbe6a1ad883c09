// op25bc: compiles an Outbound Port 25 Blocking policy into nftables rulesets.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"

namespace {

using namespace op25bc::cli;

void add_policy(CLI::App& cmd, std::string& path) {
  cmd.add_option("POLICY", path, "policy file (JSON, see schemas/op25bc-policy.schema.json)")
      ->required();
}

void add_at(CLI::App& cmd, std::optional<std::string>& at) {
  cmd.add_option("--at", at,
                 "instant to evaluate: YYYY-MM-DD (local midnight in the policy's time zone), "
                 "an RFC 3339 timestamp, or now (default)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"op25bc: compile an Outbound Port 25 Blocking policy into nftables rulesets",
               "op25bc"};
  app.set_version_flag("--version", "op25bc " OP25BC_VERSION);
  app.require_subcommand(1);

  ValidateArgs validate;
  auto* v = app.add_subcommand("validate", "check a policy and report every problem");
  add_policy(*v, validate.policy);
  v->add_flag("--strict", validate.strict, "treat warnings as errors");

  CompileArgs compile;
  auto* c = app.add_subcommand("compile", "print the ruleset in effect at an instant");
  add_policy(*c, compile.policy);
  add_at(*c, compile.at);
  c->add_option("--format", compile.format, "nft (an nft -f script) or json (nft -j -f)")
      ->check(CLI::IsMember({"nft", "json"}));
  c->add_option("-o,--output", compile.output, "write to FILE (atomically) instead of stdout");

  ExplainArgs explain;
  auto* e = app.add_subcommand("explain", "say whether a connection is blocked, and why");
  add_policy(*e, explain.policy);
  e->add_option("--src", explain.src, "source address (the subscriber)")->required();
  e->add_option("--dst", explain.dst, "destination address (the mail server)")->required();
  e->add_option("--port", explain.port, "destination TCP port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  add_at(*e, explain.at);
  e->add_option("--format", explain.format, "text or json")->check(CLI::IsMember({"text", "json"}));

  TimelineArgs timeline;
  auto* t = app.add_subcommand("timeline", "list every instant at which the ruleset changes");
  add_policy(*t, timeline.policy);
  t->add_option("--format", timeline.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion&) {
    std::cout << "op25bc " OP25BC_VERSION "\n";
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    std::cerr << "op25bc: " << error.what() << "\nRun with --help for more information.\n";
    return kExitUsage;
  }

  const op25bc::SystemClock clock;
  const Io io{std::cout, std::cerr, clock};
  if (*v) return run_validate(validate, io);
  if (*c) return run_compile(compile, io);
  if (*e) return run_explain(explain, io);
  if (*t) return run_timeline(timeline, io);
  return kExitUsage;
}
