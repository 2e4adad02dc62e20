#define BOOST_TEST_MODULE hooks
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <optional>
#include <string>
#include <vector>

// Forward pre-hooks and hooks: order, replacement of input and output, removal, when they run
// (holder call and Sequential children, not ->forward()), and handles outliving their module.
// The Linear values are PyTorch 1.13's (tests/reference/module_api.py, section "hooks").

using namespace xgrad;
namespace nn = xgrad::nn;
using xgrad::testing::check_values;

namespace {

nn::Linear fixed_linear() {
  nn::Linear lin(2, 2);
  NoGradGuard no_grad;
  lin->weight.copy_(tensor({{1.0, 2.0}, {3.0, 4.0}}));
  lin->bias.copy_(tensor({0.5, -0.5}));
  return lin;
}

}  // namespace

BOOST_AUTO_TEST_CASE(order_replacement_and_removal_match_pytorch) {
  nn::Linear lin = fixed_linear();
  std::vector<std::string> log;
  auto h1 = lin->register_forward_pre_hook([&](nn::Module&, const Tensor& x) -> std::optional<Tensor> {
    log.push_back("pre1");
    return x * 2.0;
  });
  auto h2 = lin->register_forward_pre_hook([&](nn::Module&, const Tensor&) { log.push_back("pre2"); });
  auto h3 = lin->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& y) -> std::optional<Tensor> {
    log.push_back("fwd1");
    return y + 1.0;
  });
  auto h4 = lin->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& y) -> std::optional<Tensor> {
    log.push_back("fwd2");
    return y * 10.0;
  });
  const Tensor x = tensor({{1.0, -1.0}});
  BOOST_CHECK(lin->has_forward_hooks());
  check_values(lin(x), {-5.0, -15.0});  // PyTorch: [[-5.0, -15.0]]
  BOOST_TEST(log == (std::vector<std::string>{"pre1", "pre2", "fwd1", "fwd2"}), boost::test_tools::per_element());
  log.clear();
  check_values(lin->forward(x), {-0.5, -1.5});  // forward() directly: no hooks
  BOOST_CHECK(log.empty());
  h1.remove();
  h1.remove();  // idempotent
  h4.remove();
  check_values(lin(x), {0.5, -0.5});  // PyTorch: [[0.5, -0.5]]
  BOOST_TEST(log == (std::vector<std::string>{"pre2", "fwd1"}), boost::test_tools::per_element());
  h2.remove();
  h3.remove();
  BOOST_CHECK(!lin->has_forward_hooks());
  check_values(lin(x), {-0.5, -1.5});
}

BOOST_AUTO_TEST_CASE(forward_hook_sees_the_replaced_input) {
  nn::Identity id;
  Tensor seen_input, seen_output;
  id->register_forward_pre_hook([](nn::Module&, const Tensor& x) -> std::optional<Tensor> { return x + 1.0; });
  id->register_forward_hook([&](nn::Module& m, const Tensor& x, const Tensor& y) {
    BOOST_CHECK_EQUAL(m.short_name(), "Identity");
    seen_input = x;
    seen_output = y;
  });
  check_values(id(tensor({1.0, 2.0})), {2.0, 3.0});
  check_values(seen_input, {2.0, 3.0});
  BOOST_CHECK(seen_output.is_same(seen_input));  // Identity returns its input itself
}

