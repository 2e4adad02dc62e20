// LambdaLR: base rate times the user's factor for the epoch (a closed form in Python too).

#include <xgrad/optim/schedulers/lambda_lr.hpp>

#include <cmath>

namespace xgrad::optim {

LambdaLR::LambdaLR(Optimizer& optimizer, LrLambda lr_lambda)
    : LambdaLR(optimizer, std::vector<LrLambda>(optimizer.param_groups().size(), lr_lambda)) {}

LambdaLR::LambdaLR(Optimizer& optimizer, std::vector<LrLambda> lr_lambdas)
    : LRScheduler(optimizer), lr_lambdas_(std::move(lr_lambdas)) {
  XGRAD_CHECK(lr_lambdas_.size() == base_lrs_.size(), ValueError,
              "LambdaLR: expected {} lr_lambdas (one per param group), got {}", base_lrs_.size(), lr_lambdas_.size());
  for (size_t i = 0; i < lr_lambdas_.size(); ++i) {
    XGRAD_CHECK(static_cast<bool>(lr_lambdas_[i]), ValueError, "LambdaLR: lr_lambda {} is empty", i);
  }
  initial_step();
}

std::vector<double> LambdaLR::get_lrs() {
  std::vector<double> lrs(base_lrs_.size());
  for (size_t i = 0; i < lrs.size(); ++i) {
    const double factor = lr_lambdas_[i](last_epoch_);
    XGRAD_CHECK(std::isfinite(factor), ValueError, "LambdaLR: lr_lambda of param group {} returned {} at epoch {}", i,
                factor, last_epoch_);
    lrs[i] = base_lrs_[i] * factor;
  }
  return lrs;
}

}  // namespace xgrad::optim
