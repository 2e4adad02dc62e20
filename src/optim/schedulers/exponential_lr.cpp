// ExponentialLR in Python's recursive form: the current rate times gamma at every epoch but 0.

#include <xgrad/optim/schedulers/exponential_lr.hpp>

#include "optim/schedulers/metadata.hpp"

#include <cmath>

namespace xgrad::optim {

namespace {

void check_gamma(double gamma) {
  XGRAD_CHECK(std::isfinite(gamma) && gamma > 0, ValueError,
              "ExponentialLR: gamma must be a positive finite number, got {}", gamma);
}

}  // namespace

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  check_gamma(gamma);
  initial_step();
}

std::vector<double> ExponentialLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

void ExponentialLR::save_options(std::map<std::string, std::string>& m) const {
  m["gamma"] = detail::format_number(gamma_);
}

void ExponentialLR::load_options(const std::map<std::string, std::string>& m) {
  detail::MetadataReader r(m, name());
  const double gamma = r.number("gamma");
  check_gamma(gamma);
  gamma_ = gamma;
}

}  // namespace xgrad::optim
