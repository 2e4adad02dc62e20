#pragma once
/// \file
/// `optim::SGD`: stochastic gradient descent with momentum, dampening, Nesterov momentum and
/// weight decay, as `torch::optim::SGD` with PyTorch 1.13's update (plus `maximize`).
///
///     xgrad::optim::SGD opt(model->parameters(), xgrad::optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
///     opt.zero_grad();
///     loss.backward();
///     opt.step();
///
/// Per step and element (g the gradient, p the parameter, b the momentum buffer):
/// d = g (or -g with maximize), d += weight_decay * p; with momentum, b = d on the first step
/// and b = momentum * b + (1 - dampening) * d afterwards, then d = d + momentum * b (nesterov)
/// or d = b; finally p -= lr * d. State (checkpoint key): "momentum_buffer" (only with momentum).
///
/// Errors at construction (ValueError, PyTorch's messages prefixed with "SGD: "): lr < 0,
/// momentum < 0, weight_decay < 0, nesterov without momentum > 0 and dampening == 0.

#include <xgrad/arg.hpp>
#include <xgrad/optim/optimizer.hpp>

namespace xgrad::optim {

struct SGDOptions : public OptimizerCloneableOptions<SGDOptions> {
  static constexpr const char* kClassName = "SGDOptions";
  SGDOptions(double lr);  // NOLINT: implicit, as LibTorch
  XGRAD_ARG(double, lr);
  XGRAD_ARG(double, momentum) = 0;
  XGRAD_ARG(double, dampening) = 0;
  XGRAD_ARG(double, weight_decay) = 0;
  XGRAD_ARG(bool, nesterov) = false;
  /// Maximize the objective instead of minimizing it (PyTorch's `maximize`).
  XGRAD_ARG(bool, maximize) = false;

 public:
  friend bool operator==(const SGDOptions& lhs, const SGDOptions& rhs);
  double get_lr() const override;
  void set_lr(const double lr) override;
  /// {"lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"}
  std::string to_json() const override;
  void from_json(const std::string& json) override;
};

struct SGDParamState : public OptimizerCloneableParamState<SGDParamState> {
  XGRAD_ARG(Tensor, momentum_buffer);

 public:
  friend bool operator==(const SGDParamState& lhs, const SGDParamState& rhs);
  std::vector<std::pair<std::string, Tensor>> named_tensors() const override;
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults);
  explicit SGD(std::vector<Tensor> params, SGDOptions defaults);

  Tensor step(LossClosure closure = nullptr) override;
  std::string name() const override { return "SGD"; }

 protected:
  void check_options(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_param_state(const Tensor& param,
                                                        const std::map<std::string, Tensor>& tensors,
                                                        const OptimizerOptions& options) const override;
};

}  // namespace xgrad::optim
