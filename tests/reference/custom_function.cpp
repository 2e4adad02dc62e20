// Reference behaviour for tests/autograd/function.cpp and tests/autograd/engine.cpp: what LibTorch
// 1.13's torch::autograd::Function<T> and engine do with optional and list arguments, undefined
// and extra gradients, mark_dirty, mark_non_differentiable, set_materialize_grads(false),
// autograd::grad on a graph with an unrelated branch, and Tensor::backward(inputs). Build and run
// (Debian's libtorch 1.13, g++ 12):
//
//   g++ -std=c++17 -I/usr/include/torch/csrc/api/include -o /tmp/custom_function
//       tests/reference/custom_function.cpp -ltorch -ltorch_cpu -lc10
//   /tmp/custom_function
//
// Its output is kept in custom_function.out beside this file.
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <string>

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::Function;
using torch::autograd::variable_list;

namespace {

void show(const char* what, const Tensor& t) {
  if (!t.defined()) {
    std::printf("%s: undefined\n", what);
    return;
  }
  auto c = t.detach().to(torch::kDouble).contiguous();
  std::printf("%s: [", what);
  for (int64_t i = 0; i < c.numel(); ++i) std::printf("%s%g", i ? ", " : "", c.data_ptr<double>()[i]);
  std::printf("]\n");
}

template <typename F>
void expect_error(const char* what, F f) {
  try {
    f();
    std::printf("%s: no error\n", what);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    std::printf("%s: error: %s\n", what, msg.substr(0, msg.find('\n')).c_str());
  }
}

// pytorch/examples style: one tensor and two scalars, backward returns one entry per argument.
struct AffineScalar : Function<AffineScalar> {
  static Tensor forward(AutogradContext* ctx, Tensor x, double a, int64_t b) {
    ctx->saved_data["a"] = a;
    return x * a + static_cast<double>(b);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * ctx->saved_data["a"].toDouble(), Tensor(), Tensor()};
  }
};

// Returns only the tensor's gradient for a 1-tensor, 2-scalar forward.
struct AffineScalarShort : Function<AffineScalarShort> {
  static Tensor forward(AutogradContext*, Tensor x, double a, int64_t) { return x * a; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

// Extra trailing undefined gradients beyond the arguments.
struct ExtraTrailing : Function<ExtraTrailing> {
  static Tensor forward(AutogradContext*, Tensor x) { return x * 2; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2, Tensor(), Tensor()}; }
};

// A defined gradient for a non-tensor argument.
struct DefinedForScalar : Function<DefinedForScalar> {
  static Tensor forward(AutogradContext*, Tensor x, double a) { return x * a; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0], g[0]}; }
};

// y = x * w (+ bias when given); records needs_input_grad.
std::string needs_log;
struct OptionalBias : Function<OptionalBias> {
  static Tensor forward(AutogradContext* ctx, Tensor x, c10::optional<Tensor> bias, Tensor w) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["has_bias"] = bias.has_value();
    auto y = x * w;
    return bias ? y + *bias : y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    // The tensors are (x, bias, w) with a bias and (x, w) without: an empty optional is no input.
    needs_log.clear();
    for (size_t i = 0; i < (has_bias ? 3u : 2u); ++i) needs_log += ctx->needs_input_grad(i) ? '1' : '0';
    if (has_bias) return {g[0] * s[1], g[0], g[0] * s[0]};
    return {g[0] * s[1], Tensor(), g[0] * s[0]};
  }
};

// sum_i c_i * xs_i with xs an ArrayRef (TensorList).
struct WeightedSumList : Function<WeightedSumList> {
  static Tensor forward(AutogradContext* ctx, double scale, torch::TensorList xs) {
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["n"] = static_cast<int64_t>(xs.size());
    Tensor out = torch::zeros_like(xs[0]);
    for (size_t i = 0; i < xs.size(); ++i) out = out + xs[i] * (scale * static_cast<double>(i + 1));
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto scale = ctx->saved_data["scale"].toDouble();
    auto n = ctx->saved_data["n"].toInt();
    variable_list out{Tensor()};
    for (int64_t i = 0; i < n; ++i) out.push_back(g[0] * (scale * static_cast<double>(i + 1)));
    return out;
  }
};

