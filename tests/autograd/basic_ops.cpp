// Tests of src/autograd/basic_ops.cpp: UndefinedGrad, and how Functions receive its undefined
// gradients. Reference values: tests/reference/autograd_api.py (PyTorch 1.13's
// torch._C._functions.UndefinedGrad).
#define BOOST_TEST_MODULE autograd_basic_ops
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

using namespace xgrad;
using autograd::AutogradContext;
using autograd::UndefinedGrad;
using autograd::variable_list;
using xgrad::testing::check_values;

namespace {
// Passes its input through (a copy), recording what its backward receives.
std::vector<std::string> seen;
struct Pass : autograd::Function<Pass> {
  static Tensor forward(AutogradContext* ctx, const Tensor& v, bool materialize) {
    ctx->set_materialize_grads(materialize);
    return v.clone();
  }
  static variable_list backward(AutogradContext*, variable_list g) {
    seen.push_back(g[0].defined() ? g[0].to_string() : "undefined");
    return {g[0], Tensor()};
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(undefined_grad_forward_copies_and_records_a_node) {
  auto x = tensor({1.0f, -2.0f}).requires_grad_();
  auto outs = UndefinedGrad().apply({x, Tensor(), x * 2.0});
  BOOST_REQUIRE(outs.size() == 3u);
  check_values(outs[0], {1.0, -2.0});
  BOOST_TEST(!outs[1].defined());
  check_values(outs[2], {2.0, -4.0});
  BOOST_TEST(outs[0].requires_grad());
  BOOST_TEST(outs[0].grad_fn()->name() == "UndefinedGradBackward");
  BOOST_TEST(outs[0].grad_fn() == outs[2].grad_fn());
  BOOST_TEST(outs[2].output_nr() == 2u);
  // A copy, not a view: changing the input later does not change the output.
  {
    NoGradGuard no_grad;
    x.mul_(10.0);
  }
  check_values(outs[0], {1.0, -2.0});
  // Without grad mode, or without an input requiring grad, nothing is recorded.
  {
    NoGradGuard no_grad;
    BOOST_TEST(!UndefinedGrad().apply({x})[0].requires_grad());
  }
  BOOST_TEST(!UndefinedGrad().apply({ones({2})})[0].requires_grad());
  BOOST_TEST(UndefinedGrad().apply({}).empty());
}

BOOST_AUTO_TEST_CASE(undefined_grad_backward_gives_no_gradient) {
  auto x = ones({3}).requires_grad_();
  auto y = UndefinedGrad().apply({x * 2.0})[0];
  y.sum().backward();
  BOOST_TEST(!x.grad().defined());
}

BOOST_AUTO_TEST_CASE(a_function_after_undefined_grad_gets_zeros_or_undefined) {
  // "UndefinedGrad materialize=True: backward saw [[0.0, 0.0, 0.0]], x.grad [0.0, 0.0, 0.0]"
  // "UndefinedGrad materialize=False: backward saw ['None'], x.grad None"
  seen.clear();
  auto x = ones({3}).requires_grad_();
  UndefinedGrad().apply({Pass::apply(x * 2.0, true)})[0].sum().backward();
  BOOST_TEST(seen == (std::vector<std::string>{"tensor([0., 0., 0.])"}), boost::test_tools::per_element());
  check_values(x.grad(), {0.0, 0.0, 0.0});

  seen.clear();
  auto x2 = ones({3}).requires_grad_();
  UndefinedGrad().apply({Pass::apply(x2 * 2.0, false)})[0].sum().backward();
  BOOST_TEST(seen == (std::vector<std::string>{"undefined"}), boost::test_tools::per_element());
  BOOST_TEST(!x2.grad().defined());
}
