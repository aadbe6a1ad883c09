#include "op25bc/net/bulk_allocator.h"

#include <sys/mman.h>

namespace op25bc::net {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t mapped_size(std::size_t bytes) {
  return (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

}  // namespace

void* bulk_allocate(std::size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes);
  void* p = ::mmap(nullptr, mapped_size(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  ::madvise(p, mapped_size(bytes), MADV_HUGEPAGE);  // advice only: no THP, no harm
  return p;
}

void bulk_deallocate(void* p, std::size_t bytes) noexcept {
  if (bytes < kHugePage)
    ::operator delete(p, bytes);
  else
    ::munmap(p, mapped_size(bytes));
}

}  // namespace op25bc::net
