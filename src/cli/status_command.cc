// status: what op25bc's table holds and counted, read once into a model that
// the JSON and the text reports are both made from.
#include <algorithm>
#include <map>
#include <ostream>

#include "commands.h"
#include "kernel_access.h"
#include "op25bc/ir/names.h"
#include "op25bc/kernel/netlink_kernel.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "support.h"

namespace op25bc::cli {

namespace {

struct SetStatus {
  std::string name;
  std::optional<std::uint64_t> elements;  // nullopt: neither read nor vouched for by the record
};

struct Status {
  std::string table;
  std::string comment;
  std::uint32_t generation = 0;
  std::vector<std::string> active_phases;  // counters the rules count into, in rule order
  std::vector<SetStatus> sets;
  std::vector<apply::CounterValue> counters;
  std::optional<apply::StateRecord> record;
};

Status read_status(apply::Kernel& kernel, const apply::TableState& table,
                   std::optional<apply::StateRecord> record, bool verified) {
  Status s;
  s.table = table.ruleset.table;
  s.comment = table.ruleset.comment;
  s.generation = kernel.generation();
  s.counters = kernel.counters(s.table);
  for (const auto& chain : table.ruleset.chains)
    for (const auto& rule : chain.rules)
      for (const auto& statement : rule.statements)
        if (const auto* c = std::get_if<ir::CounterRef>(&statement);
            c && std::find(s.active_phases.begin(), s.active_phases.end(), c->name) ==
                     s.active_phases.end())
          s.active_phases.push_back(c->name);
  const bool trusted = record && apply::record_current(*record, kernel.instance(), s.generation);
  for (std::size_t i = 0; i < table.ruleset.sets.size(); ++i) {
    const auto& set = table.ruleset.sets[i];
    SetStatus line{set.name, std::nullopt};
    if (verified)
      line.elements = set.elements.size();
    else if (trusted)
      for (const auto& r : record->sets)
        if (r.name == set.name && r.handle == table.set_handles[i]) line.elements = r.digest.count;
    s.sets.push_back(std::move(line));
  }
  s.record = std::move(record);
  return s;
}

nlohmann::json to_json(const Status& s) {
  nlohmann::json j;
  j["table"] = s.table;
  j["owned_by_op25bc"] = ir::owned_by_op25bc(s.comment);
  j["comment"] = s.comment;
  j["generation"] = s.generation;
  j["active_phases"] = s.active_phases;
  j["sets"] = nlohmann::json::array();
  for (const auto& set : s.sets)
    j["sets"].push_back(
        {{"name", set.name}, {"elements", set.elements ? nlohmann::json(*set.elements) : nullptr}});
  j["counters"] = nlohmann::json::array();
  for (const auto& c : s.counters)
    j["counters"].push_back({{"name", c.name}, {"packets", c.packets}, {"bytes", c.bytes}});
  j["last_apply"] = nullptr;
  if (s.record)
    j["last_apply"] = {{"policy_fingerprint", s.record->policy_fingerprint},
                       {"at", s.record->applied_at},
                       {"generation", s.record->generation},
                       {"op25bc", s.record->version},
                       {"current", s.record->generation == s.generation}};
  return j;
}

// Names and comments come from the kernel: anyone may have written them.
std::string to_text(const Status& s) {
  std::string out = "table inet " + s.table + ": " + text::printable(s.comment) + "\n";
  out += "active phases: " +
         (s.active_phases.empty() ? std::string{"none"}
                                  : text::join(s.active_phases, text::printable)) +
         "\n";
  // A set cut into blocks is one line: its slices' elements summed.
  struct Line {
    std::string name;
    std::optional<std::uint64_t> elements = 0;
    std::size_t blocks = 0;
  };
  std::vector<Line> lines;
  std::map<std::string, std::size_t> line_of;
  for (const auto& set : s.sets) {
    const auto cut_from = ir::sliced_from(set.name);
    const auto [it, first] = line_of.try_emplace(cut_from.value_or(set.name), lines.size());
    if (first) lines.push_back({it->first});
    Line& line = lines[it->second];
    if (cut_from) ++line.blocks;
    if (!set.elements)
      line.elements.reset();
    else if (line.elements)
      *line.elements += *set.elements;
  }
  for (const auto& line : lines)
    out += "set " + text::printable(line.name) + ": " +
           (line.elements ? std::to_string(*line.elements) + " elements"
                          : std::string{"? elements (--verify reads them)"}) +
           (line.blocks ? " in " + std::to_string(line.blocks) + " blocks" : "") + "\n";
  for (const auto& c : s.counters)
    out += "counter " + text::printable(c.name) + ": " + std::to_string(c.packets) + " packets, " +
           std::to_string(c.bytes) + " bytes\n";
  if (s.record)
    out += "last applied: policy " + s.record->policy_fingerprint + " for " + s.record->applied_at +
           " by op25bc " + s.record->version + " (generation " +
           std::to_string(s.record->generation) +
           (s.record->generation == s.generation ? ", current" : ", the ruleset changed since") +
           ")\n";
  else
    out += "last applied: no record\n";
  return out;
}

}  // namespace

int run_status(const StatusArgs& args, Io io) {
  try {
    kernel::NetlinkKernel kernel;
    const auto table = kernel.read(
        args.table, args.verify ? apply::ElementRead::all() : apply::ElementRead::none());
    if (!table) {
      io.err << "op25bc: there is no table inet " << args.table << "\n";
      return kExitFailure;
    }
    const Status status =
        read_status(kernel, *table,
                    apply::FileStateStore(state_path(args.state, args.table)).load(), args.verify);
    io.out << (args.format == "json" ? json_text(to_json(status)) : to_text(status));
    return kExitOk;
  } catch (const std::exception& e) {
    io.err << "op25bc: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace op25bc::cli
