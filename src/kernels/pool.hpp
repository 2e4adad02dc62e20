#pragma once
// Contract of the 2-D pooling kernels (raw pointers, no Tensor, no graph).
//
// Layout: `planes` contiguous H x W planes (N*C of them for an NCHW tensor), input planes of
// in_h*in_w elements, output planes of out_h*out_w. Every plane is pooled on its own, so the
// kernels split the planes over threads in fixed chunks: results are identical for every thread
// count.
//
// Window of output (oh, ow): rows oh*stride_h - pad_h + i*dilation_h (i < kernel_h), columns
// likewise, clipped to the input (max, adaptive) or to the padded input (avg divisor), exactly as
// PyTorch 1.13's CPU kernels. The output sizes are computed by the caller (src/ops/pool.cpp).
//
// Entry points (this file's first half) pick the best SIMD variant at run time; `reference::`
// holds the scalar twins that state the semantics and serve as test oracle.

#include <cstdint>

namespace xgrad::kernels {

struct Pool2dShape {
  int64_t planes = 0;
  int64_t in_h = 0, in_w = 0;
  int64_t out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
};

// Max pool forward. `indices` (may be null when not needed) receives, per output, the index of
// the window's maximum in its flattened input plane: the first maximum in row-major order, or the
// last NaN when the window holds NaNs (PyTorch's rule). A window with no element inside the input
// (possible only with dilation) gives -inf and the index PyTorch reports for it.
void max_pool2d_forward(const Pool2dShape& s, const float* input, float* output, int64_t* indices);
void max_pool2d_forward(const Pool2dShape& s, const double* input, double* output, int64_t* indices);

// Scatter-add of grad_output through saved indices: grad_input (planes x in_h*in_w) is
// overwritten. Indices outside the plane (empty windows) are ignored. Used by the max and the
// adaptive max pools (only planes, in/out sizes of `s` are read).
void max_pool2d_backward(const Pool2dShape& s, const float* grad_output, const int64_t* indices, float* grad_input);
void max_pool2d_backward(const Pool2dShape& s, const double* grad_output, const int64_t* indices,
                         double* grad_input);

// Average pool forward. The divisor is `divisor_override` when != 0, else the window's size
// clipped to the padded input (count_include_pad) or to the input (not count_include_pad).
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override, const float* input,
                        float* output);
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                        const double* input, double* output);
// Average pool backward: grad_input is overwritten with the sum over windows of
// grad_output / divisor.
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const float* grad_output, float* grad_input);
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const double* grad_output, double* grad_input);

// Adaptive pools: window of output i along a dimension of input size n and output size m is
// [floor(i*n/m), ceil((i+1)*n/m)). Only planes and in/out sizes of `s` are read.
void adaptive_avg_pool2d_forward(const Pool2dShape& s, const float* input, float* output);
void adaptive_avg_pool2d_forward(const Pool2dShape& s, const double* input, double* output);
void adaptive_avg_pool2d_backward(const Pool2dShape& s, const float* grad_output, float* grad_input);
void adaptive_avg_pool2d_backward(const Pool2dShape& s, const double* grad_output, double* grad_input);
void adaptive_max_pool2d_forward(const Pool2dShape& s, const float* input, float* output, int64_t* indices);
void adaptive_max_pool2d_forward(const Pool2dShape& s, const double* input, double* output, int64_t* indices);

// Name of the instruction set the SIMD pooling kernels run with on this machine (for benchmarks
// and tests), e.g. "fma3+avx2" or "scalar".
const char* pool_kernel_arch();

namespace reference {

// Scalar twins of the entry points above, one plane range at a time ([plane_begin, plane_end)),
// with the same contracts. Templates instantiated for float and double in pool_reference.cpp.
template <typename T>
void max_pool2d_forward(const Pool2dShape& s, const T* input, T* output, int64_t* indices, int64_t plane_begin,
                        int64_t plane_end);
template <typename T>
void max_pool2d_backward(const Pool2dShape& s, const T* grad_output, const int64_t* indices, T* grad_input,
                         int64_t plane_begin, int64_t plane_end);
template <typename T>
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override, const T* input,
                        T* output, int64_t plane_begin, int64_t plane_end);
template <typename T>
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const T* grad_output, T* grad_input, int64_t plane_begin, int64_t plane_end);
template <typename T>
void adaptive_avg_pool2d_forward(const Pool2dShape& s, const T* input, T* output, int64_t plane_begin,
                                 int64_t plane_end);
template <typename T>
void adaptive_avg_pool2d_backward(const Pool2dShape& s, const T* grad_output, T* grad_input, int64_t plane_begin,
                                  int64_t plane_end);
template <typename T>
void adaptive_max_pool2d_forward(const Pool2dShape& s, const T* input, T* output, int64_t* indices,
                                 int64_t plane_begin, int64_t plane_end);

// Convenience: all planes.
template <typename T>
void max_pool2d_forward(const Pool2dShape& s, const T* input, T* output, int64_t* indices) {
  max_pool2d_forward(s, input, output, indices, 0, s.planes);
}
template <typename T>
void max_pool2d_backward(const Pool2dShape& s, const T* grad_output, const int64_t* indices, T* grad_input) {
  max_pool2d_backward(s, grad_output, indices, grad_input, 0, s.planes);
}
template <typename T>
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override, const T* input,
                        T* output) {
  avg_pool2d_forward(s, count_include_pad, divisor_override, input, output, 0, s.planes);
}
template <typename T>
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const T* grad_output, T* grad_input) {
  avg_pool2d_backward(s, count_include_pad, divisor_override, grad_output, grad_input, 0, s.planes);
}

}  // namespace reference
}  // namespace xgrad::kernels

// ---- SIMD functor (per-ISA translation unit pool_arch.cpp; dispatched by pool.cpp) ------------
#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {

enum class PoolOp { kMaxForward, kMaxBackward, kAvgForward, kAvgBackward };

// One call of the SIMD kernel on planes [plane_begin, plane_end). For the backward ops `input` is
// grad_output and `output` grad_input; kMaxBackward reads the arg-max positions from
// `saved_indices` (any shape: the shapes without a SIMD path run the scalar scatter).
template <typename T>
struct PoolArgs {
  PoolOp op = PoolOp::kMaxForward;
  Pool2dShape shape;
  bool count_include_pad = true;
  int64_t divisor_override = 0;
  const T* input = nullptr;
  T* output = nullptr;
  int64_t* indices = nullptr;
  const int64_t* saved_indices = nullptr;
  int64_t plane_begin = 0, plane_end = 0;
};

struct PoolKernel {
  template <class Arch, typename T>
  void operator()(Arch, const PoolArgs<T>& args) const;
};

#define XGRAD_POOL_EXTERN(ARCH)                                                                 \
  extern template void PoolKernel::operator()<ARCH, float>(ARCH, const PoolArgs<float>&) const; \
  extern template void PoolKernel::operator()<ARCH, double>(ARCH, const PoolArgs<double>&) const;
XGRAD_POOL_EXTERN(xsimd::sse2)
XGRAD_POOL_EXTERN(xsimd::fma3<xsimd::avx2>)
XGRAD_POOL_EXTERN(xsimd::avx512f)
#undef XGRAD_POOL_EXTERN

}  // namespace xgrad::kernels
