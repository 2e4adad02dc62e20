// Thread count of the kernels (include/xgrad/parallel.hpp) and the parallel loop they share
// (kernels/parallel.hpp), on xgrad's own thread pool.
#include "kernels/parallel.hpp"

#include <xgrad/error.hpp>
#include <xgrad/parallel.hpp>

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <vector>

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

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

namespace {
// True while this thread runs tasks of a team: always in a pool worker, in a caller while it runs
// its share. Nested parallel_for calls then run serially.
thread_local bool t_in_region = false;
}  // namespace

bool in_parallel_region() { return t_in_region; }

namespace {
// Kernels called from several user threads at once. Were every user thread to take the pool in
// turn, four user threads and the pool's workers would share the same cores: a team's end would
// wait for a worker the scheduler has parked behind the other user threads. (Under OpenMP, where
// every user thread opened its own team and idle team threads spun for ~50 ms after each region,
// a 4-thread training step through small layers ran 15-150x slower than with one kernel thread,
// measured on 2 busy cores.) So while kernel calls from different threads interleave, the user
// threads are the parallelism and each runs its tasks itself; a thread that has had the kernels
// to itself for kSoloNs takes the pool again. A single-threaded program, main thread or not,
// always gets the whole team. Results do not change: task boundaries never depend on the thread
// count. Atomics only, no lock.
constexpr int64_t kSoloNs = 100'000'000;  // 100 ms
std::atomic<uint64_t> next_caller_id{1};
thread_local const uint64_t caller_id = next_caller_id.fetch_add(1, std::memory_order_relaxed);
std::atomic<uint64_t> last_caller{0};
std::atomic<int64_t> last_switch_ns{0};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Whether this call may use the pool: no other thread has called the kernels for kSoloNs.
bool may_open_team() {
  const int64_t now = now_ns();
  const uint64_t previous = last_caller.exchange(caller_id, std::memory_order_relaxed);
  if (previous != caller_id && previous != 0) {
    last_switch_ns.store(now, std::memory_order_relaxed);
    return false;
  }
  return now - last_switch_ns.load(std::memory_order_relaxed) > kSoloNs;
}

// ---- Waiting ---------------------------------------------------------------------------------
// OpenMP (libgomp) made idle threads spin for a long time after every region, on cores another
// process may need: two LeNet training processes side by side on 2 cores, each with 2 threads,
// took ~12x longer per step than with 1 thread each. Its OMP_WAIT_POLICY is read when libgomp
// loads, before any code of ours runs. So the pool is our own, and a waiting thread spins only
// briefly (work handed out within a few microseconds is picked up without a system call, which
// keeps back-to-back kernel calls fast), then blocks in the kernel (futex) and gives its core
// away. A worker spins for 5 us only: between kernel calls a training step runs serial code
// (autograd, small ops) for longer than that, and a worker spinning through those gaps burned
// the time slices another process needed. Two LeNet processes side by side at 2 threads each
// stepped 1.12-1.24x slower than at 1 thread each with a 50 us spin, 1.03-1.06x with 5 us; a
// lone process kept its 2-thread speed (the caller never waits for a worker still waking up).
constexpr int64_t kWorkerSpinNs = 5'000;   // a worker waiting for its next job
constexpr int64_t kCallerSpinNs = 50'000;  // a caller waiting for workers still in a task

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free,
              "futex words are std::atomic<uint32_t>");

// Blocks while `word` holds `expected` (returns at once otherwise; may return spuriously).
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
void futex_wake(std::atomic<uint32_t>& word, int count) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

// Spins until done() or for spin_ns; returns done().
template <typename Pred>
bool spin_until(Pred done, int64_t spin_ns) {
  if (done()) return true;
  const int64_t deadline = now_ns() + spin_ns;
  for (;;) {
    for (int k = 0; k < 16; ++k) {
      _mm_pause();
      if (done()) return true;
    }
    if (now_ns() >= deadline) return done();
  }
}

// ---- The pool --------------------------------------------------------------------------------

// One parallel_for call. Written by the caller before it opens the team; read by the workers that
// joined it.
struct Job {
  int64_t n = 0;
  void* ctx = nullptr;
  void (*body)(void*, int64_t) = nullptr;
  std::exception_ptr error;  // the first exception a task threw; set once, by whoever set `failed`
  alignas(64) std::atomic<int64_t> next{0};  // the next task index to take
  std::atomic<bool> failed{false};
};

