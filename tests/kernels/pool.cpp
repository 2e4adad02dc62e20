#define BOOST_TEST_MODULE pool
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include "kernels/isa.hpp"
#include "kernels/pool.hpp"

#include <xgrad/parallel.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

// SIMD pooling kernels (every ISA this CPU runs) against their scalar twins, at odd sizes, with
// ties, NaN and -inf in the data; and the dispatched entry points for thread-count invariance.

using namespace xgrad::kernels;

namespace {

struct Config {
  Pool2dShape s;
  bool count_include_pad = true;
  int64_t divisor_override = 0;
};

int64_t pooled(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode) {
  const int64_t num = in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  if (num < 0) return 0;
  int64_t out = num / stride + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// Random valid configurations: odd sizes, strides 1..4, padding up to half the kernel,
// dilation for max, ceil mode on and off.
std::vector<Config> random_configs(bool with_dilation, int count, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<Config> out;
  while (static_cast<int>(out.size()) < count) {
    Config c;
    auto& s = c.s;
    s.planes = pick(1, 5);
    s.in_h = pick(1, 23);
    s.in_w = pick(1, 67);
    s.kernel_h = pick(1, 4);
    s.kernel_w = pick(1, 5);
    s.stride_h = pick(1, 3);
    s.stride_w = pick(1, 4);
    s.pad_h = pick(0, static_cast<int>(s.kernel_h / 2));
    s.pad_w = pick(0, static_cast<int>(s.kernel_w / 2));
    s.dilation_h = with_dilation ? pick(1, 3) : 1;
    s.dilation_w = with_dilation ? pick(1, 3) : 1;
    const bool ceil_mode = pick(0, 1) == 1;
    s.out_h = pooled(s.in_h, s.kernel_h, s.pad_h, s.stride_h, s.dilation_h, ceil_mode);
    s.out_w = pooled(s.in_w, s.kernel_w, s.pad_w, s.stride_w, s.dilation_w, ceil_mode);
    if (s.out_h < 1 || s.out_w < 1) continue;
    c.count_include_pad = pick(0, 1) == 1;
    c.divisor_override = pick(0, 3) == 0 ? pick(1, 7) : 0;
    out.push_back(c);
  }
  return out;
}

// Values with many ties (a few levels), some NaN and -inf when `specials`.
template <typename T>
std::vector<T> pool_test_data(int64_t n, uint32_t seed, bool specials) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> level(-4, 4);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) {
    const int r = std::uniform_int_distribution<int>(0, 99)(rng);
    if (specials && r < 3)
      x = std::numeric_limits<T>::quiet_NaN();
    else if (specials && r < 8)
      x = -std::numeric_limits<T>::infinity();
    else if (r < 50)
      x = static_cast<T>(level(rng));
    else
      x = static_cast<T>(u(rng));
  }
  return v;
}

