// Activations: relu, sigmoid, tanh, softmax and log_softmax along a dim.
//
// softmax/log_softmax subtract the maximum along `dim` before exponentiating, so large logits
// never overflow; sums accumulate in double.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/tensor_internal.hpp"

#include <cmath>
#include <type_traits>
#include <vector>

namespace xgrad {

using autograd::variable_list;

namespace detail {
// Vectorised float32 kernels defined in elementwise.cpp.
void sigmoid_f32(const float* in, float* out, int64_t n);
}  // namespace detail

namespace {

// The engine keeps a node's own saved output without its graph (no reference cycle), so a
// backward that runs with create_graph recomputes the output from the saved input instead:
// first-order backward stays cheap and higher-order gradients stay exact.
template <typename F>
Tensor output_for_backward(const variable_list& saved, F recompute) {
  if (GradMode::is_enabled() && saved[0].requires_grad()) return recompute(saved[0]);
  return saved[1];
}

template <typename T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.impl()->data());
}

// out = f(x) for a floating x (contiguous copy taken if needed); integral inputs become float32.
template <typename F>
Tensor map_float(const Tensor& x, const char* op, F f) {
  Tensor in = x;
  if (!is_floating_point(x.dtype())) {
    AutoGradMode guard(false);
    in = x.detach().to(kFloat32);
  }
  in = in.contiguous();
  Tensor out = make_tensor(x.sizes(), in.dtype());
  detail::dispatch_floating(in.dtype(), op, [&]<typename T>() {
    const T* p = ptr<T>(in);
    T* o = ptr<T>(out);
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) o[i] = f(p[i]);
  });
  return out;
}

// First-order backward (no create_graph) as one fused pass: grad_in = f(grad_out, y) with no
// temporaries. Under create_graph the composite, differentiable formula is used instead.
template <typename F>
Tensor fused_backward(const Tensor& g, const Tensor& y, const char* op, F f) {
  const Tensor gc = g.dtype() == y.dtype() ? g.contiguous() : g.to(y.dtype()).contiguous();
  const Tensor yc = y.contiguous();
  Tensor out = make_tensor(y.sizes(), y.dtype(), op);
  detail::dispatch_floating(y.dtype(), op, [&]<typename T>() {
    const T* pg = ptr<T>(gc);
    const T* py = ptr<T>(yc);
    T* o = ptr<T>(out);
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) o[i] = f(pg[i], py[i]);
  });
  return out;
}

bool first_order(const Tensor&) { return !GradMode::is_enabled(); }

struct ReluOp : autograd::Function<ReluOp> {
  static std::string_view name() { return "ReluBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    XGRAD_CHECK(x.dtype() != kBool, TypeError, "relu: not supported for bool tensors");
    const Tensor in = x.contiguous();
    Tensor out = make_tensor(x.sizes(), x.dtype(), "relu");
    detail::dispatch_all(x.dtype(), "relu", [&]<typename T>() {
      if constexpr (!std::is_same_v<T, bool>) {
        const T* p = ptr<T>(in);
        T* o = ptr<T>(out);
        const int64_t n = out.numel();
        // Written as `v <= 0 ? 0 : v` so NaN passes through, as PyTorch.
        for (int64_t i = 0; i < n; ++i) o[i] = p[i] <= T(0) ? T(0) : p[i];
      }
    });
    ctx->save_for_backward({out});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor y = ctx->get_saved_variables()[0];
    if (first_order(g[0]) && is_floating_point(y.dtype()))
      return {fused_backward(g[0], y, "relu", [](auto gv, auto yv) { return yv > 0 ? gv : decltype(gv)(0); })};
    Tensor mask;
    {
      AutoGradMode guard(false);
      mask = (y > 0.0).to(g[0].dtype());
    }
    return {g[0] * mask};
  }
};

struct SigmoidOp : autograd::Function<SigmoidOp> {
  static std::string_view name() { return "SigmoidBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor out;
    if (x.dtype() == kFloat32 && x.is_contiguous()) {
      out = make_tensor(x.sizes(), kFloat32);
      detail::sigmoid_f32(ptr<float>(x), ptr<float>(out), x.numel());
    } else {
      out = map_float(x, "sigmoid", [](auto v) {
        using T = decltype(v);
        return T(1) / (T(1) + std::exp(-v));
      });
    }
    ctx->save_for_backward({x, out});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    if (first_order(g[0]))
      return {fused_backward(g[0], ctx->get_saved_variables()[1], "sigmoid",
                             [](auto gv, auto yv) { return gv * yv * (decltype(gv)(1) - yv); })};
    const Tensor y = output_for_backward(ctx->get_saved_variables(), [](const Tensor& x) { return x.sigmoid(); });
    return {g[0] * y * (1.0 - y)};
  }
};