// Takes tasks until there are none left. Dynamic distribution balances uneven tasks; it cannot
// change results, since a task computes the same thing on whichever thread runs it. An exception
// may not leave a worker (it would be std::terminate): the first one is kept for the caller to
// rethrow and the tasks not yet started are skipped.
void run_tasks(Job& job) {
  while (!job.failed.load(std::memory_order_relaxed)) {
    const int64_t i = job.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= job.n) return;
    try {
      job.body(job.ctx, i);
    } catch (...) {
      if (!job.failed.exchange(true)) job.error = std::current_exception();
    }
  }
}

// A worker's mailbox, on its own cache line.
struct alignas(64) Slot {
  std::atomic<uint32_t> seq{0};       // bumped to hand the worker a job (its futex word)
  std::atomic<uint32_t> sleeping{0};  // the worker is blocked (or about to block) on seq
  std::atomic<bool> stop{false};      // set before the bump that tells the worker to exit
  std::thread thread;                 // touched only by the pool's owner
};

// The team: bits 16-31 of Pool::team are how many workers may be in the job at once (0 once the
// caller has closed it), bits 0-15 how many are in it now. A worker joins only while the team is
// open and not full, and reads the Job only while it is in; the caller closes the team when it
// runs out of tasks and waits only for the workers that did join, so a worker the scheduler has
// not run yet (another process holds the core) never holds the caller up.
constexpr uint32_t kTeamShift = 16;
constexpr uint32_t kActiveMask = (1u << kTeamShift) - 1;
constexpr int64_t kMaxWorkers = kActiveMask;

class Pool {
 public:
  std::mutex mutex;        // held by the one caller whose job the pool runs
  bool shut_down = false;  // under mutex: at exit, every later call runs serially
  Pool* abandoned_next = nullptr;

  // With mutex held and no job running: starts or stops workers to have `workers` of them. A
  // thread that cannot be created (resource limits) leaves the pool smaller: calls then use the
  // workers there are.
  void resize(size_t workers) {
    while (slots_.size() > workers) {
      Slot& s = *slots_.back();
      s.stop.store(true, std::memory_order_relaxed);
      s.seq.fetch_add(1);
      futex_wake(s.seq, 1);
      s.thread.join();
      slots_.pop_back();
    }
    if (slots_.size() == workers) return;
    try {
      slots_.reserve(workers);
      while (slots_.size() < workers) {
        auto slot = std::make_unique<Slot>();
        slot->thread = std::thread([this, s = slot.get()] { worker(*s); });
        slots_.push_back(std::move(slot));  // cannot throw: reserved
      }
    } catch (const std::exception&) {  // std::system_error (no more threads) or std::bad_alloc
    }
  }

  size_t size() const { return slots_.size(); }

  // With mutex held: runs the job with the calling thread and up to `workers` workers; returns
  // the first exception a task threw.
  std::exception_ptr run(int64_t n, void* ctx, void (*body)(void*, int64_t), size_t workers) {
    job_.n = n;
    job_.ctx = ctx;
    job_.body = body;
    job_.next.store(0, std::memory_order_relaxed);
    job_.failed.store(false, std::memory_order_relaxed);
    team_.store(static_cast<uint32_t>(workers) << kTeamShift, std::memory_order_release);
    for (size_t w = 0; w < workers; ++w) {
      Slot& s = *slots_[w];
      // seq_cst here and in the worker: either the worker sees the bump before it blocks, or we
      // see it sleeping and wake it.
      s.seq.fetch_add(1);
      if (s.sleeping.load()) futex_wake(s.seq, 1);
    }
    t_in_region = true;
    run_tasks(job_);
    t_in_region = false;
    if (team_.fetch_and(kActiveMask, std::memory_order_acq_rel) & kActiveMask) {
      const auto all_left = [this] { return team_.load(std::memory_order_acquire) == 0; };
      if (!spin_until(all_left, kCallerSpinNs)) {
        caller_sleeping_.store(1);
        for (uint32_t t; (t = team_.load()) != 0;) futex_wait(team_, t);
        caller_sleeping_.store(0, std::memory_order_relaxed);
      }
    }
    return std::exchange(job_.error, nullptr);
  }

 private:
  void worker(Slot& slot) {
    t_in_region = true;  // a worker runs nothing but tasks: nested loops in them run serially
    pthread_setname_np(pthread_self(), "xgrad-worker");
    uint32_t seen = 0;
    const auto handed = [&] { return slot.seq.load() != seen; };
    for (;;) {
      if (!spin_until(handed, kWorkerSpinNs)) {
        slot.sleeping.store(1);
        while (!handed()) futex_wait(slot.seq, seen);
        slot.sleeping.store(0, std::memory_order_relaxed);
      }
      seen = slot.seq.load(std::memory_order_acquire);
      if (slot.stop.load(std::memory_order_relaxed)) return;
      join_job();
    }
  }

