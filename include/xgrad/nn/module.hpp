#pragma once
/// \file
/// `nn::Module`, the base of every layer and model, as LibTorch's `torch::nn::Module`: it owns
/// named parameters, buffers and submodules, walks them recursively, switches train/eval mode,
/// converts dtype and prints itself as PyTorch does.
///
///     struct NetImpl : xgrad::nn::Module {
///       NetImpl() {
///         conv1 = register_module("conv1", xgrad::nn::Conv2d(xgrad::nn::Conv2dOptions(1, 6, 5).padding(2)));
///         scale = register_parameter("scale", xgrad::ones({1}));
///       }
///       xgrad::Tensor forward(xgrad::Tensor x) { return conv1(x) * scale; }
///       xgrad::nn::Conv2d conv1{nullptr};
///       xgrad::Tensor scale;
///     };
///     XGRAD_MODULE(Net);
///
///     Net net;
///     for (const auto& p : net->named_parameters()) std::cout << p.key() << '\n';  // conv1.weight, ...
///     std::cout << *net;   // Net(\n  (conv1): Conv2d(1, 6, kernel_size=(5, 5), ...)\n)

#include <xgrad/autograd/anomaly_mode.hpp>
#include <xgrad/nn/pimpl.hpp>
#include <xgrad/ordered_dict.hpp>
#include <xgrad/state_dict.hpp>
#include <xgrad/tensor.hpp>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace xgrad::nn {

// ---- forward hooks: types ----------------------------------------------------------------------
class Module;

/// A forward pre-hook: called with the module and its input before `forward`; a returned tensor
/// replaces the input (PyTorch's `hook(module, input) -> None or modified input`).
using ForwardPreHook = std::function<std::optional<Tensor>(Module&, const Tensor& input)>;
/// A forward hook: called with the module, its input and its output after `forward`; a returned
/// tensor replaces the output (PyTorch's `hook(module, input, output) -> None or modified output`).
using ForwardHook = std::function<std::optional<Tensor>(Module&, const Tensor& input, const Tensor& output)>;

namespace detail {
/// A module's hooks, in registration order, each with the id its handle removes it by.
struct ForwardHooks {
  std::vector<std::pair<uint64_t, ForwardPreHook>> pre;
  std::vector<std::pair<uint64_t, ForwardHook>> post;
  uint64_t next_id = 0;
  bool empty() const noexcept { return pre.empty() && post.empty(); }
};

/// Holds a module's ForwardHooks. Empty (null) until the first hook is registered, so a module
/// without hooks pays one pointer test per call. Copying a module copies its hooks into a
/// registry of its own (as Python's deepcopy); handles keep referring to the original's.
class HookSlot {
 public:
  HookSlot() = default;
  HookSlot(const HookSlot& other) : hooks_(copy_of(other)) {}
  HookSlot& operator=(const HookSlot& other) {
    if (this != &other) hooks_ = copy_of(other);
    return *this;
  }
  HookSlot(HookSlot&&) noexcept = default;
  HookSlot& operator=(HookSlot&&) noexcept = default;

  bool active() const noexcept { return hooks_ != nullptr && !hooks_->empty(); }
  const std::shared_ptr<ForwardHooks>& get() {
    if (!hooks_) hooks_ = std::make_shared<ForwardHooks>();
    return hooks_;
  }

 private:
  static std::shared_ptr<ForwardHooks> copy_of(const HookSlot& other) {
    return other.hooks_ ? std::make_shared<ForwardHooks>(*other.hooks_) : nullptr;
  }
  std::shared_ptr<ForwardHooks> hooks_;
};

template <typename Impl, typename... Args>
concept SingleTensorForward =
    sizeof...(Args) == 1 && (std::is_same_v<std::remove_cvref_t<Args>, Tensor> && ...) &&
    requires(Impl& m, Args&&... args) {
      { m.forward(std::forward<Args>(args)...) } -> std::same_as<Tensor>;
    };

[[noreturn]] void throw_hooks_need_single_tensor_forward(const Module& module);
}  // namespace detail

/// Removes the hook it was returned for (PyTorch's `torch.utils.hooks.RemovableHandle`).
/// `remove()` may be called any number of times, also after the module is destroyed.
class RemovableHandle {
 public:
  RemovableHandle() = default;
  /// Unregisters the hook; does nothing if it is already removed or its module is gone.
  void remove() noexcept;

