// SGD: options, state and step. The per-element update is kernels::sgd_step (one pass over
// parameter, gradient and momentum buffer); this file checks options, keeps the state and
// decides when the buffer is created (first step with momentum: a copy of the update direction,
// as PyTorch's `torch.clone(d_p)`).
#include <xgrad/optim/sgd.hpp>
#include <xgrad/profiler.hpp>

#include <xgrad/autograd/grad_mode.hpp>

#include "kernels/optim.hpp"
#include "optim/internal.hpp"

namespace xgrad::optim {

SGDOptions::SGDOptions(double lr) : lr_(lr) {}

bool operator==(const SGDOptions& a, const SGDOptions& b) {
  return a.lr() == b.lr() && a.momentum() == b.momentum() && a.dampening() == b.dampening() &&
         a.weight_decay() == b.weight_decay() && a.nesterov() == b.nesterov() && a.maximize() == b.maximize();
}

double SGDOptions::get_lr() const { return lr(); }
void SGDOptions::set_lr(const double lr) { this->lr(lr); }

std::string SGDOptions::to_json() const {
  detail::json j;
  j["lr"] = lr();
  j["momentum"] = momentum();
  j["dampening"] = dampening();
  j["weight_decay"] = weight_decay();
  j["nesterov"] = nesterov();
  j["maximize"] = maximize();
  return j.dump();
}

void SGDOptions::from_json(const std::string& text) {
  const std::string who = "SGDOptions";
  auto j = detail::parse_options(text, who, {"lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"});
  SGDOptions o(detail::get_double(j, "lr", who));
  o.momentum(detail::get_double(j, "momentum", who))
      .dampening(detail::get_double(j, "dampening", who))
      .weight_decay(detail::get_double(j, "weight_decay", who))
      .nesterov(detail::get_bool(j, "nesterov", who))
      .maximize(detail::get_bool(j, "maximize", who));
  *this = o;
}

bool operator==(const SGDParamState& a, const SGDParamState& b) {
  const auto& x = a.momentum_buffer();
  const auto& y = b.momentum_buffer();
  return x.defined() == y.defined() && (!x.defined() || x.equal(y));
}

std::vector<std::pair<std::string, Tensor>> SGDParamState::named_tensors() const {
  if (!momentum_buffer().defined()) return {};
  return {{"momentum_buffer", momentum_buffer()}};
}

namespace {

void validate(const SGDOptions& o) {
  XGRAD_CHECK(o.lr() >= 0, ValueError, "SGD: Invalid learning rate: {} (lr must be >= 0)", o.lr());
  XGRAD_CHECK(o.momentum() >= 0, ValueError, "SGD: Invalid momentum value: {} (momentum must be >= 0)", o.momentum());
  XGRAD_CHECK(o.weight_decay() >= 0, ValueError, "SGD: Invalid weight_decay value: {} (weight_decay must be >= 0)",
              o.weight_decay());
  XGRAD_CHECK(!o.nesterov() || (o.momentum() > 0 && o.dampening() == 0), ValueError,
              "SGD: Nesterov momentum requires a momentum and zero dampening (nesterov=true with momentum={}, "
              "dampening={})",
              o.momentum(), o.dampening());
}

// Checks the defaults before the base constructor adds any group, as PyTorch checks them
// before calling Optimizer.__init__.
std::unique_ptr<OptimizerOptions> checked(const SGDOptions& o) {
  validate(o);
  return std::make_unique<SGDOptions>(o);
}

}  // namespace

SGD::SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults)
    : Optimizer(detail::checked_params(std::move(param_groups), "SGD"), checked(defaults)) {
  for (const auto& g : param_groups_) check_options(g.options());
}

SGD::SGD(std::vector<Tensor> params, SGDOptions defaults)
    : SGD(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

void SGD::check_options(const OptimizerOptions& options) const {
  validate(detail::options_as<SGDOptions>(options, "SGD"));
}

std::unique_ptr<OptimizerParamState> SGD::make_param_state(const Tensor& param,
                                                           const std::map<std::string, Tensor>& tensors,
                                                           const OptimizerOptions& /*options*/) const {
  detail::check_state_keys(tensors, {"momentum_buffer"});
  auto s = std::make_unique<SGDParamState>();
  if (tensors.count("momentum_buffer"))
    s->momentum_buffer(detail::load_state_tensor(tensors, "momentum_buffer", param));
  return s;
}

Tensor SGD::step(LossClosure closure) {
  XGRAD_RECORD_FUNCTION("Optimizer.step#SGD.step", {});  // PyTorch's profiler name
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  const std::string who = "SGD.step";
  for (auto& group : param_groups_) {
    const auto& o = detail::options_as<SGDOptions>(group.options(), who);
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      detail::ParamUpdate u(p, who);
      kernels::SGDHyper h;
      h.lr = o.lr();
      h.momentum = o.momentum();
      h.dampening = o.dampening();
      h.weight_decay = o.weight_decay();
      h.nesterov = o.nesterov();
      h.maximize = o.maximize();
      Tensor buf;
      SGDParamState* st = nullptr;
      if (o.momentum() != 0) {
        auto& slot = state_[state_key(p)];
        if (!slot) slot = std::make_unique<SGDParamState>();
        st = dynamic_cast<SGDParamState*>(slot.get());
        XGRAD_CHECK(st != nullptr, TypeError, "{}: the state of a parameter is not an SGDParamState", who);
        if (st->momentum_buffer().defined()) {
          buf = detail::kernel_state(st->momentum_buffer(), p, "momentum_buffer", who);
        } else {
          buf = empty(p.sizes(), p.dtype());  // filled with d by the kernel (init_buffer)
          h.init_buffer = true;
        }
      }
      detail::dispatch_float(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::sgd_step(h, p.numel(), u.work.data_ptr<T>(), u.grad.data_ptr<T>(),
                          buf.defined() ? buf.data_ptr<T>() : nullptr);
      });
      u.finish();
      if (st != nullptr) {
        detail::bump_version(buf);
        st->momentum_buffer(buf);
      }
    }
  }
  return loss;
}

}  // namespace xgrad::optim
