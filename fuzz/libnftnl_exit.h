// SPDX-License-Identifier: GPL-2.0-or-later
// See libnftnl_exit.cc.
#pragma once

namespace fuzz {

struct LibnftnlExit {
  int status;
};

extern thread_local bool catching_exit;

// While one lives, libnftnl's exit() throws LibnftnlExit.
struct CatchExit {
  CatchExit() { catching_exit = true; }
  ~CatchExit() { catching_exit = false; }
  CatchExit(const CatchExit&) = delete;
  CatchExit& operator=(const CatchExit&) = delete;
};

}  // namespace fuzz
