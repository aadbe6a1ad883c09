// SPDX-License-Identifier: GPL-2.0-or-later
// libnftnl trusts the kernel's ABI: on a reply attribute of the wrong type or
// length it prints "nf_tables kernel ABI is broken" and calls exit(1). op25bc
// checks every reply first (src/nft/reply_check.h), so that must never
// happen; while the netlink harness is inside op25bc's kernel calls, exit()
// throws instead, and the harness reports it as a finding with the input.
// Everywhere else exit() is libc's. This file must not include <cstdlib>: glibc declares exit()
// noexcept, and this definition must be allowed to throw.
#include <dlfcn.h>

#include "libnftnl_exit.h"

namespace fuzz {

thread_local bool catching_exit = false;

}  // namespace fuzz

extern "C" [[noreturn]] void exit(int status) {
  if (fuzz::catching_exit) throw fuzz::LibnftnlExit{status};
  using Exit = void (*)(int);
  const auto real = reinterpret_cast<Exit>(dlsym(RTLD_NEXT, "exit"));
  real(status);
  __builtin_unreachable();
}
