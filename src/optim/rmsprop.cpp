// RMSprop: options, state and step (kernels::rmsprop_step does the per-element update in one
// pass over parameter, gradient and the one to three state buffers).
#include <xgrad/optim/rmsprop.hpp>
#include <xgrad/profiler.hpp>

#include <xgrad/autograd/grad_mode.hpp>

#include "kernels/optim.hpp"
#include "optim/internal.hpp"

namespace xgrad::optim {

RMSpropOptions::RMSpropOptions(double lr) : lr_(lr) {}

bool operator==(const RMSpropOptions& a, const RMSpropOptions& b) {
  return a.lr() == b.lr() && a.alpha() == b.alpha() && a.eps() == b.eps() && a.weight_decay() == b.weight_decay() &&
         a.momentum() == b.momentum() && a.centered() == b.centered() && a.maximize() == b.maximize();
}

double RMSpropOptions::get_lr() const { return lr(); }
void RMSpropOptions::set_lr(const double lr) { this->lr(lr); }

std::string RMSpropOptions::to_json() const {
  detail::json j;
  j["lr"] = lr();
  j["alpha"] = alpha();
  j["eps"] = eps();
  j["weight_decay"] = weight_decay();
  j["momentum"] = momentum();
  j["centered"] = centered();
  j["maximize"] = maximize();
  return j.dump();
}

void RMSpropOptions::from_json(const std::string& text) {
  const std::string who = "RMSpropOptions";
  auto j = detail::parse_options(text, who,
                                 {"lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"});
  RMSpropOptions o(detail::get_double(j, "lr", who));
  o.alpha(detail::get_double(j, "alpha", who))
      .eps(detail::get_double(j, "eps", who))
      .weight_decay(detail::get_double(j, "weight_decay", who))
      .momentum(detail::get_double(j, "momentum", who))
      .centered(detail::get_bool(j, "centered", who))
      .maximize(detail::get_bool(j, "maximize", who));
  *this = o;
}

namespace {
bool same(const Tensor& x, const Tensor& y) { return x.defined() == y.defined() && (!x.defined() || x.equal(y)); }
}  // namespace

bool operator==(const RMSpropParamState& a, const RMSpropParamState& b) {
  return a.step() == b.step() && same(a.square_avg(), b.square_avg()) &&
         same(a.momentum_buffer(), b.momentum_buffer()) && same(a.grad_avg(), b.grad_avg());
}

std::vector<std::pair<std::string, Tensor>> RMSpropParamState::named_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back("step", detail::step_tensor(step()));
  if (square_avg().defined()) out.emplace_back("square_avg", square_avg());
  if (momentum_buffer().defined()) out.emplace_back("momentum_buffer", momentum_buffer());
  if (grad_avg().defined()) out.emplace_back("grad_avg", grad_avg());
  return out;
}

namespace {

void validate(const RMSpropOptions& o) {
  XGRAD_CHECK(o.lr() >= 0, ValueError, "RMSprop: Invalid learning rate: {} (lr must be >= 0)", o.lr());
  XGRAD_CHECK(o.eps() >= 0, ValueError, "RMSprop: Invalid epsilon value: {} (eps must be >= 0)", o.eps());
  XGRAD_CHECK(o.momentum() >= 0, ValueError, "RMSprop: Invalid momentum value: {} (momentum must be >= 0)",
              o.momentum());
  XGRAD_CHECK(o.weight_decay() >= 0, ValueError,
              "RMSprop: Invalid weight_decay value: {} (weight_decay must be >= 0)", o.weight_decay());
  XGRAD_CHECK(o.alpha() >= 0, ValueError, "RMSprop: Invalid alpha value: {} (alpha must be >= 0)", o.alpha());
}

std::unique_ptr<OptimizerOptions> checked(const RMSpropOptions& o) {
  validate(o);
  return std::make_unique<RMSpropOptions>(o);
}

}  // namespace

