#pragma once
// Contract of the batch-normalisation kernels (raw pointers, no Tensor, no graph).
//
// Layout: a contiguous (n, c, l) array, l being the product of the sizes after the channel
// dimension (1 for an (N, C) input, H*W for NCHW). Channel ch of sample i is the run of l
// elements at x + (i*c + ch)*l. Every per-channel quantity is a length-c array.
//
// Every kernel works on whole channels and the entry points split the channels over threads in
// chunks fixed by the shape alone, so a channel's reduction order never depends on the thread
// count: results are bit-identical for 1 or 64 threads. Sums are accumulated in double (float
// inputs: in SIMD float lanes over blocks of at most 256 elements of one run, each block folded
// into a double), so float32 statistics stay accurate for large batches.
//
// Entry points (this file's first half) pick the best SIMD variant at run time; `reference::`
// holds the scalar twins that state the semantics and serve as test oracle.

#include <cstdint>

namespace xgrad::kernels {

struct BatchNormShape {
  int64_t n = 0;  // batch size
  int64_t c = 0;  // channels
  int64_t l = 1;  // elements per (sample, channel)
};

// Per-channel mean and biased variance (sum of squared deviations / (n*l)) of x, in double.
// Two passes: the mean, then the deviations from it (with the first-order correction for the
// rounding of the mean), so a large mean does not cancel the variance away. n*l must be > 0.
void batch_norm_collect_stats(const BatchNormShape& s, const float* x, double* mean, double* var);
void batch_norm_collect_stats(const BatchNormShape& s, const double* x, double* mean, double* var);

// y = x * scale[ch] + shift[ch]: the normalisation and affine map folded into one multiply-add.
void batch_norm_transform(const BatchNormShape& s, const float* x, const float* scale, const float* shift, float* y);
void batch_norm_transform(const BatchNormShape& s, const double* x, const double* scale, const double* shift,
                          double* y);

// Per-channel sum_dy[ch] = sum of dy and, when x is not null, sum_dy_xmu[ch] = sum of
// dy * (x - mean[ch]), in double. The sums behind grad_bias, grad_weight and the training-mode
// grad_input.
void batch_norm_backward_reduce(const BatchNormShape& s, const float* dy, const float* x, const float* mean,
                                double* sum_dy, double* sum_dy_xmu);
void batch_norm_backward_reduce(const BatchNormShape& s, const double* dy, const double* x, const double* mean,
                                double* sum_dy, double* sum_dy_xmu);

// grad_input. With x not null (training): dx = (dy - mean_dy[ch] - (x - mean[ch]) * proj[ch]) *
// scale[ch]; with x null (evaluation, the statistics are constants): dx = dy * scale[ch]
// (mean, mean_dy and proj are then not read).
void batch_norm_backward_input(const BatchNormShape& s, const float* dy, const float* x, const float* mean,
                               const float* mean_dy, const float* proj, const float* scale, float* dx);
void batch_norm_backward_input(const BatchNormShape& s, const double* dy, const double* x, const double* mean,
                               const double* mean_dy, const double* proj, const double* scale, double* dx);

// Name of the instruction set the SIMD batch-norm kernels run with on this machine.
const char* batch_norm_kernel_arch();

namespace reference {

// Scalar twins of the entry points above, on channels [c_begin, c_end), with the same contracts
// (plain sequential double sums). Instantiated for float and double in batchnorm_reference.cpp.
template <typename T>
void batch_norm_collect_stats(const BatchNormShape& s, const T* x, double* mean, double* var, int64_t c_begin,
                              int64_t c_end);
template <typename T>
void batch_norm_transform(const BatchNormShape& s, const T* x, const T* scale, const T* shift, T* y,
                          int64_t c_begin, int64_t c_end);
template <typename T>
void batch_norm_backward_reduce(const BatchNormShape& s, const T* dy, const T* x, const T* mean, double* sum_dy,
                                double* sum_dy_xmu, int64_t c_begin, int64_t c_end);
template <typename T>
void batch_norm_backward_input(const BatchNormShape& s, const T* dy, const T* x, const T* mean, const T* mean_dy,
                               const T* proj, const T* scale, T* dx, int64_t c_begin, int64_t c_end);

}  // namespace reference
}  // namespace xgrad::kernels

// ---- SIMD functor (per-ISA translation unit batchnorm_arch.cpp; dispatched by
// batchnorm_dispatch.cpp) ----------------------------------------------------------------------
#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {

enum class BatchNormPass { kStats, kTransform, kBackwardReduce, kBackwardInput };

// One call of the SIMD kernel on channels [c_begin, c_end). Which pointers are read depends on
// the pass, with the meanings of the entry points above.
template <typename T>
struct BatchNormArgs {
  BatchNormPass pass = BatchNormPass::kStats;
  BatchNormShape shape;
  const T* x = nullptr;
  const T* dy = nullptr;
  const T* mean = nullptr;
  const T* scale = nullptr;
  const T* shift = nullptr;
  const T* mean_dy = nullptr;
  const T* proj = nullptr;
  T* out = nullptr;                  // y (kTransform) or dx (kBackwardInput)
  double* acc0 = nullptr;            // mean (kStats) or sum_dy (kBackwardReduce)
  double* acc1 = nullptr;            // var (kStats) or sum_dy_xmu (kBackwardReduce)
  int64_t c_begin = 0, c_end = 0;
};

struct BatchNormKernel {
  template <class Arch, typename T>
  void operator()(Arch, const BatchNormArgs<T>& args) const;
};

#define XGRAD_BATCHNORM_EXTERN(ARCH)                                                                      \
  extern template void BatchNormKernel::operator()<ARCH, float>(ARCH, const BatchNormArgs<float>&) const; \
  extern template void BatchNormKernel::operator()<ARCH, double>(ARCH, const BatchNormArgs<double>&) const;
XGRAD_BATCHNORM_EXTERN(xsimd::sse2)
XGRAD_BATCHNORM_EXTERN(xsimd::fma3<xsimd::avx2>)
XGRAD_BATCHNORM_EXTERN(xsimd::avx512f)
#undef XGRAD_BATCHNORM_EXTERN

}  // namespace xgrad::kernels
