// In-place ops on non-leaf tensors recorded in the graph (autograd::rebase_history), as PyTorch:
// gradients against tests/reference/inplace_autograd.py, gradcheck, the version-counter error for
// saved tensors modified in place, hooks and retain_grad across an in-place op, and the cases
// that stay refused (leaf, no_grad view). In-place ops on views: tests/autograd/inplace_views.cpp.
#define BOOST_TEST_MODULE inplace
#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

#include <xgrad/autograd/anomaly_mode.hpp>
#include <xgrad/autograd/gradcheck.hpp>

#include <functional>
#include <string>
#include <vector>

using namespace xgrad;
using xgrad::testing::check_values;
using xgrad::testing::contains;
using xgrad::testing::expect_error;  // support/bad_input.hpp

namespace {

// The reference script's inputs and loss weights.
struct Case {
  Tensor x = tensor({0.5, -1.0, 2.0, 0.25}).requires_grad_();
  Tensor w = tensor({1.5, 2.0, -0.5, 3.0}).requires_grad_();
  Tensor c = tensor({1.0, 2.0, 3.0, 4.0});
  // Builds y, checks its grad_fn name and values, runs L = sum(y * c) backward.
  Tensor run(const std::function<Tensor(const Tensor&, const Tensor&)>& f, const std::string& grad_fn,
             const std::vector<double>& y_values) {
    Tensor y = f(x, w);
    BOOST_REQUIRE(y.grad_fn() != nullptr);
    BOOST_TEST(y.grad_fn()->name() == grad_fn);
    check_values(y, y_values, 1e-6, 1e-6);
    (y * c).sum().backward();
    return y;
  }
};

std::string error_of(const std::function<void()>& f) { return xgrad::testing::what_of(f); }

}  // namespace

BOOST_AUTO_TEST_CASE(add_sub_with_tensor_and_scalar) {
  {
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * 2).add_(w); }, "AddBackward0", {2.5, 0, 3.5, 3.5});
    check_values(k.x.grad(), {2, 4, 6, 8});
    check_values(k.w.grad(), {1, 2, 3, 4});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * 2).add_(w, -3); }, "AddBackward0",
          {-3.5, -8, 5.5, -8.5});
    check_values(k.x.grad(), {2, 4, 6, 8});
    check_values(k.w.grad(), {-3, -6, -9, -12});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor&) { return (x * 2).add_(1.5); }, "AddBackward0", {2.5, -0.5, 5.5, 2});
    check_values(k.x.grad(), {2, 4, 6, 8});
    BOOST_TEST(!k.w.grad().defined());
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * 2).sub_(w); }, "SubBackward0", {-0.5, -4, 4.5, -2.5});
    check_values(k.x.grad(), {2, 4, 6, 8});
    check_values(k.w.grad(), {-1, -2, -3, -4});
  }
}

BOOST_AUTO_TEST_CASE(mul_div_keep_the_old_values_for_backward) {
  {
    // mul_'s gradient for w needs self's values before the op: a copy is kept.
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * 2).mul_(w); }, "MulBackward0", {1.5, -4, -2, 1.5});
    check_values(k.x.grad(), {3, 8, -3, 24});
    check_values(k.w.grad(), {1, -4, 12, 2});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor&) { return (x * 2).mul_(-1.5); }, "MulBackward0", {-1.5, 3, -6, -0.75});
    check_values(k.x.grad(), {-3, -6, -9, -12});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * 2).div_(w); }, "DivBackward0",
          {0.6666667, -1, -8, 0.1666667});
    check_values(k.x.grad(), {1.333333, 2, -12, 2.666667});
    check_values(k.w.grad(), {-0.4444444, 1, -48, -0.2222222});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor&) { return (x * 2).div_(4.0); }, "DivBackward0", {0.25, -0.5, 1, 0.125});
    check_values(k.x.grad(), {0.5, 1, 1.5, 2});
  }
}

