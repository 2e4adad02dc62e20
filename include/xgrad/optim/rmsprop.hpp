#pragma once
/// \file
/// `optim::RMSprop`, as `torch::optim::RMSprop` with PyTorch 1.13's update (plus `maximize`).
///
///     xgrad::optim::RMSprop opt(model->parameters(), xgrad::optim::RMSpropOptions(1e-2).momentum(0.9).centered(true));
///
/// Per step and element: d = g (or -g), d += weight_decay * p; s = alpha * s + (1 - alpha) * d * d;
/// centered: a = alpha * a + (1 - alpha) * d and avg = sqrt(s - a * a), else avg = sqrt(s);
/// avg += eps; with momentum b = momentum * b + d / avg and p -= lr * b, else p -= lr * d / avg.
/// State (checkpoint keys): "step" (float64 0-dim in checkpoints), "square_avg",
/// "momentum_buffer" (momentum > 0), "grad_avg" (centered).
///
/// Errors at construction (ValueError, "RMSprop: " + PyTorch's message): lr < 0, eps < 0,
/// momentum < 0, weight_decay < 0, alpha < 0.

#include <xgrad/arg.hpp>
#include <xgrad/optim/optimizer.hpp>

namespace xgrad::optim {

struct RMSpropOptions : public OptimizerCloneableOptions<RMSpropOptions> {
  static constexpr const char* kClassName = "RMSpropOptions";
  RMSpropOptions(double lr = 1e-2);  // NOLINT: implicit, as LibTorch
  XGRAD_ARG(double, lr) = 1e-2;
  XGRAD_ARG(double, alpha) = 0.99;
  XGRAD_ARG(double, eps) = 1e-8;
  XGRAD_ARG(double, weight_decay) = 0;
  XGRAD_ARG(double, momentum) = 0;
  XGRAD_ARG(bool, centered) = false;
  XGRAD_ARG(bool, maximize) = false;

 public:
  friend bool operator==(const RMSpropOptions& lhs, const RMSpropOptions& rhs);
  double get_lr() const override;
  void set_lr(const double lr) override;
  /// {"lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"}
  std::string to_json() const override;
  void from_json(const std::string& json) override;
};

struct RMSpropParamState : public OptimizerCloneableParamState<RMSpropParamState> {
  XGRAD_ARG(int64_t, step) = 0;
  XGRAD_ARG(Tensor, square_avg);
  XGRAD_ARG(Tensor, momentum_buffer) = {};
  XGRAD_ARG(Tensor, grad_avg) = {};

 public:
  friend bool operator==(const RMSpropParamState& lhs, const RMSpropParamState& rhs);
  std::vector<std::pair<std::string, Tensor>> named_tensors() const override;
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults = {});
  explicit RMSprop(std::vector<Tensor> params, RMSpropOptions defaults = {});

  Tensor step(LossClosure closure = nullptr) override;
  std::string name() const override { return "RMSprop"; }

 protected:
  void check_options(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_param_state(const Tensor& param,
                                                        const std::map<std::string, Tensor>& tensors,
                                                        const OptimizerOptions& options) const override;
};

}  // namespace xgrad::optim