// Same with a std::vector<Tensor> argument (not an ArrayRef).
struct WeightedSumVector : Function<WeightedSumVector> {
  static Tensor forward(AutogradContext*, std::vector<Tensor> xs) { return xs[0] + xs[1] * 2; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0], g[0] * 2}; }
};

// In-place double with mark_dirty.
struct DoubleInplace : Function<DoubleInplace> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.mul_(2);
    ctx->mark_dirty({x});
    return x;
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2}; }
};

// (sorted, indices) with indices non-differentiable; logs which incoming grads are defined.
std::string sort_log;
struct SortWithIndices : Function<SortWithIndices> {
  static variable_list forward(AutogradContext* ctx, Tensor x, bool materialize) {
    ctx->set_materialize_grads(materialize);
    auto r = x.sort();
    auto values = std::get<0>(r), idx = std::get<1>(r);
    ctx->mark_non_differentiable({idx});
    ctx->save_for_backward({idx});
    return {values, idx};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    sort_log = std::string(g[0].defined() ? "values grad defined" : "values grad undefined") + ", " +
               (g[1].defined() ? "indices grad defined " + std::to_string(g[1].abs().sum().item<double>())
                               : std::string("indices grad undefined"));
    auto idx = ctx->get_saved_variables()[0];
    return {torch::zeros_like(g[0]).scatter(0, idx, g[0]), Tensor()};
  }
};

// Two outputs (x*2, x*3); with materialize off, records whether each incoming grad is defined.
std::string two_log;
struct TwoOutputs : Function<TwoOutputs> {
  static variable_list forward(AutogradContext* ctx, Tensor x, bool materialize) {
    ctx->set_materialize_grads(materialize);
    return {x * 2, x * 3};
  }
  static variable_list backward(AutogradContext*, variable_list g) {
    two_log = std::string(g[0].defined() ? "g0 defined" : "g0 undefined") + ", " +
              (g[1].defined() ? "g1 defined" : "g1 undefined");
    Tensor gx;
    if (g[0].defined()) gx = g[0] * 2;
    if (g[1].defined()) gx = gx.defined() ? gx + g[1] * 3 : g[1] * 3;
    return {gx, Tensor()};
  }
};

// Returns an undefined gradient for an input that requires grad.
struct UndefinedGrad : Function<UndefinedGrad> {
  static Tensor forward(AutogradContext*, Tensor x) { return x * 5; }
  static variable_list backward(AutogradContext*, variable_list) { return {Tensor()}; }
};

// Counts its backward calls; scales by 3.
int counted_calls = 0;
struct Counted : Function<Counted> {
  static Tensor forward(AutogradContext*, Tensor x) { return x * 3; }
  static variable_list backward(AutogradContext*, variable_list g) {
    ++counted_calls;
    return {g[0] * 3};
  }
};

// a * b, logging needs_input_grad.
std::string mul_log;
struct LoggedMul : Function<LoggedMul> {
  static Tensor forward(AutogradContext* ctx, Tensor a, Tensor b) {
    ctx->save_for_backward({a, b});
    return a * b;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    mul_log = std::string(ctx->needs_input_grad(0) ? "1" : "0") + (ctx->needs_input_grad(1) ? "1" : "0");
    return {ctx->needs_input_grad(0) ? g[0] * s[1] : Tensor(), ctx->needs_input_grad(1) ? g[0] * s[0] : Tensor()};
  }
};

}  // namespace

