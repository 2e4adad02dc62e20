#pragma once
/// \file
/// `optim::Adam`, as `torch::optim::Adam` with PyTorch 1.13's update (plus `maximize`).
///
///     xgrad::optim::Adam opt(model->parameters(), xgrad::optim::AdamOptions(1e-3).betas({0.9, 0.99}));
///
/// Per step t and element: d = g (or -g with maximize), d += weight_decay * p (L2 penalty);
/// m = beta1 * m + (1 - beta1) * d; v = beta2 * v + (1 - beta2) * d * d; with amsgrad
/// vmax = max(vmax, v) replaces v below; p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps),
/// the bias corrections computed in double. State (checkpoint keys): "step" (float64 0-dim
/// tensor in checkpoints, int64 in AdamParamState), "exp_avg", "exp_avg_sq", "max_exp_avg_sq"
/// (amsgrad only).
///
/// Errors at construction (ValueError, "Adam: " + PyTorch's message): lr < 0, eps < 0, a beta
/// outside [0, 1), weight_decay < 0.

#include <xgrad/arg.hpp>
#include <xgrad/optim/optimizer.hpp>

#include <tuple>

namespace xgrad::optim {

struct AdamOptions : public OptimizerCloneableOptions<AdamOptions> {
  static constexpr const char* kClassName = "AdamOptions";
  AdamOptions(double lr = 1e-3);  // NOLINT: implicit, as LibTorch
  XGRAD_ARG(double, lr) = 1e-3;
  typedef std::tuple<double, double> betas_t;
  XGRAD_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  XGRAD_ARG(double, eps) = 1e-8;
  XGRAD_ARG(double, weight_decay) = 0;
  XGRAD_ARG(bool, amsgrad) = false;
  XGRAD_ARG(bool, maximize) = false;

 public:
  friend bool operator==(const AdamOptions& lhs, const AdamOptions& rhs);
  double get_lr() const override;
  void set_lr(const double lr) override;
  /// {"lr", "betas": [b1, b2], "eps", "weight_decay", "amsgrad", "maximize"}
  std::string to_json() const override;
  void from_json(const std::string& json) override;
};

struct AdamParamState : public OptimizerCloneableParamState<AdamParamState> {
  XGRAD_ARG(int64_t, step) = 0;
  XGRAD_ARG(Tensor, exp_avg);
  XGRAD_ARG(Tensor, exp_avg_sq);
  XGRAD_ARG(Tensor, max_exp_avg_sq) = {};

 public:
  friend bool operator==(const AdamParamState& lhs, const AdamParamState& rhs);
  std::vector<std::pair<std::string, Tensor>> named_tensors() const override;
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults = {});
  explicit Adam(std::vector<Tensor> params, AdamOptions defaults = {});

  Tensor step(LossClosure closure = nullptr) override;
  std::string name() const override { return "Adam"; }

 protected:
  void check_options(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_param_state(const Tensor& param,
                                                        const std::map<std::string, Tensor>& tensors,
                                                        const OptimizerOptions& options) const override;
};

}  // namespace xgrad::optim
