// Run-time entry points of the optimizer kernels: split [0, n) into kOptimChunk-element tasks
// (boundaries fixed by n alone, multiples of every vector width, so any thread count gives the
// same bits) and run each with the best SIMD kernel the CPU supports.
#include "kernels/isa.hpp"
#include "kernels/optim.hpp"
#include "kernels/parallel.hpp"

#include <algorithm>

namespace xgrad::kernels {
namespace {

template <typename T>
void run(OptimArgs<T> args, int64_t n) {
  static const auto kernel = isa_dispatch(OptimKernel{});
  const int64_t tasks = (n + kOptimChunk - 1) / kOptimChunk;
  parallel_for(tasks, [&](int64_t t) {
    OptimArgs<T> part = args;
    part.begin = t * kOptimChunk;
    part.end = std::min(n, part.begin + kOptimChunk);
    kernel(part);
  });
}

template <typename T>
void sgd(const SGDHyper& h, int64_t n, T* param, const T* grad, T* buf) {
  OptimArgs<T> a;
  a.kind = OptimKind::kSGD;
  a.sgd = h;
  a.param = param;
  a.grad = grad;
  a.s0 = buf;
  run(a, n);
}

template <typename T>
void adam(const AdamHyper& h, int64_t n, T* param, const T* grad, T* m, T* v, T* vmax) {
  OptimArgs<T> a;
  a.kind = OptimKind::kAdam;
  a.adam = h;
  a.param = param;
  a.grad = grad;
  a.s0 = m;
  a.s1 = v;
  a.s2 = vmax;
  run(a, n);
}

template <typename T>
void rmsprop(const RMSpropHyper& h, int64_t n, T* param, const T* grad, T* sq, T* ga, T* buf) {
  OptimArgs<T> a;
  a.kind = OptimKind::kRMSprop;
  a.rmsprop = h;
  a.param = param;
  a.grad = grad;
  a.s0 = sq;
  a.s1 = ga;
  a.s2 = buf;
  run(a, n);
}

template <typename T>
void adagrad(const AdagradHyper& h, int64_t n, T* param, const T* grad, T* sum) {
  OptimArgs<T> a;
  a.kind = OptimKind::kAdagrad;
  a.adagrad = h;
  a.param = param;
  a.grad = grad;
  a.s0 = sum;
  run(a, n);
}

}  // namespace

void sgd_step(const SGDHyper& h, int64_t n, float* param, const float* grad, float* momentum_buffer) {
  sgd(h, n, param, grad, momentum_buffer);
}
void sgd_step(const SGDHyper& h, int64_t n, double* param, const double* grad, double* momentum_buffer) {
  sgd(h, n, param, grad, momentum_buffer);
}
void adam_step(const AdamHyper& h, int64_t n, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
               float* max_exp_avg_sq) {
  adam(h, n, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq);
}
void adam_step(const AdamHyper& h, int64_t n, double* param, const double* grad, double* exp_avg,
               double* exp_avg_sq, double* max_exp_avg_sq) {
  adam(h, n, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq);
}
void rmsprop_step(const RMSpropHyper& h, int64_t n, float* param, const float* grad, float* square_avg,
                  float* grad_avg, float* momentum_buffer) {
  rmsprop(h, n, param, grad, square_avg, grad_avg, momentum_buffer);
}
void rmsprop_step(const RMSpropHyper& h, int64_t n, double* param, const double* grad, double* square_avg,
                  double* grad_avg, double* momentum_buffer) {
  rmsprop(h, n, param, grad, square_avg, grad_avg, momentum_buffer);
}
void adagrad_step(const AdagradHyper& h, int64_t n, float* param, const float* grad, float* sum) {
  adagrad(h, n, param, grad, sum);
}
void adagrad_step(const AdagradHyper& h, int64_t n, double* param, const double* grad, double* sum) {
  adagrad(h, n, param, grad, sum);
}

}  // namespace xgrad::kernels