BOOST_AUTO_TEST_CASE(hooks_run_on_sequential_children_and_nested_modules) {
  nn::Sequential seq(nn::Linear(2, 3), nn::ReLU(), nn::Sequential(nn::Linear(3, 1), nn::Sigmoid()));
  std::vector<std::string> calls;
  std::vector<nn::RemovableHandle> handles;
  for (const auto& item : seq->named_modules()) {
    const std::string path = item.key().empty() ? "<root>" : item.key();
    handles.push_back(item.value()->register_forward_pre_hook([&calls, path](nn::Module&, const Tensor&) {
      calls.push_back(">" + path);
    }));
    handles.push_back(item.value()->register_forward_hook(
        [&calls, path](nn::Module&, const Tensor&, const Tensor& y) { calls.push_back("<" + path + fmt::format("{}", y.size(-1))); }));
  }
  seq(ones({4, 2}));
  const std::vector<std::string> expected = {">0",  "<03",  ">1",    "<13", ">2",    ">2.0",
                                             "<2.01", ">2.1", "<2.11", "<21", };
  BOOST_TEST(std::vector<std::string>(calls.begin() + 1, calls.end() - 1) == expected, boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(calls.front(), "><root>");
  BOOST_CHECK_EQUAL(calls.back(), "<<root>1");
  calls.clear();
  seq->forward(ones({4, 2}));  // the root's forward directly: children are still *called*
  BOOST_CHECK_EQUAL(calls.size(), 10u);
  for (auto& h : handles) h.remove();
  calls.clear();
  seq(ones({4, 2}));
  BOOST_CHECK(calls.empty());
}

BOOST_AUTO_TEST_CASE(hook_replacing_output_inside_sequential_changes_the_result) {
  nn::Sequential seq{nn::Identity(), nn::Identity()};
  seq[0]->register_forward_hook(
      [](nn::Module&, const Tensor&, const Tensor& y) -> std::optional<Tensor> { return y * 3.0; });
  check_values(seq(tensor({1.0, -2.0})), {3.0, -6.0});
  // Named construction goes through the same call path.
  nn::Linear lin = fixed_linear();
  nn::Sequential named({{"fc", lin}, {"act", nn::ReLU()}});
  int n = 0;
  lin->register_forward_pre_hook([&](nn::Module&, const Tensor&) { ++n; });
  named(tensor({{1.0, 1.0}}));
  BOOST_CHECK_EQUAL(n, 1);
}

BOOST_AUTO_TEST_CASE(handle_outliving_its_module_is_safe) {
  nn::RemovableHandle handle;
  handle.remove();  // a default handle does nothing
  {
    nn::Linear lin(2, 2);
    handle = lin->register_forward_hook([](nn::Module&, const Tensor&, const Tensor&) {});
  }
  handle.remove();
  handle.remove();
}

BOOST_AUTO_TEST_CASE(a_hook_removing_itself_runs_once) {
  nn::Identity id;
  int runs = 0;
  nn::RemovableHandle h;
  h = id->register_forward_pre_hook([&](nn::Module&, const Tensor&) {
    ++runs;
    h.remove();
  });
  id(ones({1}));
  id(ones({1}));
  BOOST_CHECK_EQUAL(runs, 1);
}

BOOST_AUTO_TEST_CASE(copies_of_a_module_own_their_hooks) {
  nn::IdentityImpl a;
  int runs = 0;
  auto h = a.register_forward_pre_hook([&](nn::Module&, const Tensor&) { ++runs; });
  nn::IdentityImpl b = a;  // copies the hook
  h.remove();              // removes it from `a` only
  nn::call_module(a, ones({1}));
  nn::call_module(b, ones({1}));
  BOOST_CHECK_EQUAL(runs, 1);
}

BOOST_AUTO_TEST_CASE(errors) {
  nn::Identity id;
  BOOST_CHECK_THROW(id->register_forward_hook(nn::ForwardHook()), ValueError);
  BOOST_CHECK_THROW(id->register_forward_pre_hook(nn::ForwardPreHook()), ValueError);
  auto h = id->register_forward_hook(
      [](nn::Module&, const Tensor&, const Tensor&) -> std::optional<Tensor> { return Tensor(); });
  BOOST_CHECK_THROW(id(ones({1})), ValueError);  // an undefined replacement is refused
  h.remove();
  // A module whose forward takes two tensors cannot run single-Tensor hooks.
  nn::MSELoss loss;
  check_values(loss(ones({2}), zeros({2})), {1.0});
  auto hl = loss->register_forward_pre_hook([](nn::Module&, const Tensor&) {});
  BOOST_CHECK_THROW(loss(ones({2}), zeros({2})), TypeError);
  hl.remove();
  check_values(loss(ones({2}), zeros({2})), {1.0});
}
