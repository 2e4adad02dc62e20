#pragma once
/// \file
/// `optim::ReduceLROnPlateauScheduler`: lowers the learning rates when a metric stops
/// improving, as Python's `torch.optim.lr_scheduler.ReduceLROnPlateau` (LibTorch 2's
/// `torch::optim::ReduceLROnPlateauScheduler`; LibTorch 1.13 has none). It is driven by a
/// metric, not by an epoch count, so it is not an LRScheduler:
///
///     using Opts = xgrad::optim::ReduceLROnPlateauOptions;
///     ReduceLROnPlateauScheduler sched(opt, Opts().mode(Opts::Mode::min).factor(0.5).patience(3));
///     for (int epoch = 0; epoch < 100; ++epoch) {
///       train_one_epoch(opt);
///       sched.step(validation_loss());
///     }
///
/// Each step(metric): the metric is better than `best` when (mode min / max, threshold mode
/// rel / abs) metric < best * (1 - threshold), metric < best - threshold, metric > best *
/// (1 + threshold), metric > best + threshold; better resets the count of bad epochs, worse
/// adds one. During a cooldown bad epochs are not counted. When the count exceeds `patience`,
/// every group's rate becomes max(lr * factor, min_lr) unless that changes it by no more than
/// `eps`, and a cooldown of `cooldown` steps starts.

#include <xgrad/arg.hpp>
#include <xgrad/optim/optimizer.hpp>
#include <xgrad/optim/schedulers/lr_scheduler.hpp>
#include <xgrad/state_dict.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xgrad::optim {

/// Options of ReduceLROnPlateauScheduler, with Python's defaults.
struct ReduceLROnPlateauOptions {
  enum class Mode { min, max };
  enum class ThresholdMode { rel, abs };

  /// min: the metric should decrease (a loss); max: increase (an accuracy).
  XGRAD_ARG(Mode, mode) = Mode::min;
  /// new_lr = lr * factor; in [0, 1).
  XGRAD_ARG(double, factor) = 0.1;
  /// Bad epochs tolerated before the rate is lowered.
  XGRAD_ARG(int64_t, patience) = 10;
  /// Least change that counts as an improvement (relative or absolute, see threshold_mode).
  XGRAD_ARG(double, threshold) = 1e-4;
  XGRAD_ARG(ThresholdMode, threshold_mode) = ThresholdMode::rel;
  /// Steps after a reduction during which bad epochs are not counted.
  XGRAD_ARG(int64_t, cooldown) = 0;
  /// Lower bound of the rate: one for all groups or one per group.
  XGRAD_ARG(GroupValues, min_lr) = 0.0;
  /// A reduction smaller than eps is skipped.
  XGRAD_ARG(double, eps) = 1e-8;
};

class ReduceLROnPlateauScheduler {
 public:
  using SchedulerMode = ReduceLROnPlateauOptions::Mode;
  using ThresholdMode = ReduceLROnPlateauOptions::ThresholdMode;

  /// Throws ValueError when factor is outside [0, 1) (Python rejects factor >= 1), patience or
  /// cooldown is negative, threshold or eps is negative or not finite, or min_lr has a
  /// negative value or a per-group list of the wrong length.
  explicit ReduceLROnPlateauScheduler(Optimizer& optimizer,
                                      ReduceLROnPlateauOptions options = ReduceLROnPlateauOptions());

  /// One epoch with the value `metric`; lowers the rates as described above. Throws ValueError
  /// for a NaN metric (Python silently counts it as a bad epoch) and changes nothing then.
  void step(double metric);

  /// The groups' learning rates after the last step() (at construction: their current rates).
  const std::vector<double>& get_last_lr() const noexcept { return last_lrs_; }
  int64_t last_epoch() const noexcept { return last_epoch_; }
  /// The best metric so far (+inf in min mode, -inf in max mode before the first step).
  double best() const noexcept { return best_; }
  int64_t num_bad_epochs() const noexcept { return num_bad_epochs_; }
  int64_t cooldown_counter() const noexcept { return cooldown_counter_; }
  bool in_cooldown() const noexcept { return cooldown_counter_ > 0; }
  const ReduceLROnPlateauOptions& options() const noexcept { return options_; }
  const std::vector<double>& min_lrs() const noexcept { return min_lrs_; }
  Optimizer& optimizer() noexcept { return optimizer_; }

  /// Metadata "scheduler" = "ReduceLROnPlateauScheduler", the options under Python's names
  /// ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lrs",
  /// "eps") and the counters ("last_epoch", "best", "num_bad_epochs", "cooldown_counter",
  /// "last_lrs").
  StateDict state_dict() const;
  /// Restores state_dict() output for an optimizer with the same number of groups; checks every
  /// key and value first and throws ValueError naming the key without changing anything.
  void load_state_dict(const StateDict& state_dict);

 private:
  bool is_better(double a, double best) const;

  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  std::vector<double> min_lrs_;
  int64_t last_epoch_ = 0;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  std::vector<double> last_lrs_;
};

/// Python's name.
using ReduceLROnPlateau = ReduceLROnPlateauScheduler;

}  // namespace xgrad::optim
