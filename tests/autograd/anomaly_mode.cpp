#define BOOST_TEST_MODULE anomaly_mode
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <cmath>
#include <string>

using namespace xgrad;
using xgrad::testing::contains;
using autograd::AnomalyMode;
using autograd::DetectAnomalyGuard;

namespace {

// Runs `f`, expects AutogradError, returns its message.
template <typename F>
std::string autograd_error_of(F&& f) {
  try {
    f();
  } catch (const AutogradError& e) {
    return e.what();
  }
  BOOST_FAIL("expected AutogradError");
  return {};
}


}  // namespace

BOOST_AUTO_TEST_CASE(guard_sets_and_restores_the_global_switch) {
  BOOST_TEST(!AnomalyMode::is_enabled());
  {
    DetectAnomalyGuard outer;
    BOOST_TEST(AnomalyMode::is_enabled());
    BOOST_TEST(AnomalyMode::should_check_nan());
    {
      DetectAnomalyGuard inner(/*check_nan=*/false);
      BOOST_TEST(AnomalyMode::is_enabled());
      BOOST_TEST(!AnomalyMode::should_check_nan());
    }
    BOOST_TEST(AnomalyMode::should_check_nan());
  }
  BOOST_TEST(!AnomalyMode::is_enabled());
  AnomalyMode::set_enabled(true);
  BOOST_TEST(AnomalyMode::is_enabled());
  AnomalyMode::set_enabled(false);
  BOOST_TEST(!AnomalyMode::is_enabled());
}

BOOST_AUTO_TEST_CASE(op_names_from_grad_fn_names) {
  BOOST_TEST(autograd::op_name_from_grad_fn("SqrtBackward0") == "sqrt");
  BOOST_TEST(autograd::op_name_from_grad_fn("LogSoftmaxBackward0") == "log_softmax");
  BOOST_TEST(autograd::op_name_from_grad_fn("MaxPool2DWithIndicesBackward0") == "max_pool2d_with_indices");
  BOOST_TEST(autograd::op_name_from_grad_fn("NllLossBackward0") == "nll_loss");
  BOOST_TEST(autograd::op_name_from_grad_fn("Square") == "square");  // a user Function without the suffix
}

// d sqrt(x)/dx = 1/(2 sqrt x) is +inf at 0: the backward of sqrt is the first to produce a
// non-finite value, and the error names it.
BOOST_AUTO_TEST_CASE(backward_inf_from_sqrt_at_zero_names_the_op) {
  DetectAnomalyGuard guard;
  auto x = zeros({3}).requires_grad_();
  auto y = x.sqrt().sum();  // forward is finite: sqrt(0) = 0
  const std::string msg = autograd_error_of([&] { y.backward(); });
  BOOST_TEST_MESSAGE(msg);
  BOOST_TEST(contains(msg, "backward of op 'sqrt' (grad_fn SqrtBackward0)"));
  BOOST_TEST(contains(msg, "input sizes [3]"));
  BOOST_TEST(contains(msg, "3 NaN/Inf value(s)"));
  BOOST_TEST(contains(msg, "recorded with input sizes [3] outside any module"));
  BOOST_TEST(!x.grad().defined());  // nothing was accumulated past the failing node
}

// inf * 0 = NaN: sqrt at 0 whose incoming gradient is 0 returns 0 / 0.
BOOST_AUTO_TEST_CASE(backward_nan_from_sqrt_at_zero_times_zero_names_the_op) {
  DetectAnomalyGuard guard;
  auto x = tensor({0.0, 4.0}).requires_grad_();
  auto y = (x.sqrt() * tensor({0.0, 1.0})).sum();
  const std::string msg = autograd_error_of([&] { y.backward(); });
  BOOST_TEST(contains(msg, "grad_fn SqrtBackward0"));
  BOOST_TEST(contains(msg, "1 NaN/Inf value(s)"));
  BOOST_TEST(contains(msg, "input sizes [2]"));
}

// log(-1) is NaN already in forward: anomaly mode stops at the op that made it, not at a later
// op whose backward multiplies by it.
BOOST_AUTO_TEST_CASE(forward_nan_from_log_of_a_negative_number_names_the_op) {
  DetectAnomalyGuard guard;
  auto x = tensor({-1.0, 2.0, 3.0}).requires_grad_();
  auto w = ones({3}).requires_grad_();
  const std::string msg = autograd_error_of([&] { (x.log() * w).sum(); });
  BOOST_TEST(contains(msg, "forward of op 'log' (grad_fn LogBackward0)"));
  BOOST_TEST(contains(msg, "1 NaN/Inf value(s) in output #0 (sizes [3]); the op was recorded with input sizes [3]"));
}

BOOST_AUTO_TEST_CASE(forward_nan_from_division_names_the_op_and_both_input_sizes) {
  DetectAnomalyGuard guard;
  auto a = zeros({2, 1}).requires_grad_();
  auto b = zeros({3});
  const std::string msg = autograd_error_of([&] { a / b; });
  BOOST_TEST(contains(msg, "forward of op 'div' (grad_fn DivBackward0) produced 6 NaN/Inf value(s)"));
  BOOST_TEST(contains(msg, "recorded with input sizes [2, 1], [3] outside any module"));
}

