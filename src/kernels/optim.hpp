#pragma once
// Contract of the optimizer update kernels (raw pointers, no Tensor, no graph).
//
// Each kernel updates one parameter of n contiguous elements in ONE pass: for every element it
// reads the parameter, its gradient and the optimizer's state buffers once, and writes the
// parameter and the state once. The per-element arithmetic is PyTorch 1.13's `_single_tensor_*`
// code, operation by operation (each PyTorch tensor op rounds once: so do we, with no fused
// multiply-add), with every hyper-parameter cast to T first, as PyTorch casts a Python float
// to the tensor's dtype. The scalars that PyTorch computes as Python floats (Adam's bias
// corrections, Adagrad's decayed lr) arrive here already computed, in double, by src/optim/.
//
// Entry points split [0, n) into chunks whose size depends only on n (multiples of the widest
// vector), run them on the kernels' thread pool with the best SIMD variant the CPU has, so the
// result is bit-identical for every thread count; `reference::` holds the scalar twins that
// state the semantics, compute the same bits, and serve as the test oracle.

#include <cstdint>

namespace xgrad::kernels {

// SGD (torch.optim.SGD):
//   d = maximize ? -g : g;  if (weight_decay != 0) d = d + weight_decay * p
//   if (momentum != 0) { buf = init_buffer ? d : buf * momentum + (1 - dampening) * d;
//                        d = nesterov ? d + momentum * buf : buf }
//   p = p + (-lr) * d
// `buf` is read only when momentum != 0 (may be null otherwise).
struct SGDHyper {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
  bool init_buffer = false;  // first step: the buffer becomes a copy of d
};

// Adam / AdamW (torch.optim.Adam, torch.optim.AdamW):
//   d = maximize ? -g : g
//   AdamW: p = p * decay_factor (= 1 - lr * weight_decay);  Adam: if (weight_decay != 0) d = d + weight_decay * p
//   m = m * beta1 + (1 - beta1) * d;   v = v * beta2 + ((1 - beta2) * d) * d
//   if (amsgrad) { vmax = maximum(vmax, v) (NaN wins);  s = vmax } else s = v
//   p = p + ((-step_size) * m) / (sqrt(s) / bias_correction2_sqrt + eps)
// `max_exp_avg_sq` is touched only with amsgrad.
struct AdamHyper {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  double decay_factor = 1;           // AdamW only
  double step_size = 0;              // lr / (1 - beta1^step), in double
  double bias_correction2_sqrt = 1;  // sqrt(1 - beta2^step), in double
  bool amsgrad = false, maximize = false;
  bool decoupled = false;  // AdamW's decoupled weight decay
};

// RMSprop (torch.optim.RMSprop):
//   d = maximize ? -g : g;  if (weight_decay != 0) d = d + weight_decay * p
//   sq = sq * alpha + ((1 - alpha) * d) * d
//   centered: ga = ga * alpha + (1 - alpha) * d;  avg = sqrt(sq + (-1 * ga) * ga)   else avg = sqrt(sq)
//   avg = avg + eps
//   momentum > 0: buf = buf * momentum + d / avg;  p = p + (-lr) * buf    else p = p + ((-lr) * d) / avg
// `grad_avg` is touched only when centered, `momentum_buffer` only when momentum > 0.
struct RMSpropHyper {
  double lr = 0.01, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};

// Adagrad (torch.optim.Adagrad, dense gradients):
//   d = maximize ? -g : g;  if (weight_decay != 0) d = d + weight_decay * p
//   sum = sum + d * d;  p = p + ((-clr) * d) / (sqrt(sum) + eps)
// with clr = lr / (1 + (step - 1) * lr_decay) computed in double by the caller.
struct AdagradHyper {
  double clr = 0.01, weight_decay = 0, eps = 1e-10;
  bool maximize = false;
};

void sgd_step(const SGDHyper& h, int64_t n, float* param, const float* grad, float* momentum_buffer);
void sgd_step(const SGDHyper& h, int64_t n, double* param, const double* grad, double* momentum_buffer);
void adam_step(const AdamHyper& h, int64_t n, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
               float* max_exp_avg_sq);
void adam_step(const AdamHyper& h, int64_t n, double* param, const double* grad, double* exp_avg,
               double* exp_avg_sq, double* max_exp_avg_sq);
void rmsprop_step(const RMSpropHyper& h, int64_t n, float* param, const float* grad, float* square_avg,
                  float* grad_avg, float* momentum_buffer);
void rmsprop_step(const RMSpropHyper& h, int64_t n, double* param, const double* grad, double* square_avg,
                  double* grad_avg, double* momentum_buffer);
void adagrad_step(const AdagradHyper& h, int64_t n, float* param, const float* grad, float* sum);
void adagrad_step(const AdagradHyper& h, int64_t n, double* param, const double* grad, double* sum);

/// Elements per parallel task: a multiple of every vector width, independent of the thread count.
constexpr int64_t kOptimChunk = int64_t{1} << 14;

// ---- per-ISA functor (src/kernels/optim_arch.cpp) ----------------------------------------------

enum class OptimKind : uint8_t { kSGD, kAdam, kRMSprop, kAdagrad };

/// One kernel call: elements [begin, end) of the buffers. s0/s1/s2 are the state buffers in the
/// order of the entry points' arguments (momentum_buffer; exp_avg, exp_avg_sq, max_exp_avg_sq;
/// square_avg, grad_avg, momentum_buffer; sum).
template <typename T>
struct OptimArgs {
  OptimKind kind = OptimKind::kSGD;
  int64_t begin = 0, end = 0;
  T* param = nullptr;
  const T* grad = nullptr;
  T* s0 = nullptr;
  T* s1 = nullptr;
  T* s2 = nullptr;
  SGDHyper sgd;
  AdamHyper adam;
  RMSpropHyper rmsprop;
  AdagradHyper adagrad;
};

struct OptimKernel {
  template <class Arch, typename T>
  void operator()(Arch, const OptimArgs<T>& args) const;
};

namespace reference {

// Scalar twins over elements [begin, end).
template <typename T>
void sgd_step(const SGDHyper& h, int64_t begin, int64_t end, T* param, const T* grad, T* momentum_buffer);
template <typename T>
void adam_step(const AdamHyper& h, int64_t begin, int64_t end, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
               T* max_exp_avg_sq);
template <typename T>
void rmsprop_step(const RMSpropHyper& h, int64_t begin, int64_t end, T* param, const T* grad, T* square_avg,
                  T* grad_avg, T* momentum_buffer);
template <typename T>
void adagrad_step(const AdagradHyper& h, int64_t begin, int64_t end, T* param, const T* grad, T* sum);

}  // namespace reference

}  // namespace xgrad::kernels

#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {
#define XGRAD_OPTIM_EXTERN(ARCH)                                                                  \
  extern template void OptimKernel::operator()<ARCH, float>(ARCH, const OptimArgs<float>&) const; \
  extern template void OptimKernel::operator()<ARCH, double>(ARCH, const OptimArgs<double>&) const;
XGRAD_OPTIM_EXTERN(xsimd::sse2)
XGRAD_OPTIM_EXTERN(xsimd::fma3<xsimd::avx2>)
XGRAD_OPTIM_EXTERN(xsimd::avx512f)
#undef XGRAD_OPTIM_EXTERN
}  // namespace xgrad::kernels
