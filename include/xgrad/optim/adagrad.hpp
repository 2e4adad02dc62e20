#pragma once
/// \file
/// `optim::Adagrad`, as `torch::optim::Adagrad` with PyTorch 1.13's update (plus `maximize`).
///
///     xgrad::optim::Adagrad opt(model->parameters(), xgrad::optim::AdagradOptions(1e-2).lr_decay(1e-3));
///
/// Per step t and element: d = g (or -g), d += weight_decay * p; sum += d * d;
/// p -= clr * d / (sqrt(sum) + eps) with clr = lr / (1 + (t - 1) * lr_decay) in double.
/// The state of every parameter is created by the constructor (sum = initial_accumulator_value,
/// step = 0), as PyTorch. State (checkpoint keys): "sum", "step" (float64 0-dim).
/// xgrad has no sparse tensors, so only PyTorch's dense-gradient path exists.
///
/// Errors at construction (ValueError, "Adagrad: " + PyTorch's message): lr < 0, lr_decay < 0,
/// weight_decay < 0, initial_accumulator_value < 0, eps < 0.

#include <xgrad/arg.hpp>
#include <xgrad/optim/optimizer.hpp>

namespace xgrad::optim {

struct AdagradOptions : public OptimizerCloneableOptions<AdagradOptions> {
  static constexpr const char* kClassName = "AdagradOptions";
  AdagradOptions(double lr = 1e-2);  // NOLINT: implicit, as LibTorch
  XGRAD_ARG(double, lr) = 1e-2;
  XGRAD_ARG(double, lr_decay) = 0;
  XGRAD_ARG(double, weight_decay) = 0;
  XGRAD_ARG(double, initial_accumulator_value) = 0;
  XGRAD_ARG(double, eps) = 1e-10;
  XGRAD_ARG(bool, maximize) = false;

 public:
  friend bool operator==(const AdagradOptions& lhs, const AdagradOptions& rhs);
  double get_lr() const override;
  void set_lr(const double lr) override;
  /// {"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize"}
  std::string to_json() const override;
  void from_json(const std::string& json) override;
};

struct AdagradParamState : public OptimizerCloneableParamState<AdagradParamState> {
  XGRAD_ARG(Tensor, sum);
  XGRAD_ARG(int64_t, step) = 0;

 public:
  friend bool operator==(const AdagradParamState& lhs, const AdagradParamState& rhs);
  std::vector<std::pair<std::string, Tensor>> named_tensors() const override;
};

class Adagrad : public Optimizer {
 public:
  explicit Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults = {});
  explicit Adagrad(std::vector<Tensor> params, AdagradOptions defaults = {});

  Tensor step(LossClosure closure = nullptr) override;
  std::string name() const override { return "Adagrad"; }

 protected:
  void check_options(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_param_state(const Tensor& param,
                                                        const std::map<std::string, Tensor>& tensors,
                                                        const OptimizerOptions& options) const override;
};

}  // namespace xgrad::optim
