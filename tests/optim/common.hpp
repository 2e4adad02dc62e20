#pragma once
// Shared by the optim tests: the reference model of tests/reference/optim.py and a factory that
// builds, by case name, the same optimizer and param groups the script builds.

#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include <iomanip>
#include <memory>
#include <string>
#include <vector>

namespace optim_test {

using namespace xgrad;

struct ReferenceCase {
  std::string name;
  std::vector<std::vector<double>> trajectory;  // per step: W (6), b (2), u (2)
  std::vector<std::string> state_names;         // PyTorch's state_dict names, sorted
  std::vector<std::string> option_keys;         // keys of a param group, sorted
};

#include "optim/optim_reference.inc"

inline Tensor from(const std::vector<double>& v, std::vector<int64_t> sizes, ScalarType dtype = kFloat64) {
  return tensor(v, dtype).reshape(sizes).detach().clone();
}

/// loss = mean((tanh(X @ W + b) - Y)^2); `u` never enters the loss.
struct Model {
  Tensor X, Y, W, b, u;
  explicit Model(ScalarType dtype = kFloat64)
      : X(from(kX, {5, 3}, dtype)),
        Y(from(kY, {5, 2}, dtype)),
        W(from(kW0, {3, 2}, dtype).requires_grad_()),
        b(from(kB0, {2}, dtype).requires_grad_()),
        u(from(kU0, {2}, dtype).requires_grad_()) {}
  Tensor loss() const { return (tanh(X.matmul(W) + b) - Y).pow(2).mean(); }
  std::vector<Tensor> params() const { return {W, b, u}; }
  std::vector<double> flat() const {
    std::vector<double> out;
    for (const auto& p : params())
      for (double v : p.to_vector<double>()) out.push_back(v);
    return out;
  }
};

/// The optimizer of case `name` over W, b, u (one group, or [W] and [b, u] for *_groups).
inline std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, const Model& m) {
  using namespace xgrad::optim;
  const std::vector<Tensor> all = m.params();
  auto two = [&](std::unique_ptr<OptimizerOptions> a, std::unique_ptr<OptimizerOptions> b) {
    std::vector<OptimizerParamGroup> g;
    g.emplace_back(std::vector<Tensor>{m.W}, std::move(a));
    g.emplace_back(std::vector<Tensor>{m.b, m.u}, std::move(b));
    return g;
  };
  if (name == "sgd_plain") return std::make_unique<SGD>(all, SGDOptions(0.1));
  if (name == "sgd_momentum")
    return std::make_unique<SGD>(all, SGDOptions(0.1).momentum(0.9).dampening(0.1).weight_decay(0.01));
  if (name == "sgd_nesterov")
    return std::make_unique<SGD>(all, SGDOptions(0.05).momentum(0.8).nesterov(true).weight_decay(0.05));
  if (name == "sgd_maximize") return std::make_unique<SGD>(all, SGDOptions(0.05).momentum(0.5).maximize(true));
  if (name == "sgd_groups")
    return std::make_unique<SGD>(
        two(std::make_unique<SGDOptions>(SGDOptions(0.1).momentum(0.9)),
            std::make_unique<SGDOptions>(SGDOptions(0.01).momentum(0.5).nesterov(true).weight_decay(0.1))),
        SGDOptions(0.2));
  if (name == "adam_default") return std::make_unique<Adam>(all, AdamOptions(0.01));
  if (name == "adam_wd_amsgrad")
    return std::make_unique<Adam>(
        all, AdamOptions(0.02).betas({0.8, 0.99}).eps(1e-6).weight_decay(0.1).amsgrad(true));
  if (name == "adam_maximize") return std::make_unique<Adam>(all, AdamOptions(0.01).maximize(true));
  if (name == "adam_groups")
    return std::make_unique<Adam>(
        two(std::make_unique<AdamOptions>(AdamOptions(0.05).amsgrad(true)),
            std::make_unique<AdamOptions>(AdamOptions(0.01).betas({0.5, 0.9}).weight_decay(0.2))),
        AdamOptions(0.01));
  if (name == "adamw_default") return std::make_unique<AdamW>(all, AdamWOptions(0.01));
  if (name == "adamw_amsgrad_maximize")
    return std::make_unique<AdamW>(all, AdamWOptions(0.05).weight_decay(0.1).amsgrad(true).maximize(true));
  if (name == "adamw_groups")
    return std::make_unique<AdamW>(
        two(std::make_unique<AdamWOptions>(AdamWOptions(0.02).weight_decay(0.5)),
            std::make_unique<AdamWOptions>(AdamWOptions(0.03).betas({0.7, 0.95}).eps(1e-4))),
        AdamWOptions(0.02));
  if (name == "rmsprop_default") return std::make_unique<RMSprop>(all, RMSpropOptions(0.01));
  if (name == "rmsprop_centered_momentum")
    return std::make_unique<RMSprop>(
        all, RMSpropOptions(0.01).alpha(0.9).eps(1e-6).weight_decay(0.1).momentum(0.9).centered(true));
  if (name == "rmsprop_maximize")
    return std::make_unique<RMSprop>(all, RMSpropOptions(0.005).momentum(0.5).maximize(true));
  if (name == "rmsprop_groups")
    return std::make_unique<RMSprop>(
        two(std::make_unique<RMSpropOptions>(RMSpropOptions(0.01).centered(true)),
            std::make_unique<RMSpropOptions>(RMSpropOptions(0.02).momentum(0.3).alpha(0.5))),
        RMSpropOptions(0.01));
  if (name == "adagrad_default") return std::make_unique<Adagrad>(all, AdagradOptions(0.1));
  if (name == "adagrad_full")
    return std::make_unique<Adagrad>(
        all, AdagradOptions(0.1).lr_decay(0.05).weight_decay(0.1).initial_accumulator_value(0.5).eps(1e-8));
  if (name == "adagrad_groups")
    return std::make_unique<Adagrad>(two(std::make_unique<AdagradOptions>(AdagradOptions(0.1).maximize(true)),
                                         std::make_unique<AdagradOptions>(AdagradOptions(0.2).lr_decay(0.1))),
                                     AdagradOptions(0.1));
  BOOST_FAIL("unknown case " << name);
  return nullptr;
}

/// The training loop of the script: zero_grad, forward, backward, step.
inline void train_step(optim::Optimizer& opt, const Model& m) {
  opt.zero_grad();
  Tensor loss = m.loss();
  loss.backward();
  opt.step();
}

/// |a - b| <= 1e-9 * |b| (plus 1e-15 absolute for values that are essentially zero).
inline void check_rel(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST_INFO(what << " element " << i << ": got " << std::setprecision(17) << got[i] << ", PyTorch " << want[i]);
    BOOST_REQUIRE(std::abs(got[i] - want[i]) <= 1e-9 * std::abs(want[i]) + 1e-15);
  }
}

}  // namespace optim_test
