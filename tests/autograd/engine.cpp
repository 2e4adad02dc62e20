#define BOOST_TEST_MODULE engine
#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

#include <set>
#include <thread>

using namespace xgrad;
using autograd::AutogradContext;
using autograd::variable_list;
using xgrad::testing::check_values;
using xgrad::testing::expect_error;

namespace {

// x * 3, counting its backward calls.
int counted_calls = 0;
struct Counted : autograd::Function<Counted> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 3.0; }
  static variable_list backward(AutogradContext*, variable_list g) {
    ++counted_calls;
    return {g[0] * 3.0};
  }
};

// a * b, logging needs_input_grad as "ab" bits.
std::string mul_log;
struct LoggedMul : autograd::Function<LoggedMul> {
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
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
  // LibTorch's phrase, naming the input.
  expect_error<AutogradError>([&] { autograd::grad({y}, {x, u}, {}, true); },
                              {"input #1 (sizes [1])", "Set allow_unused=True"});
  auto g = autograd::grad({y}, {u}, {}, std::nullopt, false, /*allow_unused=*/true);
  BOOST_TEST(!g[0].defined());
}

BOOST_AUTO_TEST_CASE(grad_requires_inputs) {
  // LibTorch: grad({x * 2}, {}, {x}) throws "grad requires non-empty inputs." (grad_outputs {x}
  // is a valid weighting; the missing inputs are the error).
  auto x = ones({1}, requires_grad());
  expect_error<ValueError>([&] { autograd::grad({x * 2.0}, {}, {x}); }, {"grad requires non-empty inputs."});
  expect_error<ValueError>([&] { autograd::grad({(x * 2.0).sum()}, {}); }, {"grad requires non-empty inputs."});
  BOOST_TEST(!x.grad().defined());
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

// ---- passes limited to some inputs (LibTorch's exec_info) --------------------------------------
// Reference values: tests/reference/custom_function.cpp (LibTorch 1.13) and its .out.

BOOST_AUTO_TEST_CASE(grad_does_not_run_a_branch_that_leads_to_no_input) {
  // custom_function.out: "grad unrelated branch da: [2, 4]",
  // "grad unrelated branch Counted calls: 0, b.grad undefined"
  counted_calls = 0;
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({-1.0, 4.0}).requires_grad_();
  auto y = (a * a + Counted::apply(b)).sum();
  auto g = autograd::grad({y}, {a}, {}, /*retain_graph=*/true);
  check_values(g[0], {2.0, 4.0});
  BOOST_TEST(counted_calls == 0);
  BOOST_TEST(!b.grad().defined());
  // The same graph with b requested runs it once.
  auto gb = autograd::grad({y}, {b});
  check_values(gb[0], {3.0, 3.0});
  BOOST_TEST(counted_calls == 1);
}

BOOST_AUTO_TEST_CASE(grad_runs_a_requested_node_that_leads_to_another_requested_input) {
  // h = Counted(a) = 3a, y = sum(h * h): dy/dh = 2h = 6a, dy/da = 18a. h's node must run (it
  // leads to a) although h is itself a requested input.
  counted_calls = 0;
  auto a = tensor({1.0, -2.0}).requires_grad_();
  auto h = Counted::apply(a);
  auto y = (h * h).sum();
  auto g = autograd::grad({y}, {h, a});
  check_values(g[0], {6.0, -12.0});
  check_values(g[1], {18.0, -36.0});
  BOOST_TEST(counted_calls == 1);
  // custom_function.out: "grad({h, a}) dh: [6, -12]", "grad({h, a}) da: [18, -36]", "Counted calls: 1".
  // A requested input that is the output itself gets the seed gradient ("grad({z}, {z}): [1]").
  auto z = (a * 2.0).sum();
  check_values(autograd::grad({z}, {z})[0], {1.0});
}

BOOST_AUTO_TEST_CASE(needs_input_grad_follows_the_requested_inputs) {
  // custom_function.out: "grad logged_mul da: [-1, 4]", "grad logged_mul needs_input_grad: 10",
  // "backward(inputs={b}) needs_input_grad: 01, a.grad undefined", "... b.grad: [1, 2]"
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({-1.0, 4.0}).requires_grad_();
  auto g = autograd::grad({LoggedMul::apply(a, b).sum()}, {a});
  check_values(g[0], {-1.0, 4.0});
  BOOST_TEST(mul_log == "10");
  LoggedMul::apply(a, b).sum().backward({}, std::nullopt, false, variable_list{b});
  BOOST_TEST(mul_log == "01");
  BOOST_TEST(!a.grad().defined());
  check_values(b.grad(), {1.0, 2.0});
  // A plain backward wants both.
  LoggedMul::apply(a, b).sum().backward();
  BOOST_TEST(mul_log == "11");
  check_values(a.grad(), {-1.0, 4.0});
  check_values(b.grad(), {2.0, 4.0});
}

BOOST_AUTO_TEST_CASE(backward_with_inputs_accumulates_only_into_them) {
  // custom_function.out: "backward(inputs={a}) a.grad: [2, 4]",
  // "backward(inputs={a}) Counted calls: 0, b.grad undefined"
  counted_calls = 0;
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({-1.0, 4.0}).requires_grad_();
  auto y = (a * a + Counted::apply(b)).sum();
  y.backward({}, std::nullopt, false, variable_list{a});
  check_values(a.grad(), {2.0, 4.0});
  BOOST_TEST(counted_calls == 0);
  BOOST_TEST(!b.grad().defined());
  // The free function, both inputs, accumulating onto a.grad.
  auto y2 = (a * a + Counted::apply(b)).sum();
  autograd::backward({y2}, {}, std::nullopt, false, {a, b});
  check_values(a.grad(), {4.0, 8.0});
  check_values(b.grad(), {3.0, 3.0});
  BOOST_TEST(counted_calls == 1);
  // An input the graph does not reach keeps its grad.
  auto c = tensor({5.0}).requires_grad_();
  (a * 1.0).sum().backward({}, std::nullopt, false, variable_list{c});
  BOOST_TEST(!c.grad().defined());
  check_values(a.grad(), {4.0, 8.0});
}

BOOST_AUTO_TEST_CASE(backward_with_a_non_leaf_input_fills_its_grad) {
  // custom_function.out: "backward(inputs={non-leaf h}) h.grad: [6, 12]",
  // "backward(inputs={non-leaf h}) a.grad undefined"
  counted_calls = 0;
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto h = Counted::apply(a);
  auto y = (h * h).sum();
  y.backward({}, std::nullopt, false, variable_list{h});
  check_values(h.grad(), {6.0, 12.0});
  BOOST_TEST(h.retains_grad());
  BOOST_TEST(!a.grad().defined());
  // h's own node leads nowhere wanted, so xgrad does not run it. LibTorch runs it and drops its
  // result ("backward(inputs={non-leaf h2}) Counted calls: 1"): same gradients, less work here.
  BOOST_TEST(counted_calls == 0);
}

BOOST_AUTO_TEST_CASE(backward_with_bad_inputs_is_an_error) {
  // custom_function.out: "backward(inputs={}): error: 'inputs' argument to backward cannot be empty"
  auto a = tensor({1.0}).requires_grad_();
  expect_error<ValueError>([&] { (a * 2.0).sum().backward({}, std::nullopt, false, variable_list{}); },
                           {"backward", "'inputs' argument cannot be empty"});
  expect_error<AutogradError>([&] { (a * 2.0).sum().backward({}, std::nullopt, false, variable_list{tensor({1.0})}); },
                              {"backward", "element 0 of inputs does not require grad"});
  expect_error<AutogradError>([&] { (a * 2.0).sum().backward({}, std::nullopt, false, variable_list{Tensor()}); },
                              {"backward", "element 0 of inputs is undefined"});
}

BOOST_AUTO_TEST_CASE(limited_passes_inside_a_hook_do_not_leak_into_the_outer_pass) {
  // A post-accumulate hook on x runs grad() restricted to w, before the outer pass reaches
  // LoggedMul; the outer backward must still want both of LoggedMul's inputs.
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto w = tensor({3.0}).requires_grad_();
  auto a = tensor({2.0, 5.0}).requires_grad_();
  auto b = tensor({-1.0, 1.0}).requires_grad_();
  std::string seen_by_hook = "hook not run";
  x.register_post_accumulate_grad_hook([&](const Tensor&) {
    seen_by_hook = mul_log;
    AutoGradMode enable_grad(true);  // backward runs hooks with grad mode off
    auto g = autograd::grad({(w * w).sum()}, {w});
    check_values(g[0], {6.0});
  });
  // Recorded after LoggedMul, x's nodes (and accumulator) run before it.
  auto p = LoggedMul::apply(a, b).sum();
  auto q = (x * 2.0).sum();
  auto y = p + q;
  mul_log.clear();
  y.backward();
  BOOST_TEST(seen_by_hook.empty());  // the hook's pass ran before LoggedMul's backward
  BOOST_TEST(mul_log == "11");
  check_values(x.grad(), {2.0, 2.0});
  check_values(a.grad(), {-1.0, 1.0});
  check_values(b.grad(), {2.0, 5.0});
}

// Tensor::register_hook / remove_hook (LibTorch names, issue 9). Hand-worked values: y = x * x,
// z = 3 * y; dz/dy = 3, dz/dx = 3 * 2x.
BOOST_AUTO_TEST_SUITE(tensor_hooks)

BOOST_AUTO_TEST_CASE(a_returning_hook_replaces_the_gradient_and_a_void_hook_observes) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = x * x;
  std::vector<double> seen;
  y.register_hook([&](Tensor g) { seen = g.to_vector<double>(); });  // void: observes
  y.register_hook(std::function<Tensor(Tensor)>([](Tensor g) { return g * 10.0; }));
  y.retain_grad();
  (y * 3.0).sum().backward();
  check_values(tensor(seen), {3, 3});
  check_values(y.grad(), {30, 30});  // retain_grad keeps the replaced gradient
  check_values(x.grad(), {60, 120});
}

