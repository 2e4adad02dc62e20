// ReduceLROnPlateauScheduler: Python's counters (best, num_bad_epochs, cooldown_counter) and
// comparisons, reading and writing the groups' current rates.

#include <xgrad/optim/schedulers/reduce_on_plateau_scheduler.hpp>

#include "optim/schedulers/metadata.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace xgrad::optim {

namespace {

using Options = ReduceLROnPlateauOptions;
constexpr const char* kName = "ReduceLROnPlateauScheduler";

void check_options(const Options& o) {
  XGRAD_CHECK(o.mode() == Options::Mode::min || o.mode() == Options::Mode::max, ValueError, "{}: unknown mode {}",
              kName, static_cast<int>(o.mode()));
  XGRAD_CHECK(o.threshold_mode() == Options::ThresholdMode::rel || o.threshold_mode() == Options::ThresholdMode::abs,
              ValueError, "{}: unknown threshold_mode {}", kName, static_cast<int>(o.threshold_mode()));
  XGRAD_CHECK(o.factor() >= 0 && o.factor() < 1, ValueError, "{}: factor must be in [0, 1), got {}", kName,
              o.factor());
  XGRAD_CHECK(o.patience() >= 0, ValueError, "{}: patience must be >= 0, got {}", kName, o.patience());
  XGRAD_CHECK(o.cooldown() >= 0, ValueError, "{}: cooldown must be >= 0, got {}", kName, o.cooldown());
  XGRAD_CHECK(std::isfinite(o.threshold()) && o.threshold() >= 0, ValueError,
              "{}: threshold must be a finite number >= 0, got {}", kName, o.threshold());
  XGRAD_CHECK(std::isfinite(o.eps()) && o.eps() >= 0, ValueError, "{}: eps must be a finite number >= 0, got {}",
              kName, o.eps());
}

void check_min_lrs(const std::vector<double>& min_lrs) {
  for (size_t i = 0; i < min_lrs.size(); ++i) {
    XGRAD_CHECK(std::isfinite(min_lrs[i]) && min_lrs[i] >= 0, ValueError,
                "{}: min_lr must be a finite number >= 0, got {} for param group {}", kName, min_lrs[i], i);
  }
}

double worst(Options::Mode mode) {
  return mode == Options::Mode::min ? std::numeric_limits<double>::infinity()
                                    : -std::numeric_limits<double>::infinity();
}

std::vector<double> current_lrs(const Optimizer& optimizer) {
  std::vector<double> lrs;
  for (const auto& group : optimizer.param_groups()) {
    XGRAD_CHECK(group.has_options(), ValueError, "{}: a param group of the optimizer has no options", kName);
    lrs.push_back(group.options().get_lr());
  }
  return lrs;
}

}  // namespace

ReduceLROnPlateauScheduler::ReduceLROnPlateauScheduler(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), options_(std::move(options)) {
  check_options(options_);
  min_lrs_ = options_.min_lr().expand(optimizer_.param_groups().size(), kName, "min_lr");
  check_min_lrs(min_lrs_);
  best_ = worst(options_.mode());
  last_lrs_ = current_lrs(optimizer_);
}

bool ReduceLROnPlateauScheduler::is_better(double a, double best) const {
  const double th = options_.threshold();
  const bool rel = options_.threshold_mode() == ThresholdMode::rel;
  if (options_.mode() == SchedulerMode::min) return rel ? a < best * (1. - th) : a < best - th;
  return rel ? a > best * (th + 1.) : a > best + th;
}

void ReduceLROnPlateauScheduler::step(double metric) {
  XGRAD_CHECK(!std::isnan(metric), ValueError, "{}: step() got a NaN metric at epoch {}", kName, last_epoch_ + 1);
  last_epoch_ += 1;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    num_bad_epochs_ += 1;
  }
  if (cooldown_counter_ > 0) {
    cooldown_counter_ -= 1;
    num_bad_epochs_ = 0;  // bad epochs during a cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience()) {
    auto& groups = optimizer_.param_groups();
    for (size_t i = 0; i < groups.size(); ++i) {
      const double old_lr = groups[i].options().get_lr();
      const double new_lr = std::max(old_lr * options_.factor(), min_lrs_[i]);
      if (old_lr - new_lr > options_.eps()) groups[i].options().set_lr(new_lr);
    }
    cooldown_counter_ = options_.cooldown();
    num_bad_epochs_ = 0;
  }
  last_lrs_ = current_lrs(optimizer_);
}

