// Run-time entry points of the batch-norm kernels: split the channels into chunks fixed by the
// shape, run each chunk with the best SIMD kernel the CPU supports, on the kernels' thread pool.
#include "kernels/batchnorm.hpp"
#include "kernels/isa.hpp"
#include "kernels/parallel.hpp"

#include <algorithm>

namespace xgrad::kernels {
namespace {

// Channels per task: about 32K elements of work, whatever the thread count, so the partition
// (and hence every result) is the same for 1 or 64 threads. A channel is never split.
template <typename T>
void run(BatchNormArgs<T> args) {
  static const auto kernel = isa_dispatch(BatchNormKernel{});
  const auto& s = args.shape;
  if (s.c <= 0 || s.n <= 0 || s.l <= 0) return;
  const int64_t per_channel = s.n * s.l;
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 15) / per_channel);
  const int64_t tasks = (s.c + chunk - 1) / chunk;
  parallel_for(tasks, [&](int64_t t) {
    BatchNormArgs<T> part = args;
    part.c_begin = t * chunk;
    part.c_end = std::min(s.c, part.c_begin + chunk);
    kernel(part);
  });
}

template <typename T>
void stats(const BatchNormShape& s, const T* x, double* mean, double* var) {
  BatchNormArgs<T> a;
  a.pass = BatchNormPass::kStats;
  a.shape = s;
  a.x = x;
  a.acc0 = mean;
  a.acc1 = var;
  run(a);
}

template <typename T>
void transform(const BatchNormShape& s, const T* x, const T* scale, const T* shift, T* y) {
  BatchNormArgs<T> a;
  a.pass = BatchNormPass::kTransform;
  a.shape = s;
  a.x = x;
  a.scale = scale;
  a.shift = shift;
  a.out = y;
  run(a);
}

template <typename T>
void backward_reduce(const BatchNormShape& s, const T* dy, const T* x, const T* mean, double* sum_dy,
                     double* sum_dy_xmu) {
  BatchNormArgs<T> a;
  a.pass = BatchNormPass::kBackwardReduce;
  a.shape = s;
  a.dy = dy;
  a.x = x;
  a.mean = mean;
  a.acc0 = sum_dy;
  a.acc1 = sum_dy_xmu;
  run(a);
}

template <typename T>
void backward_input(const BatchNormShape& s, const T* dy, const T* x, const T* mean, const T* mean_dy,
                    const T* proj, const T* scale, T* dx) {
  BatchNormArgs<T> a;
  a.pass = BatchNormPass::kBackwardInput;
  a.shape = s;
  a.dy = dy;
  a.x = x;
  a.mean = mean;
  a.mean_dy = mean_dy;
  a.proj = proj;
  a.scale = scale;
  a.out = dx;
  run(a);
}

}  // namespace

void batch_norm_collect_stats(const BatchNormShape& s, const float* x, double* mean, double* var) {
  stats(s, x, mean, var);
}
void batch_norm_collect_stats(const BatchNormShape& s, const double* x, double* mean, double* var) {
  stats(s, x, mean, var);
}

void batch_norm_transform(const BatchNormShape& s, const float* x, const float* scale, const float* shift,
                          float* y) {
  transform(s, x, scale, shift, y);
}
void batch_norm_transform(const BatchNormShape& s, const double* x, const double* scale, const double* shift,
                          double* y) {
  transform(s, x, scale, shift, y);
}

void batch_norm_backward_reduce(const BatchNormShape& s, const float* dy, const float* x, const float* mean,
                                double* sum_dy, double* sum_dy_xmu) {
  backward_reduce(s, dy, x, mean, sum_dy, sum_dy_xmu);
}
void batch_norm_backward_reduce(const BatchNormShape& s, const double* dy, const double* x, const double* mean,
                                double* sum_dy, double* sum_dy_xmu) {
  backward_reduce(s, dy, x, mean, sum_dy, sum_dy_xmu);
}

void batch_norm_backward_input(const BatchNormShape& s, const float* dy, const float* x, const float* mean,
                               const float* mean_dy, const float* proj, const float* scale, float* dx) {
  backward_input(s, dy, x, mean, mean_dy, proj, scale, dx);
}
void batch_norm_backward_input(const BatchNormShape& s, const double* dy, const double* x, const double* mean,
                               const double* mean_dy, const double* proj, const double* scale, double* dx) {
  backward_input(s, dy, x, mean, mean_dy, proj, scale, dx);
}

const char* batch_norm_kernel_arch() {
  const Isa isa = kernel_isa();
  return isa == Isa::kAvx2 ? "fma3+avx2" : isa_name(isa);
}

}  // namespace xgrad::kernels
