// MultiStepLR in Python's recursive form: on an epoch listed k times the current rate is
// multiplied by gamma^k (Python keeps the milestones in a Counter).

#include <xgrad/optim/schedulers/multi_step_lr.hpp>

#include "optim/schedulers/metadata.hpp"

#include <algorithm>
#include <cmath>

namespace xgrad::optim {

namespace {

void check_gamma(double gamma) {
  XGRAD_CHECK(std::isfinite(gamma) && gamma > 0, ValueError,
              "MultiStepLR: gamma must be a positive finite number, got {}", gamma);
}

}  // namespace

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  check_gamma(gamma);
  initial_step();
}

std::vector<double> MultiStepLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  const auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  if (hits == 0) return lrs;
  // Python computes gamma ** count; std::pow with an integer exponent gives the same double.
  const double scale = std::pow(gamma_, static_cast<double>(hits));
  for (double& lr : lrs) lr *= scale;
  return lrs;
}

void MultiStepLR::save_options(std::map<std::string, std::string>& m) const {
  m["milestones"] = detail::format_list(milestones_);
  m["gamma"] = detail::format_number(gamma_);
}

void MultiStepLR::load_options(const std::map<std::string, std::string>& m) {
  detail::MetadataReader r(m, name());
  std::vector<int64_t> milestones = r.integers("milestones");
  const double gamma = r.number("gamma");
  check_gamma(gamma);
  milestones_ = std::move(milestones);
  gamma_ = gamma;
}

}  // namespace xgrad::optim