struct TanhOp : autograd::Function<TanhOp> {
  static std::string_view name() { return "TanhBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor out = map_float(x, "tanh", [](auto v) { return std::tanh(v); });
    ctx->save_for_backward({x, out});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    if (first_order(g[0]))
      return {fused_backward(g[0], ctx->get_saved_variables()[1], "tanh",
                             [](auto gv, auto yv) { return gv * (decltype(gv)(1) - yv * yv); })};
    const Tensor y = output_for_backward(ctx->get_saved_variables(), [](const Tensor& x) { return x.tanh(); });
    return {g[0] * (1.0 - y * y)};
  }
};

// softmax (Log = false) or log_softmax (Log = true) of contiguous x along dim d, viewed as
// [outer, n, inner]. Rows of length n are strided by `inner`; the inner loop runs over `inner`
// so it is contiguous.
template <bool Log>
Tensor softmax_kernel(const Tensor& x, int64_t d, const char* op) {
  const Tensor c = x.contiguous();
  Tensor out = make_tensor(x.sizes(), x.dtype(), op);
  const int64_t nd = x.dim();
  const int64_t n = nd == 0 ? 1 : x.size(d);
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < nd; ++k) {
    if (k < d) outer *= x.size(k);
    if (k > d) inner *= x.size(k);
  }
  if (out.numel() == 0) return out;
  detail::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    const T* px = ptr<T>(c);
    T* po = ptr<T>(out);
    std::vector<T> mx(static_cast<size_t>(inner));
    std::vector<double> sum(static_cast<size_t>(inner));
    for (int64_t o = 0; o < outer; ++o) {
      const T* xb = px + o * n * inner;
      T* ob = po + o * n * inner;
      for (int64_t i = 0; i < inner; ++i) {
        mx[static_cast<size_t>(i)] = xb[i];
        sum[static_cast<size_t>(i)] = 0.0;
      }
      for (int64_t k = 1; k < n; ++k)
        for (int64_t i = 0; i < inner; ++i) {
          const T v = xb[k * inner + i];
          // NaN propagates into the max, so a row containing NaN gives NaN, as PyTorch.
          if (v > mx[static_cast<size_t>(i)] || std::isnan(v)) mx[static_cast<size_t>(i)] = v;
        }
      for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < inner; ++i) {
          const T e = std::exp(xb[k * inner + i] - mx[static_cast<size_t>(i)]);
          if constexpr (!Log) ob[k * inner + i] = e;
          sum[static_cast<size_t>(i)] += static_cast<double>(e);
        }
      for (int64_t i = 0; i < inner; ++i) {
        if constexpr (Log) {
          // (x - max) - log(sum), never x - (max + log(sum)): for |max| large, max + log(sum)
          // rounds log(sum) away (1e8 + log 2 == 1e8 in float32). x - max is exact for the
          // elements near the max, and the subtraction runs in double.
          const double lse = std::log(sum[static_cast<size_t>(i)]);
          const double m = static_cast<double>(mx[static_cast<size_t>(i)]);
          for (int64_t k = 0; k < n; ++k)
            ob[k * inner + i] = static_cast<T>((static_cast<double>(xb[k * inner + i]) - m) - lse);
        } else {
          const T inv = static_cast<T>(1.0 / sum[static_cast<size_t>(i)]);
          for (int64_t k = 0; k < n; ++k) ob[k * inner + i] *= inv;
        }
      }
    }
  });
  return out;
}

struct SoftmaxOp : autograd::Function<SoftmaxOp> {
  static std::string_view name() { return "SoftmaxBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t dim) {
    const int64_t d = detail::wrap_dim(dim, x.dim(), "softmax");
    Tensor y = softmax_kernel<false>(x, d, "softmax");
    ctx->save_for_backward({x, y});
    ctx->saved_data["dim"] = d;
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const int64_t d = ctx->saved_data["dim"].toInt();
    const Tensor y = output_for_backward(ctx->get_saved_variables(), [d](const Tensor& x) { return x.softmax(d); });
    const Tensor gy = g[0] * y;
    if (y.dim() == 0) return {gy - gy * y};
    return {gy - y * gy.sum({d}, true)};
  }
};

