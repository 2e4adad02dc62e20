// Run-time entry points of the pooling kernels: split the planes into fixed chunks, run each
// chunk with the best SIMD kernel the CPU supports (or the scalar twin for shapes the SIMD path
// does not take), on the kernels' thread pool.
#include "kernels/isa.hpp"
#include "kernels/parallel.hpp"
#include "kernels/pool.hpp"

#include <algorithm>

namespace xgrad::kernels {
namespace {

// Planes per task: about 32K elements of work, whatever the thread count, so that the
// partition (and hence every result) is the same for 1 or 64 threads.
int64_t chunk_planes(const Pool2dShape& s) {
  const int64_t work = std::max<int64_t>(1, s.in_h * s.in_w + s.out_h * s.out_w);
  return std::max<int64_t>(1, (int64_t{1} << 15) / work);
}

template <typename F>
void for_plane_chunks(const Pool2dShape& s, F&& fn) {
  const int64_t chunk = chunk_planes(s);
  const int64_t tasks = (s.planes + chunk - 1) / chunk;
  parallel_for(tasks, [&](int64_t t) {
    const int64_t b = t * chunk;
    fn(b, std::min(s.planes, b + chunk));
  });
}

// The SIMD path keeps arg-max positions as T lanes: exact below 2^24 for float. Large strides
// would make the phased rows mostly unused padding; those rare shapes take the scalar path.
template <typename T>
bool simd_ok(const Pool2dShape& s, bool with_indices) {
  if (s.stride_w > 8 || s.out_w <= 0 || s.out_h <= 0) return false;
  // The SIMD path walks every tap of the kernel and phases padded rows: only for the window
  // options real networks use. Larger ones (a kernel, padding or dilation of any size up to
  // INT64_MAX) take the scalar path, whose windows are clipped in closed form.
  constexpr int64_t kMaxWindow = 256;
  if (s.kernel_h > kMaxWindow || s.kernel_w > kMaxWindow || s.dilation_h > kMaxWindow ||
      s.dilation_w > kMaxWindow || s.pad_h > kMaxWindow || s.pad_w > kMaxWindow || s.stride_h > kMaxWindow)
    return false;
  if (with_indices && sizeof(T) == 4) {
    const int64_t reach = s.in_h * s.in_w + s.stride_w * (s.out_w + 64) + s.kernel_w * s.dilation_w;
    if (reach >= (int64_t{1} << 24)) return false;
  }
  return true;
}

template <typename T>
void run_simd(PoolArgs<T> args) {
  static const auto kernel = isa_dispatch(PoolKernel{});
  for_plane_chunks(args.shape, [&](int64_t b, int64_t e) {
    PoolArgs<T> part = args;
    part.plane_begin = b;
    part.plane_end = e;
    kernel(part);
  });
}

template <typename T>
void max_forward(const Pool2dShape& s, const T* input, T* output, int64_t* indices) {
  if (!simd_ok<T>(s, indices != nullptr)) {
    for_plane_chunks(s, [&](int64_t b, int64_t e) { reference::max_pool2d_forward(s, input, output, indices, b, e); });
    return;
  }
  PoolArgs<T> a;
  a.op = PoolOp::kMaxForward;
  a.shape = s;
  a.input = input;
  a.output = output;
  a.indices = indices;
  run_simd(a);
}

template <typename T>
void avg_run(PoolOp op, const Pool2dShape& s, bool count_include_pad, int64_t divisor_override, const T* input,
             T* output) {
  if (!simd_ok<T>(s, false)) {
    for_plane_chunks(s, [&](int64_t b, int64_t e) {
      if (op == PoolOp::kAvgForward)
        reference::avg_pool2d_forward(s, count_include_pad, divisor_override, input, output, b, e);
      else
        reference::avg_pool2d_backward(s, count_include_pad, divisor_override, input, output, b, e);
    });
    return;
  }
  PoolArgs<T> a;
  a.op = op;
  a.shape = s;
  a.count_include_pad = count_include_pad;
  a.divisor_override = divisor_override;
  a.input = input;
  a.output = output;
  run_simd(a);
}

// The SIMD kernel writes 2x2 / stride 2 gradients densely and runs the scalar scatter through
// the saved indices for every other shape.
template <typename T>
void max_backward(const Pool2dShape& s, const T* grad_output, const int64_t* indices, T* grad_input) {
  PoolArgs<T> a;
  a.op = PoolOp::kMaxBackward;
  a.shape = s;
  a.input = grad_output;
  a.output = grad_input;
  a.saved_indices = indices;
  run_simd(a);
}

}  // namespace

void max_pool2d_forward(const Pool2dShape& s, const float* input, float* output, int64_t* indices) {
  max_forward(s, input, output, indices);
}
void max_pool2d_forward(const Pool2dShape& s, const double* input, double* output, int64_t* indices) {
  max_forward(s, input, output, indices);
}

void max_pool2d_backward(const Pool2dShape& s, const float* grad_output, const int64_t* indices, float* grad_input) {
  max_backward(s, grad_output, indices, grad_input);
}
void max_pool2d_backward(const Pool2dShape& s, const double* grad_output, const int64_t* indices,
                         double* grad_input) {
  max_backward(s, grad_output, indices, grad_input);
}

void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override, const float* input,
                        float* output) {
  avg_run(PoolOp::kAvgForward, s, count_include_pad, divisor_override, input, output);
}
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                        const double* input, double* output) {
  avg_run(PoolOp::kAvgForward, s, count_include_pad, divisor_override, input, output);
}
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const float* grad_output, float* grad_input) {
  avg_run(PoolOp::kAvgBackward, s, count_include_pad, divisor_override, grad_output, grad_input);
}
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const double* grad_output, double* grad_input) {
  avg_run(PoolOp::kAvgBackward, s, count_include_pad, divisor_override, grad_output, grad_input);
}

