#pragma once
/// \file
/// `optim::AdamW` (Adam with decoupled weight decay), as `torch::optim::AdamW` with PyTorch
/// 1.13's update (plus `maximize`).
///
///     xgrad::optim::AdamW opt(model->parameters(),
///                             xgrad::optim::AdamWOptions(1e-3).weight_decay(0.05).betas({0.9, 0.99}));
///
/// Per step t and element: d = g (or -g with maximize), p *= 1 - lr * weight_decay (decoupled decay, first);
/// m = beta1 * m + (1 - beta1) * d; v = beta2 * v + (1 - beta2) * d * d; with amsgrad
/// vmax = max(vmax, v) replaces v below; p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps),
/// the bias corrections computed in double. State (checkpoint keys): "step" (float64 0-dim
/// tensor in checkpoints, int64 in AdamWParamState), "exp_avg", "exp_avg_sq", "max_exp_avg_sq"
/// (amsgrad only).
///
/// Errors at construction (ValueError, "AdamW: " + PyTorch's message): lr < 0, eps < 0, a beta
/// outside [0, 1), weight_decay < 0.

#include <xgrad/arg.hpp>
#include <xgrad/optim/optimizer.hpp>

#include <tuple>

namespace xgrad::optim {

struct AdamWOptions : public OptimizerCloneableOptions<AdamWOptions> {
  static constexpr const char* kClassName = "AdamWOptions";
  AdamWOptions(double lr = 1e-3);  // NOLINT: implicit, as LibTorch
  XGRAD_ARG(double, lr) = 1e-3;
  typedef std::tuple<double, double> betas_t;
  XGRAD_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  XGRAD_ARG(double, eps) = 1e-8;
  XGRAD_ARG(double, weight_decay) = 1e-2;
  XGRAD_ARG(bool, amsgrad) = false;
  XGRAD_ARG(bool, maximize) = false;

 public:
  friend bool operator==(const AdamWOptions& lhs, const AdamWOptions& rhs);
  double get_lr() const override;
  void set_lr(const double lr) override;
  /// {"lr", "betas": [b1, b2], "eps", "weight_decay", "amsgrad", "maximize"}
  std::string to_json() const override;
  void from_json(const std::string& json) override;
};

struct AdamWParamState : public OptimizerCloneableParamState<AdamWParamState> {
  XGRAD_ARG(int64_t, step) = 0;
  XGRAD_ARG(Tensor, exp_avg);
  XGRAD_ARG(Tensor, exp_avg_sq);
  XGRAD_ARG(Tensor, max_exp_avg_sq) = {};

 public:
  friend bool operator==(const AdamWParamState& lhs, const AdamWParamState& rhs);
  std::vector<std::pair<std::string, Tensor>> named_tensors() const override;
};

class AdamW : public Optimizer {
 public:
  explicit AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults = {});
  explicit AdamW(std::vector<Tensor> params, AdamWOptions defaults = {});

  Tensor step(LossClosure closure = nullptr) override;
  std::string name() const override { return "AdamW"; }

 protected:
  void check_options(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_param_state(const Tensor& param,
                                                        const std::map<std::string, Tensor>& tensors,
                                                        const OptimizerOptions& options) const override;
};

}  // namespace xgrad::optim
