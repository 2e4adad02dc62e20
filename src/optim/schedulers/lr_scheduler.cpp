// LRScheduler: the epoch counter, the write of every group's learning rate, and the common part
// of the state_dict. Python's base constructor takes the first step itself; a C++ base
// constructor cannot call the subclass's get_lrs() (the subclass is not built yet), so each
// subclass ends its constructor with initial_step() instead.

#include <xgrad/optim/schedulers/lr_scheduler.hpp>

#include "optim/schedulers/metadata.hpp"

#include <xgrad/error.hpp>

#include <cmath>

namespace xgrad::optim {

std::vector<double> GroupValues::expand(size_t groups, std::string_view who, std::string_view what) const {
  if (scalar_) return std::vector<double>(groups, values_.front());
  XGRAD_CHECK(values_.size() == groups, ValueError, "{}: expected {} values for {} (one per param group), got {}", who,
              groups, what, values_.size());
  return values_;
}

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  // Python's base_lrs are the groups' "initial_lr", which is the current lr unless an earlier
  // scheduler on the same optimizer recorded one; xgrad's options have no such field, so the
  // base rates are the current ones (docs/schedulers.md).
  base_lrs_ = get_current_lrs();
  last_lrs_ = base_lrs_;
}

std::vector<double> LRScheduler::get_current_lrs() const {
  std::vector<double> lrs;
  lrs.reserve(optimizer_.param_groups().size());
  for (const auto& group : optimizer_.param_groups()) {
    XGRAD_CHECK(group.has_options(), ValueError, "LRScheduler: a param group of the optimizer has no options");
    lrs.push_back(group.options().get_lr());
  }
  return lrs;
}

void LRScheduler::set_optimizer_lrs(const std::vector<double>& lrs) {
  auto& groups = optimizer_.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lrs[i]);
}

void LRScheduler::initial_step() { step(); }

void LRScheduler::step() {
  // Compute first and commit after, so that a step the schedule refuses (OneCycleLR past its
  // end) leaves the scheduler and the optimizer exactly as they were.
  ++last_epoch_;
  std::vector<double> lrs;
  try {
    lrs = get_lrs();
  } catch (...) {
    --last_epoch_;
    throw;
  }
  const size_t groups = optimizer_.param_groups().size();
  if (lrs.size() != groups) {
    --last_epoch_;
    XGRAD_THROW(ValueError, "{}: get_lrs() returned {} learning rates for {} param groups", name(), lrs.size(), groups);
  }
  for (size_t i = 0; i < groups; ++i) {
    if (!std::isfinite(lrs[i])) {
      --last_epoch_;
      XGRAD_THROW(ValueError, "{}: the learning rate of param group {} at epoch {} would be {}", name(), i,
                  last_epoch_ + 1, lrs[i]);
    }
  }
  ++step_count_;
  set_optimizer_lrs(lrs);
  on_lrs_set();
  last_lrs_ = std::move(lrs);
}

void LRScheduler::save_options(std::map<std::string, std::string>&) const {}

void LRScheduler::load_options(const std::map<std::string, std::string>&) {}

StateDict LRScheduler::state_dict() const {
  StateDict sd;
  auto& m = sd.metadata;
  m["scheduler"] = name();
  m["last_epoch"] = detail::format_number(last_epoch_);
  m["step_count"] = detail::format_number(step_count_);
  m["base_lrs"] = detail::format_list(base_lrs_);
  m["last_lrs"] = detail::format_list(last_lrs_);
  save_options(m);
  return sd;
}

void LRScheduler::load_state_dict(const StateDict& state_dict) {
  const std::string who = name();
  const auto& m = state_dict.metadata;
  detail::MetadataReader r(m, who);
  const std::string& cls = r.text("scheduler");
  XGRAD_CHECK(cls == who, ValueError, "{}.load_state_dict: the state was saved by a {}, not a {}", who, cls, who);
  const size_t groups = optimizer_.param_groups().size();
  const int64_t last_epoch = r.integer("last_epoch");
  XGRAD_CHECK(last_epoch >= 0, ValueError, "{}.load_state_dict: \"last_epoch\" = {} must be >= 0", who, last_epoch);
  const int64_t step_count = r.integer("step_count");
  XGRAD_CHECK(step_count >= 1, ValueError, "{}.load_state_dict: \"step_count\" = {} must be >= 1", who, step_count);
  std::vector<double> base_lrs = r.group_numbers("base_lrs", groups);
  std::vector<double> last_lrs = r.group_numbers("last_lrs", groups);
  // The subclass validates its options and assigns them only when all are good; nothing of
  // ours has changed yet if it throws.
  load_options(m);
  last_epoch_ = last_epoch;
  step_count_ = step_count;
  base_lrs_ = std::move(base_lrs);
  last_lrs_ = std::move(last_lrs);
}

}  // namespace xgrad::optim
