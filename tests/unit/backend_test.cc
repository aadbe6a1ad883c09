// SPDX-License-Identifier: GPL-2.0-or-later
// The backend port from the outside: a small backend written here, registered
// beside the program's own through the same Registry, and driven by the real
// commands (apply, diff, status, history, rollback). What it needs to
// implement is all a third backend implements; nothing in the commands had
// to change for it.
#include "op25bc/backend/registry.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/backends.h"
#include "cli/commands.h"
#include "op25bc/compile/compile.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/ir/ruleset.h"
#include "support/policies.h"

using namespace op25bc;

namespace {

constexpr std::string_view kMagic = "op25bc-memory-record\n";

// What the memory backend's "kernel" holds: per table, the sets it enforces
// with their sizes, one line each.
struct MemoryKernel {
  std::map<std::string, std::string> tables;
  int commits = 0;
};

std::string held_text(const ir::Ruleset& r) {
  std::string out;
  for (const auto& s : r.sets) out += s.name + " " + std::to_string(s.elements.size()) + "\n";
  return out;
}

// The record: magic, fingerprint, instant, active phases.
std::optional<backend::LastApply> read_record(const std::string& path) {
  int error = 0;
  const auto bytes = io::read_bytes(path, error);
  if (!bytes || !std::string_view(*bytes).starts_with(kMagic)) return std::nullopt;
  std::istringstream in(std::string(std::string_view(*bytes).substr(kMagic.size())));
  backend::LastApply last;
  std::getline(in, last.policy_fingerprint);
  std::getline(in, last.applied_at);
  for (std::string phase; in >> phase;) last.active_phases.push_back(phase);
  return last;
}

class MemorySession final : public backend::Session {
 public:
  MemorySession(MemoryKernel& kernel, std::string state)
      : kernel_(kernel), state_(std::move(state)) {}

  Result<backend::Outcome> run(const backend::RunRequest& r) override {
    const ir::Ruleset desired = compile(r.policy, r.at, r.kernel_timed, r.sessions);
    const std::string want = held_text(desired);
    std::string& held = kernel_.tables[desired.table];
    backend::Outcome o;
    o.in_sync = held == want;
    o.summary =
        o.in_sync ? "no change" : "replaced " + std::to_string(desired.sets.size()) + " sets";
    o.changes = o.in_sync ? "" : "~ memory table " + desired.table + "\n";
    o.report["memory"] = {{"sets", desired.sets.size()}};
    if (r.options.check_only || o.in_sync) return o;
    held = want;
    ++kernel_.commits;
    std::ofstream(state_) << kMagic << r.options.fingerprint << "\n"
                          << r.options.applied_at << "\n"
                          << text_of(r.options.active_phases);
    o.committed = true;
    return o;
  }

  // A set's line ("NAME COUNT") takes the new count; a set it lacks is refused.
  Result<backend::Outcome> replace_elements(const backend::ElementsRequest& r) override {
    std::string& held = kernel_.tables[r.table];
    std::string next = held;
    for (const auto& set : r.sets) {
      const std::size_t at = next.find(set.name + " ");
      if (at != 0 && (at == std::string::npos || next[at - 1] != '\n'))
        return Failure{"memory table " + r.table + " has no set " + set.name};
      const std::size_t end = next.find('\n', at);
      next.replace(at, end - at, set.name + " " + std::to_string(set.elements.size()));
    }
    backend::Outcome o;
    o.in_sync = next == held;
    o.committed = !o.in_sync;
    o.summary = o.in_sync ? "no change" : "session sets replaced";
    if (o.committed) ++kernel_.commits;
    held = next;
    return o;
  }

 private:
  static std::string text_of(const std::vector<std::string>& phases) {
    std::string out;
    for (const auto& p : phases) out += p + "\n";
    return out;
  }
  MemoryKernel& kernel_;
  std::string state_;
};

class MemoryBackend final : public backend::Backend {
 public:
  explicit MemoryBackend(MemoryKernel& kernel) : kernel_(kernel) {}
  std::string name() const override { return "memory"; }
  std::string describe(const std::string& table) const override { return "memory table " + table; }
  std::string default_state_file(const std::string& table) const override {
    return std::string{backend::kStateFolder} + "/" + table + ".memory.state";
  }
  bool owns_record(std::string_view bytes) const override { return bytes.starts_with(kMagic); }
  backend::Sandbox sandbox() const override { return {{}, {"AF_UNIX"}, {}}; }
  std::vector<std::string> formats() const override { return {"lines"}; }
  Result<backend::Rendered> render(const policy::Policy& p, Instant at, bool kernel_timed,
                                   const std::string& format) const override {
    if (format != "lines") return Failure{"no format " + format};
    return backend::Rendered{held_text(compile(p, at, kernel_timed)), {}};
  }
  Result<std::unique_ptr<backend::Session>> open(const backend::Access& access) const override {
    return std::unique_ptr<backend::Session>(
        std::make_unique<MemorySession>(kernel_, access.state));
  }
  Result<std::optional<backend::Status>> status(const std::string& table,
                                                const std::string& state_file,
                                                bool) const override {
    const auto it = kernel_.tables.find(table);
    if (it == kernel_.tables.end()) return std::optional<backend::Status>{};
    backend::Status s;
    s.backend = name();
    s.table = table;
    s.heading = describe(table);
    s.comment = "held by the test";
    s.owned = true;
    s.last_apply = read_record(state_file);
    return std::optional<backend::Status>(std::move(s));
  }
  // The memory kernel records no packets: its recording sets are never there.
  Result<std::optional<std::vector<backend::Recording>>> recordings(
      const std::string& table, const std::string&) const override {
    if (!kernel_.tables.contains(table)) return std::optional<std::vector<backend::Recording>>{};
    return std::optional{std::vector<backend::Recording>{}};
  }
  std::optional<backend::LastApply> last_applied(const std::string& state_file) const override {
    return read_record(state_file);
  }

