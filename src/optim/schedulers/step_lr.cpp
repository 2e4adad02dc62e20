// StepLR in Python's recursive ("chainable") form: the rate is the group's current rate, times
// gamma on the epochs that end a period.

#include <xgrad/optim/schedulers/step_lr.hpp>

#include "optim/schedulers/metadata.hpp"

#include <cmath>

namespace xgrad::optim {

namespace {

void check_step_lr(int64_t step_size, double gamma) {
  XGRAD_CHECK(step_size > 0, ValueError, "StepLR: step_size must be positive, got {}", step_size);
  XGRAD_CHECK(std::isfinite(gamma) && gamma > 0, ValueError, "StepLR: gamma must be a positive finite number, got {}",
              gamma);
}

}  // namespace

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  check_step_lr(step_size, gamma);
  initial_step();
}

std::vector<double> StepLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

void StepLR::save_options(std::map<std::string, std::string>& m) const {
  m["step_size"] = detail::format_number(step_size_);
  m["gamma"] = detail::format_number(gamma_);
}

void StepLR::load_options(const std::map<std::string, std::string>& m) {
  detail::MetadataReader r(m, name());
  const int64_t step_size = r.integer("step_size");
  const double gamma = r.number("gamma");
  check_step_lr(step_size, gamma);
  step_size_ = step_size;
  gamma_ = gamma;
}

}  // namespace xgrad::optim
