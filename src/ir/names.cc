// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/ir/names.h"

#include <stdexcept>

#include "op25bc/policy/resolve.h"

namespace op25bc::ir {

namespace {

constexpr std::string_view kOwnerMark = "managed by op25bc";

const char* family_digit(net::Family f) {
  return f == net::Family::v4 ? "4" : "6";
}

int block_length(net::Family f, const net::Interval& block) {
  const auto length = net::exact_prefix_length(f, block);
  if (!length) throw std::logic_error("ir: a block is not an aligned prefix");
  return *length;
}

// "0a000_17": the block's leading hex digits, then its prefix length.
std::string block_suffix(net::Family f, const net::Interval& block) {
  const int length = block_length(f, block);
  const int digits = (length + 3) / 4;
  std::string hex;
  const int bits = net::address_bits(f);
  for (int i = 0; i < digits; ++i) {
    const auto nibble = static_cast<unsigned>((block.first >> (bits - 4 * (i + 1))) & 0xf);
    hex += "0123456789abcdef"[nibble];
  }
  return (hex.empty() ? "0" : hex) + "_" + std::to_string(length);
}

}  // namespace

std::string set_name(std::string_view base, net::Family f) {
  return std::string{base} + family_digit(f);
}

std::string source_set_base(std::string_view phase_id) {
  return policy::nft_name(phase_id) + "_src";
}

std::string destination_set_base(std::string_view phase_id) {
  return policy::nft_name(phase_id) + "_dst";
}

// How policy::nft_name spells a phase ("phase_" + id), and what the monitor
// names put around that spelling.
constexpr std::string_view kPhasePrefix = "phase_";
constexpr std::string_view kSeenSuffix = "_seen";
constexpr std::string_view kMonitorPrefix = "monitor_";

std::string recording_set_base(std::string_view phase_id) {
  return policy::nft_name(phase_id) + std::string{kSeenSuffix};
}

std::string monitor_counter(std::string_view phase_id) {
  return std::string{kMonitorPrefix} + policy::nft_name(phase_id).substr(kPhasePrefix.size());
}

std::optional<std::string> monitored_phase(std::string_view counter) {
  if (!counter.starts_with(kMonitorPrefix)) return std::nullopt;
  return std::string{counter.substr(kMonitorPrefix.size())};
}

std::optional<std::string> recording_phase(std::string_view set) {
  if (set.empty() || (set.back() != '4' && set.back() != '6')) return std::nullopt;
  const std::string_view name = set.substr(0, set.size() - 1);  // without the family digit
  if (!name.starts_with(kPhasePrefix) || !name.ends_with(kSeenSuffix) ||
      name.size() <= kPhasePrefix.size() + kSeenSuffix.size())
    return std::nullopt;
  return std::string{
      name.substr(kPhasePrefix.size(), name.size() - kPhasePrefix.size() - kSeenSuffix.size())};
}

std::string_view adoption_name(Adoption kind) {
  return kind == Adoption::submission ? "submission" : "smarthost";
}

std::string adoption_counter(Adoption kind, net::Family f) {
  return std::string{adoption_name(kind)} + family_digit(f);
}

std::optional<AdoptionCounterName> adoption_of(std::string_view counter) {
  for (Adoption kind : {Adoption::submission, Adoption::smarthost})
    for (net::Family f : {net::Family::v4, net::Family::v6})
      if (counter == adoption_counter(kind, f)) return AdoptionCounterName{kind, f};
  return std::nullopt;
}

std::string dispatch_map(net::Family f) {
  return std::string{"dispatch"} + family_digit(f);
}

std::string block_chain(net::Family f, const net::Interval& block) {
  return std::string{"src"} + family_digit(f) + "_" + block_suffix(f, block);
}

std::string block_set(const std::string& set, net::Family f, const net::Interval& block) {
  return set + "_" + block_suffix(f, block);
}

std::optional<std::string> sliced_from(const std::string& name) {
  const auto last = name.rfind('_');
  if (last == std::string::npos || last == 0) return std::nullopt;
  const auto hex = name.rfind('_', last - 1);
  if (hex == std::string::npos || hex == 0) return std::nullopt;
  const std::string_view digits(name.data() + hex + 1, last - hex - 1);
  const std::string_view length(name.data() + last + 1, name.size() - last - 1);
  const auto all_of = [](std::string_view text, const char* allowed) {
    return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos;
  };
  if (!all_of(digits, "0123456789abcdef") || !all_of(length, "0123456789")) return std::nullopt;
  return name.substr(0, hex);
}

std::string unit_name(RateUnit unit) {
  switch (unit) {
    case RateUnit::second:
      return "second";
    case RateUnit::minute:
      return "minute";
    case RateUnit::hour:
      return "hour";
    case RateUnit::day:
      return "day";
  }
  return std::to_string(static_cast<std::uint64_t>(unit)) + " seconds";
}

std::string type_name(ChainType type) {
  switch (type) {
    case ChainType::filter:
      return "filter";
    case ChainType::route:
      return "route";
    case ChainType::nat:
      return "nat";
  }
  return "filter";
}

std::string hook_name(Hook hook) {
  switch (hook) {
    case Hook::prerouting:
      return "prerouting";
    case Hook::input:
      return "input";
    case Hook::forward:
      return "forward";
    case Hook::output:
      return "output";
    case Hook::postrouting:
      return "postrouting";
  }
  return "hook " + std::to_string(static_cast<std::uint32_t>(hook));
}

std::string policy_name(ChainPolicy policy) {
  return policy == ChainPolicy::drop ? "drop" : "accept";
}

std::string table_comment(std::string_view operator_name) {
  return std::string{kOwnerMark} +
         (operator_name.empty() ? "" : ": " + std::string{operator_name} + " OP25B");
}

bool owned_by_op25bc(std::string_view table_comment) {
  return table_comment.substr(0, kOwnerMark.size()) == kOwnerMark;
}

}  // namespace op25bc::ir
