#define BOOST_TEST_MODULE gradcheck
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

using namespace xgrad;
using autograd::AutogradContext;
using autograd::variable_list;

namespace {
// A deliberately wrong backward: d(x^3)/dx reported as 2x^2 instead of 3x^2.
struct BadCube : autograd::Function<BadCube> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return x * x * x;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto x = ctx->get_saved_variables()[0];
    return {g[0] * x * x * 2.0};
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(passes_for_correct_gradients) {
  manual_seed(0);
  auto a = randn({3, 4}, kFloat64).requires_grad_();
  auto b = randn({4}, kFloat64).requires_grad_();
  BOOST_TEST(autograd::gradcheck([](const variable_list& in) { return in[0] * in[1] + in[0]; }, {a, b}));
}

BOOST_AUTO_TEST_CASE(detects_a_wrong_backward_and_names_the_input) {
  auto x = tensor({0.5, 1.5, -2.0}, kFloat64).requires_grad_();
  auto fn = [](const variable_list& in) { return BadCube::apply(in[0]); };
  BOOST_TEST(!autograd::gradcheck(fn, {x}, autograd::GradcheckOptions().raise_exception(false)));
  try {
    autograd::gradcheck(fn, {x});
    BOOST_FAIL("expected AutogradError");
  } catch (const AutogradError& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("input #0") != std::string::npos);
    BOOST_TEST(msg.find("analytic") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(multiple_outputs) {
  auto x = tensor({0.3, -0.7}, kFloat64).requires_grad_();
  BOOST_TEST(autograd::gradcheck(
      autograd::GradcheckFn([](const variable_list& in) { return variable_list{in[0] * 2.0, in[0] * in[0]}; }), {x}));
}

BOOST_AUTO_TEST_CASE(rejects_float32_and_inputs_without_grad) {
  auto x32 = tensor({1.0f}).requires_grad_();
  BOOST_CHECK_THROW(autograd::gradcheck([](const variable_list& in) { return in[0] * 2.0; }, {x32}), TypeError);
  auto x = tensor({1.0}, kFloat64);
  BOOST_CHECK_THROW(autograd::gradcheck([](const variable_list& in) { return in[0] * 2.0; }, {x}), ValueError);
}
