#define BOOST_TEST_MODULE optim_kernels
#include <boost/test/unit_test.hpp>

#include "kernels/optim.hpp"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

// The optimizer kernels (SIMD, chunked, on the thread pool) against their scalar twins: the
// same bits for every option combination, at sizes around the vector widths and chunk size,
// float and double. Plus a few elements worked by hand.

namespace k = xgrad::kernels;

namespace {

template <typename T>
struct Buffers {
  std::vector<T> p, g, s0, s1, s2;
  explicit Buffers(int64_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    auto fill = [&](std::vector<T>& v, bool positive) {
      v.resize(static_cast<size_t>(n));
      for (auto& x : v) x = static_cast<T>(positive ? std::abs(normal(rng)) : normal(rng));
    };
    fill(p, false);
    fill(g, false);
    fill(s0, false);
    fill(s1, true);  // second moments are non-negative
    fill(s2, true);
  }
  bool operator==(const Buffers& o) const {
    auto eq = [](const std::vector<T>& a, const std::vector<T>& b) {
      return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
    };
    return eq(p, o.p) && eq(g, o.g) && eq(s0, o.s0) && eq(s1, o.s1) && eq(s2, o.s2);
  }
};

const std::vector<int64_t> kSizes = {1, 3, 7, 8, 15, 16, 17, 33, 1000, k::kOptimChunk + 5, 2 * k::kOptimChunk + 31};

template <typename T>
void check_all() {
  for (int64_t n : kSizes) {
    BOOST_TEST_CONTEXT("n = " << n << ", " << sizeof(T) * 8 << "-bit") {
      for (int flags = 0; flags < 16; ++flags) {
        const bool f0 = flags & 1, f1 = flags & 2, f2 = flags & 4, f3 = flags & 8;
        {
          k::SGDHyper h;
          h.lr = 0.1;
          h.momentum = f0 ? 0.9 : 0.0;
          h.dampening = f1 ? 0.0 : 0.2;
          h.nesterov = f1 && f0;
          h.weight_decay = f2 ? 0.01 : 0.0;
          h.maximize = f3;
          h.init_buffer = f2 && f3;
          Buffers<T> a(n, 1), b(n, 1);
          k::sgd_step(h, n, a.p.data(), a.g.data(), a.s0.data());
          k::reference::sgd_step(h, 0, n, b.p.data(), b.g.data(), b.s0.data());
          BOOST_TEST((a == b), "sgd flags " << flags);
        }
        for (bool decoupled : {false, true}) {
          k::AdamHyper h;
          h.beta1 = 0.8;
          h.beta2 = 0.95;
          h.eps = 1e-6;
          h.weight_decay = f0 ? 0.1 : 0.0;
          h.decoupled = decoupled;
          h.decay_factor = 1 - 0.01 * 0.1;
          h.step_size = 0.01 / (1 - std::pow(0.8, 3.0));
          h.bias_correction2_sqrt = std::sqrt(1 - std::pow(0.95, 3.0));
          h.amsgrad = f1;
          h.maximize = f3;
          Buffers<T> a(n, 2), b(n, 2);
          k::adam_step(h, n, a.p.data(), a.g.data(), a.s0.data(), a.s1.data(), a.s2.data());
          k::reference::adam_step(h, 0, n, b.p.data(), b.g.data(), b.s0.data(), b.s1.data(), b.s2.data());
          BOOST_TEST((a == b), "adam flags " << flags << " decoupled " << decoupled);
        }
        {
          k::RMSpropHyper h;
          h.lr = 0.01;
          h.alpha = 0.9;
          h.eps = 1e-6;
          h.weight_decay = f0 ? 0.1 : 0.0;
          h.momentum = f1 ? 0.5 : 0.0;
          h.centered = f2;
          h.maximize = f3;
          Buffers<T> a(n, 3), b(n, 3);
          // centered needs square_avg >= grad_avg^2 to stay real: make s0 large.
          for (auto* buf : {&a, &b})
            for (auto& x : buf->s0) x = x * x + T(4);
          k::rmsprop_step(h, n, a.p.data(), a.g.data(), a.s0.data(), a.s1.data(), a.s2.data());
          k::reference::rmsprop_step(h, 0, n, b.p.data(), b.g.data(), b.s0.data(), b.s1.data(), b.s2.data());
          BOOST_TEST((a == b), "rmsprop flags " << flags);
        }
        {
          k::AdagradHyper h;
          h.clr = 0.1 / (1 + 2 * (f1 ? 0.1 : 0.0));
          h.weight_decay = f0 ? 0.1 : 0.0;
          h.eps = 1e-10;
          h.maximize = f3;
          Buffers<T> a(n, 4), b(n, 4);
          k::adagrad_step(h, n, a.p.data(), a.g.data(), a.s1.data());
          k::reference::adagrad_step(h, 0, n, b.p.data(), b.g.data(), b.s1.data());
          BOOST_TEST((a == b), "adagrad flags " << flags);
        }
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(simd_matches_reference_float) { check_all<float>(); }
BOOST_AUTO_TEST_CASE(simd_matches_reference_double) { check_all<double>(); }

BOOST_AUTO_TEST_CASE(sgd_by_hand) {
  // p = 1, g = 0.5, wd 0.1: d = 0.6; momentum 0.9, buffer 2, dampening 0.5: b = 1.8 + 0.3 = 2.1;
  // nesterov off: p = 1 - 0.1 * 2.1 = 0.79.
  double p = 1, g = 0.5, b = 2;
  k::SGDHyper h;
  h.lr = 0.1;
  h.momentum = 0.9;
  h.dampening = 0.5;
  h.weight_decay = 0.1;
  k::sgd_step(h, 1, &p, &g, &b);
  BOOST_TEST(b == 2.1, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(p == 0.79, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(adam_first_step_by_hand) {
  // First step from zero moments: m = 0.1 g, v = 0.001 g^2; bias corrections make the update
  // lr * g / (|g| + eps'), i.e. about -lr * sign(g).
  double p[9], g[9], m[9] = {}, v[9] = {};
  for (int i = 0; i < 9; ++i) {
    p[i] = i;
    g[i] = i % 2 ? 2.0 : -3.0;
  }
  k::AdamHyper h;
  h.step_size = 0.01 / (1 - 0.9);
  h.bias_correction2_sqrt = std::sqrt(1 - 0.999);
  h.eps = 0;
  k::adam_step(h, 9, p, g, m, v, nullptr);
  for (int i = 0; i < 9; ++i) BOOST_TEST(p[i] == i + (i % 2 ? -0.01 : 0.01), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(amsgrad_maximum_propagates_nan) {
  // torch.maximum keeps a NaN from either side.
  for (int where = 0; where < 2; ++where) {
    std::vector<double> p(8, 1.0), g(8, 1.0), m(8, 0.0), v(8, 0.0), vmax(8, 0.0);
    if (where == 0) vmax[5] = std::nan("");
    else g[5] = std::nan("");
    k::AdamHyper h;
    h.amsgrad = true;
    h.step_size = 0.1;
    k::adam_step(h, 8, p.data(), g.data(), m.data(), v.data(), vmax.data());
    BOOST_TEST(std::isnan(vmax[5]));
    BOOST_TEST(std::isnan(p[5]));
    BOOST_TEST(!std::isnan(p[4]));
  }
}
