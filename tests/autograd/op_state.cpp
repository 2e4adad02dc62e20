#define BOOST_TEST_MODULE op_state
#include <boost/test/unit_test.hpp>

// AutogradContext's typed state (emplace_state / state<S>), which the built-in ops use instead of
// saved_data: values reach backward unchanged, tensors declared by a State are treated as saved
// tensors (freed by backward, kept by retain_graph, version-checked, no cycle through an own
// output), and misuse is an AutogradError naming the types.

#include <xgrad/autograd/graph.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

#include <memory>

using namespace xgrad;
using autograd::AutogradContext;
using autograd::variable_list;
using xgrad::testing::check_values;
using xgrad::testing::expect_error;

namespace {

// y = scale * x + shift, with both numbers in a State.
struct Affine : autograd::Function<Affine> {
  struct State {
    double scale;
    int64_t shift;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double scale, int64_t shift) {
    ctx->emplace_state<State>(scale, shift);
    return x * scale + static_cast<double>(shift);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * ctx->state<State>().scale, Tensor(), Tensor()};
  }
};

// y = x * mask, the mask (an input that gets no gradient) kept in the State, not saved.
struct Masked : autograd::Function<Masked> {
  struct State {
    Tensor mask;
    template <typename F>
    void for_each_tensor(F&& f) {
      f(mask);
    }
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& mask) {
    ctx->emplace_state<State>(mask);
    return x * mask;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * ctx->state<State>().mask, Tensor()};
  }
};

// y = 2 x, keeping its own output in the State (as an op that reuses its result would).
struct KeepsOutput : autograd::Function<KeepsOutput> {
  struct State {
    Tensor out;
    template <typename F>
    void for_each_tensor(F&& f) {
      f(out);
    }
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor y = x * 2.0;
    ctx->emplace_state<State>(y);
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    BOOST_TEST(!ctx->state<State>().out.requires_grad());  // kept without its graph
    return {g[0] * 2.0};
  }
};

struct OtherState {
  int value;
};

struct AsksWrongType : autograd::Function<AsksWrongType> {
  struct State {
    double v;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->emplace_state<State>(1.0);
    return x * 1.0;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * static_cast<double>(ctx->state<OtherState>().value)};
  }
};

struct StoresTwice : autograd::Function<StoresTwice> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->emplace_state<OtherState>(1);
    ctx->emplace_state<OtherState>(2);
    return x * 1.0;
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

struct StoresNothing : autograd::Function<StoresNothing> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 1.0; }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * static_cast<double>(ctx->state<OtherState>().value)};
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(values_reach_backward_and_survive_a_second_run) {
  auto x = tensor({1.0, -2.0, 3.0}).requires_grad_();
  auto y = Affine::apply(x, 3.0, int64_t{5});
  check_values(y, {8.0, -1.0, 14.0});
  // No tensor in the State: it outlives backward, so the node can run again without
  // retain_graph (as a node that saved nothing, in PyTorch).
  y.sum().backward();
  y.sum().backward();
  check_values(x.grad(), {6.0, 6.0, 6.0});
}

BOOST_AUTO_TEST_CASE(state_tensors_are_freed_by_backward) {
  auto x = tensor({1.0, 2.0, 3.0, 4.0}).requires_grad_();
  auto mask = tensor({1.0, 0.0, 1.0, 0.0});
  auto y = Masked::apply(x, mask);
  const auto before = autograd::saved_tensors_stats(y);
  BOOST_TEST(before.count == 1);
  BOOST_TEST(before.bytes == 4 * 4);  // the mask's float32 storage
  y.sum().backward();
  check_values(x.grad(), {1.0, 0.0, 1.0, 0.0});
  BOOST_TEST(autograd::saved_tensors_stats(y).bytes == 0);
  BOOST_TEST(autograd::saved_tensors_stats(y).count == 0);
  expect_error<AutogradError>([&] { y.sum().backward(); }, {"backward through the graph a second time",
                                                              "retain_graph=true"});
}

BOOST_AUTO_TEST_CASE(retain_graph_keeps_state_tensors) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = Masked::apply(x, tensor({2.0, 3.0}));
  y.sum().backward({}, /*retain_graph=*/true);
  BOOST_TEST(autograd::saved_tensors_stats(y).count == 1);
  y.sum().backward();  // the second run frees it
  check_values(x.grad(), {4.0, 6.0});
  BOOST_TEST(autograd::saved_tensors_stats(y).count == 0);
}

BOOST_AUTO_TEST_CASE(state_tensor_modified_in_place_is_refused) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto mask = tensor({1.0, 1.0});
  auto y = Masked::apply(x, mask);
  mask.mul_(5.0);  // the gradient would silently use the new values
  expect_error<AutogradError>([&] { y.sum().backward(); },
                              {"tensor #0 of the op's state", "modified by an inplace operation", "version 1",
                               "expected version 0"});
}

BOOST_AUTO_TEST_CASE(own_output_in_state_makes_no_cycle) {
  std::weak_ptr<autograd::Node> node;
  auto x = tensor({1.0, 2.0}).requires_grad_();
  {
    auto y = KeepsOutput::apply(x);
    node = y.grad_fn();
    BOOST_TEST(!node.expired());
    y.sum().backward({}, /*retain_graph=*/true);
    check_values(x.grad(), {2.0, 2.0});
  }
  // Had the State kept y with its graph, y -> node -> state -> y would keep the node alive.
  BOOST_TEST(node.expired());
}

BOOST_AUTO_TEST_CASE(misuse_is_an_autograd_error) {
  auto x = tensor({1.0}).requires_grad_();
  expect_error<AutogradError>([&] { AsksWrongType::apply(x).sum().backward(); },
                              {"AsksWrongTypeBackward", "state<OtherState>()", "holds a State"});
  expect_error<AutogradError>([&] { StoresTwice::apply(x); },
                              {"emplace_state<OtherState>", "already holds a OtherState"});
  expect_error<AutogradError>([&] { StoresNothing::apply(x).sum().backward(); },
                              {"state<OtherState>()", "forward stored no state"});
}