 private:
  friend class Module;
  RemovableHandle(std::weak_ptr<detail::ForwardHooks> hooks, uint64_t id) : hooks_(std::move(hooks)), id_(id) {}
  std::weak_ptr<detail::ForwardHooks> hooks_;
  uint64_t id_ = 0;
};

class Module : public std::enable_shared_from_this<Module> {
 public:
  using ModuleApplyFunction = std::function<void(Module&)>;
  using ConstModuleApplyFunction = std::function<void(const Module&)>;
  using NamedModuleApplyFunction = std::function<void(const std::string&, Module&)>;
  using ConstNamedModuleApplyFunction = std::function<void(const std::string&, const Module&)>;
  using ModulePointerApplyFunction = std::function<void(const std::shared_ptr<Module>&)>;
  using NamedModulePointerApplyFunction = std::function<void(const std::string&, const std::shared_ptr<Module>&)>;

  /// A module whose name() (and short_name()) is `name`.
  explicit Module(std::string name);
  /// A module named after its class (see name() and short_name()).
  Module();
  virtual ~Module() = default;
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  /// LibTorch's Module::name(): the demangled, qualified type of the most derived class
  /// ("xgrad::nn::Conv2dImpl", "test::AGIUnit", "NetImpl"), or the name given to the
  /// constructor.
  const std::string& name() const;
  /// The class name PyTorch prints (Python's `type(m).__name__`): name() without namespaces,
  /// template arguments and the `Impl` suffix ("Conv2d", "Sequential", "Net"), or the name given
  /// to the constructor. Printing and error messages use it.
  const std::string& short_name() const;

