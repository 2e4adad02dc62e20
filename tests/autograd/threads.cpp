#define BOOST_TEST_MODULE threads
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <atomic>
#include <exception>
#include <functional>
#include <latch>
#include <thread>

// Several user threads running forward and backward at once, as PyTorch allows: graphs that
// share leaves (module parameters) must give exactly the gradient sums a single thread gives.
// Every value here is a small integer, so every float sum is exact whatever the order in which
// threads accumulate; results are compared with ==, not a tolerance. Boost.Test's assertions are
// not thread-safe, so workers only compute and the main thread checks.

using namespace xgrad;

namespace {

constexpr int kThreads = 4;

// Runs fn(t) on kThreads threads released together (so they collide as much as possible) and
// rethrows the first exception any of them raised.
void run_threads(const std::function<void(int)>& fn, int threads = kThreads) {
  std::latch start(threads);
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        fn(t);
      } catch (...) {
        errors[static_cast<size_t>(t)] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// Integers in [lo, hi] from a fixed linear congruential sequence seeded by `seed`.
Tensor int_tensor(std::vector<int64_t> sizes, uint32_t seed, int lo, int hi) {
  int64_t n = 1;
  for (auto s : sizes) n *= s;
  std::vector<float> v(static_cast<size_t>(n));
  uint32_t s = seed * 2654435761u + 12345u;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(lo + static_cast<int>((s >> 16) % static_cast<uint32_t>(hi - lo + 1)));
  }
  return tensor(v).reshape(sizes);
}

void assign(Tensor& param, const Tensor& values) {
  NoGradGuard no_grad;
  param.copy_(values);
}

// Conv2d -> relu -> flatten -> Linear -> + p, weighted by integer c: a small CNN whose every
// intermediate value and gradient is an integer well below 2^24.
struct Net {
  nn::Conv2d conv{nn::Conv2dOptions(2, 3, 3).padding(1)};
  nn::Linear fc{3 * 6 * 6, 4};
  Tensor p = zeros({4}).requires_grad_();
  Net() {
    assign(conv->weight, int_tensor({3, 2, 3, 3}, 1, -1, 1));
    assign(conv->bias, int_tensor({3}, 2, -2, 2));
    assign(fc->weight, int_tensor({4, 3 * 6 * 6}, 3, -1, 1));
    assign(fc->bias, int_tensor({4}, 4, -3, 3));
    assign(p, int_tensor({4}, 5, -3, 3));
  }
  // One training step's forward and backward on input number `i`.
  void step(uint32_t i) {
    Tensor x = int_tensor({2, 2, 6, 6}, 100 + i, -2, 2);
    Tensor c = int_tensor({2, 4}, 7000 + i, -2, 2);
    Tensor y = fc->forward(conv->forward(x).relu().flatten(1)) + p;
    (y * c).sum().backward();
  }
  std::vector<Tensor> grads() const { return {conv->weight.grad(), conv->bias.grad(), fc->weight.grad(), fc->bias.grad(), p.grad()}; }
};

void check_equal_grads(const std::vector<Tensor>& actual, const std::vector<Tensor>& expected) {
  BOOST_REQUIRE_EQUAL(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    BOOST_REQUIRE(actual[i].defined());
    BOOST_TEST(actual[i].equal(expected[i]), "gradient #" << i << ": " << actual[i] << " vs " << expected[i]);
    // A non-trivial gradient: the check would pass vacuously on zeros.
    BOOST_TEST(actual[i].abs().sum().item<double>() > 0.0);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(leaf_shared_by_four_threads_receives_every_gradient) {
  // The issue's reproducer: 4 x 200 backward passes of 2x give exactly 1600 (it lost ~8%).
  auto x = tensor({0.0f}).requires_grad_();
  int hook_calls = 0;  // plain int: hooks of one leaf run one at a time, under its lock
  x.register_post_accumulate_grad_hook([&](const Tensor&) { ++hook_calls; });
  run_threads([&](int) {
    for (int i = 0; i < 200; ++i) (x * 2.0).sum().backward();
  });
  BOOST_TEST(x.grad().item<double>() == 1600.0);
  BOOST_TEST(hook_calls == kThreads * 200);
}

BOOST_AUTO_TEST_CASE(linear_conv2d_and_leaf_shared_by_four_threads_give_exact_sums) {
  constexpr uint32_t iterations = 25;
  Net shared;
  run_threads([&](int t) {
    for (uint32_t i = 0; i < iterations; ++i) shared.step(static_cast<uint32_t>(t) * iterations + i);
  });
  Net serial;
  for (uint32_t i = 0; i < kThreads * iterations; ++i) serial.step(i);
  check_equal_grads(shared.grads(), serial.grads());
}

BOOST_AUTO_TEST_CASE(independent_graphs_backward_concurrently) {
  std::vector<Net> nets(kThreads);
  run_threads([&](int t) {
    for (uint32_t i = 0; i < 5; ++i) nets[static_cast<size_t>(t)].step(static_cast<uint32_t>(t) * 5 + i);
  });
  for (uint32_t t = 0; t < kThreads; ++t) {
    Net serial;
    for (uint32_t i = 0; i < 5; ++i) serial.step(t * 5 + i);
    check_equal_grads(nets[t].grads(), serial.grads());
  }
}

BOOST_AUTO_TEST_CASE(retained_shared_graph_backward_from_two_threads) {
  // PyTorch allows backward of one graph from several threads when the graph is retained; the
  // leaf gets the sum of all passes, and so does a retained non-leaf in the shared part.
  auto w = tensor({1.0f, -2.0f, 3.0f}).requires_grad_();
  auto h = w * w;  // shared node, saves w
  h.retain_grad();
  auto y = (h * 3.0).sum();
  constexpr int passes = 50;
  run_threads(
      [&](int t) {
        for (int i = 0; i < passes; ++i) {
          y.backward({}, /*retain_graph=*/true);
          // Each thread also grows and drops its own graph on top of the shared node, so nodes
          // pointing at it are created and destroyed concurrently.
          (h * static_cast<double>(t + 1)).sum().backward({}, /*retain_graph=*/true);
        }
      },
      2);
  // dy/dw = 6w per pass of y; dz/dw = 2w(t+1): over both threads 2w(1 + 2) per round.
  const double rounds = passes;
  testing::check_values(w.grad(), {rounds * (2 * 6 + 6) * 1, rounds * (2 * 6 + 6) * -2, rounds * (2 * 6 + 6) * 3},
                        0.0, 0.0);
  testing::check_values(h.grad(), {rounds * 9, rounds * 9, rounds * 9}, 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(shared_graph_without_retain_graph_fails_in_exactly_one_thread) {
  // Without retain_graph the first pass frees the saved tensors; the other thread must get
  // PyTorch's "backward through the graph a second time" error, never a crash or a half sum.
  for (int round = 0; round < 20; ++round) {
    auto w = tensor({1.0f, -2.0f}).requires_grad_();
    auto y = (w * w).sum();
    std::atomic<int> failures{0};
    run_threads(
        [&](int) {
          try {
            y.backward();
          } catch (const AutogradError&) {
            failures.fetch_add(1);
          }
        },
        2);
    BOOST_TEST(failures.load() == 1);
    testing::check_values(w.grad(), {2.0, -4.0}, 0.0, 0.0);
  }
}

BOOST_AUTO_TEST_CASE(grad_mode_is_per_thread) {
  auto w = tensor({1.0f}).requires_grad_();
  std::latch no_grad_set(1), recorded(1);
  bool other_thread_records = false, guarded_thread_records = true;
  std::thread guarded([&] {
    NoGradGuard no_grad;
    no_grad_set.count_down();
    recorded.wait();
    guarded_thread_records = (w * 2.0).requires_grad();
  });
  std::thread other([&] {
    no_grad_set.wait();
    other_thread_records = (w * 2.0).requires_grad();
    recorded.count_down();
  });
  guarded.join();
  other.join();
  BOOST_TEST(other_thread_records);
  BOOST_TEST(!guarded_thread_records);
  BOOST_TEST(GradMode::is_enabled());
}

BOOST_AUTO_TEST_CASE(kernels_called_from_four_threads_match_one_thread) {
  // The user threads' kernel calls interleave (each runs its tasks itself, or one has the kernel
  // pool); results must be bit-identical to the main thread's (task boundaries never depend on
  // the thread count).
  auto a = int_tensor({96, 80}, 11, -3, 3) * 0.37;
  auto b = int_tensor({80, 72}, 12, -3, 3) * 0.11;
  auto x = int_tensor({4, 3, 20, 20}, 13, -2, 2) * 0.5;
  auto k = int_tensor({8, 3, 3, 3}, 14, -2, 2) * 0.25;
  auto mm = a.matmul(b);
  auto conv = nn::functional::conv2d(x, k, nn::functional::Conv2dFuncOptions().padding(1));
  std::vector<Tensor> mms(kThreads), convs(kThreads);
  run_threads([&](int t) {
    for (int i = 0; i < 3; ++i) {
      mms[static_cast<size_t>(t)] = a.matmul(b);
      convs[static_cast<size_t>(t)] = nn::functional::conv2d(x, k, nn::functional::Conv2dFuncOptions().padding(1));
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    BOOST_TEST(mms[static_cast<size_t>(t)].equal(mm));
    BOOST_TEST(convs[static_cast<size_t>(t)].equal(conv));
  }
}
