// SPDX-License-Identifier: GPL-2.0-or-later
// The one way op25bc reads an integer out of JSON it did not just make (its
// records, its history index, a policy): only a JSON integer that the target
// type can hold. nlohmann::json reads a number too large for 64 bits as a
// double, and get<integer>() of such a double is undefined behaviour; a
// negative number read into an unsigned type wraps. Both are nullopt here.
#pragma once

#include <concepts>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

namespace op25bc::io {

template <std::integral T>
std::optional<T> json_integer(const nlohmann::json& j) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<std::uint64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  } else if (j.is_number_integer()) {
    const auto v = j.get<std::int64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  }
  return std::nullopt;
}

}  // namespace op25bc::io
