#pragma once
/// \file
/// `optim::ExponentialLR`: multiplies every group's learning rate by `gamma` every epoch, as
/// Python's `torch.optim.lr_scheduler.ExponentialLR`:
///
///     ExponentialLR sched(opt, 0.9);   // lr(epoch) = lr(epoch - 1) * 0.9 for epoch > 0

#include <xgrad/optim/schedulers/lr_scheduler.hpp>

namespace xgrad::optim {

class ExponentialLR : public LRScheduler {
 public:
  /// Throws ValueError when gamma is not a positive finite number (gamma > 1 grows the rate, as
  /// Python allows).
  ExponentialLR(Optimizer& optimizer, double gamma);

  std::string name() const override { return "ExponentialLR"; }
  double gamma() const noexcept { return gamma_; }

 protected:
  std::vector<double> get_lrs() override;
  void save_options(std::map<std::string, std::string>& metadata) const override;
  void load_options(const std::map<std::string, std::string>& metadata) override;

 private:
  double gamma_;
};

}  // namespace xgrad::optim
