// OneCycleLR as Python computes it: a list of phases, each with an end step and the names of
// the per-group anchors (initial/max/min lr, max/base momentum) it moves between. The phase
// boundaries are Python's doubles (pct_start * total_steps - 1 ...), and a step that lands in a
// phase of zero length throws where Python raises ZeroDivisionError.

#include <xgrad/optim/schedulers/one_cycle_lr.hpp>

#include "optim/schedulers/metadata.hpp"

#include <xgrad/optim/adam.hpp>
#include <xgrad/optim/adamw.hpp>
#include <xgrad/optim/rmsprop.hpp>
#include <xgrad/optim/sgd.hpp>

#include <cmath>
#include <numbers>
#include <tuple>

namespace xgrad::optim {

namespace {

// Indices of the per-group anchors a phase moves between.
enum Anchor { kInitialLr = 0, kMaxLr, kMinLr, kMaxMomentum, kBaseMomentum };

void check_positive(const char* what, double v) {
  XGRAD_CHECK(std::isfinite(v) && v > 0, ValueError, "OneCycleLR: {} must be a positive finite number, got {}", what, v);
}

void check_pct_start(double pct_start) {
  XGRAD_CHECK(pct_start >= 0 && pct_start <= 1, ValueError, "OneCycleLR: pct_start must be in [0, 1], got {}",
              pct_start);
}

}  // namespace

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleLROptions options) : LRScheduler(optimizer) {
  const size_t groups = base_lrs_.size();
  if (options.total_steps().has_value()) {
    total_steps_ = *options.total_steps();
    XGRAD_CHECK(total_steps_ > 0, ValueError, "OneCycleLR: total_steps must be positive, got {}", total_steps_);
  } else {
    XGRAD_CHECK(options.epochs().has_value() && options.steps_per_epoch().has_value(), ValueError,
                "OneCycleLR: give total_steps, or both epochs and steps_per_epoch");
    const int64_t epochs = *options.epochs();
    const int64_t per_epoch = *options.steps_per_epoch();
    XGRAD_CHECK(epochs > 0, ValueError, "OneCycleLR: epochs must be positive, got {}", epochs);
    XGRAD_CHECK(per_epoch > 0, ValueError, "OneCycleLR: steps_per_epoch must be positive, got {}", per_epoch);
    XGRAD_CHECK(epochs <= INT64_MAX / per_epoch, ValueError, "OneCycleLR: epochs * steps_per_epoch ({} * {}) overflows",
                epochs, per_epoch);
    total_steps_ = epochs * per_epoch;
  }
  pct_start_ = options.pct_start();
  check_pct_start(pct_start_);
  anneal_strategy_ = options.anneal_strategy();
  XGRAD_CHECK(anneal_strategy_ == OneCycleLROptions::AnnealStrategy::cos ||
                  anneal_strategy_ == OneCycleLROptions::AnnealStrategy::linear,
              ValueError, "OneCycleLR: anneal_strategy must be cos or linear, got {}",
              static_cast<int>(anneal_strategy_));
  three_phase_ = options.three_phase();
  check_positive("div_factor", options.div_factor());
  check_positive("final_div_factor", options.final_div_factor());

  max_lrs_ = options.max_lr().expand(groups, "OneCycleLR", "max_lr");
  for (double v : max_lrs_) check_positive("max_lr", v);
  initial_lrs_.resize(groups);
  min_lrs_.resize(groups);
  for (size_t i = 0; i < groups; ++i) {
    initial_lrs_[i] = max_lrs_[i] / options.div_factor();
    min_lrs_[i] = initial_lrs_[i] / options.final_div_factor();
  }
  // Python writes initial_lr into the groups before its base class reads them as base_lrs.
  base_lrs_ = initial_lrs_;

  if (options.cycle_momentum()) {
    // Python looks for a "momentum" or "betas" key in the optimizer's defaults.
    const OptimizerOptions& defaults = optimizer.defaults();
    if (dynamic_cast<const SGDOptions*>(&defaults) != nullptr ||
        dynamic_cast<const RMSpropOptions*>(&defaults) != nullptr) {
      momentum_kind_ = MomentumKind::momentum;
    } else if (dynamic_cast<const AdamOptions*>(&defaults) != nullptr ||
               dynamic_cast<const AdamWOptions*>(&defaults) != nullptr) {
      momentum_kind_ = MomentumKind::beta1;
    } else {
      XGRAD_THROW(ValueError,
                  "OneCycleLR: cycle_momentum needs an optimizer with momentum (SGD, RMSprop) or betas (Adam, "
                  "AdamW); pass cycle_momentum(false) for this one");
    }
    max_momenta_ = options.max_momentum().expand(groups, "OneCycleLR", "max_momentum");
    base_momenta_ = options.base_momentum().expand(groups, "OneCycleLR", "base_momentum");
    for (size_t i = 0; i < groups; ++i) {
      XGRAD_CHECK(std::isfinite(max_momenta_[i]) && std::isfinite(base_momenta_[i]), ValueError,
                  "OneCycleLR: momenta must be finite, got base_momentum {} and max_momentum {} for group {}",
                  base_momenta_[i], max_momenta_[i], i);
    }
  }
  build_phases();
  initial_step();
}