RMSprop::RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults)
    : Optimizer(detail::checked_params(std::move(param_groups), "RMSprop"), checked(defaults)) {
  for (const auto& g : param_groups_) check_options(g.options());
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions defaults)
    : RMSprop(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

void RMSprop::check_options(const OptimizerOptions& options) const {
  validate(detail::options_as<RMSpropOptions>(options, "RMSprop"));
}

std::unique_ptr<OptimizerParamState> RMSprop::make_param_state(const Tensor& param,
                                                               const std::map<std::string, Tensor>& tensors,
                                                               const OptimizerOptions& options) const {
  const auto& o = detail::options_as<RMSpropOptions>(options, "RMSprop");
  detail::check_state_keys(tensors, {"step", "square_avg", "momentum_buffer", "grad_avg"});
  auto s = std::make_unique<RMSpropParamState>();
  s->step(detail::load_step(tensors, "step"));
  s->square_avg(detail::load_state_tensor(tensors, "square_avg", param));
  // Required when the loaded options use them (PyTorch would fail on the next step otherwise).
  if (o.momentum() > 0 || tensors.count("momentum_buffer"))
    s->momentum_buffer(detail::load_state_tensor(tensors, "momentum_buffer", param));
  if (o.centered() || tensors.count("grad_avg")) s->grad_avg(detail::load_state_tensor(tensors, "grad_avg", param));
  return s;
}

Tensor RMSprop::step(LossClosure closure) {
  XGRAD_RECORD_FUNCTION("Optimizer.step#RMSprop.step", {});  // PyTorch's profiler name
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  const std::string who = "RMSprop.step";
  for (auto& group : param_groups_) {
    const auto& o = detail::options_as<RMSpropOptions>(group.options(), who);
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      detail::ParamUpdate u(p, who);
      auto& slot = state_[state_key(p)];
      if (!slot) {
        auto s = std::make_unique<RMSpropParamState>();
        s->square_avg(detail::new_state_like(p));
        slot = std::move(s);
      }
      auto* st = dynamic_cast<RMSpropParamState*>(slot.get());
      XGRAD_CHECK(st != nullptr, TypeError, "{}: the state of a parameter is not an RMSpropParamState", who);
      // Buffers appear when their option is first on, zero-filled as PyTorch's initial state.
      if (o.momentum() > 0 && !st->momentum_buffer().defined()) st->momentum_buffer(detail::new_state_like(p));
      if (o.centered() && !st->grad_avg().defined()) st->grad_avg(detail::new_state_like(p));
      st->square_avg(detail::kernel_state(st->square_avg(), p, "square_avg", who));
      if (o.momentum() > 0) st->momentum_buffer(detail::kernel_state(st->momentum_buffer(), p, "momentum_buffer", who));
      if (o.centered()) st->grad_avg(detail::kernel_state(st->grad_avg(), p, "grad_avg", who));
      st->step(st->step() + 1);

      kernels::RMSpropHyper h;
      h.lr = o.lr();
      h.alpha = o.alpha();
      h.eps = o.eps();
      h.weight_decay = o.weight_decay();
      h.momentum = o.momentum();
      h.centered = o.centered();
      h.maximize = o.maximize();
      detail::dispatch_float(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::rmsprop_step(h, p.numel(), u.work.data_ptr<T>(), u.grad.data_ptr<T>(), st->square_avg().data_ptr<T>(),
                              o.centered() ? st->grad_avg().data_ptr<T>() : nullptr,
                              o.momentum() > 0 ? st->momentum_buffer().data_ptr<T>() : nullptr);
      });
      u.finish();
      detail::bump_version(st->square_avg());
      if (o.centered()) detail::bump_version(st->grad_avg());
      if (o.momentum() > 0) detail::bump_version(st->momentum_buffer());
    }
  }
  return loss;
}

}  // namespace xgrad::optim
