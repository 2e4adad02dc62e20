#define BOOST_TEST_MODULE soak
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <fstream>
#include <memory>
#include <unistd.h>

// A short soak (the long one is benchmarks/bench_soak): no graph, gradient history or saved
// tensor outlives a training step. Under the CI's ASan leg LeakSanitizer checks at exit that
// nothing was leaked at all; RSS is bounded only in builds without ASan, whose quarantine holds
// freed memory on purpose.

using namespace xgrad;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

nn::Sequential small_cnn() {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                        nn::Conv2d(nn::Conv2dOptions(4, 8, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                        nn::Flatten(), nn::Linear(8 * 2 * 2, 3));
}

}  // namespace

BOOST_AUTO_TEST_CASE(no_graph_outlives_a_training_step) {
  manual_seed(0);
  auto model = small_cnn();
  optim::Adam opt(model->parameters(), optim::AdamOptions(1e-2));
  const int steps = 300;
  double rss_after_warmup = 0;
  std::weak_ptr<autograd::Node> previous_graph;
  for (int step = 1; step <= steps; ++step) {
    // The previous step's graph died with its loss.
    BOOST_REQUIRE(previous_graph.expired());
    auto x = randn({8, 1, 8, 8});
    auto y = randint(0, 3, {8});
    opt.zero_grad();
    auto loss = nn::functional::cross_entropy(model->forward(x), y);
    const auto held = autograd::saved_tensors_stats(loss);
    BOOST_REQUIRE(held.count > 0);  // conv, relu, pool, linear and the loss saved something
    BOOST_REQUIRE(held.bytes > 8 * 8 * 8 * 4);
    loss.backward();
    const auto left = autograd::saved_tensors_stats(loss);
    BOOST_REQUIRE_EQUAL(left.count, 0);
    BOOST_REQUIRE_EQUAL(left.bytes, 0);
    for (const auto& p : model->parameters()) BOOST_REQUIRE(p.grad().grad_fn() == nullptr);
    opt.step();
    previous_graph = loss.grad_fn();
    if (step == 50) rss_after_warmup = rss_mib();
  }
  const double growth = rss_mib() - rss_after_warmup;
  BOOST_TEST_MESSAGE("RSS growth over steps 50..300: " << growth << " MiB");
  if (!kAsan) BOOST_TEST(growth < 4.0);
}

// backward(create_graph=true) stores a gradient with a history in each leaf, and that history
// leads back to the leaf: leaf -> grad -> grad_fn -> ... -> AccumulateGrad/saved leaf -> leaf.
// As in PyTorch the cycle is not broken automatically (docs/autograd.md); zero_grad() cuts it,
// so a training loop that resets gradients stays bounded.
BOOST_AUTO_TEST_CASE(create_graph_cycle_exists_and_is_cut_by_zero_grad) {
  manual_seed(1);
  std::weak_ptr<TensorImpl> leaf_alive;
  std::weak_ptr<autograd::Node> grad_graph;
  {
    auto w = randn({3}).requires_grad_();
    leaf_alive = w.impl();
    (w * w).sum().backward({}, std::nullopt, /*create_graph=*/true);
    BOOST_REQUIRE(w.grad().grad_fn() != nullptr);
    grad_graph = w.grad().grad_fn();
    testing::check_values(w.grad(), (2.0 * w).to_vector<double>());
    // The gradient's graph reaches w's own accumulator: the cycle.
    const auto dot = autograd::make_dot(w.grad(), [&] {
      OrderedDict<std::string, Tensor> named;
      named.insert("w", w);
      return named;
    }());
    BOOST_TEST(dot.find("[label=\"w\\n-> [3]\"") != std::string::npos);
    // Resetting the gradient (what zero_grad(set_to_none=true) does) cuts it.
    w.mutable_grad() = Tensor();
  }
  BOOST_TEST(leaf_alive.expired());
  BOOST_TEST(grad_graph.expired());
}

// Linear and conv backward do not build a graph under create_graph (their kernels make none), so
// the penalty model is built from mm and tanh, whose backward is differentiable.
BOOST_AUTO_TEST_CASE(gradient_penalty_training_is_bounded_when_grads_are_reset) {
  manual_seed(2);
  auto w1 = (0.3 * randn({16, 8})).requires_grad_();
  auto w2 = (0.3 * randn({8, 3})).requires_grad_();
  optim::Adam opt({w1, w2}, optim::AdamOptions(1e-3));
  std::weak_ptr<autograd::Node> previous_grad_graph;
  double rss_after_warmup = 0;
  for (int step = 1; step <= 300; ++step) {
    opt.zero_grad();  // detaches create_graph gradients before zeroing them
    BOOST_REQUIRE(previous_grad_graph.expired());
    auto loss = nn::functional::cross_entropy(randn({4, 16}).mm(w1).tanh().mm(w2), randint(0, 3, {4}));
    loss.backward({}, std::nullopt, /*create_graph=*/true);
    auto penalty = w1.grad().pow(2).sum() + w2.grad().pow(2).sum();
    previous_grad_graph = w1.grad().grad_fn();
    BOOST_REQUIRE(!previous_grad_graph.expired());
    // set_to_none: zeroing in place would bump the version of the gradients the penalty saved.
    opt.zero_grad(/*set_to_none=*/true);
    (loss + 1e-3 * penalty).backward();
    BOOST_REQUIRE_EQUAL(autograd::saved_tensors_stats(loss).bytes, 0);
    opt.step();
    if (step == 50) rss_after_warmup = rss_mib();
  }
  opt.zero_grad();
  BOOST_TEST(previous_grad_graph.expired());
  const double growth = rss_mib() - rss_after_warmup;
  BOOST_TEST_MESSAGE("RSS growth over steps 50..300 with create_graph: " << growth << " MiB");
  if (!kAsan) BOOST_TEST(growth < 4.0);
}
