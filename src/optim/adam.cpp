// Adam: options, state and step (the step itself is detail::adam_step, shared with
// AdamW, and kernels::adam_step per parameter).
#include <xgrad/optim/adam.hpp>
#include <xgrad/profiler.hpp>

#include "optim/adam_update.hpp"

namespace xgrad::optim {

AdamOptions::AdamOptions(double lr) : lr_(lr) {}

bool operator==(const AdamOptions& a, const AdamOptions& b) {
  return a.lr() == b.lr() && a.betas() == b.betas() && a.eps() == b.eps() && a.weight_decay() == b.weight_decay() &&
         a.amsgrad() == b.amsgrad() && a.maximize() == b.maximize();
}

double AdamOptions::get_lr() const { return lr(); }
void AdamOptions::set_lr(const double lr) { this->lr(lr); }
std::string AdamOptions::to_json() const { return detail::adam_to_json(*this); }
void AdamOptions::from_json(const std::string& text) {
  *this = detail::adam_from_json<AdamOptions>(text, "AdamOptions");
}

namespace {
bool same(const Tensor& x, const Tensor& y) { return x.defined() == y.defined() && (!x.defined() || x.equal(y)); }
}  // namespace

bool operator==(const AdamParamState& a, const AdamParamState& b) {
  return a.step() == b.step() && same(a.exp_avg(), b.exp_avg()) && same(a.exp_avg_sq(), b.exp_avg_sq()) &&
         same(a.max_exp_avg_sq(), b.max_exp_avg_sq());
}

std::vector<std::pair<std::string, Tensor>> AdamParamState::named_tensors() const {
  return detail::adam_named_tensors(*this);
}

namespace {
std::unique_ptr<OptimizerOptions> checked(const AdamOptions& o) {
  detail::validate_adam(o, "Adam");
  return std::make_unique<AdamOptions>(o);
}
}  // namespace

Adam::Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults)
    : Optimizer(detail::checked_params(std::move(param_groups), "Adam"), checked(defaults)) {
  for (const auto& g : param_groups_) check_options(g.options());
}

Adam::Adam(std::vector<Tensor> params, AdamOptions defaults)
    : Adam(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

void Adam::check_options(const OptimizerOptions& options) const {
  detail::validate_adam(detail::options_as<AdamOptions>(options, "Adam"), "Adam");
}

std::unique_ptr<OptimizerParamState> Adam::make_param_state(const Tensor& param,
                                                            const std::map<std::string, Tensor>& tensors,
                                                            const OptimizerOptions& options) const {
  return detail::adam_load_state<AdamParamState>(param, tensors, detail::options_as<AdamOptions>(options, "Adam"));
}

Tensor Adam::step(LossClosure closure) {
  XGRAD_RECORD_FUNCTION("Optimizer.step#Adam.step", {});  // PyTorch's profiler name
  Tensor loss = run_closure(closure);
  detail::adam_step<AdamOptions, AdamParamState>(param_groups_, state_, /*decoupled=*/false, "Adam.step");
  return loss;
}

}  // namespace xgrad::optim
