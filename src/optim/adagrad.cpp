// Adagrad: options, state and step. As PyTorch, the constructor creates every parameter's state
// (sum = initial_accumulator_value, step = 0); kernels::adagrad_step does the per-element update.
#include <xgrad/optim/adagrad.hpp>
#include <xgrad/profiler.hpp>

#include <xgrad/autograd/grad_mode.hpp>

#include "kernels/optim.hpp"
#include "optim/internal.hpp"

namespace xgrad::optim {

AdagradOptions::AdagradOptions(double lr) : lr_(lr) {}

bool operator==(const AdagradOptions& a, const AdagradOptions& b) {
  return a.lr() == b.lr() && a.lr_decay() == b.lr_decay() && a.weight_decay() == b.weight_decay() &&
         a.initial_accumulator_value() == b.initial_accumulator_value() && a.eps() == b.eps() &&
         a.maximize() == b.maximize();
}

double AdagradOptions::get_lr() const { return lr(); }
void AdagradOptions::set_lr(const double lr) { this->lr(lr); }

std::string AdagradOptions::to_json() const {
  detail::json j;
  j["lr"] = lr();
  j["lr_decay"] = lr_decay();
  j["weight_decay"] = weight_decay();
  j["initial_accumulator_value"] = initial_accumulator_value();
  j["eps"] = eps();
  j["maximize"] = maximize();
  return j.dump();
}

void AdagradOptions::from_json(const std::string& text) {
  const std::string who = "AdagradOptions";
  auto j = detail::parse_options(text, who,
                                 {"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize"});
  AdagradOptions o(detail::get_double(j, "lr", who));
  o.lr_decay(detail::get_double(j, "lr_decay", who))
      .weight_decay(detail::get_double(j, "weight_decay", who))
      .initial_accumulator_value(detail::get_double(j, "initial_accumulator_value", who))
      .eps(detail::get_double(j, "eps", who))
      .maximize(detail::get_bool(j, "maximize", who));
  *this = o;
}

bool operator==(const AdagradParamState& a, const AdagradParamState& b) {
  const auto& x = a.sum();
  const auto& y = b.sum();
  return a.step() == b.step() && x.defined() == y.defined() && (!x.defined() || x.equal(y));
}

std::vector<std::pair<std::string, Tensor>> AdagradParamState::named_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back("step", detail::step_tensor(step()));
  if (sum().defined()) out.emplace_back("sum", sum());
  return out;
}

namespace {

void validate(const AdagradOptions& o) {
  XGRAD_CHECK(o.lr() >= 0, ValueError, "Adagrad: Invalid learning rate: {} (lr must be >= 0)", o.lr());
  XGRAD_CHECK(o.lr_decay() >= 0, ValueError, "Adagrad: Invalid lr_decay value: {} (lr_decay must be >= 0)",
              o.lr_decay());
  XGRAD_CHECK(o.weight_decay() >= 0, ValueError,
              "Adagrad: Invalid weight_decay value: {} (weight_decay must be >= 0)", o.weight_decay());
  XGRAD_CHECK(o.initial_accumulator_value() >= 0, ValueError,
              "Adagrad: Invalid initial_accumulator_value value: {} (initial_accumulator_value must be >= 0)",
              o.initial_accumulator_value());
  XGRAD_CHECK(o.eps() >= 0, ValueError, "Adagrad: Invalid epsilon value: {} (eps must be >= 0)", o.eps());
}

std::unique_ptr<OptimizerOptions> checked(const AdagradOptions& o) {
  validate(o);
  return std::make_unique<AdagradOptions>(o);
}

std::unique_ptr<AdagradParamState> initial_state(const Tensor& p, const AdagradOptions& o) {
  auto s = std::make_unique<AdagradParamState>();
  s->step(0);
  s->sum(detail::new_state_like(p, o.initial_accumulator_value()));
  return s;
}

}  // namespace

Adagrad::Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults)
    : Optimizer(detail::checked_params(std::move(param_groups), "Adagrad"), checked(defaults)) {
  for (const auto& g : param_groups_) {
    check_options(g.options());
    const auto& o = static_cast<const AdagradOptions&>(g.options());
    for (const Tensor& p : g.params()) state_[state_key(p)] = initial_state(p, o);
  }
}

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions defaults)
    : Adagrad(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

void Adagrad::check_options(const OptimizerOptions& options) const {
  validate(detail::options_as<AdagradOptions>(options, "Adagrad"));
}

std::unique_ptr<OptimizerParamState> Adagrad::make_param_state(const Tensor& param,
                                                               const std::map<std::string, Tensor>& tensors,
                                                               const OptimizerOptions& /*options*/) const {
  detail::check_state_keys(tensors, {"step", "sum"});
  auto s = std::make_unique<AdagradParamState>();
  s->step(detail::load_step(tensors, "step"));
  s->sum(detail::load_state_tensor(tensors, "sum", param));
  return s;
}

Tensor Adagrad::step(LossClosure closure) {
  XGRAD_RECORD_FUNCTION("Optimizer.step#Adagrad.step", {});  // PyTorch's profiler name
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  const std::string who = "Adagrad.step";
  for (auto& group : param_groups_) {
    const auto& o = detail::options_as<AdagradOptions>(group.options(), who);
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      detail::ParamUpdate u(p, who);
      // Parameters added after construction (add_param_group) get their state on first use.
      auto& slot = state_[state_key(p)];
      if (!slot) slot = initial_state(p, o);
      auto* st = dynamic_cast<AdagradParamState*>(slot.get());
      XGRAD_CHECK(st != nullptr, TypeError, "{}: the state of a parameter is not an AdagradParamState", who);
      st->sum(detail::kernel_state(st->sum(), p, "sum", who));
      st->step(st->step() + 1);
      const double step = static_cast<double>(st->step());

      kernels::AdagradHyper h;
      h.clr = o.lr() / (1 + (step - 1) * o.lr_decay());
      h.weight_decay = o.weight_decay();
      h.eps = o.eps();
      h.maximize = o.maximize();
      detail::dispatch_float(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::adagrad_step(h, p.numel(), u.work.data_ptr<T>(), u.grad.data_ptr<T>(), st->sum().data_ptr<T>());
      });
      u.finish();
      detail::bump_version(st->sum());
    }
  }
  return loss;
}

}  // namespace xgrad::optim