int main() {
  torch::manual_seed(0);
  {
    auto x = torch::tensor({1.0, -2.0}, torch::requires_grad());
    auto y = AffineScalar::apply(x, 3.0, int64_t{4});
    show("affine_scalar y", y);
    y.sum().backward();
    show("affine_scalar x.grad", x.grad());
  }
  expect_error("affine_scalar_short", [] {
    auto x = torch::tensor({1.0}, torch::requires_grad());
    AffineScalarShort::apply(x, 3.0, int64_t{4}).sum().backward();
  });
  {
    auto x = torch::tensor({1.0, 2.0}, torch::requires_grad());
    ExtraTrailing::apply(x).sum().backward();
    show("extra_trailing x.grad", x.grad());
  }
  expect_error("defined_for_scalar", [] {
    auto x = torch::tensor({1.0}, torch::requires_grad());
    DefinedForScalar::apply(x, 2.0).sum().backward();
  });
  {
    auto x = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto b = torch::tensor({0.5, 0.25}, torch::requires_grad());
    auto w = torch::tensor({3.0, -1.0}, torch::requires_grad());
    auto y = OptionalBias::apply(x, c10::optional<Tensor>(b), w);
    show("optional_bias y", y);
    y.sum().backward();
    show("optional_bias x.grad", x.grad());
    show("optional_bias b.grad", b.grad());
    show("optional_bias w.grad", w.grad());
    std::printf("optional_bias needs_input_grad: %s\n", needs_log.c_str());
  }
  {
    auto x = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto w = torch::tensor({3.0, -1.0});
    auto y = OptionalBias::apply(x, c10::optional<Tensor>(), w);
    y.sum().backward();
    show("optional_none x.grad", x.grad());
    std::printf("optional_none needs_input_grad: %s\n", needs_log.c_str());
  }
  {
    auto a = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto b = torch::tensor({-1.0, 0.5}, torch::requires_grad());
    std::vector<Tensor> xs{a, b};
    auto y = WeightedSumList::apply(0.5, torch::TensorList(xs));
    show("list y", y);
    y.sum().backward();
    show("list a.grad", a.grad());
    show("list b.grad", b.grad());
  }
  {
    auto a = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto b = torch::tensor({-1.0, 0.5}, torch::requires_grad());
    auto y = WeightedSumVector::apply(std::vector<Tensor>{a, b});
    show("vector y", y);
    std::printf("vector y.requires_grad: %d\n", static_cast<int>(y.requires_grad()));
  }
  expect_error("dirty_leaf", [] {
    auto x = torch::tensor({1.0, 2.0}, torch::requires_grad());
    DoubleInplace::apply(x);
  });
  {
    auto a = torch::tensor({1.0, -3.0}, torch::requires_grad());
    auto x = a * 1.5;
    auto v0 = x._version();
    auto y = DoubleInplace::apply(x);
    std::printf("dirty same impl: %d, version bump: %d, x.grad_fn: %s\n",
                static_cast<int>(y.unsafeGetTensorImpl() == x.unsafeGetTensorImpl()),
                static_cast<int>(x._version() - v0), x.grad_fn()->name().c_str());
    show("dirty x", x);
    (x * x).sum().backward();
    show("dirty a.grad", a.grad());
  }
  expect_error("dirty_saved_by_exp", [] {
    auto a = torch::tensor({0.0, 1.0}, torch::requires_grad());
    auto x = a.exp();
    DoubleInplace::apply(x).sum().backward();
  });
  for (bool materialize : {true, false}) {
    auto x = torch::tensor({3.0, 1.0, 2.0}, torch::requires_grad());
    auto out = SortWithIndices::apply(x, materialize);
    std::printf("sort materialize=%d: values requires_grad %d, indices requires_grad %d\n",
                static_cast<int>(materialize), static_cast<int>(out[0].requires_grad()),
                static_cast<int>(out[1].requires_grad()));
    (out[0] * torch::tensor({1.0, 10.0, 100.0})).sum().backward();
    std::printf("sort materialize=%d: %s\n", static_cast<int>(materialize), sort_log.c_str());
    show("sort x.grad", x.grad());
  }
  for (bool materialize : {true, false}) {
    auto x = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto out = TwoOutputs::apply(x, materialize);
    out[1].sum().backward();
    std::printf("two_outputs materialize=%d: %s\n", static_cast<int>(materialize), two_log.c_str());
    show("two_outputs x.grad", x.grad());
  }
  {
    auto x = torch::tensor({1.0, 2.0}, torch::requires_grad());
    UndefinedGrad::apply(x).sum().backward();
    show("undefined_grad x.grad", x.grad());
    auto z = torch::tensor({1.0, 2.0}, torch::requires_grad());
    (UndefinedGrad::apply(z) + z * 2).sum().backward();
    show("undefined_grad plus other path z.grad", z.grad());
  }
  {
    counted_calls = 0;
    auto a = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto b = torch::tensor({-1.0, 4.0}, torch::requires_grad());
    auto y = (a * a + Counted::apply(b)).sum();
    auto g = torch::autograd::grad({y}, {a});
    show("grad unrelated branch da", g[0]);
    std::printf("grad unrelated branch Counted calls: %d, b.grad %s\n", counted_calls,
                b.grad().defined() ? "defined" : "undefined");
  }
  {
    auto a = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto b = torch::tensor({-1.0, 4.0}, torch::requires_grad());
    auto y = LoggedMul::apply(a, b).sum();
    auto g = torch::autograd::grad({y}, {a});
    show("grad logged_mul da", g[0]);
    std::printf("grad logged_mul needs_input_grad: %s\n", mul_log.c_str());
    LoggedMul::apply(a, b).sum().backward({}, false, false, std::vector<Tensor>{b});
    std::printf("backward(inputs={b}) needs_input_grad: %s, a.grad %s\n", mul_log.c_str(),
                a.grad().defined() ? "defined" : "undefined");
    show("backward(inputs={b}) b.grad", b.grad());
  }
  {
    auto a = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto h = a * 3;
    auto y = (h * h).sum();
    y.backward({}, false, false, std::vector<Tensor>{h});
    show("backward(inputs={non-leaf h}) h.grad", h.grad());
    std::printf("backward(inputs={non-leaf h}) a.grad %s\n", a.grad().defined() ? "defined" : "undefined");
  }
  {
    counted_calls = 0;
    auto a = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto b = torch::tensor({-1.0, 4.0}, torch::requires_grad());
    auto y = (a * a + Counted::apply(b)).sum();
    y.backward({}, false, false, std::vector<Tensor>{a});
    show("backward(inputs={a}) a.grad", a.grad());
    std::printf("backward(inputs={a}) Counted calls: %d, b.grad %s\n", counted_calls,
                b.grad().defined() ? "defined" : "undefined");
  }
  expect_error("backward(inputs={})", [] {
    auto a = torch::tensor({1.0}, torch::requires_grad());
    (a * 2).sum().backward({}, false, false, std::vector<Tensor>{});
  });
  expect_error("backward(inputs={no grad})", [] {
    auto a = torch::tensor({1.0}, torch::requires_grad());
    (a * 2).sum().backward({}, false, false, std::vector<Tensor>{torch::tensor({1.0})});
  });
  {
    counted_calls = 0;
    auto a = torch::tensor({1.0, -2.0}, torch::requires_grad());
    auto h = Counted::apply(a);
    auto y = (h * h).sum();
    auto g = torch::autograd::grad({y}, {h, a});
    show("grad({h, a}) dh", g[0]);
    show("grad({h, a}) da", g[1]);
    std::printf("grad({h, a}) Counted calls: %d\n", counted_calls);
    counted_calls = 0;
    auto h2 = Counted::apply(a);
    (h2 * h2).sum().backward({}, false, false, std::vector<Tensor>{h2});
    std::printf("backward(inputs={non-leaf h2}) Counted calls: %d\n", counted_calls);
    auto z = (a * 2).sum();
    show("grad({z}, {z})", torch::autograd::grad({z}, {z})[0]);
  }
  expect_error("needs_input_grad out of range", [] {
    auto x = torch::tensor({1.0}, torch::requires_grad());
    auto w = torch::tensor({3.0});
    OptionalBias::apply(x, c10::optional<Tensor>(), w).sum().backward();
    struct Probe : Function<Probe> {
      static Tensor forward(AutogradContext*, Tensor x) { return x * 1; }
      static variable_list backward(AutogradContext* ctx, variable_list g) {
        (void)ctx->needs_input_grad(1);
        return {g[0]};
      }
    };
    Probe::apply(x).sum().backward();
  });
  return 0;
}
