// What op25bc's table holds and counted, read once through the kernel port
// into a model that the JSON and the text reports are both made from.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/apply/kernel.h"
#include "op25bc/apply/state.h"

namespace op25bc::apply {

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
  std::vector<CounterValue> counters;
  std::optional<StateRecord> record;
};

// nullopt when the kernel has no such table. Element counts come from the
// kernel when `verify` (every set read back), else from the record while it
// provably describes this kernel, else they are unknown. Throws KernelError.
std::optional<Status> read_status(Kernel& kernel, const std::string& table, StateStore& state,
                                  bool verify);

nlohmann::json to_json(const Status& s);
// Names and comments come from the kernel, so they are printed escaped.
std::string to_text(const Status& s);

}  // namespace op25bc::apply
