// A user-defined differentiable operator, written as a LibTorch user writes one: a struct
// deriving from `autograd::Function<T>` with a static forward (which saves what backward needs)
// and a static backward (one gradient per tensor argument). The chapter's corr2d becomes a single
// graph node instead of one node per output element, and SiLU shows an elementwise op. Both are
// verified against finite differences with `autograd::gradcheck` in float64.
#include <xgrad/xgrad.hpp>

#include <iostream>
#include <string_view>

using xgrad::Tensor;
using xgrad::autograd::AutogradContext;
using xgrad::autograd::variable_list;
using xgrad::indexing::Slice;

struct Corr2d : xgrad::autograd::Function<Corr2d> {
  static std::string_view name() { return "Corr2dBackward"; }

  static Tensor forward(AutogradContext* ctx, const Tensor& X, const Tensor& K) {
    ctx->save_for_backward({X, K});
    const int64_t h = K.size(0), w = K.size(1);
    auto Y = xgrad::zeros({X.size(0) - h + 1, X.size(1) - w + 1}, X.dtype());
    for (int64_t i = 0; i < Y.size(0); ++i)
      for (int64_t j = 0; j < Y.size(1); ++j)
        Y.index_put_({i, j}, (X.index({Slice(i, i + h), Slice(j, j + w)}) * K).sum());
    return Y;
  }

  // Y[i, j] = sum_ab X[i + a, j + b] K[a, b], so
  // dX[i + a, j + b] += G[i, j] K[a, b]   and   dK[a, b] = sum_ij X[i + a, j + b] G[i, j].
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const Tensor &X = saved[0], &K = saved[1], &G = grad[0];
    const int64_t h = K.size(0), w = K.size(1), oh = G.size(0), ow = G.size(1);
    Tensor gX, gK;
    if (ctx->needs_input_grad(0)) {
      gX = xgrad::zeros_like(X);
      for (int64_t a = 0; a < h; ++a)
        for (int64_t b = 0; b < w; ++b)
          gX.index({Slice(a, a + oh), Slice(b, b + ow)}) += G * K.index({a, b});
    }
    if (ctx->needs_input_grad(1)) {
      gK = xgrad::zeros_like(K);
      for (int64_t a = 0; a < h; ++a)
        for (int64_t b = 0; b < w; ++b)
          gK.index_put_({a, b}, (X.index({Slice(a, a + oh), Slice(b, b + ow)}) * G).sum());
    }
    return {gX, gK};
  }
};

// silu(x) = x * sigmoid(x); silu'(x) = s * (1 + x * (1 - s)) with s = sigmoid(x).
struct SiLU : xgrad::autograd::Function<SiLU> {
  static std::string_view name() { return "SiLUBackward"; }

  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    auto s = xgrad::sigmoid(x);
    ctx->save_for_backward({x, s});
    return x * s;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const Tensor &x = saved[0], &s = saved[1];
    return {grad[0] * s * (1 + x * (1 - s))};
  }
};

int main() {
  auto X = xgrad::tensor({{0.0, 1.0, 2.0}, {3.0, 4.0, 5.0}, {6.0, 7.0, 8.0}}, xgrad::requires_grad());
  auto K = xgrad::tensor({{0.0, 1.0}, {2.0, 3.0}}, xgrad::requires_grad());
  auto Y = Corr2d::apply(X, K);
  std::cout << Y << '\n';
  Y.sum().backward();
  std::cout << X.grad() << '\n';
  std::cout << K.grad() << '\n';

  xgrad::manual_seed(0);
  const auto f64 = xgrad::TensorOptions(xgrad::kFloat64).requires_grad(true);
  auto Xd = xgrad::rand({5, 6}, f64);
  auto Kd = xgrad::rand({2, 3}, f64);
  const bool ok_corr = xgrad::autograd::gradcheck(
      [](const variable_list& in) { return Corr2d::apply(in[0], in[1]); }, {Xd, Kd});
  std::cout << "gradcheck Corr2d: " << (ok_corr ? "True" : "False") << '\n';

  auto x = xgrad::tensor({-2.0, -0.5, 0.0, 0.5, 2.0}, xgrad::requires_grad());
  auto y = SiLU::apply(x);
  std::cout << y << '\n';
  y.sum().backward();
  std::cout << x.grad() << '\n';
  auto xd = xgrad::randn({4, 3}, f64);
  const bool ok_silu =
      xgrad::autograd::gradcheck([](const variable_list& in) { return SiLU::apply(in[0]); }, {xd});
  std::cout << "gradcheck SiLU: " << (ok_silu ? "True" : "False") << '\n';
}