  // ---- parameters, buffers, submodules ----------------------------------------------------------
  /// Parameters of this module and (with `recurse`) of all submodules, depth first, no
  /// duplicates.
  std::vector<Tensor> parameters(bool recurse = true) const;
  /// Same, keyed by dotted paths: "weight", "conv1.weight", "features.0.bias".
  OrderedDict<std::string, Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_buffers(bool recurse = true) const;
  /// This module (with `include_self`) and all submodules, depth first.
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true) const;
  /// Same, keyed by dotted path ("" for this module, or `name_prefix`).
  OrderedDict<std::string, std::shared_ptr<Module>> named_modules(const std::string& name_prefix = std::string(),
                                                                  bool include_self = true) const;
  /// Direct submodules in registration order, one entry per registration: a module registered
  /// under two names (a Sequential holding one module twice) is listed under both, as LibTorch
  /// (PyTorch's Python lists it once). The recursive traversals below and the parameter lists
  /// still visit a shared module or tensor once.
  std::vector<std::shared_ptr<Module>> children() const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_children() const;

  /// Calls `fn` on this module and every submodule, depth first in registration order (the
  /// order of modules()); a module reachable twice is visited once. The overloads are LibTorch's
  /// `Module::apply` (PyTorch: `model.apply(fn)`, and `named_modules()` for the named forms):
  ///
  ///     model->apply([](nn::Module& m) { if (auto* fc = m.as<nn::Linear>()) nn::init::zeros_(fc->bias); });
  ///     model->apply([](const std::string& path, nn::Module& m) { std::cout << path << '\n'; }, "model");
  ///     model->apply([](const std::shared_ptr<nn::Module>& m) { keep.push_back(m); });
  ///
  /// The named forms get each module's dotted path ("features.0") behind `name_prefix` ("" for
  /// the root itself, or `name_prefix` alone). The shared_ptr forms need this module to be
  /// owned by a std::shared_ptr (a holder's module is) and throw ValueError otherwise, as
  /// named_modules() does.
  void apply(const ModuleApplyFunction& fn);
  void apply(const ConstModuleApplyFunction& fn) const;
  void apply(const NamedModuleApplyFunction& fn, const std::string& name_prefix = std::string());
  void apply(const ConstNamedModuleApplyFunction& fn, const std::string& name_prefix = std::string()) const;
  void apply(const ModulePointerApplyFunction& fn) const;
  void apply(const NamedModulePointerApplyFunction& fn, const std::string& name_prefix = std::string()) const;

  // ---- cloning ----------------------------------------------------------------------------------
  /// A deep copy: the same structure and values in new parameters, buffers and submodules (PyTorch:
  /// `copy.deepcopy(model)`; LibTorch: `module->clone()`). Implemented by nn::Cloneable<Derived>
  /// (see nn/cloneable.hpp), which every built-in module derives from; here, for a module that
  /// does not, it throws TypeError. LibTorch's signature: `device` names where the copy's
  /// tensors go; xgrad runs on the CPU only, so any other device is a ValueError naming it (a
  /// user module overriding `clone(const optional<Device>& device = nullopt) const` compiles
  /// as with LibTorch).
  virtual std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const;

  // ---- modes and conversions -------------------------------------------------------------------
  /// Training mode (`true`) or evaluation mode, for this module and all submodules. Affects
  /// e.g. Dropout.
  virtual void train(bool on = true);
  /// Same as train(false).
  void eval() { train(false); }
  virtual bool is_training() const noexcept { return is_training_; }
  /// Converts floating-point parameters and buffers (and their gradients) to `dtype`, in
  /// place: handles held elsewhere (e.g. `linear->weight`) see the change.
  virtual void to(ScalarType dtype, bool non_blocking = false);
  /// `module->to(device)`: a no-op for the CPU; any other device throws ValueError naming the
  /// module and the device (xgrad computes on the CPU only).
  virtual void to(Device device, bool non_blocking = false);
  /// `module->to(device, dtype)`: the device checked as above, then `to(dtype)`.
  virtual void to(Device device, ScalarType dtype, bool non_blocking = false);
  /// Clears the gradients of all parameters: zeroes them, or with `set_to_none` resets them to
  /// undefined. LibTorch 1.13's default is `false`.
  virtual void zero_grad(bool set_to_none = false);

  // ---- registration ----------------------------------------------------------------------------
  /// Registers (and returns a handle to) a parameter; sets its requires_grad.
  /// Throws ValueError on an empty name, a name with '.', or a name already in use.
  Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  /// Registers state that is saved with the module but not trained (running statistics, ...).
  Tensor& register_buffer(std::string name, Tensor tensor);
  /// Registers a submodule; its parameters appear as "name.param".
  template <typename ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name, std::shared_ptr<ModuleType> module) {
    check_name(name, "Submodule");
    XGRAD_CHECK(module != nullptr, ValueError, "{}: cannot register an empty submodule '{}'", short_name(), name);
    XGRAD_CHECK(!children_.contains(name), ValueError, "{}: Submodule '{}' already defined", short_name(), name);
    children_.insert(std::move(name), module);
    return module;
  }
  /// Same for a holder (`nn::Linear(4, 2)`); returns the holder, so `fc = register_module("fc", ...)`.
  template <typename Holder>
    requires is_module_holder_v<Holder>
  Holder register_module(std::string name, Holder module_holder) {
    XGRAD_CHECK(!module_holder.is_empty(), ValueError, "{}: cannot register an empty submodule '{}'", short_name(),
                name);
    register_module(std::move(name), module_holder.ptr());
    return module_holder;
  }
  /// Replaces an already registered submodule (the caller must update its own handle).
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, std::shared_ptr<ModuleType> module) {
    auto* slot = children_.find(name);
    XGRAD_CHECK(slot != nullptr, IndexError,
                "{}: Submodule '{}' is not defined, so it cannot be replaced; register it with register_module first",
                short_name(), name);
    *slot = module;
    return module;
  }
  template <typename Holder>
    requires is_module_holder_v<Holder>
  Holder replace_module(const std::string& name, Holder module_holder) {
    replace_module(name, module_holder.ptr());
    return module_holder;
  }
  void unregister_module(const std::string& name);

  /// This module as a `ModuleType` (an Impl class or a holder's ContainedType), or nullptr.
  template <typename ModuleType>
  auto* as() noexcept {
    if constexpr (is_module_holder_v<ModuleType>)
      return dynamic_cast<typename ModuleType::ContainedType*>(this);
    else
      return dynamic_cast<ModuleType*>(this);
  }
  template <typename ModuleType>
  const auto* as() const noexcept {
    if constexpr (is_module_holder_v<ModuleType>)
      return dynamic_cast<const typename ModuleType::ContainedType*>(this);
    else
      return dynamic_cast<const ModuleType*>(this);
  }

  // ==== state_dict / load_state_dict (checkpoints; implemented in src/nn/state_dict.cpp) =======
  /// Parameters and buffers under PyTorch's names and in PyTorch's order: for each module its
  /// parameters, then its buffers, then its children recursively ("scale", "steps",
  /// "features.0.weight", "features.0.bias", "fc.weight", ...). Undefined tensors are skipped;
  /// a tensor registered twice (tied weights) appears under both names, as in PyTorch. The
  /// tensors are detached handles sharing the module's storage (no copy). Metadata is empty.
  /// PyTorch: `model.state_dict()`.
  StateDict state_dict() const;
  /// Copies the tensors of `state` into this module's parameters and buffers, in place under
  /// NoGradGuard, so handles held elsewhere (an optimizer's) see the new values. Everything is
  /// checked before anything changes; on any problem ValueError lists every one, as PyTorch:
  ///     Error(s) in loading state_dict for Net:
  ///         Missing key(s) in state_dict: "fc.bias".
  ///         Unexpected key(s) in state_dict: "fc2.weight".
  ///         size mismatch for fc.weight: copying a param with shape torch.Size([2, 4]) from
  ///         checkpoint, the shape in current model is torch.Size([3, 4]).
  /// With `strict = false`, missing and unexpected names are ignored and the others loaded;
  /// size and dtype mismatches are still errors. Floating-point values are converted to the
  /// parameter's floating dtype (as PyTorch's copy_); any other dtype change (int64 into a
  /// float32 buffer, ...) is an error. Metadata is ignored. PyTorch: `model.load_state_dict(sd)`.
  void load_state_dict(const StateDict& state, bool strict = true);
  // ==== end state_dict / load_state_dict ==========================================================

  // ---- printing --------------------------------------------------------------------------------
  /// Text between the parentheses of this module's line: "in_features=4, out_features=2,
  /// bias=True" for Linear (PyTorch's extra_repr). Override in custom modules.
  virtual std::string extra_repr() const { return {}; }
  /// Writes this module's text, by default PyTorch's repr (name, extra_repr, submodules
  /// indented below). Overriding it (as in LibTorch) replaces the text of this module,
  /// including where it appears nested in a parent.
  virtual void pretty_print(std::ostream& stream) const;
  /// The text pretty_print writes, as a string.
  std::string repr() const;

  // ---- forward hooks (PyTorch's register_forward_pre_hook / register_forward_hook) -------------
  // Hooks run when the module is *called*: `holder(x)`, or by a container (Sequential) calling
  // its children; not when `forward` is called directly, as in PyTorch. They apply to a forward
  // that takes one Tensor and returns one; calling a module of another signature that has hooks
  // throws TypeError. Hooks run in registration order.

  /// Registers `hook(module, input)` to run before every call of this module's forward; if it
  /// returns a tensor, that tensor is the input (to forward and to later hooks). Returns a handle
  /// whose `remove()` unregisters it.
  ///     auto h = conv->register_forward_pre_hook([](nn::Module&, const Tensor& x) { return x * 2; });
  ///     h.remove();
  RemovableHandle register_forward_pre_hook(ForwardPreHook hook);
  /// Registers `hook(module, input, output)` to run after every call of forward; if it returns a
  /// tensor, that tensor is the output.
  ///     std::vector<Tensor> seen;
  ///     auto h = conv->register_forward_hook(
  ///         [&](nn::Module&, const Tensor&, const Tensor& y) { seen.push_back(y); return std::nullopt; });
  RemovableHandle register_forward_hook(ForwardHook hook);
  /// The same for hooks that return nothing (they only observe).
  template <typename F>
    requires std::is_void_v<std::invoke_result_t<F&, Module&, const Tensor&>>
  RemovableHandle register_forward_pre_hook(F hook) {
    return register_forward_pre_hook(
        ForwardPreHook([h = std::move(hook)](Module& m, const Tensor& x) mutable -> std::optional<Tensor> {
          h(m, x);
          return std::nullopt;
        }));
  }
  template <typename F>
    requires std::is_void_v<std::invoke_result_t<F&, Module&, const Tensor&, const Tensor&>>
  RemovableHandle register_forward_hook(F hook) {
    return register_forward_hook(ForwardHook(
        [h = std::move(hook)](Module& m, const Tensor& x, const Tensor& y) mutable -> std::optional<Tensor> {
          h(m, x, y);
          return std::nullopt;
        }));
  }
  /// True when at least one forward pre-hook or hook is registered on this module.
  bool has_forward_hooks() const noexcept { return hooks_.active(); }
  /// Runs the pre-hooks, `forward(input)`, then the hooks (used by call_module; call the module
  /// instead).
  Tensor call_forward_with_hooks(const Tensor& input, const std::function<Tensor(const Tensor&)>& forward);

 protected:
  /// Used by Cloneable: become a clone of `other` (throws TypeError here).
  virtual void clone_from_(Module& other);
  /// Used by Cloneable::clone on the copy: forget the registrations copied from the original.
  void clear_registrations_for_clone_();
  /// Used by the clone() overrides: ValueError naming this module unless `device` is empty or
  /// the CPU.
  void check_clone_device_(const std::optional<Device>& device) const;
  /// Used by Cloneable::clone: gives `copy` (after its reset()) this module's values and clones
  /// of its submodules; checks that reset() registered the same names.
  void copy_state_for_clone_(Module& copy) const;

  OrderedDict<std::string, Tensor> parameters_{"Parameter"};
  OrderedDict<std::string, Tensor> buffers_{"Buffer"};
  OrderedDict<std::string, std::shared_ptr<Module>> children_{"Submodule"};

 private:
  friend struct ModuleAccess;
  void check_name(const std::string& name, const char* what) const;
  void apply_to_named_modules(const NamedModuleApplyFunction& fn, const std::string& prefix, bool include_self,
                              std::vector<const Module*>& seen) const;
  /// The same walk without the dotted names, for the apply() forms that do not hand them out.
  void apply_to_modules(const ModuleApplyFunction& fn, std::vector<const Module*>& seen) const;

  mutable std::optional<std::string> name_;
  mutable std::optional<std::string> short_name_;
  bool is_training_ = true;
  detail::HookSlot hooks_;  // forward pre-hooks and hooks
};