template <typename T>
bool same_bits(T a, T b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

template <typename T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// 2x2 windows, stride 2, no padding: the dense kernels when out_w is at least 4 float lanes (with
// a narrower ISA's vectors below the arch's own width), the phased path below that and in ceil
// mode on odd sizes. Widths around multiples of every vector
// width (2..16 lanes), odd heights, planes that do not fill a vector.
template <class Arch, typename T>
void check_arch_2x2(const char* arch_name) {
  BOOST_TEST_MESSAGE("arch " << arch_name << " 2x2 " << (sizeof(T) == 4 ? "float" : "double"));
  std::mt19937 rng(77u + sizeof(T));
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int cfg_no = 0; cfg_no < 120; ++cfg_no) {
    Pool2dShape s;
    s.planes = pick(1, 3);
    s.in_h = pick(2, 13);
    s.in_w = cfg_no < 70 ? 2 * cfg_no + 2 + pick(0, 1) : pick(2, 140);
    s.kernel_h = s.kernel_w = 2;
    s.stride_h = s.stride_w = 2;
    const bool ceil_mode = pick(0, 2) == 0;
    s.out_h = pooled(s.in_h, 2, 0, 2, 1, ceil_mode);
    s.out_w = pooled(s.in_w, 2, 0, 2, 1, ceil_mode);
    const int64_t in_n = s.planes * s.in_h * s.in_w, out_n = s.planes * s.out_h * s.out_w;
    const auto x = pool_test_data<T>(in_n, static_cast<uint32_t>(3000 + cfg_no), cfg_no % 3 != 2);
    const auto g = pool_test_data<T>(out_n, static_cast<uint32_t>(4000 + cfg_no), false);
    BOOST_TEST_CONTEXT("2x2 config " << cfg_no << " in " << s.in_h << "x" << s.in_w << " planes " << s.planes) {
      // Max forward, with and without indices.
      std::vector<T> ref_out(static_cast<size_t>(out_n)), simd_out(static_cast<size_t>(out_n), T(99));
      std::vector<int64_t> ref_idx(static_cast<size_t>(out_n)), simd_idx(static_cast<size_t>(out_n), -7);
      reference::max_pool2d_forward(s, x.data(), ref_out.data(), ref_idx.data());
      PoolArgs<T> a;
      a.op = PoolOp::kMaxForward;
      a.shape = s;
      a.input = x.data();
      a.output = simd_out.data();
      a.indices = simd_idx.data();
      a.plane_begin = 0;
      a.plane_end = s.planes;
      PoolKernel{}(Arch{}, a);
      for (int64_t o = 0; o < out_n; ++o) BOOST_TEST(same_bits(ref_out[o], simd_out[o]));
      BOOST_TEST(ref_idx == simd_idx, boost::test_tools::per_element());
      std::vector<T> vals_only(static_cast<size_t>(out_n), T(99));
      a.output = vals_only.data();
      a.indices = nullptr;
      PoolKernel{}(Arch{}, a);
      for (int64_t o = 0; o < out_n; ++o) BOOST_TEST(same_bits(ref_out[o], vals_only[o]));

      // Max backward: bit for bit (0 + g, +0 elsewhere), uncovered rows and columns zeroed.
      std::vector<T> ref_gin(static_cast<size_t>(in_n)), simd_gin(static_cast<size_t>(in_n), T(99));
      reference::max_pool2d_backward(s, g.data(), ref_idx.data(), ref_gin.data());
      PoolArgs<T> b;
      b.op = PoolOp::kMaxBackward;
      b.shape = s;
      b.input = g.data();
      b.output = simd_gin.data();
      b.saved_indices = ref_idx.data();
      b.plane_begin = 0;
      b.plane_end = s.planes;
      PoolKernel{}(Arch{}, b);
      BOOST_TEST(same_bytes(ref_gin, simd_gin));
      // Indices the forward cannot produce (another window, outside the plane, 2^32 + a valid
      // one): the plane falls back to the scatter, with the reference's result.
      if (out_n > 1) {
        auto bad = ref_idx;
        const int64_t in_plane = s.in_h * s.in_w;
        const size_t at = static_cast<size_t>(pick(0, static_cast<int>(out_n - 1)));
        const int kind = cfg_no % 3;
        bad[at] = kind == 0 ? (bad[at] + 2) % in_plane : kind == 1 ? in_plane + 5 : bad[at] + (int64_t{1} << 32);
        std::fill(simd_gin.begin(), simd_gin.end(), T(99));
        reference::max_pool2d_backward(s, g.data(), bad.data(), ref_gin.data());
        b.saved_indices = bad.data();
        PoolKernel{}(Arch{}, b);
        BOOST_TEST(same_bytes(ref_gin, simd_gin));
      }

      // Average forward and backward, with and without divisor_override: bit for bit.
      for (int64_t divisor : {int64_t{0}, int64_t{3}}) {
        for (bool include_pad : {true, false}) {
          std::vector<T> ref_avg(static_cast<size_t>(out_n)), simd_avg(static_cast<size_t>(out_n), T(99));
          const auto xa = pool_test_data<T>(in_n, static_cast<uint32_t>(5000 + cfg_no), false);
          reference::avg_pool2d_forward(s, include_pad, divisor, xa.data(), ref_avg.data());
          PoolArgs<T> c;
          c.op = PoolOp::kAvgForward;
          c.shape = s;
          c.count_include_pad = include_pad;
          c.divisor_override = divisor;
          c.input = xa.data();
          c.output = simd_avg.data();
          c.plane_begin = 0;
          c.plane_end = s.planes;
          PoolKernel{}(Arch{}, c);
          BOOST_TEST(same_bytes(ref_avg, simd_avg));
          std::vector<T> ref_ag(static_cast<size_t>(in_n)), simd_ag(static_cast<size_t>(in_n), T(99));
          reference::avg_pool2d_backward(s, include_pad, divisor, g.data(), ref_ag.data());
          c.op = PoolOp::kAvgBackward;
          c.input = g.data();
          c.output = simd_ag.data();
          PoolKernel{}(Arch{}, c);
          // Exact on every path: no element is in two windows, so each gets 0 + g / divisor.
          BOOST_TEST(same_bytes(ref_ag, simd_ag));
        }
      }
    }
  }
}

