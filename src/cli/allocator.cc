// SPDX-License-Identifier: GPL-2.0-or-later
// op25bc allocates through jemalloc (linked with op25bc_core), and the
// executable asks it here to back its memory with transparent huge pages. At a
// million prefixes op25bc touches ~190 MB; with 4 KiB pages each first touch
// is a page fault, and on a virtualised router those faults were nearly half
// of a one-prefix apply (0.50 s with glibc's malloc, 0.28 s with this, 0.17 s
// once the bulk arrays came from this heap too: bulk_allocator_heap.cc).
// Build with -DOP25BC_JEMALLOC=OFF (sanitizer builds must) for glibc's malloc.

extern "C" {
// jemalloc reads this when it starts, before main(); MALLOC_CONF in the
// environment still overrides it. jemalloc's documented way to configure a
// program, and constant after link time.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables)
const char* malloc_conf = "thp:always,metadata_thp:auto";
}
