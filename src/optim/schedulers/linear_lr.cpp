// LinearLR in Python's recursive form (see the header): each step multiplies the current rate
// by the ratio of consecutive factors, written as Python writes it.

#include <xgrad/optim/schedulers/linear_lr.hpp>

#include "optim/schedulers/metadata.hpp"

#include <cmath>

namespace xgrad::optim {

namespace {

void check_linear(double start_factor, double end_factor, int64_t total_iters) {
  XGRAD_CHECK(std::isfinite(start_factor) && start_factor > 0 && start_factor <= 1, ValueError,
              "LinearLR: start_factor must be in (0, 1], got {}", start_factor);
  XGRAD_CHECK(std::isfinite(end_factor) && end_factor >= 0 && end_factor <= 1, ValueError,
              "LinearLR: end_factor must be in [0, 1], got {}", end_factor);
  XGRAD_CHECK(total_iters >= 0, ValueError, "LinearLR: total_iters must be >= 0, got {}", total_iters);
}

}  // namespace

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  check_linear(start_factor, end_factor, total_iters);
  initial_step();
}

std::vector<double> LinearLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  if (last_epoch_ == 0) {
    for (double& lr : lrs) lr *= start_factor_;
    return lrs;
  }
  if (last_epoch_ > total_iters_) return lrs;
  // The denominator is total_iters times the factor of the previous epoch, positive because
  // start_factor > 0 and that epoch is before total_iters.
  const double delta = end_factor_ - start_factor_;
  const double scale = 1. + delta / (static_cast<double>(total_iters_) * start_factor_ +
                                     static_cast<double>(last_epoch_ - 1) * delta);
  for (double& lr : lrs) lr *= scale;
  return lrs;
}

void LinearLR::save_options(std::map<std::string, std::string>& m) const {
  m["start_factor"] = detail::format_number(start_factor_);
  m["end_factor"] = detail::format_number(end_factor_);
  m["total_iters"] = detail::format_number(total_iters_);
}

void LinearLR::load_options(const std::map<std::string, std::string>& m) {
  detail::MetadataReader r(m, name());
  const double start_factor = r.number("start_factor");
  const double end_factor = r.number("end_factor");
  const int64_t total_iters = r.integer("total_iters");
  check_linear(start_factor, end_factor, total_iters);
  start_factor_ = start_factor;
  end_factor_ = end_factor;
  total_iters_ = total_iters;
}

}  // namespace xgrad::optim
