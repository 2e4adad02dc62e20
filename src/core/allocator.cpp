// The storage allocator and its cache of large blocks (allocator.hpp).
#include "core/allocator.hpp"

#include <xgrad/memory.hpp>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <new>

namespace xgrad {
namespace detail {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kCachedMin = size_t{1} << 20;  // smaller blocks: malloc reuses them well
constexpr size_t kPage = 4096;

size_t cache_limit_from_env() {
  if (const char* env = std::getenv("XGRAD_CACHE_LIMIT_MB")) {
    char* end = nullptr;
    const long long mb = std::strtoll(env, &end, 10);
    if (end != env && *end == '\0' && mb >= 0) return static_cast<size_t>(mb) << 20;
  }
  return size_t{512} << 20;
}

struct BlockCache {
  std::mutex mutex;
  std::multimap<size_t, void*> free_blocks;  // size -> block
  size_t cached = 0;
  const size_t limit = cache_limit_from_env();
};

BlockCache& cache() {
  // Leaked on purpose: tensors destroyed during static destruction may still give blocks back.
  static BlockCache* c = new BlockCache;
  return *c;
}

// The nothrow form, and our own bad_alloc: a failed request then reaches the caller (who turns
// it into OutOfMemoryError) under every allocator, AddressSanitizer's included, whose throwing
// operator new reports and aborts instead of throwing.
void* raw_alloc(size_t nbytes) {
  void* p = ::operator new(nbytes, std::align_val_t(kAlignment), std::nothrow);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void raw_free(void* p) noexcept { ::operator delete(p, std::align_val_t(kAlignment)); }

size_t rounded(size_t nbytes) { return nbytes < kCachedMin ? nbytes : (nbytes + kPage - 1) / kPage * kPage; }

// Small blocks: a per-thread free list for each size (in 64-byte steps up to 4 KiB). A
// define-by-run step on small tensors allocates and frees a dozen such blocks per op, and
// 64-byte aligned allocations miss glibc's fast per-thread bins: each pays for memalign's split
// and free's coalescing, about a fifth of a small training step. A block freed on another thread
// (a pool worker) goes to that thread's list; each list keeps at most kSmallPerSize blocks, and
// a thread's lists are freed when it exits. Under AddressSanitizer every block goes back to the
// system at once, so a use after free is still reported.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSmallCacheOn = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSmallCacheOn = false;
#else
constexpr bool kSmallCacheOn = true;
#endif
#else
constexpr bool kSmallCacheOn = true;
#endif
constexpr size_t kSmallMax = 4096;
constexpr size_t kSmallSizes = kSmallMax / kAlignment;
constexpr size_t kSmallPerSize = 16;

struct SmallCache {
  void* blocks[kSmallSizes][kSmallPerSize] = {};
  uint8_t count[kSmallSizes] = {};
  ~SmallCache();
};
// Set when this thread's cache is gone (thread exit): later frees (tensors destroyed by other
// thread_local destructors) go straight to the system.
thread_local bool small_cache_gone = false;
thread_local SmallCache small_cache;
SmallCache::~SmallCache() {
  small_cache_gone = true;
  for (size_t c = 0; c < kSmallSizes; ++c)
    for (size_t i = 0; i < count[c]; ++i) raw_free(blocks[c][i]);
}

size_t small_class(size_t nbytes) { return (nbytes + kAlignment - 1) / kAlignment - 1; }  // nbytes in [1, kSmallMax]

}  // namespace

void* storage_alloc(size_t nbytes) {
  // Rounding a size within a page of SIZE_MAX up to whole pages wraps to a tiny block that would
  // then be used as if it held `nbytes`: refuse it as the failed allocation it is.
  if (nbytes > std::numeric_limits<size_t>::max() - kPage) throw std::bad_alloc();
  if (kSmallCacheOn && nbytes > 0 && nbytes <= kSmallMax && !small_cache_gone) {
    const size_t c = small_class(nbytes);
    SmallCache& sc = small_cache;
    if (sc.count[c] > 0) return sc.blocks[c][--sc.count[c]];
    return raw_alloc((c + 1) * kAlignment);
  }
  const size_t size = rounded(nbytes);
  if (size >= kCachedMin) {
    BlockCache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    // Exact (page-rounded) sizes only: the allocator is told the requested size when the block
    // comes back, so a block must serve requests of its own size.
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end()) {
      void* p = it->second;
      c.cached -= size;
      c.free_blocks.erase(it);
      return p;
    }
  }
  return raw_alloc(size);
}

void storage_free(void* p, size_t nbytes) noexcept {
  if (p == nullptr) return;
  if (kSmallCacheOn && nbytes > 0 && nbytes <= kSmallMax) {
    // Every small block is raw_alloc'ed at its class size, whichever thread frees it, so it may
    // serve any request of that class.
    if (!small_cache_gone) {
      const size_t c = small_class(nbytes);
      SmallCache& sc = small_cache;
      if (sc.count[c] < kSmallPerSize) {
        sc.blocks[c][sc.count[c]++] = p;
        return;
      }
    }
    raw_free(p);
    return;
  }
  const size_t size = rounded(nbytes);
  if (size >= kCachedMin) {
    BlockCache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + size <= c.limit) {
      try {
        c.free_blocks.emplace(size, p);
        c.cached += size;
        return;
      } catch (...) {  // no memory for the map node: just free the block
      }
    }
  }
  raw_free(p);
}

}  // namespace detail

void empty_cache() {
  auto& c = detail::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, p] : c.free_blocks) detail::raw_free(p);
  c.free_blocks.clear();
  c.cached = 0;
}

size_t cached_bytes() {
  auto& c = detail::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached;
}

}  // namespace xgrad
