// Thread count of the kernels (include/xgrad/parallel.hpp) and the parallel loop they share
// (kernels/parallel.hpp), on OpenMP.
#include "kernels/parallel.hpp"

#include <xgrad/error.hpp>
#include <xgrad/parallel.hpp>

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

namespace xgrad {
namespace {
int64_t default_num_threads() {
  if (const char* env = std::getenv("XGRAD_NUM_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1) return v;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int64_t>(hw);
}
std::atomic<int64_t>& num_threads_slot() {
  static std::atomic<int64_t> n{default_num_threads()};
  return n;
}
}  // namespace

void set_num_threads(int64_t n) {
  XGRAD_CHECK(n >= 1, ValueError, "set_num_threads: expected a positive number of threads, got {}", n);
  num_threads_slot().store(n);
}

int64_t get_num_threads() { return num_threads_slot().load(); }

namespace kernels {

bool in_parallel_region() { return omp_in_parallel() != 0; }

void parallel_for_impl(int64_t n, void* ctx, void (*body)(void*, int64_t)) {
  const int64_t nt = std::min<int64_t>(get_num_threads(), n);
  if (nt <= 1 || omp_in_parallel()) {
    for (int64_t i = 0; i < n; ++i) body(ctx, i);
    return;
  }
  // Dynamic scheduling balances uneven tasks; it cannot change results, since a task computes
  // the same thing on whichever thread runs it.
#pragma omp parallel for num_threads(static_cast<int>(nt)) schedule(dynamic, 1)
  for (int64_t i = 0; i < n; ++i) body(ctx, i);
}

}  // namespace kernels
}  // namespace xgrad
