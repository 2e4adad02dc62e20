#define BOOST_TEST_MODULE engine
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <thread>

using namespace xgrad;
using xgrad::testing::check_values;

BOOST_AUTO_TEST_CASE(scalar_backward_fills_leaf_grads) {
  auto x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  auto w = tensor({0.5, -1.0, 2.0}).requires_grad_();
  auto y = (x * w).sum();
  BOOST_TEST(!y.is_leaf());
  BOOST_TEST(y.grad_fn()->name() == "SumBackward0");
  y.backward();
  check_values(x.grad(), {0.5, -1.0, 2.0});
  check_values(w.grad(), {1.0, 2.0, 3.0});
}

BOOST_AUTO_TEST_CASE(gradients_accumulate_across_backward_calls) {
  auto x = tensor({2.0}).requires_grad_();
  (x * x).sum().backward();
  (x * x).sum().backward();
  check_values(x.grad(), {8.0});  // 2 * (2x)
  x.mutable_grad().zero_();
  (x * 3.0).sum().backward();
  check_values(x.grad(), {3.0});
}

BOOST_AUTO_TEST_CASE(diamond_accumulates_both_paths) {
  // y = 2x; z = y + y*y  => dz/dx = 2 + 2*y*2 = 2 + 8x
  auto x = tensor({1.0, -2.0}).requires_grad_();
  auto y = x * 2.0;
  auto z = (y + y * y).sum();
  z.backward();
  check_values(x.grad(), {10.0, -14.0});
}

BOOST_AUTO_TEST_CASE(leaf_grads_never_alias_each_other_or_the_callers_gradient) {
  // AddBackward hands the same gradient tensor to both leaves; the accumulator takes over a
  // gradient only when nothing else holds it, so the two .grad tensors must be distinct buffers.
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto w = tensor({3.0, 4.0}).requires_grad_();
  (x + w).backward(ones({2}));
  BOOST_TEST(x.grad().data_ptr<float>() != w.grad().data_ptr<float>());
  x.mutable_grad().add_(1.0);
  check_values(w.grad(), {1.0, 1.0});
  // The caller's gradient stays the caller's.
  auto v = tensor({5.0, 6.0}).requires_grad_();
  auto g = tensor({0.5, 0.25});
  (v * 1.0).backward(g);
  v.mutable_grad().mul_(4.0);
  check_values(g, {0.5, 0.25});
  check_values(v.grad(), {2.0, 1.0});
  // A gradient produced by the backward (nobody else holds it) becomes .grad without a copy;
  // accumulation after it still adds.
  auto u = tensor({1.0, 2.0}).requires_grad_();
  (u * 3.0).sum().backward();
  (u * 3.0).sum().backward();
  check_values(u.grad(), {6.0, 6.0});
}

BOOST_AUTO_TEST_CASE(tensor_used_many_times_in_one_op) {
  auto x = tensor({3.0}).requires_grad_();
  (x * x * x).sum().backward();  // 3x^2
  check_values(x.grad(), {27.0});
}

BOOST_AUTO_TEST_CASE(hundred_thousand_node_chain_runs_without_recursion) {
  auto x = tensor({1.0}, kFloat64).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y + 1e-5;
  y.sum().backward();
  check_values(x.grad(), {1.0});
  check_values(y, {2.0}, 1e-9);
  // Destroying a deep graph must not recurse either.
  y = Tensor();
}

BOOST_AUTO_TEST_CASE(second_backward_without_retain_graph_throws) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = (x * x).sum();  // MulBackward0 saves its inputs
  y.backward();
  try {
    y.backward();
    BOOST_FAIL("expected AutogradError");
  } catch (const AutogradError& e) {
    BOOST_TEST(std::string(e.what()).find("retain_graph") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(retain_graph_allows_second_backward) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = (x * x).sum();
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  check_values(x.grad(), {4.0, 8.0});
}

BOOST_AUTO_TEST_CASE(non_scalar_backward_needs_gradient) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = x * 3.0;
  BOOST_CHECK_THROW(y.backward(), ValueError);
  y.backward(tensor({1.0, 10.0}));
  check_values(x.grad(), {3.0, 30.0});
  auto z = x * 2.0;
  BOOST_CHECK_THROW(z.backward(tensor({1.0, 2.0, 3.0})), ShapeError);
}

BOOST_AUTO_TEST_CASE(backward_on_tensor_without_history_throws) {
  auto x = tensor({1.0, 2.0});
  BOOST_CHECK_THROW(x.sum().backward(), AutogradError);
}

BOOST_AUTO_TEST_CASE(no_grad_guard_records_nothing_and_is_thread_local) {
  auto x = tensor({1.0}).requires_grad_();
  {
    NoGradGuard guard;
    BOOST_TEST(!GradMode::is_enabled());
    auto y = x * 2.0;
    BOOST_TEST(!y.requires_grad());
    BOOST_TEST(!y.grad_fn());
    bool other_thread_enabled = false;
    std::thread([&] { other_thread_enabled = GradMode::is_enabled(); }).join();
    BOOST_TEST(other_thread_enabled);
  }
  BOOST_TEST(GradMode::is_enabled());
  BOOST_TEST((x * 2.0).requires_grad());
}

