#pragma once
/// \file
/// `optim::LinearLR`: scales each group's base rate by a factor that moves linearly from
/// `start_factor` to `end_factor` over `total_iters` epochs and then stays, as Python's
/// `torch.optim.lr_scheduler.LinearLR` (a warm-up when start_factor < end_factor):
///
///     LinearLR warmup(opt, /*start_factor=*/0.1, /*end_factor=*/1.0, /*total_iters=*/10);
///
/// When nothing else touches the rates, lr(e) = base_lr * (start + (end - start) *
/// min(e, total_iters) / total_iters). It is computed as Python's `step()` computes it: lr(0) =
/// base_lr * start, and for 1 <= e <= total_iters
///   lr(e) = lr(e-1) * (1 + (end - start) / (total_iters * start + (e - 1) * (end - start))).

#include <xgrad/optim/schedulers/lr_scheduler.hpp>

#include <cstdint>

namespace xgrad::optim {

class LinearLR : public LRScheduler {
 public:
  /// Throws ValueError when start_factor is outside (0, 1] (Python accepts 0 but then divides
  /// by zero at the first step), end_factor outside [0, 1], or total_iters < 0.
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5);

  std::string name() const override { return "LinearLR"; }
  double start_factor() const noexcept { return start_factor_; }
  double end_factor() const noexcept { return end_factor_; }
  int64_t total_iters() const noexcept { return total_iters_; }

 protected:
  std::vector<double> get_lrs() override;
  void save_options(std::map<std::string, std::string>& metadata) const override;
  void load_options(const std::map<std::string, std::string>& metadata) override;

 private:
  double start_factor_;
  double end_factor_;
  int64_t total_iters_;
};

}  // namespace xgrad::optim
