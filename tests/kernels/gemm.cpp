#define BOOST_TEST_MODULE gemm
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include "kernels/gemm.hpp"
#include "kernels/reference.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

// The packed GEMM of every ISA this machine supports, called directly (not through dispatch),
// against the scalar reference at sizes that are not multiples of any tile or block.

using namespace xgrad::kernels;

namespace {

template <typename T>
struct Problem {
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  T alpha, beta;
  Bias bias_kind;
  std::vector<T> a, b, c, bias;

  Problem(bool ta_, bool tb_, int64_t m_, int64_t n_, int64_t k_, T alpha_, T beta_, Bias bk, uint32_t seed)
      : ta(ta_), tb(tb_), m(m_), n(n_), k(k_), alpha(alpha_), beta(beta_), bias_kind(bk) {
    // Padded leading dimensions: the kernels must honour lda/ldb/ldc, not assume packed rows.
    lda = (ta ? m : k) + 3;
    ldb = (tb ? k : n) + 5;
    ldc = n + 2;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    a.resize(static_cast<size_t>((ta ? k : m) * lda));
    b.resize(static_cast<size_t>((tb ? n : k) * ldb));
    c.resize(static_cast<size_t>(m * ldc));
    bias.resize(static_cast<size_t>(std::max(m, n)));
    for (auto* v : {&a, &b, &c, &bias})
      for (auto& e : *v) e = static_cast<T>(u(rng));
    if (beta == T(0))  // beta == 0 must not read C: poison it
      for (auto& e : c) e = std::numeric_limits<T>::quiet_NaN();
  }
  const T* bias_ptr() const { return bias_kind == Bias::kNone ? nullptr : bias.data(); }
  GemmArgs<T> args(T* out) const {
    return {ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, out, ldc, bias_ptr(), bias_kind};
  }
};

template <class Arch, typename T>
void check_arch(const Problem<T>& p, double tol) {
  std::vector<T> got = p.c, want = p.c;
  GemmKernel{}(Arch{}, p.args(got.data()));
  reference::gemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a.data(), p.lda, p.b.data(), p.ldb, p.beta, want.data(), p.ldc,
                  p.bias_ptr(), p.bias_kind);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.ldc; ++j) {
      const T g = got[static_cast<size_t>(i * p.ldc + j)], w = want[static_cast<size_t>(i * p.ldc + j)];
      if (j >= p.n) {  // padding columns of C are never written
        if (!((std::isnan(g) && std::isnan(w)) || g == w)) BOOST_FAIL("padding column of C was written");
        continue;
      }
      if (!(std::abs(g - w) <= tol * (1 + std::sqrt(static_cast<double>(p.k)))))  // message built only on failure
        BOOST_FAIL(Arch::name() << " m=" << p.m << " n=" << p.n << " k=" << p.k << " ta=" << p.ta << " tb=" << p.tb
                                << " beta=" << p.beta << " at (" << i << ", " << j << "): " << g << " vs " << w);
    }
}

template <typename T>
void check_all_archs(const Problem<T>& p, double tol) {
  const auto avail = xsimd::available_architectures();
  if (avail.sse2) check_arch<xsimd::sse2>(p, tol);
  if (avail.fma3_avx2) check_arch<xsimd::fma3<xsimd::avx2>>(p, tol);
  if (avail.avx512f) check_arch<xsimd::avx512f>(p, tol);
}

template <typename T>
void sweep(double tol) {
  uint32_t seed = 1;
  for (int64_t m : {1, 5, 6, 7, 13, 150})
    for (int64_t n : {1, 3, 16, 17, 33, 70})
      for (int64_t k : {1, 2, 31, 257, 520})
        for (int variant = 0; variant < 4; ++variant) {
          const bool ta = variant & 1, tb = variant & 2;
          const T beta = variant == 1 ? T(0.5) : variant == 3 ? T(1) : T(0);
          const Bias bk = static_cast<Bias>((variant + m + n) % 3);
          check_all_archs(Problem<T>(ta, tb, m, n, k, T(0.75), beta, bk, seed++), tol);
        }
}

}  // namespace

