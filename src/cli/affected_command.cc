// SPDX-License-Identifier: GPL-2.0-or-later
// affected: the subscribers a phase will block, as its monitor period found
// them: every source its recording sets hold, with the pool, service and
// region the policy puts it in, the phase, the date it will be blocked and
// when it was last seen. Customer addresses: a file is written mode 0600.
#include <algorithm>
#include <map>
#include <ostream>

#include "commands.h"
#include "op25bc/compile/compile.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/ir/names.h"
#include "op25bc/text/escape.h"
#include "support.h"

namespace op25bc::cli {

namespace {

struct Row {
  backend::RecordedSource source;
  net::Family family;
  std::size_t phase;                // index into Policy::phases
  std::optional<std::size_t> pool;  // index into Policy::pools; none: outside them now
  Instant last_seen;
  Instant expires;
};

// One row per recorded source and phase, sorted by address, then phase in
// policy order. A source is seen at most `timeout` before it expires.
std::vector<Row> rows_of(const policy::Policy& p, const std::vector<backend::Recording>& sets,
                         Instant now) {
  std::map<std::string, const backend::Recording*> by_base;
  for (const auto& r : sets) by_base.emplace(r.base, &r);
  std::vector<Row> rows;
  for (std::size_t i = 0; i < p.phases.size(); ++i) {
    if (!p.phases[i].monitor_from) continue;
    for (net::Family f : {net::Family::v4, net::Family::v6}) {
      const auto it = by_base.find(ir::set_name(ir::recording_set_base(p.phases[i].id), f));
      if (it == by_base.end()) continue;
      const backend::Recording& r = *it->second;
      for (const auto& s : r.sources) {
        const auto left = std::chrono::seconds(std::min(s.expires_in, r.timeout));
        const auto entry = p.pool_index.find(s.address);
        rows.push_back({s, f, i, entry ? std::optional{entry->pool} : std::nullopt,
                        now - (std::chrono::seconds(r.timeout) - left), now + left});
      }
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.family, a.source.address.value, a.phase) <
           std::tie(b.family, b.source.address.value, b.phase);
  });
  return rows;
}

// The recording sets the ruleset in force at `now` has that the kernel lacks.
std::vector<std::string> missing_sets(const policy::Policy& p,
                                      const std::vector<backend::Recording>& sets, Instant now) {
  std::vector<std::string> missing;
  for (const ir::Set& want : compile_whole(p, now, false).sets) {
    if (!want.recording) continue;
    if (std::none_of(sets.begin(), sets.end(),
                     [&](const backend::Recording& r) { return r.base == want.name; }))
      missing.push_back(want.name);
  }
  return missing;
}

struct Fields {
  std::string address, phase, pool, service, region, blocks_from, last_seen, expires;
};

Fields fields(const policy::Policy& p, const Row& r) {
  Fields f;
  f.address = net::to_string(r.source.address);
  f.phase = p.phases[r.phase].id;
  if (r.pool) {
    const policy::Pool& pool = p.pools[*r.pool];
    f.pool = pool.id;
    f.service = pool.service;
    f.region = pool.region;
  }
  f.blocks_from = format_time(*p.phases[r.phase].effective, p.zone);
  f.last_seen = format_time(r.last_seen, p.zone);
  f.expires = format_time(r.expires, p.zone);
  return f;
}

// RFC 4180, and a cell a spreadsheet would read as a formula is quoted as text.
std::string csv_cell(const std::string& text) {
  std::string cell = text;
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos)
    cell.insert(cell.begin(), '\'');
  if (cell.find_first_of(",\"\r\n'") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string as_csv(const policy::Policy& p, const std::vector<Row>& rows) {
  std::string out = "address,phase,pool,service,region,blocks_from,last_seen,expires\r\n";
  for (const Row& r : rows) {
    const Fields f = fields(p, r);
    for (const std::string* cell :
         {&f.address, &f.phase, &f.pool, &f.service, &f.region, &f.blocks_from, &f.last_seen})
      out += csv_cell(*cell) + ",";
    out += csv_cell(f.expires) + "\r\n";
  }
  return out;
}

std::string as_text(const policy::Policy& p, const std::vector<Row>& rows,
                    const std::string& heading) {
  std::string out = text::printable(heading) + "\n";
  if (rows.empty()) return out + "no recorded sources\n";
  for (const Row& r : rows) {
    const Fields f = fields(p, r);
    out += f.address + "  phase " + f.phase + " blocks from " + f.blocks_from + "  " +
           (r.pool ? "pool " + f.pool + ", service " + f.service +
                         (f.region.empty() ? "" : ", region " + text::printable(f.region))
                   : std::string{"in no pool of this policy"}) +
           "  last seen " + f.last_seen + "\n";
  }
  return out;
}

nlohmann::json as_json(const policy::Policy& p, const std::vector<Row>& rows,
                       const std::vector<backend::Recording>& sets, const std::string& backend,
                       const std::string& table) {
  using nlohmann::json;
  json list = json::array();
  for (const Row& r : rows) {
    const Fields f = fields(p, r);
    list.push_back({{"address", f.address},
                    {"family", net::family_name(r.family)},
                    {"phase", f.phase},
                    {"pool", r.pool ? json(f.pool) : json(nullptr)},
                    {"service", r.pool ? json(f.service) : json(nullptr)},
                    {"region", f.region.empty() ? json(nullptr) : json(f.region)},
                    {"blocks_from", f.blocks_from},
                    {"last_seen", f.last_seen},
                    {"expires", f.expires}});
  }
  json recording = json::array();
  for (const auto& r : sets)
    recording.push_back({{"set", r.set},
                         {"family", net::family_name(r.family)},
                         {"sources", r.recorded},
                         {"max_sources", r.size},
                         {"retention_seconds", r.timeout},
                         {"full", r.full()}});
  return {{"schema_version", kSchemaVersion},
          {"backend", backend},
          {"table", table},
          {"sources", std::move(list)},
          {"sets", std::move(recording)}};
}

}  // namespace

int run_affected(const AffectedArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io, args.router);
  if (!loaded.policy) return kExitFailure;
  const policy::Policy& p = *loaded.policy;
  const run::Target target = run::Target::make(args.target, io.backends, p.table);
  if (auto owned = run::check_owner(target, io.backends); !owned)
    return report(owned.failure(), io);
  const backend::Backend& b = *target.backend;
  const auto sets = b.recordings(p.table, target.state);
  if (!sets) return report(sets.failure(), io, kExitFailure, args.policy);
  if (!*sets) return report("there is no " + b.describe(p.table), io);
  const std::vector<Row> rows = rows_of(p, **sets, io.clock.now());
  const std::vector<std::string> missing = missing_sets(p, **sets, io.clock.now());
  for (const std::string& name : missing)
    report({"warning: the recording set " + text::printable(name) + " is missing from " +
                b.describe(p.table) + ": the sources it would record are not listed",
            "op25bc diff shows what differs; the next apply or activate restores it"},
           io);
  std::string content;
  if (args.format == "json")
    content = json_text(as_json(p, rows, **sets, b.name(), p.table));
  else if (args.format == "csv")
    content = as_csv(p, rows);
  else
    content = as_text(p, rows,
                      "sources recorded by monitoring phases in " + b.describe(p.table) + ": " +
                          std::to_string(rows.size()));
  const int done = missing.empty() ? kExitOk : kExitFailure;  // the list is not whole
  if (args.output.empty() || args.output == "-") {
    io.out << content;
    return io.out.flush() ? done : kExitFailure;
  }
  // Subscriber addresses: readable by root alone.
  if (auto written = io::write_atomically(args.output, content, 0600); !written)
    return report(written.failure(), io);
  return done;
}

}  // namespace op25bc::cli
