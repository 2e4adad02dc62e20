#pragma once
/// \file
/// `optim::OneCycleLR`: the 1cycle policy (Smith & Topin, "Super-Convergence"), as Python's
/// `torch.optim.lr_scheduler.OneCycleLR`. Step it once per batch:
///
///     OneCycleLR sched(opt, OneCycleLROptions(/*max_lr=*/0.1, /*total_steps=*/1000));
///     OneCycleLR sched2(opt, OneCycleLROptions({0.1, 0.01}).epochs(10).steps_per_epoch(100)
///                                .anneal_strategy(OneCycleLROptions::AnnealStrategy::linear));
///
/// Per group: initial_lr = max_lr / div_factor, min_lr = initial_lr / final_div_factor. The
/// rate goes from initial_lr up to max_lr over the first pct_start * total_steps - 1 steps, then
/// down to min_lr at step total_steps - 1; with three_phase, it goes up, back down to initial_lr
/// symmetrically, then down to min_lr. Each phase interpolates with
///   cos:    end + (start - end) * (1 + cos(pi * pct)) / 2
///   linear: start + (end - start) * pct
/// where pct is the fraction of the phase done. With cycle_momentum, the momentum (SGD's
/// `momentum`, Adam's and AdamW's first beta) moves the other way between max_momentum and
/// base_momentum and is written into every group at each step; construction sets it to
/// max_momentum (and the rate to initial_lr).
///
/// As in Python, step() may be called total_steps times after construction (the last call
/// gives a value past the end of the last phase); one more throws ValueError.

#include <xgrad/arg.hpp>
#include <xgrad/optim/schedulers/lr_scheduler.hpp>

#include <cstdint>
#include <optional>

namespace xgrad::optim {

/// Options of OneCycleLR. Give `total_steps`, or `epochs` and `steps_per_epoch` (total_steps =
/// epochs * steps_per_epoch); total_steps wins when both are given, as in Python.
struct OneCycleLROptions {
  enum class AnnealStrategy { cos, linear };

  OneCycleLROptions(GroupValues max_lr) : max_lr_(std::move(max_lr)) {}  // NOLINT: implicit
  OneCycleLROptions(GroupValues max_lr, int64_t total_steps)
      : max_lr_(std::move(max_lr)), total_steps_(total_steps) {}

  /// Peak learning rate: one for all groups or one per group.
  XGRAD_ARG(GroupValues, max_lr);
  XGRAD_ARG(std::optional<int64_t>, total_steps);
  XGRAD_ARG(std::optional<int64_t>, epochs);
  XGRAD_ARG(std::optional<int64_t>, steps_per_epoch);
  /// Fraction of the cycle spent raising the rate, in [0, 1].
  XGRAD_ARG(double, pct_start) = 0.3;
  XGRAD_ARG(AnnealStrategy, anneal_strategy) = AnnealStrategy::cos;
  /// Cycle the momentum inversely to the rate (needs an optimizer with momentum or betas).
  XGRAD_ARG(bool, cycle_momentum) = true;
  XGRAD_ARG(GroupValues, base_momentum) = 0.85;
  XGRAD_ARG(GroupValues, max_momentum) = 0.95;
  /// initial_lr = max_lr / div_factor.
  XGRAD_ARG(double, div_factor) = 25.0;
  /// min_lr = initial_lr / final_div_factor.
  XGRAD_ARG(double, final_div_factor) = 1e4;
  XGRAD_ARG(bool, three_phase) = false;
};

class OneCycleLR : public LRScheduler {
 public:
  /// Throws ValueError when neither total_steps nor both epochs and steps_per_epoch are given,
  /// one of them is <= 0, pct_start is outside [0, 1], a per-group list has the wrong length,
  /// max_lr, div_factor or final_div_factor is not positive and finite, or cycle_momentum is
  /// set for an optimizer without momentum (SGD, RMSprop) or betas (Adam, AdamW).
  OneCycleLR(Optimizer& optimizer, OneCycleLROptions options);

  std::string name() const override { return "OneCycleLR"; }
  int64_t total_steps() const noexcept { return total_steps_; }
  const std::vector<double>& initial_lrs() const noexcept { return initial_lrs_; }
  const std::vector<double>& max_lrs() const noexcept { return max_lrs_; }
  const std::vector<double>& min_lrs() const noexcept { return min_lrs_; }
  /// The momentum (or beta1) this scheduler last set, one per group; empty without
  /// cycle_momentum.
  const std::vector<double>& get_last_momentum() const noexcept { return last_momenta_; }

 protected:
  std::vector<double> get_lrs() override;
  void on_lrs_set() override;
  void save_options(std::map<std::string, std::string>& metadata) const override;
  void load_options(const std::map<std::string, std::string>& metadata) override;

 private:
  enum class MomentumKind { none, momentum, beta1 };
  struct Phase {
    double end_step;
    int start_lr, end_lr, start_momentum, end_momentum;  // indices into the group's anchors
  };
  void build_phases();
  double anneal(double start, double end, double pct) const;

  int64_t total_steps_ = 0;
  double pct_start_ = 0.3;
  OneCycleLROptions::AnnealStrategy anneal_strategy_ = OneCycleLROptions::AnnealStrategy::cos;
  bool three_phase_ = false;
  MomentumKind momentum_kind_ = MomentumKind::none;
  std::vector<Phase> phases_;
  std::vector<double> initial_lrs_, max_lrs_, min_lrs_;
  std::vector<double> max_momenta_, base_momenta_;
  std::vector<double> pending_momenta_, last_momenta_;
};

}  // namespace xgrad::optim
