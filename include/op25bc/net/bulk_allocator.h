// SPDX-License-Identifier: GPL-2.0-or-later
// The allocator of the few arrays that grow to millions of entries (pool
// prefixes, the pool index, set elements). Two implementations, chosen at
// build time: with jemalloc (the default build) they come from the heap, which
// jemalloc backs with transparent huge pages (bulk_allocator_heap.cc); with
// glibc's malloc, blocks of 2 MiB and more are mapped on their own and advised
// to use huge pages, and blocks from 64 KiB are mapped already populated
// (bulk_allocator.cc). Either way filling a 1M-prefix policy's arrays takes a
// few hundred page faults instead of ~100,000.
#pragma once

#include <cstddef>
#include <new>

namespace op25bc::net {

void* bulk_allocate(std::size_t bytes);
void bulk_deallocate(void* p, std::size_t bytes) noexcept;

template <class T>
struct BulkAllocator {
  using value_type = T;
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

  BulkAllocator() = default;
  template <class U>
  BulkAllocator(const BulkAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(bulk_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { bulk_deallocate(p, n * sizeof(T)); }

  friend bool operator==(const BulkAllocator&, const BulkAllocator&) = default;
};

}  // namespace op25bc::net
