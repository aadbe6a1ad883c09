// The allocator of the few arrays that grow to millions of entries (pool
// prefixes, the pool index, set elements). Blocks of 2 MiB
// and more are mapped on their own and advised to use transparent huge pages:
// filling a 1M-prefix policy's arrays then takes a few hundred page faults
// instead of ~100,000, which was a third of a one-prefix apply's time.
// Smaller blocks come from operator new as usual.
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
