// Run-time entry points of the float32 exp / sigmoid / tanh / relu kernels: [0, n) in fixed
// kUnaryChunk-element tasks (boundaries depend on n alone; elements are independent anyway), each
// run with the SIMD kernel of kernel_isa() on the kernels' thread pool.
#include "kernels/isa.hpp"
#include "kernels/parallel.hpp"
#include "kernels/unary.hpp"

#include <algorithm>

namespace xgrad::kernels {
namespace {

void run(UnaryOp op, const float* a, const float* b, float* out, int64_t n) {
  static const auto kernel = isa_dispatch(UnaryKernel{});
  const int64_t tasks = (n + kUnaryChunk - 1) / kUnaryChunk;
  parallel_for(tasks, [&](int64_t t) {
    const int64_t begin = t * kUnaryChunk;
    UnaryArgs args;
    args.op = op;
    args.a = a + begin;
    args.b = b != nullptr ? b + begin : nullptr;
    args.out = out + begin;
    args.n = std::min(n, begin + kUnaryChunk) - begin;
    kernel(args);
  });
}

}  // namespace

void exp_forward(const float* x, float* y, int64_t n) { run(UnaryOp::kExp, x, nullptr, y, n); }
void sigmoid_forward(const float* x, float* y, int64_t n) { run(UnaryOp::kSigmoid, x, nullptr, y, n); }
void tanh_forward(const float* x, float* y, int64_t n) { run(UnaryOp::kTanh, x, nullptr, y, n); }
void sigmoid_backward(const float* grad_y, const float* y, float* grad_x, int64_t n) {
  run(UnaryOp::kSigmoidBackward, grad_y, y, grad_x, n);
}
void tanh_backward(const float* grad_y, const float* y, float* grad_x, int64_t n) {
  run(UnaryOp::kTanhBackward, grad_y, y, grad_x, n);
}
void relu_forward(const float* x, float* y, int64_t n) { run(UnaryOp::kRelu, x, nullptr, y, n); }
void relu_backward(const float* grad_y, const float* y, float* grad_x, int64_t n) {
  run(UnaryOp::kReluBackward, grad_y, y, grad_x, n);
}

}  // namespace xgrad::kernels
