// SPDX-License-Identifier: GPL-2.0-or-later
// Helpers of the real-kernel tests: a fresh network namespace for the
// calling process, and a shell command's output (nft is the oracle).
#pragma once

#include <doctest/doctest.h>
#include <sched.h>

#include <array>
#include <cstdio>
#include <string>

namespace op25bc::test {

inline void fresh_netns() {
  REQUIRE(::unshare(CLONE_NEWNET) == 0);
}

inline std::string sh(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

}  // namespace op25bc::test