// A graph recorded before the guard was on: backward still checks, and says the node has no
// recorded location. Here the NaN of log(-1) reaches the gradient of w through mul.
BOOST_AUTO_TEST_CASE(backward_through_a_graph_recorded_without_the_guard) {
  auto x = tensor({-1.0, 2.0});
  auto w = ones({2}).requires_grad_();
  auto y = (x.log() * w).sum();
  DetectAnomalyGuard guard;
  const std::string msg = autograd_error_of([&] { y.backward(); });
  BOOST_TEST(contains(msg, "op 'mul' (grad_fn MulBackward0) returned 1 NaN/Inf value(s)"));
  BOOST_TEST(contains(msg, "gradient of its input #1 (sizes [2]); the op was recorded before anomaly mode"));
}

BOOST_AUTO_TEST_CASE(inside_a_sequential_the_message_names_the_module_path) {
  nn::Linear lin(2, 2);
  {
    NoGradGuard no_grad;
    lin->weight.fill_(0.0);
    lin->bias.fill_(-1.0);  // every output is -1: log gives NaN
  }
  nn::Sequential seq(lin, nn::Functional([](Tensor t) { return t.log(); }));
  DetectAnomalyGuard guard;
  auto x = ones({4, 2});
  const std::string msg = autograd_error_of([&] { seq->forward(x); });
  BOOST_TEST_MESSAGE(msg);
  BOOST_TEST(contains(msg, "forward of op 'log' (grad_fn LogBackward0) produced 8 NaN/Inf value(s)"));
  BOOST_TEST(contains(msg, "recorded with input sizes [4, 2] in module Sequential.1 (Functional)"));
  // The throw unwound the module stack.
  BOOST_TEST(autograd::current_module_path().empty());
}

BOOST_AUTO_TEST_CASE(backward_inside_nested_modules_names_the_path_recorded_in_forward) {
  nn::Linear lin(3, 2);
  {
    NoGradGuard no_grad;
    lin->weight.fill_(0.0);
    lin->bias.fill_(0.0);  // outputs are 0: sqrt's gradient is inf there
  }
  nn::Sequential inner(nn::Functional([](Tensor t) { return t.sqrt(); }));
  nn::Sequential outer(lin, inner);
  DetectAnomalyGuard guard;
  auto y = outer->forward(ones({5, 3})).sum();
  const std::string msg = autograd_error_of([&] { y.backward(); });
  BOOST_TEST_MESSAGE(msg);
  BOOST_TEST(contains(msg, "backward of op 'sqrt' (grad_fn SqrtBackward0) returned 10 NaN/Inf value(s)"));
  BOOST_TEST(contains(msg, "recorded with input sizes [5, 2] in module Sequential.1.0 (Functional)"));
  BOOST_TEST(!lin->weight.grad().defined());
}

BOOST_AUTO_TEST_CASE(nodes_record_where_they_were_made_and_module_scopes_pop) {
  nn::Linear lin(2, 3);
  DetectAnomalyGuard guard;
  auto y = lin(ones({1, 2}));
  BOOST_REQUIRE(y.grad_fn()->anomaly_metadata != nullptr);
  BOOST_TEST(y.grad_fn()->anomaly_metadata->op == "addmm");
  BOOST_TEST(y.grad_fn()->anomaly_metadata->module_path == "Linear");
  BOOST_TEST(y.grad_fn()->anomaly_metadata->input_sizes.size() == 3u);
  BOOST_TEST(autograd::current_module_path().empty());
  auto z = y * 2.0;  // outside the module now
  BOOST_TEST(z.grad_fn()->anomaly_metadata->module_path.empty());
}

BOOST_AUTO_TEST_CASE(check_nan_false_records_locations_but_does_not_throw) {
  DetectAnomalyGuard guard(/*check_nan=*/false);
  auto x = zeros({2}).requires_grad_();
  auto y = x.sqrt();
  BOOST_TEST(y.grad_fn()->anomaly_metadata != nullptr);
  y.sum().backward();
  BOOST_TEST(std::isinf(x.grad().to_vector<double>()[0]));
}

// Off (the default): nothing is recorded, nothing is checked, NaN and Inf propagate as in PyTorch.
BOOST_AUTO_TEST_CASE(with_the_guard_off_nothing_is_checked_and_nan_propagates) {
  BOOST_REQUIRE(!AnomalyMode::is_enabled());
  auto x = tensor({-1.0, 0.0}).requires_grad_();
  auto l = x.log();
  BOOST_TEST(l.grad_fn()->anomaly_metadata == nullptr);
  const auto lv = l.to_vector<double>();
  BOOST_TEST(std::isnan(lv[0]));
  BOOST_TEST(std::isinf(lv[1]));
  auto z = zeros({1}).requires_grad_();
  BOOST_CHECK_NO_THROW(z.sqrt().sum().backward());
  BOOST_TEST(std::isinf(z.grad().to_vector<double>()[0]));

  nn::Sequential seq(nn::Functional([](Tensor t) {
    // Inside a module's forward with anomaly mode off, no module stack is kept.
    BOOST_TEST(autograd::current_module_path().empty());
    return t.log();
  }));
  auto out = seq->forward(tensor({-2.0}).requires_grad_());
  BOOST_TEST(std::isnan(out.to_vector<double>()[0]));
  BOOST_CHECK_NO_THROW(out.sum().backward());
}

// Other threads see the global switch (LibTorch's semantics).
BOOST_AUTO_TEST_CASE(the_switch_is_global_across_threads) {
  DetectAnomalyGuard guard;
  bool threw = false;
  std::thread t([&] {
    try {
      auto x = tensor({-1.0}).requires_grad_();
      x.log();
    } catch (const AutogradError&) {
      threw = true;
    }
  });
  t.join();
  BOOST_TEST(threw);
}