BOOST_AUTO_TEST_CASE(leaf_hooks_run_before_accumulation_and_can_be_removed) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  int calls = 0;
  const unsigned h = x.register_hook([&](const Tensor& g) {
    ++calls;
    return g + 1.0;
  });
  (x * x).sum().backward();
  BOOST_CHECK_EQUAL(calls, 1);
  check_values(x.grad(), {3, 5});  // 2x + 1
  x.remove_hook(h);
  x.remove_hook(h);  // twice: a no-op
  x.mutable_grad() = Tensor();
  (x * x).sum().backward();
  BOOST_CHECK_EQUAL(calls, 1);
  check_values(x.grad(), {2, 4});
  // autograd::grad sees the hooks too.
  x.register_hook([](Tensor g) { return g * 0.5; });
  check_values(autograd::grad({(x * x).sum()}, {x})[0], {1, 2});
  BOOST_CHECK_THROW(x.remove_hook(7), IndexError);
}

BOOST_AUTO_TEST_CASE(hooks_errors) {
  BOOST_CHECK_THROW(tensor({1.0}).register_hook([](Tensor g) { return g; }), AutogradError);
  BOOST_CHECK_THROW(Tensor().register_hook([](Tensor g) { return g; }), ValueError);
  BOOST_CHECK_THROW(Tensor().remove_hook(0), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- LibTorch API: backward(inputs) with a braced list, reentrant backward, create_graph warning
// Reference values: tests/reference/autograd_api.py (PyTorch 1.13).

BOOST_AUTO_TEST_CASE(backward_with_a_braced_inputs_list_fills_only_those_grads) {
  // "inputs=[x]: x.grad [...]", "inputs=[x]: y.grad None"
  auto x = xgrad::testing::wave({4}, 0.7, 0.1).requires_grad_();
  auto y = xgrad::testing::wave({4}, 1.3, 0.2).requires_grad_();
  auto z = x * x + x * y + y * y;
  z.backward(ones({4}), false, false, {x});
  check_values(x.grad(), {0.3983362, 2.4322071, 2.3299782, 0.7987157});
  BOOST_TEST(!y.grad().defined());
  // A second pass limited to x accumulates into the same grad:
  // "inputs=[x] again, (3x).sum(): x.grad" after the [x, z] case below starts from its values.
}

BOOST_AUTO_TEST_CASE(backward_with_a_leaf_and_a_non_leaf_input) {
  // "inputs=[x,z]: ..." then "inputs=[x] again, (3x).sum(): x.grad [...]"
  auto x = xgrad::testing::wave({4}, 0.7, 0.1).requires_grad_();
  auto y = xgrad::testing::wave({4}, 1.3, 0.2).requires_grad_();
  auto z = x * x;
  auto w = y * z + x * y + y * y;
  w.backward(ones({4}), false, false, {x, z});
  check_values(x.grad(), {0.238337, 2.4286132, 1.0032861, -2.1414254});
  check_values(z.grad(), {0.1986693, 0.997495, 0.3349881, -0.8182771});
  BOOST_TEST(!y.grad().defined());
  (x * 3.0).sum().backward({}, std::nullopt, false, std::vector<Tensor>{x});
  check_values(x.grad(), {3.238337, 5.4286132, 4.0032864, 0.8585746});
  // The other spellings of the list: a TensorList, and an empty list (an error, as LibTorch).
  (x * 1.0).sum().backward({}, std::nullopt, false, TensorList(x));
  check_values(x.grad(), {4.238337, 6.4286132, 5.0032864, 1.8585746});
  expect_error<ValueError>([&] { (x * 1.0).sum().backward({}, std::nullopt, false, std::vector<Tensor>{}); },
                           {"backward", "inputs", "cannot be empty"});
}

namespace {
// Forward builds x * y on its input's storage (a graph of its own, with y the fixed
// y_data); backward runs backward() on that graph and returns x.grad * g.
Tensor reenter_y_data() { return xgrad::testing::wave({2, 2}, 0.9, 0.3); }
struct Reenter : autograd::Function<Reenter> {
  static Tensor forward(AutogradContext* ctx, const Tensor& input) {
    Tensor output;
    {
      AutoGradMode enable_grad(true);
      auto x = autograd::make_variable(input.tensor_data(), true);
      auto y = autograd::make_variable(reenter_y_data(), true);
      output = x * y;
      ctx->saved_data["x"] = x;
      ctx->saved_data["output"] = output;
    }
    return output.detach();
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    {
      AutoGradMode enable_grad(true);
      ctx->saved_data["output"].toTensor().sum().backward();
    }
    return {ctx->saved_data["x"].toTensor().grad() * g[0]};
  }
};

// Each backward re-enters backward() through a new call on its saved value minus one, until
// that value is 0; counts the backward calls and the deepest thread change.
int deep_calls = 0;
std::set<std::thread::id> deep_threads;
std::vector<int> reentry_order;
struct DeepReenter : autograd::Function<DeepReenter> {
  static Tensor forward(AutogradContext* ctx, const Tensor& v) {
    {
      AutoGradMode enable_grad(true);
      ctx->saved_data["x"] = autograd::make_variable(v.tensor_data(), true) - 1.0;
    }
    return ctx->saved_data["x"].toTensor().detach();
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    ++deep_calls;
    deep_threads.insert(std::this_thread::get_id());
    reentry_order.push_back(1);
    const Tensor& x = ctx->saved_data["x"].toTensor();
    if (!native::is_nonzero(x)) return g;
    AutoGradMode enable_grad(true);
    apply(x).sum().backward();
    return g;
  }
};
struct MarkOrder : autograd::Function<MarkOrder> {
  static Tensor forward(AutogradContext*, const Tensor& v) { return v.clone(); }
  static variable_list backward(AutogradContext*, variable_list g) {
    reentry_order.push_back(0);
    return g;
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(a_function_may_call_backward_inside_its_backward) {
  // "reentrant (out*3).sum(): x.grad [...]": x.grad = 3 * y_data
  auto x = xgrad::testing::wave({2, 2}, 0.4, 0.5).requires_grad_();
  (Reenter::apply(x) * 3.0).sum().backward();
  check_values(x.grad(), {0.8865607, 2.7961173, 2.5896282, 0.42336});
}

BOOST_AUTO_TEST_CASE(deep_reentrant_backward_does_not_overflow_the_stack) {
  // "deep reentrant from 200: backward calls 200 v.grad [2.0]"
  deep_calls = 0;
  deep_threads.clear();
  auto v = tensor({200.0f}).requires_grad_();
  (DeepReenter::apply(v) * 2.0).sum().backward();
  BOOST_TEST(deep_calls == 200);
  check_values(v.grad(), {2.0});
  // 60 nested passes per thread: passes 1-60 on this thread, then 61-120, 121-180, 181-200 on
  // three fresh ones.
  BOOST_TEST(deep_threads.size() == 4u);
  BOOST_TEST(deep_threads.count(std::this_thread::get_id()) == 1u);
  // 10000 levels: far past the depth at which passes move to fresh threads (each nesting level
  // would otherwise stack the frames of a backward pass and a Function call).
  deep_calls = 0;
  auto big = tensor({10000.0f}).requires_grad_();
  DeepReenter::apply(big).sum().backward();
  BOOST_TEST(deep_calls == 10000);
  check_values(big.grad(), {1.0});
}

BOOST_AUTO_TEST_CASE(an_error_in_a_deep_reentrant_pass_reaches_the_caller) {
  // A failing nested pass past the thread-change depth: its error comes back as itself.
  struct FailAtZero : autograd::Function<FailAtZero> {
    static Tensor forward(AutogradContext* ctx, const Tensor& v) {
      {
        AutoGradMode enable_grad(true);
        ctx->saved_data["x"] = autograd::make_variable(v.tensor_data(), true) - 1.0;
      }
      return ctx->saved_data["x"].toTensor().detach();
    }
    static variable_list backward(AutogradContext* ctx, variable_list g) {
      const Tensor& x = ctx->saved_data["x"].toTensor();
      XGRAD_CHECK(native::is_nonzero(x), ValueError, "FailAtZero: reached zero");
      AutoGradMode enable_grad(true);
      apply(x).sum().backward();
      return g;
    }
  };
  auto v = tensor({150.0f}).requires_grad_();
  expect_error<ValueError>([&] { FailAtZero::apply(v).sum().backward(); }, {"FailAtZero", "reached zero"});
}

BOOST_AUTO_TEST_CASE(reentrant_passes_finish_before_the_outer_pass_goes_on) {
  // "priority order [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]"
  reentry_order.clear();
  auto a = MarkOrder::apply(tensor({6.0f}).requires_grad_());
  auto b = DeepReenter::apply(tensor({9.0f}).requires_grad_());
  (a * b).backward();
  BOOST_TEST(reentry_order == (std::vector<int>{1, 1, 1, 1, 1, 1, 1, 1, 1, 0}), boost::test_tools::per_element());
}

namespace {
struct WarningLog : WarningHandler {
  std::vector<std::string> seen;
  void process(const SourceLocation&, const std::string& msg, bool) override { seen.push_back(msg); }
  size_t count(const std::string& part) const {
    return static_cast<size_t>(
        std::count_if(seen.begin(), seen.end(), [&](const std::string& m) { return m.find(part) != std::string::npos; }));
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(backward_with_create_graph_warns_about_the_reference_cycle) {
  // "create_graph warning: ['Using backward() with create_graph=True will create a refere']",
  // "grad(create_graph) warnings: 0"
  const std::string text = "Using backward() with create_graph=True will create a reference cycle";
  WarningLog log;
  Warning::WarningHandlerGuard handler(&log);
  {
    Warning::WarnAlways always(true);
    auto x = ones({3}).requires_grad_();
    (x * x).sum().backward({}, std::nullopt, true);
    BOOST_TEST(log.count(text) == 1u);
    autograd::backward({(x * x).sum()}, {}, std::nullopt, true);
    BOOST_TEST(log.count(text) == 2u);
    // grad() fills no .grad, so no cycle and no warning; nor backward without create_graph.
    autograd::grad({(x * x).sum()}, {x}, {}, std::nullopt, true);
    (x * x).sum().backward();
    BOOST_TEST(log.count(text) == 2u);
    x.mutable_grad() = Tensor();  // breaks the cycle the warning is about (else a leak)
  }
  BOOST_TEST(!Warning::get_warnAlways());
  // Without warn-always: once per process at most (earlier tests may have used it up; the
  // once-semantics are tested in tests/core/warning.cpp).
  auto x = ones({3}).requires_grad_();
  for (int i = 0; i < 3; ++i) (x * x).sum().backward({}, std::nullopt, true);
  BOOST_TEST(log.count(text) <= 3u);
  x.mutable_grad() = Tensor();
}