void OneCycleLR::build_phases() {
  const double T = static_cast<double>(total_steps_);
  if (three_phase_) {
    phases_ = {{pct_start_ * T - 1, kInitialLr, kMaxLr, kMaxMomentum, kBaseMomentum},
               {2 * pct_start_ * T - 2, kMaxLr, kInitialLr, kBaseMomentum, kMaxMomentum},
               {T - 1, kInitialLr, kMinLr, kMaxMomentum, kMaxMomentum}};
  } else {
    phases_ = {{pct_start_ * T - 1, kInitialLr, kMaxLr, kMaxMomentum, kBaseMomentum},
               {T - 1, kMaxLr, kMinLr, kBaseMomentum, kMaxMomentum}};
  }
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (anneal_strategy_ == OneCycleLROptions::AnnealStrategy::cos) {
    const double cos_out = std::cos(std::numbers::pi * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
  }
  return (end - start) * pct + start;
}

std::vector<double> OneCycleLR::get_lrs() {
  const int64_t step_num = last_epoch_;
  XGRAD_CHECK(step_num <= total_steps_, ValueError,
              "OneCycleLR: tried to step {} times; the specified number of total steps is {}", step_num + 1,
              total_steps_);
  // The phase and its fraction are the same for every group.
  const double s = static_cast<double>(step_num);
  double start_step = 0;
  size_t p = 0;
  for (; p < phases_.size(); ++p) {
    if (s <= phases_[p].end_step || p + 1 == phases_.size()) break;
    start_step = phases_[p].end_step;
  }
  const Phase& phase = phases_[p];
  const double length = phase.end_step - start_step;
  XGRAD_CHECK(length != 0, ValueError,
              "OneCycleLR: step {} falls in phase {} of zero length (pct_start {} with total_steps {}); Python "
              "raises ZeroDivisionError here too",
              step_num, p, pct_start_, total_steps_);
  const double pct = (s - start_step) / length;

  const size_t groups = base_lrs_.size();
  std::vector<double> lrs(groups);
  pending_momenta_.assign(momentum_kind_ == MomentumKind::none ? 0 : groups, 0.0);
  for (size_t i = 0; i < groups; ++i) {
    const double anchors[] = {initial_lrs_[i], max_lrs_[i], min_lrs_[i],
                              momentum_kind_ == MomentumKind::none ? 0.0 : max_momenta_[i],
                              momentum_kind_ == MomentumKind::none ? 0.0 : base_momenta_[i]};
    lrs[i] = anneal(anchors[phase.start_lr], anchors[phase.end_lr], pct);
    if (momentum_kind_ != MomentumKind::none) {
      pending_momenta_[i] = anneal(anchors[phase.start_momentum], anchors[phase.end_momentum], pct);
    }
  }
  return lrs;
}

void OneCycleLR::on_lrs_set() {
  if (momentum_kind_ == MomentumKind::none) return;
  auto& groups = optimizer().param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    OptimizerOptions& o = groups[i].options();
    const double m = pending_momenta_[i];
    if (auto* sgd = dynamic_cast<SGDOptions*>(&o)) {
      sgd->momentum(m);
    } else if (auto* rms = dynamic_cast<RMSpropOptions*>(&o)) {
      rms->momentum(m);
    } else if (auto* adam = dynamic_cast<AdamOptions*>(&o)) {
      adam->betas(std::make_tuple(m, std::get<1>(adam->betas())));
    } else if (auto* adamw = dynamic_cast<AdamWOptions*>(&o)) {
      adamw->betas(std::make_tuple(m, std::get<1>(adamw->betas())));
    }
  }
  last_momenta_ = pending_momenta_;
}