 private:
  MemoryKernel& kernel_;
};

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant(std::chrono::seconds(1160000000)); }
};

struct Run {
  backend::Registry backends = cli::make_backends();
  MemoryKernel kernel;
  FixedClock clock;
  std::ostringstream out, err;
  std::filesystem::path dir;

  Run() {
    backends.add(std::make_unique<MemoryBackend>(kernel));  // the program's own path
    dir = std::filesystem::temp_directory_path() /
          ("op25bc-backend-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Run() { std::filesystem::remove_all(dir); }
  cli::Io io() { return {out, err, clock, backends}; }
  void clear() {
    out.str({});
    err.str({});
  }
  cli::ApplyArgs apply(const char* at, const char* name = "memory") {
    cli::ApplyArgs a;
    a.policy = test::source_path("examples/netlaputa.json");
    a.at = at;
    a.target.state = (dir / "m.state").string();
    a.target.lock = (dir / "lock").string();
    a.target.backend = name;
    return a;
  }
};

}  // namespace

TEST_CASE("the registry knows the program's backends, the first the default, each name once") {
  backend::Registry r = cli::make_backends();
  CHECK(r.names() == std::vector<std::string>{"nftables", "iptables"});
  CHECK(r.default_backend().name() == "nftables");
  CHECK(r.find("pf") == nullptr);
  MemoryKernel kernel;
  r.add(std::make_unique<MemoryBackend>(kernel));
  CHECK(r.find("memory") != nullptr);
  CHECK_THROWS_AS(r.add(std::make_unique<MemoryBackend>(kernel)), std::logic_error);
  CHECK(r.owner_of_record(std::string(kMagic) + "x")->name() == "memory");
  CHECK(r.owner_of_record("{\"format\": \"op25bc-iptables-record/1\"}")->name() == "iptables");
  CHECK(r.owner_of_record("something else") == nullptr);
}

TEST_CASE("a backend registered beside the program's own works through every command") {
  Run run;
  // compile: the backend's own format is the default.
  cli::CompileArgs compile;
  compile.policy = test::source_path("examples/netlaputa.json");
  compile.at = "2006-10-01";
  compile.backend = "memory";
  REQUIRE(cli::run_compile(compile, run.io()) == cli::kExitOk);
  CHECK(run.out.str().find("smarthost4 ") != std::string::npos);
  run.clear();

  // diff before anything is applied: pending, nothing changed.
  auto diff = run.apply("2006-10-01");
  diff.diff_only = true;
  CHECK(cli::run_apply(diff, run.io()) == cli::kExitPending);
  CHECK(run.kernel.commits == 0);
  CHECK(run.out.str().find("~ memory table op25b") != std::string::npos);
  run.clear();

  // apply, then apply again: applied, then in sync; the history says which backend.
  REQUIRE_MESSAGE(cli::run_apply(run.apply("2006-06-01"), run.io()) == cli::kExitOk, run.err.str());
  CHECK(run.out.str().find("applied to memory table op25b") != std::string::npos);
  REQUIRE_MESSAGE(cli::run_apply(run.apply("2006-10-01"), run.io()) == cli::kExitOk, run.err.str());
  run.clear();
  REQUIRE(cli::run_apply(run.apply("2006-10-01"), run.io()) == cli::kExitOk);
  CHECK(run.out.str().find("memory table op25b: in sync") != std::string::npos);
  CHECK(run.kernel.commits == 2);
  run.clear();

  // --format json: the shared keys, and the backend's own.
  auto json = run.apply("2006-10-01");
  json.format = "json";
  REQUIRE(cli::run_apply(json, run.io()) == cli::kExitOk);
  const auto j = nlohmann::json::parse(run.out.str());
  CHECK(j["backend"] == "memory");
  CHECK(j["in_sync"] == true);
  CHECK(j["memory"]["sets"].get<int>() > 0);
  run.clear();

  // status, in the one model.
  cli::StatusArgs status;
  status.target.state = (run.dir / "m.state").string();
  status.target.backend = "memory";
  REQUIRE(cli::run_status(status, run.io()) == cli::kExitOk);
  CHECK(run.out.str().starts_with("memory table op25b: held by the test\n"));
  CHECK(run.out.str().find("for 2006-10-01") != std::string::npos);
  run.clear();

  // history, and a rollback to the state of June on the same backend.
  cli::HistoryArgs history;
  history.target.state = status.target.state;
  history.target.backend = "memory";
  history.format = "json";
  REQUIRE(cli::run_history(history, run.io()) == cli::kExitOk);
  const auto h = nlohmann::json::parse(run.out.str());
  REQUIRE(h["entries"].size() == 2);
  CHECK(h["entries"][0]["backend"] == "memory");
  run.clear();

  // Another backend never touches this backend's state file.
  status.target.backend = "nftables";
  CHECK(cli::run_status(status, run.io()) == cli::kExitFailure);
  CHECK(run.err.str().find("is the memory backend's record, not the nftables backend's") !=
        std::string::npos);
  run.clear();
  auto other = run.apply("2006-06-01", "iptables");
  CHECK(cli::run_apply(other, run.io()) == cli::kExitFailure);
  CHECK(run.kernel.commits == 2);
}

TEST_CASE("session events go through the port: the index beside the state, then one set") {
  Run run;
  // NetLaputa with a subscriber exemption.
  auto doc = nlohmann::json::parse(std::ifstream(test::source_path("examples/netlaputa.json")));
  doc["exemptions"].push_back({{"id", "cust-7"}, {"subscriber", "ppp-7"}, {"reason", "own MTA"}});
  for (auto& pool : doc["pools"]) pool["delegated_length"] = 56;  // sessions may hold a /64
  const std::string policy = (run.dir / "policy.json").string();
  std::ofstream(policy) << doc.dump();
  auto apply = run.apply("2006-10-01");
  apply.policy = policy;
  apply.target.sessions = (run.dir / "sessions").string();
  REQUIRE_MESSAGE(cli::run_apply(apply, run.io()) == cli::kExitOk, run.err.str());
  const std::string& held = run.kernel.tables["op25b"];
  CHECK(held.find("session4 0\n") != std::string::npos);
  const auto commits = run.kernel.commits;
  run.clear();

  cli::SessionArgs up;
  up.action = "up";
  up.subscriber = "ppp-7";
  up.addresses = {"198.18.1.9", "2001:db8:1000:7::/64"};
  up.target.state = apply.target.state;
  up.target.lock = apply.target.lock;
  REQUIRE_MESSAGE(cli::run_session_command(up, run.io()) == cli::kExitOk, run.err.str());
  CHECK(run.out.str().find("exempt by exemption cust-7") != std::string::npos);
  CHECK(held.find("session4 1\nsession6 1\n") != std::string::npos);
  CHECK(run.kernel.commits == commits + 1);
  run.clear();

  // Someone without an exemption: a lookup, no lock, no kernel.
  cli::SessionArgs other = up;
  other.subscriber = "ppp-8";
  other.addresses = {"198.18.1.10"};
  other.target.lock =
      (run.dir / "no-such-folder" / "lock").string();  // would fail if it were taken
  CHECK(cli::run_session_command(other, run.io()) == cli::kExitOk);
  CHECK(run.out.str() == "subscriber \"ppp-8\" has no exemption: nothing changed\n");
  CHECK(run.kernel.commits == commits + 1);
  run.clear();

  // The next apply finds the kernel as the sessions say: in sync.
  REQUIRE(cli::run_apply(apply, run.io()) == cli::kExitOk);
  CHECK(run.out.str().find("in sync") != std::string::npos);
  run.clear();

  // Down: the addresses leave.
  cli::SessionArgs down = up;
  down.action = "down";
  down.addresses.clear();
  REQUIRE(cli::run_session_command(down, run.io()) == cli::kExitOk);
  CHECK(held.find("session4 0\nsession6 0\n") != std::string::npos);

  // A policy without subscriber exemptions removes the index and the bounds:
  // an event then records nothing, and fails so that the hook logs it.
  apply.policy = test::source_path("examples/netlaputa.json");
  REQUIRE(cli::run_apply(apply, run.io()) == cli::kExitOk);
  CHECK_FALSE(std::filesystem::exists(apply.target.state + ".subscribers"));
  CHECK_FALSE(std::filesystem::exists(apply.target.state + ".pools"));
  run.clear();
  CHECK(cli::run_session_command(up, run.io()) == cli::kExitFailure);
  CHECK(run.err.str().find("no subscriber exemption is applied with") != std::string::npos);
  CHECK(run.out.str().empty());
}