BOOST_AUTO_TEST_CASE(activations_and_clamp) {
  {
    Case k;
    k.run([](const Tensor& x, const Tensor&) { return (x * 2).relu_(); }, "ReluBackward0", {1, 0, 4, 0.5});
    check_values(k.x.grad(), {2, 0, 6, 8});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor&) { return (x * 2).sigmoid_(); }, "SigmoidBackward0",
          {0.7310586, 0.1192029, 0.9820138, 0.6224594});
    check_values(k.x.grad(), {0.3932239, 0.4199743, 0.1059764, 1.88003});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * w).tanh_(); }, "TanhBackward0",
          {0.6351489, -0.9640276, -0.7615942, 0.6351489});
    check_values(k.x.grad(), {0.8948787, 0.2826033, -0.6299614, 7.15903});
    check_values(k.w.grad(), {0.2982929, -0.1413016, 2.519846, 0.5965858});
  }
  {
    Case k;
    Tensor y = k.run([](const Tensor& x, const Tensor&) { return (x * 2).clamp_(-1.0, 2.0); }, "ClampBackward1",
                     {1, -1, 2, 0.5});
    check_values(k.x.grad(), {2, 0, 0, 8});
  }
}

BOOST_AUTO_TEST_CASE(fill_zero_copy_masked_fill) {
  {
    // The old values are overwritten: their gradient is zero (defined, as PyTorch's).
    Case k;
    k.run([](const Tensor& x, const Tensor&) { return (x * 2).fill_(3.0); }, "FillBackward2", {3, 3, 3, 3});
    check_values(k.x.grad(), {0, 0, 0, 0});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor&) { return (x * 2).zero_(); }, "ZeroBackward0", {0, 0, 0, 0});
    check_values(k.x.grad(), {0, 0, 0, 0});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * 2).copy_(w); }, "CopyBackwards", {1.5, 2, -0.5, 3});
    check_values(k.x.grad(), {0, 0, 0, 0});
    check_values(k.w.grad(), {1, 2, 3, 4});
  }
  {
    // A broadcast source gets the gradient summed back to its sizes.
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * 2).copy_(w.narrow(0, 1, 1) * 1); }, "CopyBackwards",
          {2, 2, 2, 2});
    check_values(k.x.grad(), {0, 0, 0, 0});
    check_values(k.w.grad(), {0, 10, 0, 0});
  }
  {
    Case k;
    const Tensor mask = tensor({true, false, true, false});
    k.run([&](const Tensor& x, const Tensor&) { return (x * 2).masked_fill_(mask, 7.0); }, "MaskedFillBackward0",
          {7, -2, 7, 0.5});
    check_values(k.x.grad(), {0, 4, 0, 8});
  }
}

BOOST_AUTO_TEST_CASE(chains_residuals_and_a_constant_self) {
  {
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * 2).mul_(w).add_(x); }, "AddBackward0",
          {2, -5, 0, 1.75});
    check_values(k.x.grad(), {4, 10, 0, 28});
    check_values(k.w.grad(), {1, -4, 12, 2});
  }
  {
    Case k;
    k.run([](const Tensor& x, const Tensor& w) { return (x * w).add_(x.exp()); }, "AddBackward0",
          {2.398721, -1.632121, 6.389056, 2.034025});
    check_values(k.x.grad(), {3.148721, 4.735759, 20.66717, 17.1361}, 1e-5, 1e-5);
    check_values(k.w.grad(), {0.5, -2, 6, 1});
  }
  {
    // self requires no grad, the operand does: self becomes a non-leaf with the op's history.
    Case k;
    Tensor y = k.run([](const Tensor&, const Tensor& w) { return zeros({4}).add_(w); }, "AddBackward0",
                     {1.5, 2, -0.5, 3});
    BOOST_TEST(!y.is_leaf());
    BOOST_TEST(!k.x.grad().defined());
    check_values(k.w.grad(), {1, 2, 3, 4});
  }
  {
    // The version counter moves with each recorded op.
    Tensor x = tensor({1.0, 2.0}).requires_grad_();
    Tensor y = x * 1;
    const auto v0 = y._version();
    y.add_(1);
    y.mul_(2);
    BOOST_TEST(y._version() == v0 + 2);
  }
}

