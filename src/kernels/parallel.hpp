#pragma once
// Internal parallel loop of the kernels. `parallel_for(n, fn)` calls fn(i) once for every task
// index i in [0, n) on up to get_num_threads() threads (serially when n == 1, when one thread is
// configured, or when already inside a parallel region). Which thread runs a task never changes
// what the task computes, so callers get bit-identical results for any thread count as long as
// their task boundaries do not depend on it.

#include <cstdint>
#include <utility>

namespace xgrad::kernels {

/// Non-template core: runs body(ctx, i) for i in [0, n).
void parallel_for_impl(int64_t n, void* ctx, void (*body)(void*, int64_t));

/// True inside a parallel_for task (nested loops then run serially).
bool in_parallel_region();

/// Brings this thread's subnormal handling (MXCSR FTZ/DAZ) in line with set_flush_denormal;
/// parallel_for calls it in the caller and in every pool thread.
void sync_flush_denormal();

template <typename F>
void parallel_for(int64_t n, F&& fn) {
  if (n <= 0) return;
  if (n == 1) {
    fn(int64_t{0});
    return;
  }
  using Fn = std::remove_reference_t<F>;
  parallel_for_impl(n, const_cast<void*>(static_cast<const void*>(&fn)),
                    [](void* ctx, int64_t i) { (*static_cast<Fn*>(ctx))(i); });
}

}  // namespace xgrad::kernels
