// AdamW: options, state and step (the step itself is detail::adam_step, shared with
// Adam, and kernels::adam_step per parameter).
#include <xgrad/optim/adamw.hpp>
#include <xgrad/profiler.hpp>

#include "optim/adam_update.hpp"

namespace xgrad::optim {

AdamWOptions::AdamWOptions(double lr) : lr_(lr) {}

bool operator==(const AdamWOptions& a, const AdamWOptions& b) {
  return a.lr() == b.lr() && a.betas() == b.betas() && a.eps() == b.eps() && a.weight_decay() == b.weight_decay() &&
         a.amsgrad() == b.amsgrad() && a.maximize() == b.maximize();
}

double AdamWOptions::get_lr() const { return lr(); }
void AdamWOptions::set_lr(const double lr) { this->lr(lr); }
std::string AdamWOptions::to_json() const { return detail::adam_to_json(*this); }
void AdamWOptions::from_json(const std::string& text) {
  *this = detail::adam_from_json<AdamWOptions>(text, "AdamWOptions");
}

namespace {
bool same(const Tensor& x, const Tensor& y) { return x.defined() == y.defined() && (!x.defined() || x.equal(y)); }
}  // namespace

bool operator==(const AdamWParamState& a, const AdamWParamState& b) {
  return a.step() == b.step() && same(a.exp_avg(), b.exp_avg()) && same(a.exp_avg_sq(), b.exp_avg_sq()) &&
         same(a.max_exp_avg_sq(), b.max_exp_avg_sq());
}

std::vector<std::pair<std::string, Tensor>> AdamWParamState::named_tensors() const {
  return detail::adam_named_tensors(*this);
}

namespace {
std::unique_ptr<OptimizerOptions> checked(const AdamWOptions& o) {
  detail::validate_adam(o, "AdamW");
  return std::make_unique<AdamWOptions>(o);
}
}  // namespace

AdamW::AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults)
    : Optimizer(detail::checked_params(std::move(param_groups), "AdamW"), checked(defaults)) {
  for (const auto& g : param_groups_) check_options(g.options());
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults)
    : AdamW(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

void AdamW::check_options(const OptimizerOptions& options) const {
  detail::validate_adam(detail::options_as<AdamWOptions>(options, "AdamW"), "AdamW");
}

std::unique_ptr<OptimizerParamState> AdamW::make_param_state(const Tensor& param,
                                                             const std::map<std::string, Tensor>& tensors,
                                                             const OptimizerOptions& options) const {
  return detail::adam_load_state<AdamWParamState>(param, tensors, detail::options_as<AdamWOptions>(options, "AdamW"));
}

Tensor AdamW::step(LossClosure closure) {
  XGRAD_RECORD_FUNCTION("Optimizer.step#AdamW.step", {});  // PyTorch's profiler name
  Tensor loss = run_closure(closure);
  detail::adam_step<AdamWOptions, AdamWParamState>(param_groups_, state_, /*decoupled=*/true, "AdamW.step");
  return loss;
}

}  // namespace xgrad::optim
