#pragma once
/// \file
/// `optim::CosineAnnealingLR`: cosine annealing from each group's base rate down to `eta_min`
/// over `T_max` epochs (the annealing of SGDR, without restarts), as Python's
/// `torch.optim.lr_scheduler.CosineAnnealingLR`:
///
///     CosineAnnealingLR sched(opt, /*T_max=*/100, /*eta_min=*/1e-5);
///
/// When nothing else touches the rates, lr(epoch) = eta_min + (base_lr - eta_min) *
/// (1 + cos(pi * epoch / T_max)) / 2. It is computed as Python's `step()` computes it, from the
/// previous rate:
///   lr(e) = eta_min + (lr(e-1) - eta_min) * (1 + cos(pi e / T_max)) / (1 + cos(pi (e-1) / T_max)),
/// and, where that quotient is 0/0 (e - 1 - T_max a multiple of 2 T_max, the bottom of a cycle),
///   lr(e) = lr(e-1) + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2.
/// Past T_max the rate therefore rises again along the cosine, as in Python.

#include <xgrad/optim/schedulers/lr_scheduler.hpp>

#include <cstdint>

namespace xgrad::optim {

class CosineAnnealingLR : public LRScheduler {
 public:
  /// Throws ValueError when T_max <= 0 or eta_min is not finite.
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);

  std::string name() const override { return "CosineAnnealingLR"; }
  int64_t T_max() const noexcept { return T_max_; }
  double eta_min() const noexcept { return eta_min_; }

 protected:
  std::vector<double> get_lrs() override;
  void save_options(std::map<std::string, std::string>& metadata) const override;
  void load_options(const std::map<std::string, std::string>& metadata) override;

 private:
  int64_t T_max_;
  double eta_min_;
};

}  // namespace xgrad::optim
