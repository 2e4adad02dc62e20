#define BOOST_TEST_MODULE thread_pool
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include "kernels/parallel.hpp"

#include <xgrad/error.hpp>
#include <xgrad/parallel.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

// The kernels' thread pool (src/kernels/parallel.cpp): exceptions carried to the caller, nested
// loops, user threads calling at once, resizing with set_num_threads, use after fork(), many
// small calls, and results independent of the thread count.

using namespace xgrad::kernels;
using namespace std::chrono_literals;

namespace {

struct ThreadsGuard {
  int64_t saved = xgrad::get_num_threads();
  ~ThreadsGuard() { xgrad::set_num_threads(saved); }
};

// Threads of this process, from /proc/self/task.
size_t process_threads() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// The distinct threads that ran `n` tasks of 2 ms each (a sleeping task frees its core, so every
// worker gets to take tasks even on a busy machine).
std::set<std::thread::id> threads_running(int64_t n) {
  std::mutex m;
  std::set<std::thread::id> ids;
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  parallel_for(n, [&](int64_t i) {
    std::this_thread::sleep_for(2ms);
    hits[static_cast<size_t>(i)]++;
    std::lock_guard<std::mutex> lock(m);
    ids.insert(std::this_thread::get_id());
  });
  for (auto& h : hits) BOOST_REQUIRE(h.load() == 1);
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(exception_in_a_task_reaches_the_caller_and_skips_the_rest) {
  ThreadsGuard guard;
  for (int64_t threads : {1, 2, 3}) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      xgrad::set_num_threads(threads);
      // Every task throws: one exception arrives, and each thread stops after its first task.
      std::atomic<int> ran{0};
      try {
        parallel_for(1000, [&](int64_t i) {
          ran++;
          throw xgrad::ValueError("task " + std::to_string(i));
        });
        BOOST_FAIL("no exception");
      } catch (const xgrad::ValueError& e) {
        BOOST_TEST(std::string(e.what()).rfind("task ", 0) == 0);
      }
      BOOST_TEST(ran.load() >= 1);
      BOOST_TEST(ran.load() <= threads);

      // Thrown on a pool worker (not the calling thread): the caller still gets it, typed.
      const auto caller = std::this_thread::get_id();
      std::atomic<bool> thrown_elsewhere{false};
      try {
        parallel_for(64, [&](int64_t) {
          std::this_thread::sleep_for(1ms);
          if (std::this_thread::get_id() != caller) {
            thrown_elsewhere = true;
            throw xgrad::IndexError("from a worker");
          }
        });
      } catch (const xgrad::IndexError& e) {
        BOOST_TEST(std::string(e.what()) == "from a worker");
      }
      BOOST_TEST(thrown_elsewhere.load() == (threads > 1));

      // The pool is usable afterwards.
      std::atomic<int64_t> sum{0};
      parallel_for(100, [&](int64_t i) { sum += i; });
      BOOST_TEST(sum.load() == 4950);
    }
  }
}

BOOST_AUTO_TEST_CASE(nested_loops_run_serially_on_the_task_thread) {
  ThreadsGuard guard;
  xgrad::set_num_threads(2);
  BOOST_TEST(!in_parallel_region());
  std::atomic<int> outer_ok{0}, inner_ok{0}, inner_runs{0};
  parallel_for(40, [&](int64_t) {
    if (in_parallel_region()) outer_ok++;
    const auto me = std::this_thread::get_id();
    parallel_for(5, [&](int64_t) {
      inner_runs++;
      if (std::this_thread::get_id() == me && in_parallel_region()) inner_ok++;
    });
  });
  BOOST_TEST(outer_ok.load() == 40);
  BOOST_TEST(inner_runs.load() == 200);
  BOOST_TEST(inner_ok.load() == 200);
  BOOST_TEST(!in_parallel_region());  // the caller leaves the region, also after an exception
  BOOST_CHECK_THROW(parallel_for(4, [](int64_t) { throw xgrad::ValueError("x"); }), xgrad::ValueError);
  BOOST_TEST(!in_parallel_region());
}

// A user thread calling while another has the pool runs its tasks itself, without waiting: here
// the pool's job cannot finish until the second thread's call has returned.
BOOST_AUTO_TEST_CASE(user_thread_runs_its_tasks_while_the_pool_is_busy) {
  ThreadsGuard guard;
  xgrad::set_num_threads(2);
  std::atomic<bool> pool_busy{false}, other_done{false}, timed_out{false};
  std::thread owner([&] {
    parallel_for(2, [](int64_t) {});  // alone for 100 ms, this thread takes the pool
    std::this_thread::sleep_for(150ms);
    parallel_for(2, [&](int64_t) {
      pool_busy = true;
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while (!other_done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100us);
      if (!other_done) timed_out = true;
    });
  });
  while (!pool_busy) std::this_thread::sleep_for(100us);
  const auto me = std::this_thread::get_id();
  std::atomic<int> on_me{0};
  parallel_for(50, [&](int64_t) {
    if (std::this_thread::get_id() == me) on_me++;
  });
  other_done = true;
  owner.join();
  BOOST_TEST(on_me.load() == 50);
  BOOST_TEST(!timed_out.load());
}