  void join_job() {
    uint32_t t = team_.load(std::memory_order_relaxed);
    do {
      if ((t & kActiveMask) >= (t >> kTeamShift)) return;  // closed, or full
    } while (!team_.compare_exchange_weak(t, t + 1, std::memory_order_acquire, std::memory_order_relaxed));
    sync_flush_denormal();  // workers keep their own MXCSR
    run_tasks(job_);
    // The last worker out of a closed team wakes the caller if it blocked.
    if (team_.fetch_sub(1) == 1 && caller_sleeping_.load()) futex_wake(team_, 1);
  }

  std::vector<std::unique_ptr<Slot>> slots_;  // under mutex; a worker touches only its own Slot
  Job job_;
  alignas(64) std::atomic<uint32_t> team_{0};
  std::atomic<uint32_t> caller_sleeping_{0};
};

// The process's pool, created on first use. Pools are never destroyed: a pool whose threads did
// not survive fork() stays reachable in abandoned_pools, and the live one in the_pool after exit
// has stopped its workers (so LeakSanitizer has nothing to report and no destructor races a
// thread still calling the kernels while the program exits).
std::atomic<Pool*> the_pool{nullptr};
std::atomic<bool> exiting{false};
Pool* abandoned_pools = nullptr;

Pool* get_pool() {
  Pool* p = the_pool.load(std::memory_order_acquire);
  if (p || exiting.load(std::memory_order_relaxed)) return p;
  Pool* fresh = new (std::nothrow) Pool;  // no workers yet: resize starts them
  if (!fresh) return nullptr;
  if (the_pool.compare_exchange_strong(p, fresh, std::memory_order_acq_rel)) return fresh;
  delete fresh;  // another thread installed its pool first; this one has no workers
  return p;
}

// In the child of fork() only the forking thread exists: the workers, and possibly a caller that
// held the pool's mutex, did not come along. The child forgets that pool (it must not join or
// destroy threads it does not have) and makes a fresh one on its next parallel call. Only pointer
// stores here: a fork handler may not do more.
void forget_pool_in_child() {
  if (Pool* p = the_pool.exchange(nullptr)) {
    p->abandoned_next = abandoned_pools;
    abandoned_pools = p;
  }
}

// At exit (static destruction of the library) the workers are stopped and joined, so none runs
// while the process tears down; kernel calls made later (from other static destructors) run
// serially. If another thread is inside a parallel call right now, its workers are left to the
// process's end rather than waited for.
struct ShutDownAtExit {
  ShutDownAtExit() { pthread_atfork(nullptr, nullptr, forget_pool_in_child); }
  ~ShutDownAtExit() {
    exiting.store(true);
    Pool* p = the_pool.load(std::memory_order_acquire);
    if (!p) return;
    std::unique_lock<std::mutex> lock(p->mutex, std::try_to_lock);
    if (!lock.owns_lock()) return;
    p->shut_down = true;
    p->resize(0);
  }
};
ShutDownAtExit shut_down_at_exit;

}  // namespace

void parallel_for_impl(int64_t n, void* ctx, void (*body)(void*, int64_t)) {
  sync_flush_denormal();
  const auto serial = [&] {
    for (int64_t i = 0; i < n; ++i) body(ctx, i);
  };
  if (t_in_region) return serial();  // nested loop inside a task: this thread is one of a team
  const int64_t configured = get_num_threads();
  const int64_t nt = std::min<int64_t>(configured, n);
  if (nt <= 1 || !may_open_team()) return serial();
  Pool* pool = get_pool();
  if (!pool) return serial();
  // Another user thread has the pool: run the tasks here rather than wait for it.
  std::unique_lock<std::mutex> lock(pool->mutex, std::try_to_lock);
  if (!lock.owns_lock() || pool->shut_down) return serial();
  // Workers follow set_num_threads: started on first use, started or stopped when it changes.
  pool->resize(static_cast<size_t>(std::min<int64_t>(configured - 1, kMaxWorkers)));
  const size_t workers = std::min(static_cast<size_t>(nt - 1), pool->size());
  if (workers == 0) {
    lock.unlock();
    return serial();
  }
  std::exception_ptr error = pool->run(n, ctx, body, workers);
  lock.unlock();
  if (error) std::rethrow_exception(error);
}

}  // namespace kernels
}  // namespace xgrad
