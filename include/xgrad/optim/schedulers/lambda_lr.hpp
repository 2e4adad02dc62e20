#pragma once
/// \file
/// `optim::LambdaLR`: each group's rate is its base rate times a function of the epoch, as
/// Python's `torch.optim.lr_scheduler.LambdaLR`:
///
///     LambdaLR sched(opt, [](int64_t epoch) { return std::pow(0.95, epoch); });
///     LambdaLR per_group(opt, {[](int64_t e) { return 1.0 / (1 + e); },     // group 0
///                              [](int64_t e) { return e < 5 ? 0.1 : 1.0; }});  // group 1
///
/// lr(epoch) = base_lr * lr_lambda(epoch), epoch = 0, 1, 2, ...
/// The functions are not part of state_dict() (Python saves only callable objects' attributes);
/// a restored scheduler keeps the functions it was constructed with.

#include <xgrad/optim/schedulers/lr_scheduler.hpp>

#include <cstdint>
#include <functional>
#include <vector>

namespace xgrad::optim {

class LambdaLR : public LRScheduler {
 public:
  using LrLambda = std::function<double(int64_t epoch)>;

  /// One function for every group. Throws ValueError when it is empty, or (at construction or
  /// step()) when it returns a factor that makes a rate infinite or NaN.
  LambdaLR(Optimizer& optimizer, LrLambda lr_lambda);
  /// One function per group. Throws ValueError when their number differs from the number of
  /// param groups or one is empty.
  LambdaLR(Optimizer& optimizer, std::vector<LrLambda> lr_lambdas);

  std::string name() const override { return "LambdaLR"; }

 protected:
  std::vector<double> get_lrs() override;

 private:
  std::vector<LrLambda> lr_lambdas_;
};

}  // namespace xgrad::optim
