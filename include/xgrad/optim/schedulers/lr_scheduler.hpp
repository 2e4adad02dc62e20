#pragma once
/// \file
/// `optim::LRScheduler`, the base of the epoch-driven learning-rate schedulers, as LibTorch's
/// `torch::optim::LRScheduler` with the learning-rate sequences of Python PyTorch 1.13's
/// `torch.optim.lr_scheduler`.
///
/// A scheduler holds a reference to an optimizer (which must outlive it) and writes the learning
/// rate of every param group. Constructing one takes Python's initial step: `last_epoch()`
/// becomes 0 and the groups get the schedule's first learning rates. Each `step()` (call it after
/// `optimizer.step()`, once per epoch or per batch as the schedule is meant) advances
/// `last_epoch()` by one and sets the next rates:
///
///     xgrad::optim::SGD opt(model->parameters(), xgrad::optim::SGDOptions(0.1));
///     xgrad::optim::StepLR sched(opt, /*step_size=*/30, /*gamma=*/0.1);
///     for (int epoch = 0; epoch < 100; ++epoch) {
///       train_one_epoch(opt);
///       sched.step();
///     }
///     sched.get_last_lr();   // {1e-4}: decayed at epochs 30, 60 and 90, as Python
///
/// The schedulers that Python computes recursively from the group's current learning rate
/// (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR) do so here too, so a
/// learning rate changed from outside between steps carries on as in Python. Python's
/// deprecated `step(epoch)` (closed forms) and `last_epoch` constructor argument are not
/// provided: resume with `state_dict()` / `load_state_dict()`. See docs/schedulers.md.

#include <xgrad/optim/optimizer.hpp>
#include <xgrad/state_dict.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace xgrad::optim {

/// A per-param-group option given either as one value for every group or as one value per
/// group, as Python accepts `max_lr=0.1` or `max_lr=[0.1, 0.01]`:
///
///     OneCycleLROptions(0.1, 100);                 // every group
///     OneCycleLROptions({0.1, 0.01}, 100);         // group 0, group 1
class GroupValues {
 public:
  GroupValues(double value) : values_{value}, scalar_(true) {}  // NOLINT: implicit, as Python's float
  GroupValues(std::vector<double> values) : values_(std::move(values)), scalar_(false) {}  // NOLINT
  GroupValues(std::initializer_list<double> values) : values_(values), scalar_(false) {}  // NOLINT

  /// True when given as one value for every group.
  bool is_scalar() const noexcept { return scalar_; }
  /// The value(s) as given.
  const std::vector<double>& values() const noexcept { return values_; }
  /// One value per group for `groups` groups. Throws ValueError "`who`: expected `groups` values
  /// for `what`, got n" when a list of another length was given.
  std::vector<double> expand(size_t groups, std::string_view who, std::string_view what) const;

 private:
  std::vector<double> values_;
  bool scalar_;
};

/// Base of the schedulers that set every group's learning rate from an epoch counter.
/// Subclasses implement `get_lrs()` (Python's `get_lr()`) and `name()`, and call
/// `initial_step()` at the end of their constructor.
class LRScheduler {
 public:
  /// Remembers `optimizer` (which must outlive the scheduler) and each group's current
  /// learning rate as its base rate (`base_lrs()`). Throws ValueError when a group has no
  /// options.
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances `last_epoch()` by one and sets every group's learning rate to the next value of
  /// the schedule. When the schedule cannot go on (OneCycleLR past total_steps, a LambdaLR
  /// lambda returning a non-finite factor) throws ValueError and changes nothing.
  void step();

  /// The learning rates this scheduler last set, one per param group (Python's
  /// `get_last_lr()`).
  const std::vector<double>& get_last_lr() const noexcept { return last_lrs_; }
  /// The epoch index of the last step: 0 after construction, +1 per step().
  int64_t last_epoch() const noexcept { return last_epoch_; }
  /// The groups' learning rates when the scheduler was constructed (Python's `base_lrs`).
  const std::vector<double>& base_lrs() const noexcept { return base_lrs_; }
  /// The optimizer whose learning rates are scheduled.
  Optimizer& optimizer() noexcept { return optimizer_; }

  /// The class name written to checkpoints ("StepLR", "OneCycleLR"...).
  virtual std::string name() const = 0;

  /// The scheduler's state as metadata (no tensors): "scheduler" = name(), "last_epoch",
  /// "step_count", "base_lrs", "last_lrs" (lists as "[0.1, 0.05]") and the subclass's options
  /// under Python's attribute names ("step_size", "gamma", ...). Numbers are written with full
  /// round-trip precision.
  StateDict state_dict() const;
  /// Restores state_dict() output written by a scheduler of the same class for an optimizer
  /// with the same number of param groups. The optimizer's learning rates are not touched (as
  /// Python: they are part of the optimizer's own state_dict). Checks every key and value first
  /// and throws ValueError naming the scheduler, the key and the value without changing
  /// anything when one is missing, malformed or invalid.
  void load_state_dict(const StateDict& state_dict);

 protected:
  /// The learning rate of each group for epoch `last_epoch()`, computed when `step()` has just
  /// advanced it (Python's `get_lr()`). May read the groups' current rates (get_current_lrs())
  /// but must not change the optimizer; throws ValueError when there is no next value.
  virtual std::vector<double> get_lrs() = 0;
  /// Called by step() after the new learning rates are set, for schedulers that also set other
  /// hyper-parameters (OneCycleLR's momentum). The base does nothing.
  virtual void on_lrs_set() {}
  /// Every group's current learning rate.
  std::vector<double> get_current_lrs() const;
  /// Python's initial step (last_epoch -1 -> 0): the last line of every subclass constructor.
  void initial_step();

  /// Hooks for state_dict()/load_state_dict(): write the subclass's options into `metadata`;
  /// read and validate them all, then assign them (throw before assigning anything).
  virtual void save_options(std::map<std::string, std::string>& metadata) const;
  virtual void load_options(const std::map<std::string, std::string>& metadata);

  /// Number of step() calls including the initial one (Python's `_step_count`).
  int64_t step_count_ = 0;
  int64_t last_epoch_ = -1;
  std::vector<double> base_lrs_;
  std::vector<double> last_lrs_;

 private:
  void set_optimizer_lrs(const std::vector<double>& lrs);

  Optimizer& optimizer_;
};

}  // namespace xgrad::optim
