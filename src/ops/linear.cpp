// nn::functional::linear: one GEMM with a bias epilogue, and its backward.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/linear.hpp>

#include "core/dispatch.hpp"
#include "core/tensor_internal.hpp"
#include "kernels/gemm.hpp"

#include <algorithm>
#include <string_view>

namespace xgrad::nn::functional {

namespace {

using autograd::variable_list;

// y[N, out] = x[N, in] @ w[out, in]^T (+ b[out]). Named like PyTorch's addmm / mm nodes, which
// is what a 2-D F.linear records.
template <bool HasBias>
struct LinearOp : autograd::Function<LinearOp<HasBias>> {
  static std::string_view name() { return HasBias ? "AddmmBackward0" : "MmBackward0"; }

  static Tensor forward(AutogradContext* ctx, const Tensor& input, const Tensor& weight, const Tensor& bias) {
    const Tensor x = input.contiguous();
    const Tensor w = weight.contiguous();
    const Tensor b = HasBias ? bias.contiguous() : Tensor();
    ctx->save_for_backward({x, w});
    const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
    Tensor y = make_tensor({n, out}, x.dtype(), "linear");
    detail::dispatch_floating(x.dtype(), "linear", [&]<typename T>() {
      T* yp = y.data_ptr<T>();
      const T* bp = HasBias ? b.data_ptr<T>() : nullptr;
      if (n == 0 || out == 0) return;
      if (in == 0) {  // an empty product: only the bias remains
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < out; ++j) yp[i * out + j] = bp ? bp[j] : T(0);
        return;
      }
      kernels::gemm(false, true, n, out, in, T(1), x.data_ptr<T>(), in, w.data_ptr<T>(), in, T(0), yp, out, bp,
                    bp ? kernels::Bias::kPerCol : kernels::Bias::kNone);
    });
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const Tensor &x = saved[0], &w = saved[1];
    Tensor gx, gw, gb;
    if (GradMode::is_enabled()) {  // create_graph: the same products, recorded
      if (ctx->needs_input_grad(0)) gx = grads[0].mm(w);
      if (ctx->needs_input_grad(1)) gw = grads[0].t().mm(x);
      if (HasBias && ctx->needs_input_grad(2)) gb = grads[0].sum({0});
      return {gx, gw, gb};
    }
    const Tensor g = grads[0].contiguous();
    const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
    detail::dispatch_floating(x.dtype(), "linear", [&]<typename T>() {
      const T* gp = g.data_ptr<T>();
      if (ctx->needs_input_grad(0)) {  // gx[N, in] = g[N, out] @ w[out, in]
        // gemm with beta 0 writes every element (zeros when out == 0) and never reads C.
        gx = make_tensor({n, in}, x.dtype(), "linear");
        if (n > 0 && in > 0)
          kernels::gemm(false, false, n, in, out, T(1), gp, out, w.data_ptr<T>(), in, T(0), gx.data_ptr<T>(), in);
      }
      if (ctx->needs_input_grad(1)) {  // gw[out, in] = g^T[out, N] @ x[N, in]
        gw = make_tensor({out, in}, x.dtype(), "linear");
        if (out > 0 && in > 0)
          kernels::gemm(true, false, out, in, n, T(1), gp, out, x.data_ptr<T>(), in, T(0), gw.data_ptr<T>(), in);
      }
      if (HasBias && ctx->needs_input_grad(2)) {
        gb = zeros({out}, x.dtype());
        T* gbp = gb.data_ptr<T>();
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < out; ++j) gbp[j] += gp[i * out + j];
      }
    });
    return {gx, gw, gb};
  }
};

}  // namespace

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  XGRAD_CHECK(input.defined() && weight.defined(), ValueError, "linear: input and weight must be defined tensors");
  XGRAD_CHECK(input.is_floating_point(), TypeError, "linear: expected a floating-point input, got {}",
              dtype_name(input.dtype()));
  XGRAD_CHECK(weight.dtype() == input.dtype(), TypeError, "linear: weight has dtype {} but input has dtype {}",
              dtype_name(weight.dtype()), dtype_name(input.dtype()));
  XGRAD_CHECK(weight.dim() == 2, ShapeError, "linear: weight must be 2-D [out_features, in_features], got {}",
              to_string(weight.sizes()));
  XGRAD_CHECK(input.dim() >= 1, ShapeError, "linear: input must have at least 1 dimension, got a 0-D tensor");
  const int64_t in = weight.size(1), out = weight.size(0);
  XGRAD_CHECK(input.size(-1) == in, ShapeError,
              "linear: input has {} features (last dimension), weight expects {} (input {}, weight {})",
              input.size(-1), in, to_string(input.sizes()), to_string(weight.sizes()));
  if (bias.defined()) {
    XGRAD_CHECK(bias.dtype() == input.dtype(), TypeError, "linear: bias has dtype {} but input has dtype {}",
                dtype_name(bias.dtype()), dtype_name(input.dtype()));
    XGRAD_CHECK(bias.dim() == 1 && bias.size(0) == out, ShapeError,
                "linear: bias must be 1-D with {} elements (out_features), got {}", out, to_string(bias.sizes()));
  }
  if (input.dim() == 2) {
    return bias.defined() ? LinearOp<true>::apply(input, weight, bias) : LinearOp<false>::apply(input, weight, bias);
  }
  // Fold the leading dimensions into one batch of rows, as PyTorch does.
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < input.dim(); ++d) rows *= input.size(d);
  const Tensor x2 = input.reshape({rows, in});
  const Tensor y2 = bias.defined() ? LinearOp<true>::apply(x2, weight, bias) : LinearOp<false>::apply(x2, weight, bias);
  std::vector<int64_t> out_sizes = input.sizes().vec();
  out_sizes.back() = out;
  return y2.view(out_sizes);
}

}  // namespace xgrad::nn::functional
