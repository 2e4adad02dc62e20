// CosineAnnealingLR in Python's recursive form (see the header for the formulas). Python's
// extra branch for `_step_count == 1 and last_epoch > 0` only applies when constructed with a
// last_epoch, which xgrad does not offer (state_dict() resumes instead).

#include <xgrad/optim/schedulers/cosine_annealing_lr.hpp>

#include "optim/schedulers/metadata.hpp"

#include <cmath>
#include <numbers>

namespace xgrad::optim {

namespace {

void check_cosine(int64_t T_max, double eta_min) {
  XGRAD_CHECK(T_max > 0, ValueError, "CosineAnnealingLR: T_max must be positive, got {}", T_max);
  XGRAD_CHECK(std::isfinite(eta_min), ValueError, "CosineAnnealingLR: eta_min must be finite, got {}", eta_min);
}

}  // namespace

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
  check_cosine(T_max, eta_min);
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  if (last_epoch_ == 0) return lrs;
  const double pi = std::numbers::pi;
  const double T = static_cast<double>(T_max_);
  const double e = static_cast<double>(last_epoch_);
  // Python tests (e - 1 - T_max) % (2 T_max) == 0 with its non-negative modulo; C++'s remainder
  // differs in sign for negative operands but is zero for exactly the same epochs.
  if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) {
    // The previous epoch was a minimum of the cosine: the ratio below would be 0/0.
    for (size_t i = 0; i < lrs.size(); ++i) {
      lrs[i] = lrs[i] + (base_lrs_[i] - eta_min_) * (1 - std::cos(pi / T)) / 2;
    }
    return lrs;
  }
  // Same operation order as Python, so the doubles agree bit for bit in practice.
  const double ratio = (1 + std::cos(pi * e / T)) / (1 + std::cos(pi * (e - 1) / T));
  for (double& lr : lrs) lr = ratio * (lr - eta_min_) + eta_min_;
  return lrs;
}

void CosineAnnealingLR::save_options(std::map<std::string, std::string>& m) const {
  m["T_max"] = detail::format_number(T_max_);
  m["eta_min"] = detail::format_number(eta_min_);
}

void CosineAnnealingLR::load_options(const std::map<std::string, std::string>& m) {
  detail::MetadataReader r(m, name());
  const int64_t T_max = r.integer("T_max");
  const double eta_min = r.number("eta_min");
  check_cosine(T_max, eta_min);
  T_max_ = T_max;
  eta_min_ = eta_min;
}

}  // namespace xgrad::optim
