// Activations: relu, sigmoid, tanh, softmax and log_softmax along a dim; leaky_relu, elu, gelu,
// silu, softplus, log_sigmoid and hardtanh; and the nn::functional forms of all of them.
//
// softmax/log_softmax subtract the maximum along `dim` before exponentiating, so large logits
// never overflow; sums accumulate in double.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/activation.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/tensor_internal.hpp"
#include "kernels/unary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <type_traits>
#include <vector>

namespace xgrad {

using autograd::variable_list;

namespace {

// The engine keeps a node's own saved output without its graph (no reference cycle), so a
// backward that runs with create_graph recomputes the output from the saved input instead:
// first-order backward stays cheap and higher-order gradients stay exact.
template <typename F>
Tensor output_for_backward(const variable_list& saved, F recompute) {
  if (GradMode::is_enabled() && saved[0].requires_grad()) return recompute(saved[0]);
  return saved[1];
}

// out = f(x) elementwise for a floating-point x, on a contiguous copy if x is strided. The one
// map of this file: integral/bool inputs are a TypeError naming `op` (as PyTorch's "not
// implemented for 'Long'"), unless the op converts them first (float_input).
template <typename F>
Tensor map_floating(const Tensor& x, const char* op, F f) {
  return detail::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    const Tensor in = x.contiguous();
    Tensor out = make_tensor(x.sizes(), x.dtype(), op);
    const T* p = detail::typed_data<T>(in);
    T* o = detail::typed_data<T>(out);
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) o[i] = f(p[i]);
    return out;
  });
}

// sigmoid and tanh of integral or bool inputs compute in float32, as PyTorch's (they carry no
// gradient, so the conversion is recorded nowhere).
Tensor float_input(const Tensor& x) {
  if (is_floating_point(x.dtype()) || is_complex(x.dtype())) return x;  // complex: the kernel refuses it
  AutoGradMode guard(false);
  return x.detach().to(kFloat32);
}

// x seen as [outer, n, inner] around dim d, for the ops that work along one dim: rows of n
// elements strided by `inner`. A 0-d x is a single row of one element.
struct DimSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
DimSplit split_at(const Tensor& x, int64_t d) {
  DimSplit s;
  const int64_t nd = x.dim();
  if (nd > 0) s.n = x.size(d);
  for (int64_t k = 0; k < nd; ++k) {
    if (k < d) s.outer *= x.size(k);
    if (k > d) s.inner *= x.size(k);
  }
  return s;
}

// First-order backward (no create_graph) as one fused pass: grad_in = f(grad_out, y) with no
// temporaries. Under create_graph the composite, differentiable formula is used instead.
template <typename F>
Tensor fused_backward(const Tensor& g, const Tensor& y, const char* op, F f) {
  const Tensor gc = g.dtype() == y.dtype() ? g.contiguous() : g.to(y.dtype()).contiguous();
  const Tensor yc = y.contiguous();
  Tensor out = make_tensor(y.sizes(), y.dtype(), op);
  detail::dispatch_floating(y.dtype(), op, [&]<typename T>() {
    const T* pg = detail::typed_data<T>(gc);
    const T* py = detail::typed_data<T>(yc);
    T* o = detail::typed_data<T>(out);
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) o[i] = f(pg[i], py[i]);
  });
  return out;
}

// The float32 form of fused_backward through a SIMD kernel (kernels/unary.hpp), same values.
Tensor fused_backward_f32(const Tensor& g, const Tensor& y, const char* op,
                          void (*kernel)(const float*, const float*, float*, int64_t)) {
  const Tensor gc = g.dtype() == kFloat32 ? g.contiguous() : g.to(kFloat32).contiguous();
  const Tensor yc = y.contiguous();
  Tensor out = make_tensor(y.sizes(), kFloat32, op);
  kernel(detail::typed_data<float>(gc), detail::typed_data<float>(yc), detail::typed_data<float>(out), out.numel());
  return out;
}

