// SPDX-License-Identifier: GPL-2.0-or-later
// The bulk allocator when the program allocates through jemalloc with
// transparent huge pages (-DOP25BC_JEMALLOC=ON, the default; see
// src/cli/allocator.cc): the heap already backs large blocks with huge pages,
// reuses freed ones (the index sort's scratch becomes the sets' slices) and
// never unmaps them at exit, so the bulk arrays come from it like any other.
// At 1M prefixes that took a one-prefix apply from 0.27 s to 0.17 s against
// mapping each array on its own (bulk_allocator.cc, the glibc build).
// Sanitizer and fuzz builds use it too, so AddressSanitizer checks the
// arrays' bounds.
#include <new>

#include "op25bc/net/bulk_allocator.h"

namespace op25bc::net {

void* bulk_allocate(std::size_t bytes) {
  return ::operator new(bytes);
}

void bulk_deallocate(void* p, std::size_t) noexcept {
  ::operator delete(p);  // unsized: clang enables sized deallocation only on request
}

}  // namespace op25bc::net
