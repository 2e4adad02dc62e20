#define BOOST_TEST_MODULE function
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

using namespace xgrad;
using autograd::AutogradContext;
using autograd::variable_list;
using xgrad::testing::check_values;

namespace {

// y = a * x^2 with a non-tensor argument kept in saved_data.
struct ScaledSquare : autograd::Function<ScaledSquare> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double a) {
    ctx->save_for_backward({x});
    ctx->saved_data["a"] = a;
    return x * x * a;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto x = ctx->get_saved_variables()[0];
    return {g[0] * x * (2.0 * ctx->saved_data["a"].toDouble()), Tensor()};  // one per argument
  }
};

int calls_for_b = 0;
// Records whether backward was asked for the gradient of its second input.
struct Mul2 : autograd::Function<Mul2> {
  static std::string_view name() { return "Mul2Backward"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
    ctx->save_for_backward({a, b});
    return a * b;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = g[0] * s[1];
    if (ctx->needs_input_grad(1)) {
      ++calls_for_b;
      gb = g[0] * s[0];
    }
    return {ga, gb};
  }
};

// Two outputs, the second non-differentiable (like max with indices).
struct MaxWithIndex : autograd::Function<MaxWithIndex> {
  static variable_list forward(AutogradContext* ctx, const Tensor& x) {
    auto idx = x.argmax();
    ctx->save_for_backward({x, idx});
    auto out = x.max();
    ctx->mark_non_differentiable({idx});
    return {out, idx};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    auto grad = zeros_like(s[0]);
    grad.view({-1}).narrow(0, s[1].item<int64_t>(), 1).fill_(g[0].item<double>());
    return {grad};
  }
};

struct WrongCount : autograd::Function<WrongCount> {
  static Tensor forward(AutogradContext*, const Tensor& x, const Tensor& y) { return x + y; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

struct WrongShape : autograd::Function<WrongShape> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x.sum(); }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }  // should expand
};

struct Identity : autograd::Function<Identity> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2.0}; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(custom_function_with_saved_data) {
  auto x = tensor({1.0, -2.0}).requires_grad_();
  auto y = ScaledSquare::apply(x, 3.0);
  check_values(y, {3.0, 12.0});
  BOOST_TEST(y.grad_fn()->name() == "ScaledSquareBackward");
  y.sum().backward();
  check_values(x.grad(), {6.0, -12.0});
}

BOOST_AUTO_TEST_CASE(custom_function_composes_with_builtins) {
  auto x = tensor({0.5, 1.5}, kFloat64).requires_grad_();
  BOOST_TEST(autograd::gradcheck(
      [](const variable_list& in) { return (ScaledSquare::apply(in[0].exp(), 0.7) * in[0]).sum(); }, {x}));
}

BOOST_AUTO_TEST_CASE(gradients_nobody_asked_for_are_skipped) {
  calls_for_b = 0;
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({3.0, 4.0});  // no grad wanted
  auto y = Mul2::apply(a, b);
  BOOST_TEST(y.grad_fn()->name() == "Mul2Backward");
  y.sum().backward();
  check_values(a.grad(), {3.0, 4.0});
  BOOST_TEST(calls_for_b == 0);
}

BOOST_AUTO_TEST_CASE(no_graph_when_no_input_requires_grad) {
  auto y = Mul2::apply(tensor({1.0}), tensor({2.0}));
  BOOST_TEST(!y.requires_grad());
  BOOST_TEST(!y.grad_fn());
}

BOOST_AUTO_TEST_CASE(non_differentiable_outputs) {
  auto x = tensor({1.0, 5.0, 2.0}).requires_grad_();
  auto out = MaxWithIndex::apply(x);
  BOOST_TEST(out[0].requires_grad());
  BOOST_TEST(!out[1].requires_grad());
  BOOST_TEST(out[1].item<int64_t>() == 1);
  out[0].backward();
  check_values(x.grad(), {0.0, 1.0, 0.0});
}

BOOST_AUTO_TEST_CASE(returning_an_input_does_not_rewrite_its_history) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = Identity::apply(x);
  BOOST_TEST(x.is_leaf());
  BOOST_TEST(!y.is_leaf());
  y.sum().backward();
  check_values(x.grad(), {2.0, 2.0});
}

BOOST_AUTO_TEST_CASE(wrong_number_of_gradients_is_reported) {
  auto x = tensor({1.0}).requires_grad_();
  auto y = tensor({1.0}).requires_grad_();
  auto z = WrongCount::apply(x, y);
  BOOST_CHECK_THROW(z.sum().backward(), AutogradError);
}

BOOST_AUTO_TEST_CASE(wrong_gradient_shape_is_reported) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = WrongShape::apply(x);
  try {
    y.backward();
    BOOST_FAIL("expected ShapeError");
  } catch (const ShapeError& e) {
    BOOST_TEST(std::string(e.what()).find("WrongShapeBackward") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(saved_variables_are_freed_after_backward) {
  auto x = tensor({1.0}).requires_grad_();
  auto y = ScaledSquare::apply(x, 2.0);
  y.sum().backward();
  BOOST_CHECK_THROW(y.sum().backward(), AutogradError);
}
