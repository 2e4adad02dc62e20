// Thread count of the kernels (include/xgrad/parallel.hpp) and the parallel loop they share
// (kernels/parallel.hpp), on OpenMP.
#include "kernels/parallel.hpp"

#include <xgrad/error.hpp>
#include <xgrad/parallel.hpp>

#include <omp.h>
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <thread>

#include <sched.h>

namespace xgrad {
namespace {
// A positive integer from the environment, or 0.
int64_t env_count(const char* name) {
  const char* env = std::getenv(name);
  if (!env) return 0;
  char* end = nullptr;
  const long v = std::strtol(env, &end, 10);
  return end != env && *end == '\0' && v >= 1 ? v : 0;
}

// CPUs this process may run on: its affinity mask (taskset, an MPI launcher's binding, a
// container's cpuset), capped by a cgroup v2 CPU quota ("max" or "<quota> <period>").
int64_t usable_cpus() {
  int64_t n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()));
  if (std::FILE* f = std::fopen("/sys/fs/cgroup/cpu.max", "r")) {
    char quota[32] = {0};
    long long period = 0;
    if (std::fscanf(f, "%31s %lld", quota, &period) == 2 && std::strcmp(quota, "max") != 0 && period > 0) {
      const long long q = std::atoll(quota);
      if (q > 0) n = std::min<int64_t>(n, std::max<int64_t>(1, (q + period - 1) / period));
    }
    std::fclose(f);
  }
  return n;
}

// XGRAD_NUM_THREADS, then OMP_NUM_THREADS, then the CPUs this process may use.
int64_t default_num_threads() {
  if (int64_t v = env_count("XGRAD_NUM_THREADS")) return v;
  if (int64_t v = env_count("OMP_NUM_THREADS")) return v;
  return usable_cpus();
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

namespace {
std::atomic<bool> flush_denormal_requested{false};
// What this thread's MXCSR is known to hold; it starts as the process default (no flushing).
thread_local bool flush_denormal_applied = false;
// FTZ (bit 15: results that would be subnormal become 0) and DAZ (bit 6: subnormal inputs read
// as 0).
constexpr unsigned kFtzDaz = 0x8040;
}  // namespace

namespace kernels {
void sync_flush_denormal() {
  const bool want = flush_denormal_requested.load(std::memory_order_relaxed);
  if (want == flush_denormal_applied) return;
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(want ? (csr | kFtzDaz) : (csr & ~kFtzDaz));
  flush_denormal_applied = want;
}
}  // namespace kernels

bool set_flush_denormal(bool on) {
  flush_denormal_requested.store(on);
  kernels::sync_flush_denormal();
  return true;
}

namespace kernels {

bool in_parallel_region() { return omp_in_parallel() != 0; }

namespace {
// Kernels called from several user threads at once. Each OpenMP team belongs to the thread that
// opens it, so four user threads would open four teams of get_num_threads() threads each on the
// same cores; a team's barrier then waits for pool threads the scheduler has parked behind the
// other user threads, and after each region the idle pool threads spin (libgomp's default,
// ~50 ms here) on cores the others need. A 4-thread training step through small layers ran
// 15-150x slower than with OMP_NUM_THREADS=1 (measured on 2 busy cores). So while kernel calls
// from different threads interleave, the user threads are the parallelism and each runs its
// tasks itself; a thread that has had the kernels to itself for kSoloNs opens a team again.
// A single-threaded program, main thread or not, always gets the whole team. Results do not
// change: task boundaries never depend on the thread count. Atomics only, no lock.
constexpr int64_t kSoloNs = 100'000'000;  // 100 ms: longer than the pool's spin after a region
std::atomic<uint64_t> next_caller_id{1};
thread_local const uint64_t caller_id = next_caller_id.fetch_add(1, std::memory_order_relaxed);
std::atomic<uint64_t> last_caller{0};
std::atomic<int64_t> last_switch_ns{0};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Whether this call may open a team: no other thread has called the kernels for kSoloNs.
bool may_open_team() {
  const int64_t now = now_ns();
  const uint64_t previous = last_caller.exchange(caller_id, std::memory_order_relaxed);
  if (previous != caller_id && previous != 0) {
    last_switch_ns.store(now, std::memory_order_relaxed);
    return false;
  }
  return now - last_switch_ns.load(std::memory_order_relaxed) > kSoloNs;
}
}  // namespace

void parallel_for_impl(int64_t n, void* ctx, void (*body)(void*, int64_t)) {
  sync_flush_denormal();
  if (omp_in_parallel()) {  // nested loop inside a task: this thread is already one of a team
    for (int64_t i = 0; i < n; ++i) body(ctx, i);
    return;
  }
  const int64_t nt = std::min<int64_t>(get_num_threads(), n);
  if (nt <= 1 || !may_open_team()) {
    for (int64_t i = 0; i < n; ++i) body(ctx, i);
    return;
  }
  // An exception may not leave an OpenMP region (it would be std::terminate): the first one a
  // task throws (an OutOfMemoryError for its scratch, a ValueError) is kept, the tasks not yet
  // started are skipped, and it is rethrown here, in the calling thread.
  std::exception_ptr error;
  std::atomic<bool> failed{false};
#pragma omp parallel num_threads(static_cast<int>(nt))
  {
    sync_flush_denormal();  // pool threads keep their own MXCSR
    // Dynamic scheduling balances uneven tasks; it cannot change results, since a task computes
    // the same thing on whichever thread runs it.
#pragma omp for schedule(dynamic, 1)
    for (int64_t i = 0; i < n; ++i) {
      if (failed.load(std::memory_order_relaxed)) continue;
      try {
        body(ctx, i);
      } catch (...) {
        if (!failed.exchange(true)) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace kernels
}  // namespace xgrad
