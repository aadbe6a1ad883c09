// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/net/bulk_allocator.h"

#include <sys/mman.h>

namespace op25bc::net {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kPage = 4096;
// From here to a huge page, a block is mapped already filled in: one system
// call instead of a page fault per 4 KiB (the slices of a sharded set, the
// record's sets, are 64 KiB to 2 MiB each, hundreds of them).
constexpr std::size_t kPopulated = 64 * 1024;

std::size_t mapped_size(std::size_t bytes) {
  const std::size_t unit = bytes < kHugePage ? kPage : kHugePage;
  return (bytes + unit - 1) / unit * unit;
}

}  // namespace

void* bulk_allocate(std::size_t bytes) {
  if (bytes < kPopulated) return ::operator new(bytes);
  const bool huge = bytes >= kHugePage;
  void* p = ::mmap(nullptr, mapped_size(bytes), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | (huge ? 0 : MAP_POPULATE), -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  if (huge) ::madvise(p, mapped_size(bytes), MADV_HUGEPAGE);  // advice only: no THP, no harm
  return p;
}

void bulk_deallocate(void* p, std::size_t bytes) noexcept {
  if (bytes < kPopulated)
    ::operator delete(p);  // unsized: clang enables sized deallocation only on request
  else
    ::munmap(p, mapped_size(bytes));
}

}  // namespace op25bc::net