void OneCycleLR::save_options(std::map<std::string, std::string>& m) const {
  m["total_steps"] = detail::format_number(total_steps_);
  m["pct_start"] = detail::format_number(pct_start_);
  m["anneal_strategy"] = anneal_strategy_ == OneCycleLROptions::AnnealStrategy::cos ? "cos" : "linear";
  m["three_phase"] = detail::format_bool(three_phase_);
  m["cycle_momentum"] = detail::format_bool(momentum_kind_ != MomentumKind::none);
  m["initial_lrs"] = detail::format_list(initial_lrs_);
  m["max_lrs"] = detail::format_list(max_lrs_);
  m["min_lrs"] = detail::format_list(min_lrs_);
  if (momentum_kind_ != MomentumKind::none) {
    m["max_momentums"] = detail::format_list(max_momenta_);
    m["base_momentums"] = detail::format_list(base_momenta_);
    m["last_momentums"] = detail::format_list(last_momenta_);
  }
}

void OneCycleLR::load_options(const std::map<std::string, std::string>& m) {
  detail::MetadataReader r(m, name());
  const size_t groups = base_lrs_.size();
  const int64_t total_steps = r.integer("total_steps");
  XGRAD_CHECK(total_steps > 0, ValueError, "OneCycleLR.load_state_dict: total_steps must be positive, got {}",
              total_steps);
  const double pct_start = r.number("pct_start");
  check_pct_start(pct_start);
  const std::string& strategy = r.text("anneal_strategy");
  XGRAD_CHECK(strategy == "cos" || strategy == "linear", ValueError,
              "OneCycleLR.load_state_dict: anneal_strategy must be \"cos\" or \"linear\", got \"{}\"", strategy);
  const bool three_phase = r.boolean("three_phase");
  const bool cycle_momentum = r.boolean("cycle_momentum");
  // The momentum kind comes from the optimizer; a state saved with the other setting would
  // leave the momentum fixed or drive one that does not exist.
  XGRAD_CHECK(cycle_momentum == (momentum_kind_ != MomentumKind::none), ValueError,
              "OneCycleLR.load_state_dict: the state has cycle_momentum {} but this scheduler has {}", cycle_momentum,
              momentum_kind_ != MomentumKind::none);
  std::vector<double> initial_lrs = r.group_numbers("initial_lrs", groups);
  std::vector<double> max_lrs = r.group_numbers("max_lrs", groups);
  std::vector<double> min_lrs = r.group_numbers("min_lrs", groups);
  std::vector<double> max_momenta, base_momenta, last_momenta;
  if (cycle_momentum) {
    max_momenta = r.group_numbers("max_momentums", groups);
    base_momenta = r.group_numbers("base_momentums", groups);
    last_momenta = r.group_numbers("last_momentums", groups);
  }
  total_steps_ = total_steps;
  pct_start_ = pct_start;
  anneal_strategy_ = strategy == "cos" ? OneCycleLROptions::AnnealStrategy::cos : OneCycleLROptions::AnnealStrategy::linear;
  three_phase_ = three_phase;
  initial_lrs_ = std::move(initial_lrs);
  max_lrs_ = std::move(max_lrs);
  min_lrs_ = std::move(min_lrs);
  max_momenta_ = std::move(max_momenta);
  base_momenta_ = std::move(base_momenta);
  last_momenta_ = std::move(last_momenta);
  build_phases();
}

}  // namespace xgrad::optim