BOOST_AUTO_TEST_CASE(gradcheck_through_inplace_ops) {
  const Tensor a = tensor({0.3, -0.7, 1.1}, kFloat64).requires_grad_();
  const Tensor b = tensor({1.2, 0.8, -1.4}, kFloat64).requires_grad_();
  BOOST_TEST(autograd::gradcheck([](const auto& in) { return (in[0] * 1).mul_(in[1]).add_(in[0].exp()); }, {a, b}));
  BOOST_TEST(autograd::gradcheck([](const auto& in) { return (in[0] * in[1]).div_(in[1] + 3.0).sigmoid_(); }, {a, b}));
  BOOST_TEST(autograd::gradcheck([](const auto& in) { return (in[0] + 0.0).sub_(in[1], 2.0).tanh_(); }, {a, b}));
  BOOST_TEST(autograd::gradcheck([](const auto& in) { return (in[0] * 3).copy_(in[1]).mul_(in[0]); }, {a, b}));
}

BOOST_AUTO_TEST_CASE(saved_tensor_modified_in_place_makes_backward_throw) {
  // PyTorch (and xgrad, in dtype names): "one of the variables needed for gradient computation has been modified by an
  // inplace operation: [torch.FloatTensor [4]], which is output 0 of SigmoidBackward0, is at
  // version 1; expected version 0 instead."
  {
    Case k;
    Tensor y = k.x.sigmoid();
    y.mul_(2);
    const std::string msg = error_of([&] { (y * k.c).sum().backward(); });
    BOOST_TEST(contains(msg, "one of the variables needed for gradient computation has been modified by an inplace "
                             "operation: [float32 [4]], which is output 0 of SigmoidBackward0,"));
    BOOST_TEST(contains(msg, "is at version 1; expected version 0 instead"));
  }
  {
    // sigmoid_ saves its result, i.e. the tensor itself; the add_ after it invalidates it.
    Case k;
    Tensor y = (k.x * 1).sigmoid_().add_(1);
    const std::string msg = error_of([&] { (y * k.c).sum().backward(); });
    BOOST_TEST(contains(msg, "which is output 0 of SigmoidBackward0, is at version 2; expected version 1 instead"));
  }
  {
    Case k;
    Tensor y = k.x.exp();
    y.add_(1);
    const std::string msg = error_of([&] { (y * k.c).sum().backward(); });
    BOOST_TEST(contains(msg, "which is output 0 of ExpBackward0, is at version 1; expected version 0 instead"));
  }
  {
    // A tensor read by a later op, then modified: the later op's saved input is stale.
    Case k;
    Tensor y = k.x * 1;
    Tensor z = y * y;
    y.add_(1);
    expect_error<AutogradError>([&] { z.sum().backward(); }, {"modified by an inplace operation", "MulBackward0"});
  }
}

BOOST_AUTO_TEST_CASE(refused_cases_keep_their_errors) {
  // A leaf that requires grad: PyTorch's error.
  const Tensor x = tensor({1.0, 2.0}).requires_grad_();
  expect_error<AutogradError>([&] { x.mul_(2); }, {"mul_: a leaf Variable that requires grad is being used in an "
                                                   "in-place operation"});
  // A view made under no_grad, written with grad mode on.
  Tensor v;
  {
    NoGradGuard g;
    v = x.narrow(0, 0, 1);
  }
  expect_error<AutogradError>([&] { v.add_(1); }, {"add_: A view was created in no_grad mode"});
  // A view taken before its base was modified in place gets a history through the in-place op
  // (AsStridedBackward0 of the base's new one), as in LibTorch.
  Tensor base = x * 1;
  Tensor view = base.narrow(0, 0, 1);
  base.mul_(2);
  (view * 2).sum().backward();
  check_values(x.grad(), {4, 0});
  (base.narrow(0, 1, 1) * 3).sum().backward();
  check_values(x.grad(), {4, 6});
  // A clone of a view is an ordinary tensor: its in-place op is recorded on it alone.
  Tensor y2 = x * 1;
  Tensor part = y2.narrow(0, 0, 1).clone();
  part.mul_(5);
  BOOST_TEST(part.grad_fn()->name() == "MulBackward0");
  // Without grad mode nothing is recorded, as before.
  Tensor y3 = x * 1;
  {
    NoGradGuard g;
    y3.add_(1);
  }
  BOOST_TEST(y3.grad_fn()->name() == "MulBackward0");
  // requires_grad_(false) on a non-leaf: LibTorch's words.
  expect_error<AutogradError>([&] { y3.requires_grad_(false); },
                              {"you can only change requires_grad flags of leaf variables."});
}