bool first_order(const Tensor&) { return !GradMode::is_enabled(); }

struct ReluOp : autograd::Function<ReluOp> {
  static std::string_view name() { return "ReluBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    XGRAD_CHECK(x.dtype() != kBool, TypeError, "relu: not supported for bool tensors");
    const Tensor in = x.contiguous();
    Tensor out = make_tensor(x.sizes(), x.dtype(), "relu");
    if (x.dtype() == kFloat32) {  // the SIMD kernel, on the thread pool: the same values
      kernels::relu_forward(detail::typed_data<float>(in), detail::typed_data<float>(out), out.numel());
      ctx->save_for_backward({out});
      return out;
    }
    detail::dispatch_all(x.dtype(), "relu", [&]<typename T>() {
      if constexpr (!std::is_same_v<T, bool>) {
        const T* p = detail::typed_data<T>(in);
        T* o = detail::typed_data<T>(out);
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
    if (first_order(g[0]) && y.dtype() == kFloat32)
      return {fused_backward_f32(g[0], y, "relu", kernels::relu_backward)};
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
      kernels::sigmoid_forward(detail::typed_data<float>(x), detail::typed_data<float>(out), x.numel());
    } else {
      out = map_floating(float_input(x), "sigmoid", [](auto v) {
        using T = decltype(v);
        return T(1) / (T(1) + std::exp(-v));
      });
    }
    ctx->save_for_backward({x, out});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    if (first_order(g[0]) && ctx->get_saved_variables()[1].dtype() == kFloat32)
      return {fused_backward_f32(g[0], ctx->get_saved_variables()[1], "sigmoid", kernels::sigmoid_backward)};
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
    Tensor out;
    if (x.dtype() == kFloat32 && x.is_contiguous()) {
      out = make_tensor(x.sizes(), kFloat32);
      kernels::tanh_forward(detail::typed_data<float>(x), detail::typed_data<float>(out), x.numel());
    } else {
      out = map_floating(float_input(x), "tanh", [](auto v) { return std::tanh(v); });
    }
    ctx->save_for_backward({x, out});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    if (first_order(g[0]) && ctx->get_saved_variables()[1].dtype() == kFloat32)
      return {fused_backward_f32(g[0], ctx->get_saved_variables()[1], "tanh", kernels::tanh_backward)};
    if (first_order(g[0]))
      return {fused_backward(g[0], ctx->get_saved_variables()[1], "tanh",
                             [](auto gv, auto yv) { return gv * (decltype(gv)(1) - yv * yv); })};
    const Tensor y = output_for_backward(ctx->get_saved_variables(), [](const Tensor& x) { return x.tanh(); });
    return {g[0] * (1.0 - y * y)};
  }
};

// softmax (Log = false) or log_softmax (Log = true) of x along dim d, viewed as [outer, n, inner]
// (split_at); the inner loop runs over `inner` so it is contiguous.
template <bool Log>
Tensor softmax_kernel(const Tensor& x, int64_t d, const char* op) {
  const Tensor c = x.contiguous();
  Tensor out = make_tensor(x.sizes(), x.dtype(), op);
  const DimSplit split = split_at(x, d);
  const int64_t outer = split.outer, n = split.n, inner = split.inner;
  if (out.numel() == 0) return out;
  detail::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    const T* px = detail::typed_data<T>(c);
    T* po = detail::typed_data<T>(out);
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
  struct State {
    int64_t dim;  // wrapped
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t dim) {
    const int64_t d = detail::wrap_dim(dim, x.dim(), "softmax");
    Tensor y = softmax_kernel<false>(x, d, "softmax");
    ctx->save_for_backward({x, y});
    ctx->emplace_state<State>(d);
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const int64_t d = ctx->state<State>().dim;
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
  const DimSplit split = split_at(x, d);
  const int64_t outer = split.outer, n = split.n, inner = split.inner;
  detail::dispatch_floating(x.dtype(), "log_softmax", [&]<typename T>() {
    const T* px = detail::typed_data<T>(xc);
    const T* pg = detail::typed_data<T>(gc);
    T* po = detail::typed_data<T>(out);
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
  struct State {
    int64_t dim;  // wrapped
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t dim) {
    const int64_t d = detail::wrap_dim(dim, x.dim(), "log_softmax");
    Tensor y = softmax_kernel<true>(x, d, "log_softmax");
    // Backward needs softmax(x), recomputed from x (see log_softmax_backward_kernel).
    ctx->save_for_backward({x});
    ctx->emplace_state<State>(d);
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const int64_t d = ctx->state<State>().dim;
    const Tensor x = ctx->get_saved_variables()[0];
    if (first_order(g[0])) return {log_softmax_backward_kernel(g[0], x, d)};
    // create_graph: the same formula from differentiable ops, so second derivatives are exact.
    const Tensor p = x.softmax(d);
    if (x.dim() == 0) return {g[0] - p * g[0]};
    return {g[0] - p * g[0].sum({d}, true)};
  }
};

// ---- leaky_relu, elu, gelu, silu, softplus, log_sigmoid, hardtanh ------------------------------
//
// Each saves its input and has a fused first-order backward. Under create_graph the gradient is
// built from differentiable ops instead; factors that are piecewise constant in x (the slopes of
// leaky_relu and hardtanh, the branch masks) are computed without history, since their own
// derivative is zero almost everywhere.

// sigmoid(v) without overflow in either tail (~exp(v) for very negative v).
template <typename T>
T sigmoid_scalar(T v) {
  if (v >= T(0)) return T(1) / (T(1) + std::exp(-v));
  const T e = std::exp(v);
  return e / (T(1) + e);
}

// log(1 + exp(v)) without overflow, exact in both tails.
template <typename T>
T softplus_scalar(T v) {
  return std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v)));
}

struct LeakyReluOp : autograd::Function<LeakyReluOp> {
  static std::string_view name() { return "LeakyReluBackward0"; }
  struct State {
    double negative_slope;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double slope) {
    Tensor out = map_floating(x, "leaky_relu", [slope](auto v) {
      using T = decltype(v);
      return v > T(0) ? v : v * static_cast<T>(slope);
    });
    ctx->save_for_backward({x});
    ctx->emplace_state<State>(slope);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const double slope = ctx->state<State>().negative_slope;
    const Tensor x = ctx->get_saved_variables()[0];
    if (first_order(g[0]))
      return {fused_backward(g[0], x, "leaky_relu", [slope](auto gv, auto xv) {
        using T = decltype(gv);
        return xv > T(0) ? gv : gv * static_cast<T>(slope);
      })};
    const Tensor factor = map_floating(x.detach(), "leaky_relu", [slope](auto v) {
      using T = decltype(v);
      return v > T(0) ? T(1) : static_cast<T>(slope);
    });
    return {g[0] * factor};
  }
};

struct EluOp : autograd::Function<EluOp> {
  static std::string_view name() { return "EluBackward0"; }
  struct State {
    double alpha;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double alpha) {
    // expm1, not exp - 1: exact for small |x| where exp(x) - 1 cancels.
    Tensor out = map_floating(x, "elu", [alpha](auto v) {
      using T = decltype(v);
      return v > T(0) ? v : static_cast<T>(alpha) * std::expm1(v);
    });
    ctx->save_for_backward({x});
    ctx->emplace_state<State>(alpha);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const double alpha = ctx->state<State>().alpha;
    const Tensor x = ctx->get_saved_variables()[0];
    if (first_order(g[0]))
      return {fused_backward(g[0], x, "elu", [alpha](auto gv, auto xv) {
        using T = decltype(gv);
        return xv > T(0) ? gv : gv * static_cast<T>(alpha) * std::exp(xv);
      })};
    Tensor pos;
    {
      AutoGradMode guard(false);
      pos = (x > 0.0).to(x.dtype());
    }
    // exp of min(x, 0): the x > 0 branch would otherwise overflow to inf and turn 0 * inf into
    // NaN in the gradient; the clamp's own derivative is 0 there, as the branch's.
    return {g[0] * (pos + (1.0 - pos) * (x.clamp(std::nullopt, 0.0).exp() * alpha))};
  }
};

constexpr double kSqrt2 = std::numbers::sqrt2;
constexpr double kInvSqrt2Pi = 0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2;  // 1 / sqrt(2 pi)
constexpr double kGeluTanhK = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;  // sqrt(2 / pi)
constexpr double kGeluTanhC = 0.044715;

// d/dx of the exact gelu x Phi(x): Phi(x) + x phi(x).
template <typename T>
T gelu_derivative(T v) {
  const T cdf = T(0.5) * std::erfc(-v / static_cast<T>(kSqrt2));
  const T pdf = static_cast<T>(kInvSqrt2Pi) * std::exp(T(-0.5) * v * v);
  return cdf + v * pdf;
}

// d/dx of the tanh approximation 0.5 x (1 + tanh(u)), u = k (x + c x^3).
template <typename T>
T gelu_tanh_derivative(T v) {
  const T k = static_cast<T>(kGeluTanhK), c = static_cast<T>(kGeluTanhC);
  const T t = std::tanh(k * (v + c * v * v * v));
  return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * k * (T(1) + T(3) * c * v * v);
}

// The exact gelu's backward g * gelu'(x) as an op of its own, as PyTorch's
// GeluBackwardBackward0: gelu'(x) needs erf, which has no differentiable tensor form here. Its
// gradient with respect to g is the same op again, and with respect to x it is
// g * gelu''(x) = g phi(x) (2 - x^2), built from differentiable ops, so every order is exact.
struct GeluBackwardOp : autograd::Function<GeluBackwardOp> {
  static std::string_view name() { return "GeluBackwardBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& g, const Tensor& x) {
    ctx->save_for_backward({g, x});
    return fused_backward(g, x, "gelu", [](auto gv, auto xv) { return gv * gelu_derivative(xv); });
  }
  static variable_list backward(AutogradContext* ctx, variable_list gg) {
    const auto saved = ctx->get_saved_variables();
    const Tensor& g = saved[0];
    const Tensor& x = saved[1];
    const Tensor x2 = x * x;
    const Tensor pdf = (x2 * -0.5).exp() * kInvSqrt2Pi;
    return {GeluBackwardOp::apply(gg[0], x), gg[0] * g * pdf * (2.0 - x2)};
  }
};

struct GeluOp : autograd::Function<GeluOp> {
  static std::string_view name() { return "GeluBackward0"; }
  struct State {
    bool tanh_approx;  // approximate="tanh"
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, bool tanh_approx) {
    Tensor out;
    if (tanh_approx) {
      out = map_floating(x, "gelu", [](auto v) {
        using T = decltype(v);
        const T k = static_cast<T>(kGeluTanhK), c = static_cast<T>(kGeluTanhC);
        return T(0.5) * v * (T(1) + std::tanh(k * (v + c * v * v * v)));
      });
    } else {
      // x Phi(x) with Phi = erfc(-x / sqrt 2) / 2: erfc keeps the far negative tail's tiny
      // values (1 + erf(x / sqrt 2) cancels to 0 there).
      out = map_floating(x, "gelu", [](auto v) {
        using T = decltype(v);
        return T(0.5) * v * std::erfc(-v / static_cast<T>(kSqrt2));
      });
    }
    ctx->save_for_backward({x});
    ctx->emplace_state<State>(tanh_approx);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const bool tanh_approx = ctx->state<State>().tanh_approx;
    const Tensor x = ctx->get_saved_variables()[0];
    if (!tanh_approx) {
      if (first_order(g[0]))
        return {fused_backward(g[0], x, "gelu", [](auto gv, auto xv) { return gv * gelu_derivative(xv); })};
      return {GeluBackwardOp::apply(g[0], x)};
    }
    if (first_order(g[0]))
      return {fused_backward(g[0], x, "gelu", [](auto gv, auto xv) { return gv * gelu_tanh_derivative(xv); })};
    const Tensor x2 = x * x;
    const Tensor t = ((x + x * x2 * kGeluTanhC) * kGeluTanhK).tanh();
    const Tensor d = (1.0 + t) * 0.5 + x * 0.5 * (1.0 - t * t) * kGeluTanhK * (1.0 + x2 * (3.0 * kGeluTanhC));
    return {g[0] * d};
  }
};

struct SiluOp : autograd::Function<SiluOp> {
  static std::string_view name() { return "SiluBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    // x sigmoid(x) with the sigmoid exact in its negative tail, so silu(-100) is the tiny
    // -100 e^-100 rather than x / (1 + inf).
    Tensor out = map_floating(x, "silu", [](auto v) { return v * sigmoid_scalar(v); });
    ctx->save_for_backward({x});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor x = ctx->get_saved_variables()[0];
    if (first_order(g[0]))
      return {fused_backward(g[0], x, "silu", [](auto gv, auto xv) {
        using T = decltype(gv);
        const T s = sigmoid_scalar(xv);
        return gv * s * (T(1) + xv * (T(1) - s));
      })};
    const Tensor s = x.sigmoid();
    return {g[0] * (s * (1.0 + x * (1.0 - s)))};
  }
};

// softplus(x) = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold, as PyTorch.
// threshold = +inf gives the exact softplus the losses use (binary_cross_entropy_with_logits'
// create_graph gradients record this same node).
struct SoftplusOp : autograd::Function<SoftplusOp> {
  static std::string_view name() { return "SoftplusBackward0"; }
  struct State {
    double beta, threshold;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double beta, double threshold) {
    Tensor out = map_floating(x, "softplus", [beta, threshold](auto v) {
      using T = decltype(v);
      const T bx = v * static_cast<T>(beta);
      return bx > static_cast<T>(threshold) ? v : softplus_scalar(bx) / static_cast<T>(beta);
    });
    ctx->save_for_backward({x});
    ctx->emplace_state<State>(beta, threshold);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const double beta = ctx->state<State>().beta;
    const double threshold = ctx->state<State>().threshold;
    const Tensor x = ctx->get_saved_variables()[0];
    if (first_order(g[0]))
      return {fused_backward(g[0], x, "softplus", [beta, threshold](auto gv, auto xv) {
        using T = decltype(gv);
        const T bx = xv * static_cast<T>(beta);
        return bx > static_cast<T>(threshold) ? gv : gv * sigmoid_scalar(bx);
      })};
    const Tensor bx = x * beta;
    if (threshold == std::numeric_limits<double>::infinity()) return {g[0] * bx.sigmoid()};
    Tensor linear;
    {
      AutoGradMode guard(false);
      linear = (bx > threshold).to(x.dtype());
    }
    return {g[0] * (linear + (1.0 - linear) * bx.sigmoid())};
  }
};

struct LogSigmoidOp : autograd::Function<LogSigmoidOp> {
  static std::string_view name() { return "LogSigmoidBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    // -softplus(-x) = min(x, 0) - log1p(exp(-|x|)): no overflow, and exact for large |x|
    // (~x for x << 0, ~-exp(-x) for x >> 0).
    Tensor out = map_floating(x, "log_sigmoid", [](auto v) {
      using T = decltype(v);
      return std::min(v, T(0)) - std::log1p(std::exp(-std::abs(v)));
    });
    ctx->save_for_backward({x});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor x = ctx->get_saved_variables()[0];
    if (first_order(g[0]))
      return {fused_backward(g[0], x, "log_sigmoid", [](auto gv, auto xv) { return gv * sigmoid_scalar(-xv); })};
    return {g[0] * (-x).sigmoid()};
  }
};

struct HardtanhOp : autograd::Function<HardtanhOp> {
  static std::string_view name() { return "HardtanhBackward0"; }
  struct State {
    double min_val, max_val;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double lo, double hi) {
    // max then min, written so NaN passes through and min_val > max_val gives max_val, as
    // PyTorch's clamp.
    Tensor out = map_floating(x, "hardtanh", [lo, hi](auto v) {
      using T = decltype(v);
      const T r = v < static_cast<T>(lo) ? static_cast<T>(lo) : v;
      return r > static_cast<T>(hi) ? static_cast<T>(hi) : r;
    });
    ctx->save_for_backward({x});
    ctx->emplace_state<State>(lo, hi);
    return out;
  }
  // The gradient passes where min_val < x < max_val (zero at the edges, as PyTorch).
  template <typename T>
  static T pass(T v, double lo, double hi) {
    return (v <= static_cast<T>(lo) || v >= static_cast<T>(hi)) ? T(0) : T(1);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const double lo = ctx->state<State>().min_val;
    const double hi = ctx->state<State>().max_val;
    const Tensor x = ctx->get_saved_variables()[0];
    if (first_order(g[0]))
      return {fused_backward(g[0], x, "hardtanh", [lo, hi](auto gv, auto xv) { return gv * pass(xv, lo, hi); })};
    const Tensor mask = map_floating(x.detach(), "hardtanh", [lo, hi](auto v) { return pass(v, lo, hi); });
    return {g[0] * mask};
  }
};

// self = op(self) in place. With autograd recording (a non-leaf self that requires grad), the
// out-of-place op runs with the graph and rebase_history makes its node self's grad_fn: the
// gradient is the out-of-place op's.
template <typename F>
Tensor& apply_inplace(Tensor& self, const char* op, F out_of_place) {
  const bool record = detail::inplace_records(self, op);
  // Written through, so no two elements may share memory (an expanded view).
  detail::check_no_internal_overlap(self, op);
  if (record) {
    autograd::rebase_history(self, out_of_place(self), op);
    return self;
  }
  Tensor result;
  {
    AutoGradMode guard(false);
    result = out_of_place(self);
  }
  self.copy_(result);
  return self;
}

bool gelu_tanh(const std::string& approximate) {
  XGRAD_CHECK(approximate == "none" || approximate == "tanh", ValueError,
              "gelu: approximate argument must be either none or tanh, got '{}'", approximate);
  return approximate == "tanh";
}

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

namespace detail {
// The exact (threshold-free) softplus as a differentiable op, for the losses' create_graph
// gradients (src/ops/loss.cpp).
Tensor softplus_exact(const Tensor& x) {
  return SoftplusOp::apply(x, 1.0, std::numeric_limits<double>::infinity());
}
}  // namespace detail

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  detail::check_defined(x, "leaky_relu");
  return LeakyReluOp::apply(x, negative_slope);
}
Tensor& Tensor::relu_() const {
  Tensor self = *this;
  apply_inplace(self, "relu_", [](const Tensor& t) { return xgrad::relu(t); });
  return const_cast<Tensor&>(*this);
}
Tensor& Tensor::sigmoid_() const {
  Tensor self = *this;
  apply_inplace(self, "sigmoid_", [](const Tensor& t) { return xgrad::sigmoid(t); });
  return const_cast<Tensor&>(*this);
}
Tensor& Tensor::tanh_() const {
  Tensor self = *this;
  apply_inplace(self, "tanh_", [](const Tensor& t) { return xgrad::tanh(t); });
  return const_cast<Tensor&>(*this);
}
Tensor& leaky_relu_(Tensor& self, double negative_slope) {
  return apply_inplace(self, "leaky_relu_", [&](const Tensor& t) { return leaky_relu(t, negative_slope); });
}
Tensor elu(const Tensor& x, double alpha) {
  detail::check_defined(x, "elu");
  return EluOp::apply(x, alpha);
}
Tensor& elu_(Tensor& self, double alpha) {
  return apply_inplace(self, "elu_", [&](const Tensor& t) { return elu(t, alpha); });
}
Tensor gelu(const Tensor& x, const std::string& approximate) {
  detail::check_defined(x, "gelu");
  return GeluOp::apply(x, gelu_tanh(approximate));
}
Tensor silu(const Tensor& x) {
  detail::check_defined(x, "silu");
  return SiluOp::apply(x);
}
Tensor softplus(const Tensor& x, double beta, double threshold) {
  detail::check_defined(x, "softplus");
  return SoftplusOp::apply(x, beta, threshold);
}
Tensor log_sigmoid(const Tensor& x) {
  detail::check_defined(x, "log_sigmoid");
  return LogSigmoidOp::apply(x);
}
Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  detail::check_defined(x, "hardtanh");
  // Integral tensors are clamped, as PyTorch (they carry no gradient).
  if (!is_floating_point(x.dtype())) return x.clamp(min_val, max_val);
  return HardtanhOp::apply(x, min_val, max_val);
}
Tensor& hardtanh_(Tensor& self, double min_val, double max_val) {
  return apply_inplace(self, "hardtanh_", [&](const Tensor& t) { return hardtanh(t, min_val, max_val); });
}