/// Calls `module.forward(args...)` as PyTorch's `module(*args)`: a forward of one Tensor runs
/// the module's forward pre-hooks and hooks around it; a module without hooks costs one test.
/// An xgrad::Error leaving `module`'s forward gets the module added to its context (its path
/// and, for the innermost module, its description; see xgrad::Error).
namespace detail {
void add_module_context(Error& error, const Module& module);
}

template <typename Impl, typename... Args>
decltype(auto) call_module(Impl& module, Args&&... args) {
  // Anomaly mode names the module path of each recorded op; off, this is one test.
  autograd::detail::AnomalyModuleScope anomaly_scope(module);
  try {  // no cost unless something throws
    if constexpr (detail::SingleTensorForward<Impl, Args...>) {
      if (module.has_forward_hooks()) [[unlikely]]
        return module.call_forward_with_hooks(args..., [&module](const Tensor& x) -> Tensor { return module.forward(x); });
      return module.forward(std::forward<Args>(args)...);
    } else {
      if (module.has_forward_hooks()) [[unlikely]]
        detail::throw_hooks_need_single_tensor_forward(module);
      return module.forward(std::forward<Args>(args)...);
    }
  } catch (Error& error) {
    detail::add_module_context(error, module);
    throw;
  }
}

/// Prints the module as PyTorch's repr():
///     Sequential(
///       (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
///       (1): Sigmoid()
///     )
std::ostream& operator<<(std::ostream& stream, const Module& module);

/// PyTorch's spelling of a bool ("True"/"False") for extra_repr.
inline const char* py_bool(bool b) { return b ? "True" : "False"; }

}  // namespace xgrad::nn

/// `fmt::format("{}", *model)` / `fmt::format("{}", linear)` print as operator<<.
template <typename T>
  requires(std::is_base_of_v<xgrad::nn::Module, T> || xgrad::nn::is_module_holder_v<T>)
struct fmt::formatter<T> : fmt::ostream_formatter {};
