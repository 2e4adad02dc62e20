#pragma once
// The step shared by Adam and AdamW (they differ only in how weight decay enters, and in their
// options/state classes): state creation, PyTorch's scalar arithmetic in double, one kernel call
// per parameter. Also the options checks and state loading, which are the same for both.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/optim/optimizer.hpp>

#include "kernels/optim.hpp"
#include "optim/internal.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <tuple>

namespace xgrad::optim::detail {

template <typename Options>
void validate_adam(const Options& o, const char* name) {
  XGRAD_CHECK(o.lr() >= 0, ValueError, "{}: Invalid learning rate: {} (lr must be >= 0)", name, o.lr());
  XGRAD_CHECK(o.eps() >= 0, ValueError, "{}: Invalid epsilon value: {} (eps must be >= 0)", name, o.eps());
  const double b0 = std::get<0>(o.betas());
  const double b1 = std::get<1>(o.betas());
  XGRAD_CHECK(0 <= b0 && b0 < 1.0, ValueError, "{}: Invalid beta parameter at index 0: {} (betas must be in [0, 1))",
              name, b0);
  XGRAD_CHECK(0 <= b1 && b1 < 1.0, ValueError, "{}: Invalid beta parameter at index 1: {} (betas must be in [0, 1))",
              name, b1);
  XGRAD_CHECK(o.weight_decay() >= 0, ValueError, "{}: Invalid weight_decay value: {} (weight_decay must be >= 0)",
              name, o.weight_decay());
}

template <typename Options>
std::string adam_to_json(const Options& o) {
  json j;
  j["lr"] = o.lr();
  j["betas"] = json::array({std::get<0>(o.betas()), std::get<1>(o.betas())});
  j["eps"] = o.eps();
  j["weight_decay"] = o.weight_decay();
  j["amsgrad"] = o.amsgrad();
  j["maximize"] = o.maximize();
  return j.dump();
}

template <typename Options>
Options adam_from_json(const std::string& text, const std::string& who) {
  auto j = parse_options(text, who, {"lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"});
  Options o(get_double(j, "lr", who));
  const auto betas = get_pair(j, "betas", who);
  o.betas(std::make_tuple(betas.first, betas.second))
      .eps(get_double(j, "eps", who))
      .weight_decay(get_double(j, "weight_decay", who))
      .amsgrad(get_bool(j, "amsgrad", who))
      .maximize(get_bool(j, "maximize", who));
  return o;
}

template <typename State>
std::vector<std::pair<std::string, Tensor>> adam_named_tensors(const State& s) {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back("step", step_tensor(s.step()));
  if (s.exp_avg().defined()) out.emplace_back("exp_avg", s.exp_avg());
  if (s.exp_avg_sq().defined()) out.emplace_back("exp_avg_sq", s.exp_avg_sq());
  if (s.max_exp_avg_sq().defined()) out.emplace_back("max_exp_avg_sq", s.max_exp_avg_sq());
  return out;
}

template <typename State, typename Options>
std::unique_ptr<OptimizerParamState> adam_load_state(const Tensor& param, const std::map<std::string, Tensor>& tensors,
                                                     const Options& o) {
  check_state_keys(tensors, {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"});
  auto s = std::make_unique<State>();
  s->step(load_step(tensors, "step"));
  s->exp_avg(load_state_tensor(tensors, "exp_avg", param));
  s->exp_avg_sq(load_state_tensor(tensors, "exp_avg_sq", param));
  // PyTorch needs max_exp_avg_sq once amsgrad is on; without amsgrad a saved one is kept.
  if (o.amsgrad() || tensors.count("max_exp_avg_sq"))
    s->max_exp_avg_sq(load_state_tensor(tensors, "max_exp_avg_sq", param));
  return s;
}

/// One Adam (decoupled = false) or AdamW (decoupled = true) step over all groups.
template <typename Options, typename State>
void adam_step(std::vector<OptimizerParamGroup>& groups, Optimizer::StateMap& state, bool decoupled,
               const std::string& who) {
  NoGradGuard no_grad;
  for (auto& group : groups) {
    const auto& o = options_as<Options>(group.options(), who);
    const double beta1 = std::get<0>(o.betas());
    const double beta2 = std::get<1>(o.betas());
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      ParamUpdate u(p, who);
      auto& slot = state[Optimizer::state_key(p)];
      if (!slot) {
        auto s = std::make_unique<State>();
        s->step(0);
        s->exp_avg(new_state_like(p));
        s->exp_avg_sq(new_state_like(p));
        if (o.amsgrad()) s->max_exp_avg_sq(new_state_like(p));
        slot = std::move(s);
      }
      auto* st = dynamic_cast<State*>(slot.get());
      XGRAD_CHECK(st != nullptr, TypeError, "{}: the state of a parameter has the wrong class", who);
      if (o.amsgrad() && !st->max_exp_avg_sq().defined()) st->max_exp_avg_sq(new_state_like(p));
      st->exp_avg(kernel_state(st->exp_avg(), p, "exp_avg", who));
      st->exp_avg_sq(kernel_state(st->exp_avg_sq(), p, "exp_avg_sq", who));
      if (o.amsgrad()) st->max_exp_avg_sq(kernel_state(st->max_exp_avg_sq(), p, "max_exp_avg_sq", who));

      st->step(st->step() + 1);
      // PyTorch's Python-float arithmetic: step is a float, ** is C pow, all in double.
      const double step = static_cast<double>(st->step());
      const double bias_correction1 = 1 - std::pow(beta1, step);
      const double bias_correction2 = 1 - std::pow(beta2, step);
      kernels::AdamHyper h;
      h.beta1 = beta1;
      h.beta2 = beta2;
      h.eps = o.eps();
      h.weight_decay = o.weight_decay();
      h.decoupled = decoupled;
      h.decay_factor = 1 - o.lr() * o.weight_decay();
      h.step_size = o.lr() / bias_correction1;
      h.bias_correction2_sqrt = std::sqrt(bias_correction2);
      h.amsgrad = o.amsgrad();
      h.maximize = o.maximize();
      dispatch_float(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::adam_step(h, p.numel(), u.work.data_ptr<T>(), u.grad.data_ptr<T>(),
                           st->exp_avg().template data_ptr<T>(), st->exp_avg_sq().template data_ptr<T>(),
                           o.amsgrad() ? st->max_exp_avg_sq().template data_ptr<T>() : nullptr);
      });
      u.finish();
      bump_version(st->exp_avg());
      bump_version(st->exp_avg_sq());
      if (o.amsgrad()) bump_version(st->max_exp_avg_sq());
    }
  }
}

}  // namespace xgrad::optim::detail
