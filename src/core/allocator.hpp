#pragma once
// Host memory for tensor storage. Large blocks (>= 1 MiB) are kept after their tensor dies and
// handed to the next request of about the same size: a training loop allocates the same
// activation and gradient sizes every step, and a fresh large block costs a page fault per
// 4 KiB on first touch (the kernel maps and zeroes every page), often more than the op itself.
// The cache is bounded (XGRAD_CACHE_LIMIT_MB, default 512; 0 turns it off) and
// xgrad::empty_cache() returns it to the system.

#include <cstddef>

namespace xgrad::detail {

/// 64-byte aligned block of at least `nbytes`.
void* storage_alloc(size_t nbytes);
/// Gives back a block from storage_alloc (same `nbytes`).
void storage_free(void* p, size_t nbytes) noexcept;

/// Standard allocator over storage_alloc, for xtensor containers.
template <typename T>
struct StorageAllocator {
  using value_type = T;
  StorageAllocator() = default;
  template <typename U>
  StorageAllocator(const StorageAllocator<U>&) noexcept {}
  T* allocate(size_t n) { return static_cast<T*>(storage_alloc(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { storage_free(p, n * sizeof(T)); }
  template <typename U>
  struct rebind {
    using other = StorageAllocator<U>;
  };
  friend bool operator==(const StorageAllocator&, const StorageAllocator&) { return true; }
  friend bool operator!=(const StorageAllocator&, const StorageAllocator&) { return false; }
};

}  // namespace xgrad::detail