StateDict ReduceLROnPlateauScheduler::state_dict() const {
  StateDict sd;
  auto& m = sd.metadata;
  m["scheduler"] = kName;
  m["mode"] = options_.mode() == SchedulerMode::min ? "min" : "max";
  m["factor"] = detail::format_number(options_.factor());
  m["patience"] = detail::format_number(options_.patience());
  m["threshold"] = detail::format_number(options_.threshold());
  m["threshold_mode"] = options_.threshold_mode() == ThresholdMode::rel ? "rel" : "abs";
  m["cooldown"] = detail::format_number(options_.cooldown());
  m["min_lrs"] = detail::format_list(min_lrs_);
  m["eps"] = detail::format_number(options_.eps());
  m["last_epoch"] = detail::format_number(last_epoch_);
  m["best"] = detail::format_number(best_);
  m["num_bad_epochs"] = detail::format_number(num_bad_epochs_);
  m["cooldown_counter"] = detail::format_number(cooldown_counter_);
  m["last_lrs"] = detail::format_list(last_lrs_);
  return sd;
}

void ReduceLROnPlateauScheduler::load_state_dict(const StateDict& state_dict) {
  const auto& m = state_dict.metadata;
  detail::MetadataReader r(m, kName);
  const std::string& cls = r.text("scheduler");
  XGRAD_CHECK(cls == kName, ValueError, "{}.load_state_dict: the state was saved by a {}, not a {}", kName, cls, kName);
  const size_t groups = optimizer_.param_groups().size();

  Options o;
  const std::string& mode = r.text("mode");
  XGRAD_CHECK(mode == "min" || mode == "max", ValueError,
              "{}.load_state_dict: \"mode\" must be \"min\" or \"max\", got \"{}\"", kName, mode);
  o.mode(mode == "min" ? SchedulerMode::min : SchedulerMode::max);
  const std::string& threshold_mode = r.text("threshold_mode");
  XGRAD_CHECK(threshold_mode == "rel" || threshold_mode == "abs", ValueError,
              "{}.load_state_dict: \"threshold_mode\" must be \"rel\" or \"abs\", got \"{}\"", kName, threshold_mode);
  o.threshold_mode(threshold_mode == "rel" ? ThresholdMode::rel : ThresholdMode::abs);
  o.factor(r.number("factor")).patience(r.integer("patience")).threshold(r.number("threshold"));
  o.cooldown(r.integer("cooldown")).eps(r.number("eps"));
  check_options(o);
  std::vector<double> min_lrs = r.group_numbers("min_lrs", groups);
  check_min_lrs(min_lrs);
  o.min_lr(min_lrs);

  const int64_t last_epoch = r.integer("last_epoch");
  XGRAD_CHECK(last_epoch >= 0, ValueError, "{}.load_state_dict: \"last_epoch\" = {} must be >= 0", kName, last_epoch);
  const double best = r.number("best");
  // best starts at the mode's worst value (an infinity) and then only holds metrics, never NaN.
  XGRAD_CHECK(!std::isnan(best), ValueError, "{}.load_state_dict: \"best\" is NaN", kName);
  const int64_t num_bad_epochs = r.integer("num_bad_epochs");
  XGRAD_CHECK(num_bad_epochs >= 0, ValueError, "{}.load_state_dict: \"num_bad_epochs\" = {} must be >= 0", kName,
              num_bad_epochs);
  const int64_t cooldown_counter = r.integer("cooldown_counter");
  XGRAD_CHECK(cooldown_counter >= 0 && cooldown_counter <= o.cooldown(), ValueError,
              "{}.load_state_dict: \"cooldown_counter\" = {} must be in [0, cooldown = {}]", kName, cooldown_counter,
              o.cooldown());
  std::vector<double> last_lrs = r.group_numbers("last_lrs", groups);

  options_ = std::move(o);
  min_lrs_ = std::move(min_lrs);
  last_epoch_ = last_epoch;
  best_ = best;
  num_bad_epochs_ = num_bad_epochs;
  cooldown_counter_ = cooldown_counter;
  last_lrs_ = std::move(last_lrs);
}

}  // namespace xgrad::optim
