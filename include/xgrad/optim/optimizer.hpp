#pragma once
/// \file
/// `optim::Optimizer`, the base of every optimizer, as LibTorch's `torch::optim::Optimizer`.
///
/// An optimizer holds its parameters in *param groups*; each group has its own options (an
/// `OptimizerOptions` subclass such as `AdamOptions`), copied from the optimizer's defaults when
/// the group brings none. Per-parameter state (momentum buffers, Adam moments) lives in
/// `state()`, keyed as LibTorch keys it: by the address of the parameter's TensorImpl written
/// as text (`Optimizer::state_key(p)`). The state of a parameter is created by its first step.
///
///     auto opt = xgrad::optim::SGD(model->parameters(), xgrad::optim::SGDOptions(0.1).momentum(0.9));
///     opt.zero_grad();
///     loss.backward();
///     opt.step();
///     std::cout << opt.param_groups()[0].options().get_lr();   // 0.1
///
/// Serialization: `state_dict()` flattens PyTorch's `optimizer.state_dict()` into a `StateDict`
/// (tensors "state.<i>.<key>", metadata "optimizer" and "param_groups"); `load_state_dict()`
/// validates everything before changing anything. See docs/optim.md.

#include <xgrad/state_dict.hpp>
#include <xgrad/tensor.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace xgrad::optim {

/// Per-parameter state of an optimizer (a momentum buffer, Adam's moments...). Subclasses add
/// typed fields (`SGDParamState::momentum_buffer()`); the base holds nothing.
class OptimizerParamState {
 public:
  virtual ~OptimizerParamState() = default;
  /// A deep copy of this state's object (tensors are shared handles, as LibTorch).
  virtual std::unique_ptr<OptimizerParamState> clone() const;
  /// The state's tensors under PyTorch's key names ("momentum_buffer", "exp_avg", "step"...),
  /// undefined ones left out (PyTorch has no key for them). Integer counters are returned as
  /// 0-dim float64 tensors. Used by `Optimizer::state_dict()`. The base returns none.
  virtual std::vector<std::pair<std::string, Tensor>> named_tensors() const;
};

/// Implements clone() for a state subclass `Derived` (CRTP), as LibTorch.
template <typename Derived>
class OptimizerCloneableParamState : public OptimizerParamState {
 public:
  std::unique_ptr<OptimizerParamState> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

/// Options of a param group (learning rate and the optimizer's hyper-parameters). Subclasses
/// declare their fields with XGRAD_ARG and override get_lr/set_lr so that LR schedulers can
/// read and write the learning rate of any optimizer.
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  /// A copy of the concrete options object.
  virtual std::unique_ptr<OptimizerOptions> clone() const;
  /// The learning rate. The base class has none and throws ValueError.
  virtual double get_lr() const;
  /// Sets the learning rate. The base class has none and throws ValueError.
  virtual void set_lr(const double lr);
  /// Serialization hook: these options as the text of a JSON object with PyTorch's key names
  /// (`{"lr": 0.1, "momentum": 0.9, ...}`, betas as a two-element list). The base throws
  /// ValueError (it has no fields to write).
  virtual std::string to_json() const;
  /// Serialization hook: replaces every field from the text of a JSON object written by
  /// to_json(). Throws ValueError naming the key when a key is missing or unknown or a value
  /// has the wrong type; `*this` is unchanged then.
  virtual void from_json(const std::string& json);
};

/// Implements clone() for an options subclass `Derived` (CRTP), as LibTorch.
template <typename Derived>
class OptimizerCloneableOptions : public OptimizerOptions {
 public:
  std::unique_ptr<OptimizerOptions> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

/// A list of parameters optimized with one set of options. Without options the optimizer's
/// defaults are used when the group is added.
///
///     std::vector<OptimizerParamGroup> groups{
///         OptimizerParamGroup(net->conv1->parameters()),                                   // defaults
///         OptimizerParamGroup(net->fc->parameters(), std::make_unique<SGDOptions>(0.01))};  // its own lr
///     SGD opt(groups, SGDOptions(0.1));
class OptimizerParamGroup {
 public:
  OptimizerParamGroup(const OptimizerParamGroup& other);
  OptimizerParamGroup& operator=(const OptimizerParamGroup& other);
  OptimizerParamGroup(OptimizerParamGroup&&) = default;
  OptimizerParamGroup& operator=(OptimizerParamGroup&&) = default;
  OptimizerParamGroup(std::vector<Tensor> params);  // NOLINT: implicit, as LibTorch
  OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options);

  bool has_options() const;
  /// The group's options; throws ValueError when it has none.
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> options);
  std::vector<Tensor>& params();
  const std::vector<Tensor>& params() const;

 protected:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
};

