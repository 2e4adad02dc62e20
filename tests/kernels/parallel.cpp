#define BOOST_TEST_MODULE parallel
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include "kernels/conv.hpp"
#include "kernels/gemm.hpp"
#include "kernels/parallel.hpp"

#include <xgrad/parallel.hpp>

#include <atomic>
#include <cstring>
#include <random>
#include <vector>

// Thread count API, the parallel loop, and bit-identical results for 1, 2 and 3 threads.

using namespace xgrad::kernels;

namespace {

struct ThreadsGuard {
  int64_t saved = xgrad::get_num_threads();
  ~ThreadsGuard() { xgrad::set_num_threads(saved); }
};

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(n);
  for (auto& e : v) e = u(rng);
  return v;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(set_and_get) {
  ThreadsGuard guard;
  BOOST_TEST(xgrad::get_num_threads() >= 1);
  xgrad::set_num_threads(3);
  BOOST_TEST(xgrad::get_num_threads() == 3);
  BOOST_CHECK_THROW(xgrad::set_num_threads(0), xgrad::ValueError);
  BOOST_CHECK_THROW(xgrad::set_num_threads(-2), xgrad::ValueError);
  BOOST_TEST(xgrad::get_num_threads() == 3);
}

BOOST_AUTO_TEST_CASE(parallel_for_runs_every_task_once) {
  ThreadsGuard guard;
  for (int64_t threads : {1, 2, 3}) {
    xgrad::set_num_threads(threads);
    std::vector<std::atomic<int>> hits(101);
    std::atomic<int> nested_outside{0};
    parallel_for(101, [&](int64_t i) {
      hits[static_cast<size_t>(i)]++;
      // Nested loops run serially inside a task. Counted, not asserted here: Boost.Test's
      // assertions are not thread-safe (ThreadSanitizer reports its checkpoint string).
      parallel_for(3, [&](int64_t) {
        if (!(in_parallel_region() || threads == 1)) nested_outside++;
      });
    });
    BOOST_TEST(nested_outside.load() == 0);
    for (auto& h : hits) BOOST_REQUIRE(h.load() == 1);
  }
}

// set_flush_denormal reaches the calling thread and every pool thread, and switches back off.
BOOST_AUTO_TEST_CASE(flush_denormal_reaches_every_thread) {
  ThreadsGuard guard;
  xgrad::set_num_threads(2);
  const auto products = [] {
    std::vector<float> out(64);
    parallel_for(64, [&](int64_t i) {
      volatile float tiny = 1e-30f;  // volatile: computed at run time under the current MXCSR
      for (int k = 0; k < 20000; ++k) tiny = tiny + 0.0f;  // long enough for both threads to take tasks
      out[static_cast<size_t>(i)] = tiny * 1e-10f;           // 1e-40: subnormal
    });
    return out;
  };
  BOOST_TEST(xgrad::set_flush_denormal(true));
  for (float v : products()) BOOST_TEST(v == 0.0f);
  volatile float tiny = 1e-30f;
  BOOST_TEST(tiny * 1e-10f == 0.0f);  // the calling thread too
  xgrad::set_flush_denormal(false);
  for (float v : products()) BOOST_TEST(v > 0.0f);
}

BOOST_AUTO_TEST_CASE(gemm_bit_identical_across_thread_counts) {
  ThreadsGuard guard;
  const int64_t m = 301, n = 257, k = 700;  // several row blocks and depth blocks
  const auto a = random_vector(static_cast<size_t>(m * k), 1), b = random_vector(static_cast<size_t>(k * n), 2);
  const auto bias = random_vector(static_cast<size_t>(m), 3);
  std::vector<std::vector<float>> results;
  for (int64_t threads : {1, 2, 3}) {
    xgrad::set_num_threads(threads);
    std::vector<float> c(static_cast<size_t>(m * n));
    gemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n, bias.data(), Bias::kPerRow);
    results.push_back(std::move(c));
  }
  BOOST_TEST(bitwise_equal(results[0], results[1]));
  BOOST_TEST(bitwise_equal(results[0], results[2]));
}

BOOST_AUTO_TEST_CASE(conv_bit_identical_across_thread_counts) {
  ThreadsGuard guard;
  // 11 images: grad-weight sums over kWeightChunks chunks of uneven size. 2 images of 50x47:
  // tasks split each image into blocks of positions.
  std::vector<Conv2dShape> shapes(2);
  auto& a = shapes[0];
  a.n = 11, a.c_in = 6, a.h = 13, a.w = 12, a.c_out = 10, a.kh = 3, a.kw = 3, a.ph = 1, a.pw = 1, a.groups = 2;
  a.ho = 13, a.wo = 12;
  auto& b = shapes[1];
  b.n = 2, b.c_in = 3, b.h = 50, b.w = 47, b.c_out = 20, b.kh = 3, b.kw = 3, b.ph = 1, b.pw = 1;
  b.ho = 50, b.wo = 47;
  for (const auto& s : shapes)
    for (const auto algo : {ConvAlgo::kAuto, ConvAlgo::kIm2col, ConvAlgo::kGather, ConvAlgo::kShift, ConvAlgo::kScatter}) {
      BOOST_TEST_CONTEXT("batch " << s.n << ", algo " << static_cast<int>(algo)) {
        const ConvConfig cfg{algo, KernelIsa::kBest};
        const auto x = random_vector(static_cast<size_t>(s.n * s.c_in * s.h * s.w), 4);
        const auto w = random_vector(static_cast<size_t>(s.c_out * s.k_g()), 5);
        const auto bias = random_vector(static_cast<size_t>(s.c_out), 6);
        const auto gy = random_vector(static_cast<size_t>(s.n * s.c_out * s.ho * s.wo), 7);
        std::vector<std::vector<float>> ys, gxs, gws, gbs;
        for (int64_t threads : {1, 2, 3}) {
          xgrad::set_num_threads(threads);
          std::vector<float> y(gy.size()), gx(x.size()), gw(w.size()), gb(bias.size());
          conv2d_forward(s, x.data(), w.data(), bias.data(), y.data(), cfg);
          conv2d_backward_input(s, gy.data(), w.data(), gx.data(), cfg);
          conv2d_backward_weight(s, x.data(), gy.data(), gw.data(), gb.data(), cfg);
          ys.push_back(y), gxs.push_back(gx), gws.push_back(gw), gbs.push_back(gb);
        }
        for (size_t t : {1, 2}) {
          BOOST_TEST(bitwise_equal(ys[0], ys[t]));
          BOOST_TEST(bitwise_equal(gxs[0], gxs[t]));
          BOOST_TEST(bitwise_equal(gws[0], gws[t]));
          BOOST_TEST(bitwise_equal(gbs[0], gbs[t]));
        }
      }
    }
}