BOOST_AUTO_TEST_CASE(hooks_stay_with_the_old_version_and_retain_grad_moves) {
  // LibTorch 1.13's C++ semantics (test/cpp/api/autograd.cpp, HooksInplace*): a hook registered
  // before the in-place op sees the gradient of the old version (d/da_old of sum((3 a_old) * c)
  // = 3c), one registered after sees the new version's (c); retain_grad() follows the tensor.
  const Tensor x = tensor({0.5, -1.0, 2.0, 0.25}).requires_grad_();
  const Tensor c = tensor({1.0, 2.0, 3.0, 4.0});
  Tensor a = x * 1;
  std::vector<std::vector<double>> before, after;
  a.register_hook([&](const Tensor& g) { before.push_back(g.to_vector<double>()); });
  a.retain_grad();
  const unsigned h = a.register_hook([&](const Tensor& g) { before.push_back(g.to_vector<double>()); });
  a.mul_(3);
  a.register_hook([&](const Tensor& g) { after.push_back(g.to_vector<double>()); });
  (a * c).sum().backward();
  BOOST_TEST(before.size() == 2u);
  for (const auto& g : before) BOOST_TEST(g == std::vector<double>({3, 6, 9, 12}), boost::test_tools::per_element());
  BOOST_REQUIRE(after.size() == 1u);
  BOOST_TEST(after[0] == std::vector<double>({1, 2, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(a.retains_grad());
  check_values(a.grad(), {1, 2, 3, 4});
  check_values(x.grad(), {3, 6, 9, 12});
  // Handles stay unique after the move: the next hook gets a new index.
  BOOST_TEST(a.register_hook([](const Tensor& g) { return g; }) > h);
}

BOOST_AUTO_TEST_CASE(double_backward_through_an_inplace_op) {
  // Reference: y = x*x; y.mul_(x) (x^3); g = dL/dx with create_graph; sum(g^2).backward().
  const Tensor x = tensor({0.5, -1.0, 2.0, 0.25}).requires_grad_();
  const Tensor c = tensor({1.0, 2.0, 3.0, 4.0});
  Tensor y = x * x;
  y.mul_(x);
  const auto g = autograd::grad({(y * c).sum()}, {x}, {}, std::nullopt, true);
  check_values(g[0], {0.75, 6, 36, 0.75});
  (g[0] * g[0]).sum().backward();
  check_values(x.grad(), {4.5, -144, 2592, 9}, 1e-4, 1e-5);
}

BOOST_AUTO_TEST_CASE(anomaly_mode_names_the_forward_call) {
  // AutogradAPITests.AnomalyMode: the error says "inplace", and a warning gives where the node
  // whose backward failed was recorded.
  struct Capture : WarningHandler {
    std::vector<std::string> messages;
    void process(const SourceLocation&, const std::string& msg, bool) override { messages.push_back(msg); }
  } capture;
  Warning::WarningHandlerGuard guard(&capture);
  autograd::DetectAnomalyGuard anomaly;
  const Tensor x = tensor({5.0}).requires_grad_();
  Tensor y = x * x;
  Tensor z = y * y;
  y += 1;
  expect_error<AutogradError>([&] { z.backward(); }, {"inplace", "which is output 0 of MulBackward0"});
  BOOST_REQUIRE(!capture.messages.empty());
  BOOST_TEST(contains(capture.messages.back(), "Traceback of forward call that caused the error"));
  BOOST_TEST(contains(capture.messages.back(), "MulBackward0"));
}
