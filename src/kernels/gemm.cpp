// Run-time entry points of the GEMM: pick the best kernel the CPU supports.
#include "kernels/gemm.hpp"

#include "kernels/isa.hpp"

#include <chrono>

namespace xgrad::kernels {
namespace {
template <typename T>
void run(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
         int64_t ldb, T beta, T* c, int64_t ldc, const T* bias, Bias bias_kind) {
  GemmArgs<T> args{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, bias_kind};
  // The arch of kernel_isa(): the fastest the CPU has, or XGRAD_ISA's.
  static const auto kernel = isa_dispatch(GemmKernel{});
  kernel(args);
}
}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias, Bias bias_kind) {
  run(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, bias_kind);
}
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc, const double* bias, Bias bias_kind) {
  run(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, bias_kind);
}

namespace {
template <class Arch>
double peak_of(double seconds) {
  int64_t iterations = 1 << 20;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    const double flops = FmaPeakKernel{}(Arch{}, iterations);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (dt >= seconds || iterations > (int64_t{1} << 40)) return flops / dt / 1e9;
    iterations *= 2;
  }
}
}  // namespace

double fma_peak_gflops(Isa isa, double seconds) {
  if (!cpu_supports(isa)) return 0;
  switch (isa) {
    case Isa::kAvx512f:
      return peak_of<xsimd::avx512f>(seconds);
    case Isa::kAvx2:
      return peak_of<xsimd::fma3<xsimd::avx2>>(seconds);
    case Isa::kSse2:
      break;
  }
  return peak_of<xsimd::sse2>(seconds);
}

double fma_peak_gflops(double seconds) { return fma_peak_gflops(kernel_isa(), seconds); }

}  // namespace xgrad::kernels
