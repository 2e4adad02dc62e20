#pragma once
// Contract of the float32 elementwise math kernels: exp, sigmoid, tanh and relu forward, and the
// backwards of sigmoid, tanh and relu computed from the saved output in one pass (raw pointers,
// no Tensor, no graph).
//
// Every kernel is one branch-free vector formula per element, compiled once per ISA with
// -ffp-contract=off (src/kernels/meson.build): the same IEEE operations in the same order on
// every ISA, so SSE2, AVX2 and AVX-512 give the same bits, and so does every thread count
// (elements are independent; the range is cut into fixed chunks).
//
// Accuracy against the correctly rounded result (tests/kernels/unary.cpp measures it):
//   exp      <= 1 ulp for every float (subnormal results included: exp(x) for
//            x in [-103.97, -87.34]); +inf above 88.7228, +0 below -103.97; NaN stays NaN.
//   tanh     <= 3 ulp; +-1 for |x| >= 9.01; sign and -0 kept; NaN stays NaN.
//   sigmoid  1 / (1 + exp(-x)), PyTorch's formula, so 0 (not a subnormal) for x < -88.72,
//            as PyTorch's CPU kernel; <= 3 ulp elsewhere.
// Backwards, in the order of the ops they replace (bit-identical to them):
//   sigmoid  dx = (g * y) * (1 - y);    tanh  dx = g * (1 - y * y).
// relu: y = x <= 0 ? 0 : x (NaN passes, -0 gives +0), dx = y > 0 ? g : 0 (exact selects).
//
// The dispatched entry points run on the kernels' thread pool and on the ISA of kernel_isa()
// (XGRAD_ISA, see isa.hpp).

#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {

void exp_forward(const float* x, float* y, int64_t n);
void sigmoid_forward(const float* x, float* y, int64_t n);
void tanh_forward(const float* x, float* y, int64_t n);
void sigmoid_backward(const float* grad_y, const float* y, float* grad_x, int64_t n);
void tanh_backward(const float* grad_y, const float* y, float* grad_x, int64_t n);
void relu_forward(const float* x, float* y, int64_t n);
void relu_backward(const float* grad_y, const float* y, float* grad_x, int64_t n);

/// Elements per task of the dispatched entry points (a multiple of every vector width).
inline constexpr int64_t kUnaryChunk = 16384;

// ---- SIMD functor (per-ISA translation unit unary_arch.cpp) ------------------------------------

enum class UnaryOp { kExp, kSigmoid, kTanh, kSigmoidBackward, kTanhBackward, kRelu, kReluBackward };

// out[i] = op(a[i]) for the forwards, op(a[i], b[i]) (grad_y, y) for the backwards, i in [0, n).
struct UnaryArgs {
  UnaryOp op = UnaryOp::kExp;
  const float* a = nullptr;
  const float* b = nullptr;
  float* out = nullptr;
  int64_t n = 0;
};

struct UnaryKernel {
  template <class Arch>
  void operator()(Arch, const UnaryArgs& args) const;
};

extern template void UnaryKernel::operator()<xsimd::sse2>(xsimd::sse2, const UnaryArgs&) const;
extern template void UnaryKernel::operator()<xsimd::fma3<xsimd::avx2>>(xsimd::fma3<xsimd::avx2>,
                                                                       const UnaryArgs&) const;
extern template void UnaryKernel::operator()<xsimd::avx512f>(xsimd::avx512f, const UnaryArgs&) const;

}  // namespace xgrad::kernels