BOOST_AUTO_TEST_CASE(parameter_update_under_no_grad) {
  auto w = tensor({1.0, 2.0}).requires_grad_();
  (w * w).sum().backward();
  BOOST_CHECK_THROW(w -= 0.1 * w.grad(), AutogradError);  // in-place on a leaf that requires grad
  {
    NoGradGuard guard;
    w -= 0.1 * w.grad();
  }
  check_values(w, {0.8, 1.6});
  BOOST_TEST(w.is_leaf());
  BOOST_TEST(w.requires_grad());
}

BOOST_AUTO_TEST_CASE(detach_cuts_the_graph_and_shares_storage) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = x * 2.0;
  auto d = y.detach();
  BOOST_TEST(!d.requires_grad());
  BOOST_TEST(d.data_ptr<float>() == y.data_ptr<float>());
  auto z = (d * x).sum();
  z.backward();
  check_values(x.grad(), {2.0, 4.0});
}

BOOST_AUTO_TEST_CASE(retain_grad_keeps_non_leaf_gradient) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = x * 3.0;
  y.retain_grad();
  (y * y).sum().backward();
  check_values(y.grad(), {6.0, 12.0});
  check_values(x.grad(), {18.0, 36.0});
}

BOOST_AUTO_TEST_CASE(non_leaf_grad_is_not_kept_by_default) {
  auto x = tensor({1.0}).requires_grad_();
  auto y = x * 3.0;
  (y * 2.0).sum().backward();
  BOOST_TEST(!y.grad().defined());
}

BOOST_AUTO_TEST_CASE(grad_function_does_not_touch_leaf_grads) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto w = tensor({3.0, 4.0}).requires_grad_();
  auto y = (x * w).sum();
  auto g = autograd::grad({y}, {x});
  check_values(g[0], {3.0, 4.0});
  BOOST_TEST(!x.grad().defined());
  BOOST_TEST(!w.grad().defined());
}

BOOST_AUTO_TEST_CASE(grad_reports_unused_inputs) {
  auto x = tensor({1.0}).requires_grad_();
  auto u = tensor({1.0}).requires_grad_();
  auto y = (x * 2.0).sum();
  BOOST_CHECK_THROW(autograd::grad({y}, {u}, {}, true), AutogradError);
  auto g = autograd::grad({y}, {u}, {}, std::nullopt, false, /*allow_unused=*/true);
  BOOST_TEST(!g[0].defined());
}

BOOST_AUTO_TEST_CASE(inplace_change_of_saved_tensor_is_detected) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto a = x * 1.0;
  auto y = (a * a).sum();  // saves a
  {
    NoGradGuard guard;
    a.add_(1.0);
  }
  BOOST_CHECK_THROW(y.backward(), AutogradError);
}

BOOST_AUTO_TEST_CASE(create_graph_gives_differentiable_gradients) {
  auto x = tensor({3.0}).requires_grad_();
  auto y = (x * x * x).sum();
  auto g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
  check_values(g[0], {27.0});  // 3x^2
  BOOST_TEST(g[0].requires_grad());
  g[0].sum().backward();
  check_values(x.grad(), {18.0});  // 6x
}

BOOST_AUTO_TEST_CASE(graph_and_saved_tensors_are_freed) {
  std::weak_ptr<TensorImpl> saved_intermediate;
  auto x = tensor({1.0, 2.0}).requires_grad_();
  {
    auto a = x * 2.0;
    saved_intermediate = a.impl();
    auto y = (a * a).sum();  // the mul node saves `a`
    y.backward();
    a = Tensor();
    // backward() released the saved copy; only `y`'s graph could still hold `a`.
    BOOST_TEST(saved_intermediate.expired());
  }
  check_values(x.grad(), {8.0, 16.0});
}

// A .grad assigned by hand with the wrong sizes or dtype is reported by the accumulation that
// would use it, naming it, instead of an add_ broadcast error (or a silent broadcast).
BOOST_AUTO_TEST_CASE(a_wrong_hand_assigned_grad_is_named_at_accumulation) {
  auto x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  x.mutable_grad() = ones({1});  // would broadcast in an add_
  try {
    (x * 2.0).sum().backward();
    BOOST_FAIL("no error");
  } catch (const ShapeError& e) {
    BOOST_TEST(std::string(e.what()).find("AccumulateGrad: the leaf's grad has sizes [1] but the leaf has sizes [3]") !=
               std::string::npos, e.what());
  }
  x.mutable_grad() = ones({3}, TensorOptions().dtype(kFloat64));
  BOOST_CHECK_THROW((x * 2.0).sum().backward(), TypeError);
  x.mutable_grad() = Tensor();  // reset: accumulation starts afresh
  (x * 2.0).sum().backward();
  check_values(x.grad(), {2.0, 2.0, 2.0});
}
