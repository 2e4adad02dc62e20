#pragma once
/// \file
/// `optim::MultiStepLR`: multiplies every group's learning rate by `gamma` when the epoch
/// reaches a milestone, as Python's `torch.optim.lr_scheduler.MultiStepLR`:
///
///     MultiStepLR sched(opt, {30, 80}, 0.1);   // lr 0.05: 0.05 until epoch 29, 0.005 until 79,
///                                              // then 0.0005
///
/// lr(epoch) = lr(epoch - 1) * gamma^count(epoch), count = how often `epoch` is in the list. As
/// in Python the milestones need not be sorted, a repeated milestone applies gamma once per
/// occurrence, and a milestone 0 already decays the rate at construction.

#include <xgrad/optim/schedulers/lr_scheduler.hpp>

#include <cstdint>
#include <vector>

namespace xgrad::optim {

class MultiStepLR : public LRScheduler {
 public:
  /// Throws ValueError when gamma is not a positive finite number.
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

  std::string name() const override { return "MultiStepLR"; }
  const std::vector<int64_t>& milestones() const noexcept { return milestones_; }
  double gamma() const noexcept { return gamma_; }

 protected:
  std::vector<double> get_lrs() override;
  void save_options(std::map<std::string, std::string>& metadata) const override;
  void load_options(const std::map<std::string, std::string>& metadata) override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

}  // namespace xgrad::optim