BOOST_AUTO_TEST_CASE(user_threads_calling_at_once_get_exact_results) {
  ThreadsGuard guard;
  xgrad::set_num_threads(2);
  constexpr int kUsers = 4, kCalls = 2000;
  std::vector<int64_t> wrong(kUsers, 0);
  std::vector<std::thread> users;
  for (int u = 0; u < kUsers; ++u)
    users.emplace_back([&, u] {
      for (int c = 0; c < kCalls; ++c) {
        const int64_t n = 1 + (c + u) % 37;
        std::vector<int64_t> out(static_cast<size_t>(n), 0);
        parallel_for(n, [&](int64_t i) { out[static_cast<size_t>(i)] = i * i + u; });
        for (int64_t i = 0; i < n; ++i)
          if (out[static_cast<size_t>(i)] != i * i + u) wrong[static_cast<size_t>(u)]++;
      }
    });
  for (auto& t : users) t.join();
  for (int u = 0; u < kUsers; ++u) BOOST_TEST(wrong[static_cast<size_t>(u)] == 0);
}

// Workers are started on first use and started or stopped when set_num_threads changes.
BOOST_AUTO_TEST_CASE(pool_follows_set_num_threads) {
  ThreadsGuard guard;
  // Let the caller-interleaving guard of the previous test expire (100 ms alone), then give the
  // pool one worker.
  parallel_for(2, [](int64_t) {});
  std::this_thread::sleep_for(150ms);
  xgrad::set_num_threads(2);
  BOOST_TEST(threads_running(8).size() == 2u);
  const size_t others = process_threads() - 1;  // this thread (and any the runtime started)
  for (int64_t threads : {3, 1, 2, 4, 2}) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      xgrad::set_num_threads(threads);
      const auto ids = threads_running(48);
      BOOST_TEST(ids.size() <= static_cast<size_t>(threads));
      if (threads > 1) {
        BOOST_TEST(ids.size() >= 2u);  // tasks of 2 ms sleep: every worker takes some
        BOOST_TEST(process_threads() == others + static_cast<size_t>(threads - 1));  // threads - 1 workers
      }
    }
  }
}

// fork() in a program whose pool has workers: the child's pool has none of them, and must not
// wait for them. The child gets a fresh pool.
BOOST_AUTO_TEST_CASE(parallel_for_works_in_a_forked_child) {
#ifdef __SANITIZE_THREAD__
  // ThreadSanitizer does not support starting threads in the child of a multithreaded fork.
  BOOST_TEST_MESSAGE("skipped under ThreadSanitizer");
  return;
#endif
  ThreadsGuard guard;
  xgrad::set_num_threads(2);
  BOOST_TEST(threads_running(16).size() == 2u);  // the parent's pool has its worker
  const pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: 0 when every task ran once, on two threads, with the right sum.
    std::atomic<int64_t> sum{0};
    parallel_for(1000, [&](int64_t i) { sum += i; });
    const auto ids = threads_running(32);
    _exit(sum.load() == 499500 && ids.size() == 2 ? 0 : 1);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    BOOST_FAIL("the child hung in parallel_for");
  }
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  // The parent's pool is untouched.
  BOOST_TEST(threads_running(16).size() == 2u);
}

// Back-to-back tiny calls (the worker is spinning), and calls spaced out past the spin (the
// worker has blocked and must be woken): none is lost, none hangs.
BOOST_AUTO_TEST_CASE(many_small_calls) {
  ThreadsGuard guard;
  for (int64_t threads : {2, 3}) {
    xgrad::set_num_threads(threads);
    int64_t wrong = 0;
    for (int c = 0; c < 50000; ++c) {
      int64_t out[3] = {0, 0, 0};
      const int64_t n = 2 + c % 2;
      parallel_for(n, [&](int64_t i) { out[i] = i + c; });
      for (int64_t i = 0; i < n; ++i) wrong += out[i] != i + c;
      if (c % 1000 == 0) std::this_thread::sleep_for(300us);
    }
    for (int c = 0; c < 300; ++c) {
      std::atomic<int64_t> sum{0};
      parallel_for(8, [&](int64_t i) { sum += i; });
      wrong += sum.load() != 28;
      std::this_thread::sleep_for(200us);
    }
    BOOST_TEST(wrong == 0);
  }
}

// A reduction whose task boundaries do not depend on the thread count gives bit-identical sums
// for 1, 2 and 3 threads (the partial sums are combined in task order by the caller).
BOOST_AUTO_TEST_CASE(results_identical_for_any_thread_count) {
  ThreadsGuard guard;
  std::vector<float> x(1 << 20);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 2654435761u) % 1000003) * 1e-3f - 500.0f;
  constexpr int64_t kChunks = 97;
  std::vector<std::vector<float>> partials;
  for (int64_t threads : {1, 2, 3}) {
    xgrad::set_num_threads(threads);
    std::vector<float> part(kChunks);
    parallel_for(kChunks, [&](int64_t c) {
      const size_t lo = x.size() * static_cast<size_t>(c) / kChunks, hi = x.size() * static_cast<size_t>(c + 1) / kChunks;
      float s = 0;
      for (size_t i = lo; i < hi; ++i) s += x[i] * x[i] * 1e-3f;
      part[static_cast<size_t>(c)] = s;
    });
    partials.push_back(part);
  }
  BOOST_TEST(std::memcmp(partials[0].data(), partials[1].data(), kChunks * sizeof(float)) == 0);
  BOOST_TEST(std::memcmp(partials[0].data(), partials[2].data(), kChunks * sizeof(float)) == 0);
}