class Optimizer {
 public:
  /// Copy an optimizer through state_dict()/load_state_dict() instead, as LibTorch.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;

  /// Adds each group in order (see add_param_group); `defaults` fills groups without options.
  /// Throws ValueError when there are no parameters at all ("optimizer got an empty parameter
  /// list"), a parameter is not a floating-point leaf tensor, or one appears twice.
  explicit Optimizer(std::vector<OptimizerParamGroup> param_groups, std::unique_ptr<OptimizerOptions> defaults);
  /// One group holding `parameters`, with the defaults.
  explicit Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults);
  virtual ~Optimizer() = default;

  /// Appends a param group; its options are a copy of the group's own or of defaults(). Throws
  /// ValueError when a parameter is not a leaf or is already in a group ("some parameters
  /// appear in more than one parameter group", as PyTorch), or when the options are invalid
  /// for this optimizer; TypeError when they are another optimizer's options.
  void add_param_group(const OptimizerParamGroup& param_group);

  using LossClosure = std::function<Tensor()>;
  /// One optimization step over every parameter that has a gradient. `closure`, when given,
  /// is called first with grad mode enabled (it typically zeroes the gradients, recomputes the
  /// loss and calls backward); its loss is returned (undefined without a closure).
  virtual Tensor step(LossClosure closure = nullptr) = 0;

  /// Appends `parameters` to the first param group (LibTorch's behaviour).
  void add_parameters(const std::vector<Tensor>& parameters);

  /// Zeroes the gradient of every parameter (detaching a gradient that has a history), or with
  /// `set_to_none` resets it to an undefined tensor, as PyTorch's `zero_grad(set_to_none)`.
  void zero_grad(bool set_to_none = false);

  /// The parameters of the first param group (LibTorch's behaviour).
  const std::vector<Tensor>& parameters() const noexcept;
  std::vector<Tensor>& parameters() noexcept;
  /// Number of parameters in all param groups.
  size_t size() const noexcept;

  OptimizerOptions& defaults() noexcept;
  const OptimizerOptions& defaults() const noexcept;

  std::vector<OptimizerParamGroup>& param_groups() noexcept;
  const std::vector<OptimizerParamGroup>& param_groups() const noexcept;

  using StateMap = std::unordered_map<std::string, std::unique_ptr<OptimizerParamState>>;
  /// Per-parameter state, keyed by state_key(param).
  StateMap& state() noexcept;
  const StateMap& state() const noexcept;
  /// The key of `param` in state(): its TensorImpl's address as text, as LibTorch.
  static std::string state_key(const Tensor& param);

  /// The class name written to checkpoints ("SGD", "Adam"...). The base returns "Optimizer".
  virtual std::string name() const;

  /// The optimizer's state as PyTorch's `optimizer.state_dict()`, flattened:
  /// - tensors "state.<i>.<key>" for each parameter i that has state, i counting parameters
  ///   across param groups in order, <key> as in OptimizerParamState::named_tensors() (step
  ///   counters as 0-dim float64 tensors). The tensors are copies.
  /// - metadata "optimizer" = name(), "param_groups" = JSON list of each group's options with
  ///   PyTorch's key names plus "params", the list of its parameters' indices.
  virtual StateDict state_dict() const;
  /// Restores state_dict() output into an optimizer of the same class over parameters of the
  /// same shapes and dtypes, grouped the same way. Checks everything first (class name, group
  /// count and sizes, option keys and values, state keys, tensor shapes and dtypes) and throws
  /// ValueError saying what differs without changing anything; then replaces every group's
  /// options and all state (tensors copied).
  virtual void load_state_dict(const StateDict& state_dict);

 protected:
  /// Hook for add_param_group and the subclasses' constructors: throws ValueError when
  /// `options` are invalid for this optimizer, TypeError when they are of the wrong class. The
  /// base accepts anything.
  virtual void check_options(const OptimizerOptions& options) const;
  /// Hook for load_state_dict: builds the state of `param` (in a group with `options`) from its
  /// tensors keyed as named_tensors() writes them, throwing ValueError naming the key when a key
  /// is missing or unknown or a shape or dtype differs from what `param` needs. The base throws
  /// ValueError (it keeps no state).
  virtual std::unique_ptr<OptimizerParamState> make_param_state(const Tensor& param,
                                                                const std::map<std::string, Tensor>& tensors,
                                                                const OptimizerOptions& options) const;
  /// Runs `closure` (if any) with grad mode enabled and returns its loss; for step().
  static Tensor run_closure(const LossClosure& closure);

  std::vector<OptimizerParamGroup> param_groups_;
  StateMap state_;
  std::unique_ptr<OptimizerOptions> defaults_;
};

}  // namespace xgrad::optim