template <class Arch, typename T>
void check_arch(const char* arch_name) {
  BOOST_TEST_MESSAGE("arch " << arch_name << " " << (sizeof(T) == 4 ? "float" : "double"));
  int cfg_no = 0;
  for (const Config& c : random_configs(true, 150, 1234u + sizeof(T))) {
    const auto& s = c.s;
    const int64_t in_n = s.planes * s.in_h * s.in_w, out_n = s.planes * s.out_h * s.out_w;
    const auto x = pool_test_data<T>(in_n, static_cast<uint32_t>(cfg_no), cfg_no % 2 == 0);
    std::vector<T> ref_out(static_cast<size_t>(out_n)), simd_out(static_cast<size_t>(out_n));
    std::vector<int64_t> ref_idx(static_cast<size_t>(out_n)), simd_idx(static_cast<size_t>(out_n), -7);
    reference::max_pool2d_forward(s, x.data(), ref_out.data(), ref_idx.data());
    PoolArgs<T> a;
    a.op = PoolOp::kMaxForward;
    a.shape = s;
    a.input = x.data();
    a.output = simd_out.data();
    a.indices = simd_idx.data();
    a.plane_begin = 0;
    a.plane_end = s.planes;
    PoolKernel{}(Arch{}, a);
    for (int64_t o = 0; o < out_n; ++o) {
      BOOST_TEST_CONTEXT("max config " << cfg_no << " output " << o) {
        BOOST_TEST(same_bits(ref_out[o], simd_out[o]));
        BOOST_TEST(ref_idx[o] == simd_idx[o]);
      }
    }
    // Without indices: same values.
    std::vector<T> vals_only(static_cast<size_t>(out_n));
    a.output = vals_only.data();
    a.indices = nullptr;
    PoolKernel{}(Arch{}, a);
    for (int64_t o = 0; o < out_n; ++o) BOOST_TEST(same_bits(ref_out[o], vals_only[o]));
    // Backward through the same indices (the functor's kMaxBackward, any shape).
    const auto g = pool_test_data<T>(out_n, static_cast<uint32_t>(500 + cfg_no), false);
    std::vector<T> ref_gin(static_cast<size_t>(in_n)), simd_gin(static_cast<size_t>(in_n), T(99));
    reference::max_pool2d_backward(s, g.data(), ref_idx.data(), ref_gin.data());
    PoolArgs<T> b;
    b.op = PoolOp::kMaxBackward;
    b.shape = s;
    b.input = g.data();
    b.output = simd_gin.data();
    b.saved_indices = ref_idx.data();
    b.plane_begin = 0;
    b.plane_end = s.planes;
    PoolKernel{}(Arch{}, b);
    BOOST_TEST_CONTEXT("max backward config " << cfg_no) { BOOST_TEST(same_bytes(ref_gin, simd_gin)); }
    ++cfg_no;
  }
  cfg_no = 0;
  for (const Config& c : random_configs(false, 150, 99u + sizeof(T))) {
    const auto& s = c.s;
    const int64_t in_n = s.planes * s.in_h * s.in_w, out_n = s.planes * s.out_h * s.out_w;
    const auto x = pool_test_data<T>(in_n, static_cast<uint32_t>(1000 + cfg_no), false);
    std::vector<T> ref_out(static_cast<size_t>(out_n)), simd_out(static_cast<size_t>(out_n));
    reference::avg_pool2d_forward(s, c.count_include_pad, c.divisor_override, x.data(), ref_out.data());
    PoolArgs<T> a;
    a.op = PoolOp::kAvgForward;
    a.shape = s;
    a.count_include_pad = c.count_include_pad;
    a.divisor_override = c.divisor_override;
    a.input = x.data();
    a.output = simd_out.data();
    a.plane_begin = 0;
    a.plane_end = s.planes;
    PoolKernel{}(Arch{}, a);
    // Same summation order as the reference: identical results.
    for (int64_t o = 0; o < out_n; ++o)
      BOOST_TEST_CONTEXT("avg config " << cfg_no << " output " << o) { BOOST_TEST(ref_out[o] == simd_out[o]); }

    // Backward: sums over windows in another order, so compare to rounding.
    const auto g = pool_test_data<T>(out_n, static_cast<uint32_t>(2000 + cfg_no), false);
    std::vector<T> ref_gin(static_cast<size_t>(in_n)), simd_gin(static_cast<size_t>(in_n), T(99));
    reference::avg_pool2d_backward(s, c.count_include_pad, c.divisor_override, g.data(), ref_gin.data());
    a.op = PoolOp::kAvgBackward;
    a.input = g.data();
    a.output = simd_gin.data();
    PoolKernel{}(Arch{}, a);
    const double tol = sizeof(T) == 4 ? 1e-5 : 1e-12;
    for (int64_t i = 0; i < in_n; ++i)
      BOOST_TEST_CONTEXT("avg backward config " << cfg_no << " input " << i) {
        BOOST_TEST(std::abs(ref_gin[i] - simd_gin[i]) <= tol * (1 + std::abs(ref_gin[i])));
      }
    ++cfg_no;
  }
}

