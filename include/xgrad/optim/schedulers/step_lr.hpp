#pragma once
/// \file
/// `optim::StepLR`: multiplies every group's learning rate by `gamma` every `step_size` epochs,
/// as Python's `torch.optim.lr_scheduler.StepLR` (LibTorch's `torch::optim::StepLR`):
///
///     StepLR sched(opt, /*step_size=*/30, /*gamma=*/0.1);   // lr 0.05: 0.05 for epochs 0-29,
///                                                            // 0.005 for 30-59, ...
///
/// lr(epoch) = lr(epoch - 1) * gamma when epoch > 0 and epoch % step_size == 0, else unchanged.
///
/// Differs from LibTorch 1.13's C++ StepLR, which takes no step at construction and so keeps
/// each rate one step longer (its first decay comes after step_size + 1 calls of step()); this
/// class gives Python's sequence.

#include <xgrad/optim/schedulers/lr_scheduler.hpp>

#include <cstdint>

namespace xgrad::optim {

class StepLR : public LRScheduler {
 public:
  /// Throws ValueError when step_size <= 0 or gamma is not a positive finite number.
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

  std::string name() const override { return "StepLR"; }
  int64_t step_size() const noexcept { return step_size_; }
  double gamma() const noexcept { return gamma_; }

 protected:
  std::vector<double> get_lrs() override;
  void save_options(std::map<std::string, std::string>& metadata) const override;
  void load_options(const std::map<std::string, std::string>& metadata) override;

 private:
  int64_t step_size_;
  double gamma_;
};

}  // namespace xgrad::optim
