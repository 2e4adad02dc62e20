#pragma once
// Contract for the packed, cache-blocked GEMM (implemented per ISA in this folder).
// Row-major: C[m x n] = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T.
// lda/ldb/ldc are row strides in elements of the matrices as stored (before op()).
// When beta == 0, C is not read (it may hold garbage or NaN).
// `bias`, when not null, is added to every row (bias_kind == kBiasCol: length n, one per column)
// or every column (kBiasRow: length m, one per row) after the product: the conv epilogue.
//
// gemm() splits large products over xgrad::get_num_threads() threads (serially when called
// from inside a parallel region); the result is bit-identical for every thread count, because
// every element of C is computed by the same sequence of operations wherever it falls in the
// partition (only the fixed depth blocking KC decides the summation order).

#include "kernels/isa.hpp"

#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {

enum class Bias { kNone, kPerRow, kPerCol };

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias = nullptr,
          Bias bias_kind = Bias::kNone);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc, const double* bias = nullptr,
          Bias bias_kind = Bias::kNone);

/// The arguments of one GEMM, as passed to the per-arch kernels.
template <typename T>
struct GemmArgs {
  bool trans_a = false;
  bool trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  T alpha = 1;
  const T* a = nullptr;
  int64_t lda = 0;
  const T* b = nullptr;
  int64_t ldb = 0;
  T beta = 0;
  T* c = nullptr;
  int64_t ldc = 0;
  const T* bias = nullptr;
  Bias bias_kind = Bias::kNone;
};

/// The packed GEMM for one architecture (defined in gemm_impl.hpp, instantiated once per ISA in
/// gemm_arch.cpp). gemm() dispatches to the best one the CPU supports; tests call each directly.
struct GemmKernel {
  template <class Arch, typename T>
  void operator()(Arch, const GemmArgs<T>& args) const;
};

#define XGRAD_GEMM_EXTERN(ARCH)                                                                   \
  extern template void GemmKernel::operator()<ARCH, float>(ARCH, const GemmArgs<float>&) const;   \
  extern template void GemmKernel::operator()<ARCH, double>(ARCH, const GemmArgs<double>&) const;
XGRAD_GEMM_EXTERN(xsimd::sse2)
XGRAD_GEMM_EXTERN(xsimd::fma3<xsimd::avx2>)
XGRAD_GEMM_EXTERN(xsimd::avx512f)
#undef XGRAD_GEMM_EXTERN

/// Peak of this core's FMA units for float: runs `iterations` steps of 12 independent FMA
/// chains (enough to cover latency x pipes) and returns the number of flops done. Used by
/// bench_gemm to state GEMM throughput as a fraction of the measured peak.
struct FmaPeakKernel {
  template <class Arch>
  double operator()(Arch, int64_t iterations) const;
};
extern template double FmaPeakKernel::operator()<xsimd::sse2>(xsimd::sse2, int64_t) const;
extern template double FmaPeakKernel::operator()<xsimd::fma3<xsimd::avx2>>(xsimd::fma3<xsimd::avx2>, int64_t) const;
extern template double FmaPeakKernel::operator()<xsimd::avx512f>(xsimd::avx512f, int64_t) const;

/// Measured single-thread float FMA peak in GFLOP/s of the kernels' ISA, kernel_isa() (about
/// `seconds` long).
double fma_peak_gflops(double seconds = 0.3);
/// The same for `isa` (SSE2: 128-bit multiply + add, no FMA); 0 when the CPU lacks it.
double fma_peak_gflops(Isa isa, double seconds = 0.3);

/// Blocking of the packed GEMM (elements). KC is the only one that affects rounding.
inline constexpr int64_t kGemmKC = 256;
inline constexpr int64_t kGemmMC = 144;   // multiple of the micro-tile height 6
inline constexpr int64_t kGemmNC = 3072;  // multiple of every micro-tile width

}  // namespace xgrad::kernels