template <typename T>
void check_all_archs() {
  const auto avail = xsimd::available_architectures();
  check_arch<xsimd::sse2, T>("sse2");
  check_arch_2x2<xsimd::sse2, T>("sse2");
  if (avail.fma3_avx2) {
    check_arch<xsimd::fma3<xsimd::avx2>, T>("fma3+avx2");
    check_arch_2x2<xsimd::fma3<xsimd::avx2>, T>("fma3+avx2");
  }
  if (avail.avx512f) {
    check_arch<xsimd::avx512f, T>("avx512f");
    check_arch_2x2<xsimd::avx512f, T>("avx512f");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(simd_matches_reference_float) { check_all_archs<float>(); }
BOOST_AUTO_TEST_CASE(simd_matches_reference_double) { check_all_archs<double>(); }

BOOST_AUTO_TEST_CASE(reference_hand_worked_cases) {
  // 3x3 input 0..8, 2x2 windows stride 1: the chapter's from-scratch pool2d.
  Pool2dShape s;
  s.planes = 1;
  s.in_h = s.in_w = 3;
  s.out_h = s.out_w = 2;
  s.kernel_h = s.kernel_w = 2;
  std::vector<double> x{0, 1, 2, 3, 4, 5, 6, 7, 8}, out(4);
  std::vector<int64_t> idx(4);
  reference::max_pool2d_forward(s, x.data(), out.data(), idx.data());
  BOOST_TEST(out == (std::vector<double>{4, 5, 7, 8}), boost::test_tools::per_element());
  BOOST_TEST(idx == (std::vector<int64_t>{4, 5, 7, 8}), boost::test_tools::per_element());
  reference::avg_pool2d_forward(s, true, 0, x.data(), out.data());
  BOOST_TEST(out == (std::vector<double>{2, 3, 5, 6}), boost::test_tools::per_element());
  // Backward of the avg pool: the centre belongs to four windows, each giving 1/4.
  std::vector<double> g{1, 1, 1, 1}, gin(9);
  reference::avg_pool2d_backward(s, true, 0, g.data(), gin.data());
  BOOST_TEST(gin == (std::vector<double>{0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25}),
             boost::test_tools::per_element());
  // Max backward accumulates where windows share their arg-max (index 4 twice here).
  std::vector<int64_t> shared{4, 5, 4, 8};
  reference::max_pool2d_backward(s, g.data(), shared.data(), gin.data());
  BOOST_TEST(gin == (std::vector<double>{0, 0, 0, 0, 2, 1, 0, 0, 1}), boost::test_tools::per_element());
}

namespace {
// Max and average pools, forward and backward, at 1, 2 and 3 threads: identical bits; and the
// dispatched max pool agrees with the reference (values and indices).
void check_thread_invariance(const Pool2dShape& s) {
  const int64_t in_n = s.planes * s.in_h * s.in_w, out_n = s.planes * s.out_h * s.out_w;
  const auto x = pool_test_data<float>(in_n, 7, true);
  const auto g = pool_test_data<float>(out_n, 8, false);
  const int64_t saved = xgrad::get_num_threads();
  std::vector<std::vector<float>> results;
  std::vector<std::vector<int64_t>> indices;
  for (int64_t threads : {1, 2, 3}) {
    xgrad::set_num_threads(threads);
    std::vector<float> mo(static_cast<size_t>(out_n)), ao(static_cast<size_t>(out_n));
    std::vector<float> mg(static_cast<size_t>(in_n)), ag(static_cast<size_t>(in_n));
    std::vector<int64_t> idx(static_cast<size_t>(out_n));
    max_pool2d_forward(s, x.data(), mo.data(), idx.data());
    max_pool2d_backward(s, g.data(), idx.data(), mg.data());
    avg_pool2d_forward(s, false, 0, x.data(), ao.data());
    avg_pool2d_backward(s, false, 0, g.data(), ag.data());
    std::vector<float> all;
    for (auto* v : {&mo, &ao, &mg, &ag}) all.insert(all.end(), v->begin(), v->end());
    results.push_back(all);
    indices.push_back(idx);
  }
  xgrad::set_num_threads(saved);
  for (size_t r = 1; r < results.size(); ++r) {
    BOOST_TEST(std::memcmp(results[0].data(), results[r].data(), results[0].size() * sizeof(float)) == 0);
    BOOST_TEST(indices[0] == indices[r], boost::test_tools::per_element());
  }
  std::vector<float> ref(static_cast<size_t>(out_n)), ref_g(static_cast<size_t>(in_n));
  std::vector<int64_t> ref_idx(static_cast<size_t>(out_n));
  reference::max_pool2d_forward(s, x.data(), ref.data(), ref_idx.data());
  BOOST_TEST(ref_idx == indices[0], boost::test_tools::per_element());
  reference::max_pool2d_backward(s, g.data(), ref_idx.data(), ref_g.data());
  BOOST_TEST(std::memcmp(ref_g.data(), results[0].data() + 2 * out_n, ref_g.size() * sizeof(float)) == 0);
}
}  // namespace

BOOST_AUTO_TEST_CASE(results_do_not_depend_on_the_thread_count) {
  // Many planes so that the dispatcher makes several tasks.
  Pool2dShape s;
  s.planes = 37;
  s.in_h = 29;
  s.in_w = 31;
  s.kernel_h = s.kernel_w = 3;
  s.stride_h = s.stride_w = 2;
  s.pad_h = s.pad_w = 1;
  s.out_h = 15;
  s.out_w = 16;
  check_thread_invariance(s);
  // The dense 2x2 / stride 2 kernels, odd sizes (a row and a column no window covers).
  Pool2dShape d;
  d.planes = 301;
  d.in_h = 27;
  d.in_w = 45;
  d.kernel_h = d.kernel_w = 2;
  d.stride_h = d.stride_w = 2;
  d.out_h = 13;
  d.out_w = 22;
  check_thread_invariance(d);
  BOOST_TEST_MESSAGE("pool kernels run with " << pool_kernel_arch());
}