BOOST_AUTO_TEST_CASE(this_machine_has_a_kernel) {
  // xsimd 8.1's dispatch would call sse2 without checking it: it must be there on x86-64.
  BOOST_TEST(xsimd::available_architectures().sse2);
}

BOOST_AUTO_TEST_CASE(float_every_arch_odd_sizes) { sweep<float>(2e-6); }

BOOST_AUTO_TEST_CASE(double_every_arch_odd_sizes) { sweep<double>(1e-14); }

BOOST_AUTO_TEST_CASE(wide_n_crosses_the_column_block) {
  // n > kGemmNC exercises the outer column loop; k > kGemmKC the depth loop with beta = 1.
  Problem<float> p(false, false, 7, kGemmNC + 21, kGemmKC + 3, 1.0f, 0.25f, Bias::kPerCol, 99);
  check_all_archs(p, 2e-6);
}

BOOST_AUTO_TEST_CASE(hand_worked_2x2) {
  // [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = [[19, 22], [43, 50]]; + row bias [1, -1].
  const float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8}, bias[] = {1, -1};
  float c[4];
  gemm(false, false, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2, bias, Bias::kPerRow);
  BOOST_TEST(c[0] == 20.0f);
  BOOST_TEST(c[1] == 23.0f);
  BOOST_TEST(c[2] == 42.0f);
  BOOST_TEST(c[3] == 49.0f);
  // A^T B^T = (BA)^T: [[23, 31], [34, 46]]
  gemm(true, true, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
  BOOST_TEST(c[0] == 23.0f);
  BOOST_TEST(c[1] == 31.0f);
  BOOST_TEST(c[2] == 34.0f);
  BOOST_TEST(c[3] == 46.0f);
}

BOOST_AUTO_TEST_CASE(degenerate_sizes) {
  // k == 0: C = beta C + bias; m == 0 or n == 0: nothing is touched.
  float c[] = {1, 2, 3, 4};
  const float bias[] = {10, 20};
  gemm(false, false, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 2.0f, c, 2, bias, Bias::kPerCol);
  BOOST_TEST(c[0] == 12.0f);
  BOOST_TEST(c[1] == 24.0f);
  BOOST_TEST(c[2] == 16.0f);
  BOOST_TEST(c[3] == 28.0f);
  gemm(false, false, 0, 2, 3, 1.0f, nullptr, 3, nullptr, 2, 0.0f, c, 2);
  gemm(false, false, 2, 0, 3, 1.0f, nullptr, 3, nullptr, 0, 0.0f, c, 2);
  BOOST_TEST(c[0] == 12.0f);
}

// The entry point runs the kernel of kernel_isa() (the measured choice, or XGRAD_ISA's), so its
// result is that kernel's, bit for bit. (Another ISA's may differ in the last bit: its tail
// columns round differently when the compiler does not contract them into FMAs, as at -Og.)
BOOST_AUTO_TEST_CASE(dispatched_matches_the_kernel_isa_arch_bitwise) {
  Problem<float> p(false, true, 37, 53, 300, 1.0f, 0.0f, Bias::kPerRow, 7);
  std::vector<float> via_dispatch = p.c, direct = p.c;
  gemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a.data(), p.lda, p.b.data(), p.ldb, p.beta, via_dispatch.data(), p.ldc,
       p.bias_ptr(), p.bias_kind);
  switch (kernel_isa()) {
    case Isa::kAvx512f:
      GemmKernel{}(xsimd::avx512f{}, p.args(direct.data()));
      break;
    case Isa::kAvx2:
      GemmKernel{}(xsimd::fma3<xsimd::avx2>{}, p.args(direct.data()));
      break;
    case Isa::kSse2:
      GemmKernel{}(xsimd::sse2{}, p.args(direct.data()));
      break;
  }
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j)
      BOOST_REQUIRE(via_dispatch[static_cast<size_t>(i * p.ldc + j)] == direct[static_cast<size_t>(i * p.ldc + j)]);
}
