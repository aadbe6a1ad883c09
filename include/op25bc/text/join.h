// SPDX-License-Identifier: GPL-2.0-or-later
// Lists in messages and reports: "a, b, c".
#pragma once

#include <string>
#include <string_view>

namespace op25bc::text {

// The items of `range`, each made text by `show`, with `separator` between.
template <typename Range, typename Show>
std::string join(const Range& range, Show show, std::string_view separator = ", ") {
  std::string out;
  bool first = true;
  for (const auto& item : range) {
    if (!first) out += separator;
    out += show(item);
    first = false;
  }
  return out;
}

// The strings of `range`, with `separator` between.
template <typename Range>
std::string join(const Range& range, std::string_view separator = ", ") {
  return join(
      range, [](const auto& s) -> const auto& { return s; }, separator);
}

}  // namespace op25bc::text
