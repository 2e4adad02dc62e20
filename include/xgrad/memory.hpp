#pragma once
// Host memory of tensors. Blocks of 1 MiB and more are kept after their tensors die and reused
// by the next tensor of the same size (a training step allocates the same sizes as the
// last one, and a fresh block costs a page fault per 4 KiB on first touch). The cache holds at
// most XGRAD_CACHE_LIMIT_MB mebibytes (default 512; 0 disables it).

#include <cstddef>

namespace xgrad {

/// Returns every cached block to the system.
void empty_cache();

/// Bytes currently held by the cache (not in use by any tensor).
size_t cached_bytes();

}  // namespace xgrad