// Adaptive pools mostly produce small outputs (1x1, 7x7) from small planes: the scalar kernels,
// parallel over planes, are enough.
void adaptive_avg_pool2d_forward(const Pool2dShape& s, const float* input, float* output) {
  for_plane_chunks(s, [&](int64_t b, int64_t e) { reference::adaptive_avg_pool2d_forward(s, input, output, b, e); });
}
void adaptive_avg_pool2d_forward(const Pool2dShape& s, const double* input, double* output) {
  for_plane_chunks(s, [&](int64_t b, int64_t e) { reference::adaptive_avg_pool2d_forward(s, input, output, b, e); });
}
void adaptive_avg_pool2d_backward(const Pool2dShape& s, const float* grad_output, float* grad_input) {
  for_plane_chunks(s, [&](int64_t b, int64_t e) {
    reference::adaptive_avg_pool2d_backward(s, grad_output, grad_input, b, e);
  });
}
void adaptive_avg_pool2d_backward(const Pool2dShape& s, const double* grad_output, double* grad_input) {
  for_plane_chunks(s, [&](int64_t b, int64_t e) {
    reference::adaptive_avg_pool2d_backward(s, grad_output, grad_input, b, e);
  });
}
void adaptive_max_pool2d_forward(const Pool2dShape& s, const float* input, float* output, int64_t* indices) {
  for_plane_chunks(s, [&](int64_t b, int64_t e) {
    reference::adaptive_max_pool2d_forward(s, input, output, indices, b, e);
  });
}
void adaptive_max_pool2d_forward(const Pool2dShape& s, const double* input, double* output, int64_t* indices) {
  for_plane_chunks(s, [&](int64_t b, int64_t e) {
    reference::adaptive_max_pool2d_forward(s, input, output, indices, b, e);
  });
}

const char* pool_kernel_arch() {
  const Isa isa = kernel_isa();
  return isa == Isa::kAvx2 ? "fma3+avx2" : isa_name(isa);
}

}  // namespace xgrad::kernels