// First-order log_softmax backward, grad_in = g - softmax(x) * sum(g) along dim d, in one pass
// per row. The softmax is recomputed from the saved input as exp(x - max) / sum in double,
// not as exp(log_softmax output): the output is rounded to T, and exp of a rounded value
// near -80 in float32 is off by ~1e-5 relative.
Tensor log_softmax_backward_kernel(const Tensor& g, const Tensor& x, int64_t d) {
  const Tensor xc = x.contiguous();
  const Tensor gc = g.dtype() == x.dtype() ? g.contiguous() : g.to(x.dtype()).contiguous();
  Tensor out = make_tensor(x.sizes(), x.dtype(), "log_softmax_backward");
  if (out.numel() == 0) return out;
  const int64_t nd = x.dim();
  const int64_t n = nd == 0 ? 1 : x.size(d);
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < nd; ++k) {
    if (k < d) outer *= x.size(k);
    if (k > d) inner *= x.size(k);
  }
  detail::dispatch_floating(x.dtype(), "log_softmax", [&]<typename T>() {
    const T* px = ptr<T>(xc);
    const T* pg = ptr<T>(gc);
    T* po = ptr<T>(out);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t base = o * n * inner + i;
        double mx = static_cast<double>(px[base]);
        for (int64_t k = 1; k < n; ++k) {
          const double v = static_cast<double>(px[base + k * inner]);
          if (v > mx || std::isnan(v)) mx = v;
        }
        double sum = 0.0, gsum = 0.0;
        for (int64_t k = 0; k < n; ++k) {
          sum += std::exp(static_cast<double>(px[base + k * inner]) - mx);
          gsum += static_cast<double>(pg[base + k * inner]);
        }
        const double scale = gsum / sum;
        for (int64_t k = 0; k < n; ++k) {
          const int64_t j = base + k * inner;
          po[j] = static_cast<T>(static_cast<double>(pg[j]) - std::exp(static_cast<double>(px[j]) - mx) * scale);
        }
      }
    }
  });
  return out;
}

struct LogSoftmaxOp : autograd::Function<LogSoftmaxOp> {
  static std::string_view name() { return "LogSoftmaxBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t dim) {
    const int64_t d = detail::wrap_dim(dim, x.dim(), "log_softmax");
    Tensor y = softmax_kernel<true>(x, d, "log_softmax");
    // Backward needs softmax(x), recomputed from x (see log_softmax_backward_kernel).
    ctx->save_for_backward({x});
    ctx->saved_data["dim"] = d;
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const int64_t d = ctx->saved_data["dim"].toInt();
    const Tensor x = ctx->get_saved_variables()[0];
    if (first_order(g[0])) return {log_softmax_backward_kernel(g[0], x, d)};
    // create_graph: the same formula from differentiable ops, so second derivatives are exact.
    const Tensor p = x.softmax(d);
    if (x.dim() == 0) return {g[0] - p * g[0]};
    return {g[0] - p * g[0].sum({d}, true)};
  }
};

}  // namespace

Tensor relu(const Tensor& x) {
  detail::check_defined(x, "relu");
  return ReluOp::apply(x);
}
Tensor sigmoid(const Tensor& x) {
  detail::check_defined(x, "sigmoid");
  return SigmoidOp::apply(x);
}
Tensor tanh(const Tensor& x) {
  detail::check_defined(x, "tanh");
  return TanhOp::apply(x);
}
Tensor softmax(const Tensor& x, int64_t dim) {
  detail::check_defined(x, "softmax");
  return SoftmaxOp::apply(x, dim);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  detail::check_defined(x, "log_softmax");
  return LogSoftmaxOp::apply(x, dim);
}

Tensor Tensor::relu() const { return xgrad::relu(*this); }
Tensor Tensor::sigmoid() const { return xgrad::sigmoid(*this); }
Tensor Tensor::tanh() const { return xgrad::tanh(*this); }
Tensor Tensor::softmax(int64_t dim) const { return xgrad::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return xgrad::log_softmax(*this, dim); }

}  // namespace xgrad