namespace nn::functional {

// `inplace` writes into the input unless the write would be recorded (detail::writes_in_place);
// then the out-of-place op runs, with the same values.
Tensor relu(const Tensor& input, const ReLUFuncOptions& options) {
  if (detail::writes_in_place(options.inplace(), input)) {
    XGRAD_RECORD_FUNCTION("relu_", {input});  // the in-place path is no Function: record it here
    Tensor self = input;
    return self.clamp_(0.0);
  }
  return input.relu();
}
Tensor sigmoid(const Tensor& input) { return input.sigmoid(); }
Tensor tanh(const Tensor& input) { return input.tanh(); }
Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options) { return input.softmax(options.dim()); }
Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options) {
  return input.log_softmax(options.dim());
}

Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options) {
  if (detail::writes_in_place(options.inplace(), input)) return xgrad::leaky_relu_(input, options.negative_slope());
  return xgrad::leaky_relu(input, options.negative_slope());
}
Tensor elu(Tensor input, const ELUFuncOptions& options) {
  if (detail::writes_in_place(options.inplace(), input)) return xgrad::elu_(input, options.alpha());
  return xgrad::elu(input, options.alpha());
}
Tensor gelu(const Tensor& input, const GELUFuncOptions& options) { return xgrad::gelu(input, options.approximate()); }
Tensor silu(const Tensor& input) { return xgrad::silu(input); }
Tensor softplus(const Tensor& input, const SoftplusFuncOptions& options) {
  return xgrad::softplus(input, options.beta(), options.threshold());
}
Tensor logsigmoid(const Tensor& input) { return xgrad::log_sigmoid(input); }
Tensor hardtanh(Tensor input, const HardtanhFuncOptions& options) {
  if (detail::writes_in_place(options.inplace(), input)) return xgrad::hardtanh_(input, options.min_val(), options.max_val());
  return xgrad::hardtanh(input, options.min_val(), options.max_val());
}

Tensor relu6(Tensor input, const ReLU6FuncOptions& options) {
  // relu6 is hardtanh on [0, 6] in PyTorch too (same node, same gradient at the bounds).
  XGRAD_CHECK(input.defined(), ValueError, "relu6: input is an undefined tensor");
  return hardtanh(std::move(input), HardtanhFuncOptions().min_val(0.0).max_val(6.0).inplace(options.inplace()));
}

}  // namespace nn::functional

Tensor Tensor::relu() const { return xgrad::relu(*this); }
Tensor Tensor::sigmoid() const { return xgrad::sigmoid(*this); }
Tensor Tensor::tanh() const { return xgrad::tanh(*this); }
Tensor Tensor::softmax(int64_t dim) const { return xgrad::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return xgrad::log_softmax(*this, dim); }

}  // namespace xgrad
