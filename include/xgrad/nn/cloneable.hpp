#pragma once
/// \file
/// `nn::Cloneable<Derived>`, as LibTorch's `torch::nn::Cloneable`: the base that gives a module
/// `clone()`, a deep copy whose parameters, buffers and submodules are new tensors and modules
/// holding the same values (PyTorch: `copy.deepcopy(model)`). Every built-in module derives from
/// it; a user module does too when it should be cloneable:
///
///     struct NetImpl : xgrad::nn::Cloneable<NetImpl> {
///       NetImpl() { reset(); }
///       void reset() override {   // creates every parameter, buffer and submodule
///         fc = register_module("fc", xgrad::nn::Linear(4, 2));
///         scale = register_parameter("scale", xgrad::ones({1}));
///       }
///       xgrad::Tensor forward(const xgrad::Tensor& x) { return fc(x) * scale; }
///       xgrad::nn::Linear fc{nullptr};
///       xgrad::Tensor scale;
///     };
///     XGRAD_MODULE(Net);
///     Net net;
///     auto copy = std::dynamic_pointer_cast<NetImpl>(net->clone());  // copy->fc is a new Linear
///
/// How: the module is copy-constructed (so plain members such as options are copied), its
/// registrations are cleared, `reset()` registers new parameters, buffers and submodules (so
/// the copy's own members refer to them), then each new tensor takes a copy of the original's
/// values (under NoGradGuard, without gradients) and each submodule is replaced in place by a
/// clone of the original's. A module whose `reset()` registers other names, counts or types
/// than the original has throws ValueError/TypeError naming the module and the difference.
/// `Module::clone()` of a module that is not Cloneable throws TypeError. `clone(device)` takes
/// LibTorch's optional device, which must be the CPU.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/module.hpp>

#include <memory>
#include <utility>

namespace xgrad::nn {

/// Implements clone() for `Derived` (CRTP). `Base` is the class Derived would otherwise derive
/// from (Module, or an intermediate class such as BatchNormImplBase).
template <typename Derived, typename Base = Module>
class Cloneable : public Base {
 public:
  using Base::Base;

  /// (Re)creates every parameter, buffer and submodule: clone() calls it on the copy.
  virtual void reset() = 0;

  /// A deep copy: new parameters, buffers and submodules with the same values. `device` must be
  /// the CPU when given (ValueError otherwise: xgrad has no other device).
  std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const override {
    this->check_clone_device_(device);
    NoGradGuard no_grad;
    auto copy = std::make_shared<Derived>(static_cast<const Derived&>(*this));
    copy->clear_registrations_for_clone_();
    copy->reset();
    this->copy_state_for_clone_(*copy);
    return copy;
  }

 protected:
  /// Becomes a clone of `other` (a submodule of the original, cloned into the copy's own
  /// submodule object so that the copy's members keep pointing at it).
  void clone_from_(Module& other) override {
    auto clone = std::dynamic_pointer_cast<Derived>(other.clone());
    XGRAD_CHECK(clone != nullptr, TypeError,
                "{}.clone: the submodule to clone into is a {}, but the original submodule is a {}; reset() must "
                "register submodules of the same types",
                this->short_name(), this->short_name(), other.short_name());
    static_cast<Derived&>(*this) = std::move(*clone);
  }
};

}  // namespace xgrad::nn
