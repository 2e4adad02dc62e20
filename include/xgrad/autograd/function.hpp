#pragma once
/// \file
/// User-defined differentiable operators, as `torch::autograd::Function<T>`. Every built-in
/// operator of xgrad is written this way too.
///
///     struct Square : xgrad::autograd::Function<Square> {
///       static xgrad::Tensor forward(xgrad::autograd::AutogradContext* ctx, const xgrad::Tensor& x) {
///         ctx->save_for_backward({x});
///         return x * x;
///       }
///       static xgrad::autograd::variable_list backward(xgrad::autograd::AutogradContext* ctx,
///                                                      xgrad::autograd::variable_list grad) {
///         auto x = ctx->get_saved_variables()[0];
///         return {2 * x * grad[0]};
///       }
///     };
///     auto y = Square::apply(x);

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/autograd/node.hpp>
#include <xgrad/profiler.hpp>

#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <initializer_list>
#include <utility>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <variant>

namespace xgrad::autograd {

/// A small tagged value for `AutogradContext::saved_data` (LibTorch's IValue, reduced).
class IValue {
 public:
  IValue() = default;
  IValue(bool v) : v_(v) {}                      // NOLINT
  template <typename I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  IValue(I v) : v_(static_cast<int64_t>(v)) {}  // NOLINT
  IValue(double v) : v_(v) {}                    // NOLINT
  IValue(float v) : v_(static_cast<double>(v)) {}  // NOLINT
  IValue(std::string v) : v_(std::move(v)) {}    // NOLINT
  IValue(const char* v) : v_(std::string(v)) {}  // NOLINT
  IValue(Tensor v) : v_(std::move(v)) {}         // NOLINT
  IValue(std::vector<int64_t> v) : v_(std::move(v)) {}  // NOLINT
  IValue(IntArrayRef v) : v_(v.vec()) {}         // NOLINT
  IValue(std::vector<double> v) : v_(std::move(v)) {}  // NOLINT

  bool isNone() const { return v_.index() == 0; }
  bool isTensor() const { return std::holds_alternative<Tensor>(v_); }
  bool toBool() const { return get<bool>("bool"); }
  int64_t toInt() const { return get<int64_t>("int"); }
  double toDouble() const {
    if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
    return get<double>("double");
  }
  const std::string& toStringRef() const { return get<std::string>("string"); }
  const Tensor& toTensor() const { return get<Tensor>("Tensor"); }
  const std::vector<int64_t>& toIntVector() const { return get<std::vector<int64_t>>("int list"); }
  const std::vector<double>& toDoubleVector() const { return get<std::vector<double>>("double list"); }

 private:
  template <typename T>
  const T& get(const char* want) const {
    if (auto* p = std::get_if<T>(&v_)) return *p;
    XGRAD_THROW(TypeError, "IValue: expected {}, but it holds {}", want, type_name());
  }
  // The held type in the words of the to*() accessors.
  const char* type_name() const {
    static constexpr const char* kNames[] = {"None", "bool", "int", "double", "string", "Tensor", "int list",
                                             "double list"};
    static_assert(std::size(kNames) == std::variant_size_v<decltype(v_)>);
    return kNames[v_.index()];
  }
  std::variant<std::monostate, bool, int64_t, double, std::string, Tensor, std::vector<int64_t>,
               std::vector<double>>
      v_;
};

/// A half-open range [first, second) of input indices, for
/// AutogradContext::needs_input_grad (LibTorch's `torch::autograd::IndexRange`).
using IndexRange = std::pair<size_t, size_t>;

/// A tensor kept for backward, with the storage version it had when saved.
struct SavedVariable {
  Tensor data;
  uint64_t saved_version = 0;
  /// The tensor's grad_fn and output_nr when saved (for the error naming it; weak: a node
  /// saving its own output must not own itself).
  std::weak_ptr<Node> grad_fn;
  uint32_t output_nr = 0;
};

/// Per-call state shared by a Function's forward and backward (LibTorch's
/// `torch::autograd::AutogradContext`).
class AutogradContext {
 public:
  /// Keeps tensors for backward; call at most once, from forward.
  void save_for_backward(variable_list to_save);
  /// The saved tensors; throws AutogradError when the graph was already freed or a saved tensor
  /// was modified in place after it was saved.
  variable_list get_saved_variables() const;
  /// Marks outputs (e.g. argmax indices) that have no gradient: they do not require grad, and
  /// backward gets zeros for them (undefined with set_materialize_grads(false)).
  void mark_non_differentiable(const variable_list& outputs);
  /// Marks inputs that forward modified in place; each must also be returned as an output, and
  /// that output is the input itself, now with this Function as its grad_fn (LibTorch's
  /// semantics). Bumps their version, so nodes that saved them see the change. When a graph is
  /// recorded, a dirty leaf that requires grad is an AutogradError ("a leaf Variable that
  /// requires grad is being used in an in-place operation"), as is a dirty input not returned.
  /// xgrad does not track views: do not mark dirty a view of a tensor that requires grad.
  void mark_dirty(const variable_list& inputs);
  /// With true (default), undefined incoming gradients (outputs nobody used, non-differentiable
  /// outputs) are given to backward as zeros of the output's shape; with false, as undefined
  /// tensors.
  void set_materialize_grads(bool value) { materialize_grads_flag_ = value; }
  /// Whether backward must compute the gradient of the `i`-th tensor input, counting tensors
  /// as LibTorch does: a `Tensor` argument is one (even undefined), a `std::optional<Tensor>`
  /// one when it holds a defined tensor and none otherwise, a `std::vector<Tensor>` or
  /// `TensorList` one per element. False for an input that does not require grad and, inside
  /// `grad()` or `backward(inputs)`, for an input that leads to none of the requested inputs.
  /// Throws IndexError when `i` is not below the number of tensor inputs.
  bool needs_input_grad(size_t i) const;
  /// Whether backward must compute the gradient of any input whose index lies in one of the
  /// half-open ranges (`ctx->needs_input_grad({{0, 2}, {3, 4}})` asks about inputs 0, 1 and 3),
  /// each index counted as by needs_input_grad(size_t). An empty range (first >= second) asks
  /// about nothing. Throws IndexError when a non-empty range reaches past the last tensor input.
  bool needs_input_grad(std::initializer_list<IndexRange> ranges) const;

  /// Non-tensor values for backward, by name (LibTorch's API, for user Functions). The built-in
  /// ops use the typed state below instead.
  std::unordered_map<std::string, IValue> saved_data;

  /// Typed per-call state for backward, as the built-in ops keep it: the op declares a struct
  /// (conventionally `struct State`), forward constructs it once with emplace_state and backward
  /// reads it with state<S>():
  ///
  ///     struct State { int64_t dim; std::vector<int64_t> sizes; };
  ///     ctx->emplace_state<State>(State{d, x.sizes().vec()});      // forward
  ///     const auto& s = ctx->state<State>();                         // backward
  ///
  /// No string keys, no IValue conversions, one allocation per call. Tensors in a State are only
  /// seen by autograd when the State says where they are, with a member
  /// `template <typename F> void for_each_tensor(F&& f) { f(mask); }` calling `f(Tensor&)` on
  /// each: those are then treated like tensors given to save_for_backward: an output of this
  /// Function is kept without its graph (no reference cycle), their version is recorded when
  /// forward returns and checked by state<S>() (AutogradError if modified in place since), they
  /// count in the node's saved_tensors(), and they are freed with the graph by backward() unless
  /// retain_graph=true, after which state<S>() throws AutogradError. A State without tensors
  /// outlives backward (as saved_data's non-tensor values), so a node without saved tensors can
  /// run again. Throws AutogradError when emplace_state is called twice on one context, and when
  /// state<S>() is asked for another type than the one stored or before any was stored.
  template <typename S, typename... Args>
  S& emplace_state(Args&&... args) {
    static_assert(!std::is_base_of_v<Tensor, S>, "emplace_state: save tensors with save_for_backward");
    if (state_) refuse_second_state_(typeid(S));
    auto holder = std::make_unique<StateHolder<S>>(std::forward<Args>(args)...);
    S& value = holder->value;
    state_ = std::move(holder);
    return value;
  }
  /// The state stored by emplace_state<S> (see there). Const: backward may run several times
  /// (retain_graph), so it must not change what the next run reads.
  template <typename S>
  const S& state() const {
    return static_cast<const StateHolder<S>&>(checked_state_(typeid(S))).value;
  }

  // ---- used by Function<T>::apply and its node --------------------------------------------
  /// `node` is null for a call that records nothing; `name` then names the op in errors.
  void set_node_(const Node* node, size_t num_tensor_inputs, std::string (*name)() = nullptr) {
    node_ = node;
    num_tensor_inputs_ = num_tensor_inputs;
    name_ = name;
  }
  /// The node's name, for error messages (`fallback` when neither a node nor a name is known).
  std::string op_name_(const char* fallback = "Function") const;
  bool materialize_grads_() const { return materialize_grads_flag_; }
  bool is_non_differentiable_(const Tensor& t) const;
  bool is_dirty_(const Tensor& t) const;
  const std::vector<TensorImpl*>& dirty_() const { return dirty_inputs_; }
  void pack_saved_(const variable_list& outputs, const std::shared_ptr<Node>& self);
  void release_();
  bool released_() const { return released_flag_; }
  /// Every tensor this context keeps (saved for backward, in saved_data, and in the typed state).
  variable_list saved_tensors_() const;
  /// f(tensor, recorded version) on each saved and state tensor, after pack_saved_ (see
  /// Node::remap_saved_tensors_).
  void remap_saved_(const std::function<void(Tensor&, uint64_t&)>& f);

 private:
  variable_list to_save_;
  std::vector<SavedVariable> saved_;
  std::vector<TensorImpl*> non_differentiable_;
  std::vector<TensorImpl*> dirty_inputs_;
  // The typed state, type-erased: the holder knows the type (checked by state<S>()) and how to
  // reach the tensors the State declares, so pack/release/inspection treat them as saved tensors.
  struct StateHolderBase {
    virtual ~StateHolderBase() = default;
    virtual const std::type_info& type() const = 0;
    // Calls f(tensor, arg) on each tensor of the state (none unless it has for_each_tensor).
    virtual void visit_tensors(void (*f)(Tensor&, void*), void* arg) = 0;
    bool has_tensors = false;
  };
  template <typename S>
  struct StateHolder final : StateHolderBase {
    template <typename... Args>
    explicit StateHolder(Args&&... args) : value(make_(std::forward<Args>(args)...)) {
      has_tensors = declares_tensors;
    }
    // Parentheses for a constructor, braces for an aggregate: clang before 16 has no C++20
    // parenthesised aggregate initialisation, and the ops' States are mostly plain structs.
    template <typename... Args>
    static S make_(Args&&... args) {
      if constexpr (std::is_constructible_v<S, Args&&...>)
        return S(std::forward<Args>(args)...);
      else
        return S{std::forward<Args>(args)...};
    }
    const std::type_info& type() const override { return typeid(S); }
    void visit_tensors(void (*f)(Tensor&, void*), void* arg) override {
      if constexpr (declares_tensors) value.for_each_tensor([&](Tensor& t) { f(t, arg); });
    }
    static constexpr bool declares_tensors = requires(S& s, void (&f)(Tensor&)) { s.for_each_tensor(f); };
    S value;
  };
  [[noreturn]] void refuse_second_state_(const std::type_info& want) const;
  const StateHolderBase& checked_state_(const std::type_info& want) const;

  std::unique_ptr<StateHolderBase> state_;
  std::vector<uint64_t> state_versions_;  // of the state's tensors, recorded by pack_saved_
  bool state_released_ = false;           // its tensors were freed by release_
  const Node* node_ = nullptr;  // the CppNode owning this context
  std::string (*name_)() = nullptr;  // its name when there is no node (nothing recorded)
  size_t num_tensor_inputs_ = 0;
  bool materialize_grads_flag_ = true;
  bool released_flag_ = false;
  bool has_saved_ = false;
};

namespace detail {
std::string demangle(const char* name);
/// Shared non-template part of a Function node's backward. `is_variable_input` has one entry per
/// forward argument slot (see collect_tensors): true for a tracked tensor.
/// `skip_without_grads`: when every incoming gradient is undefined (and materialize_grads is
/// on), return undefined gradients without calling backward (as PyTorch's generated backward
/// nodes do); false calls backward with zeros (as PyTorch's custom Functions).
variable_list run_function_backward(AutogradContext& ctx, const Node& node, variable_list&& grads,
                                    const std::vector<bool>& is_variable_input,
                                    variable_list (*backward)(AutogradContext*, variable_list),
                                    bool skip_without_grads);
/// Gives the outputs that view an input (share its storage; not a dirty input) their
/// DifferentiableViewMeta: base, and the creation meta (NO_GRAD_MODE with grad mode off,
/// IN_CUSTOM_FUNCTION for a `custom` Function, propagated from a viewed view).
void wire_view_outputs(const AutogradContext& ctx, variable_list& outputs, const variable_list& inputs, bool custom);
/// Wires outputs of a Function call into the graph (and their view metadata).
void wire_function_outputs(const std::shared_ptr<Node>& node, AutogradContext& ctx, variable_list& outputs,
                           const variable_list& inputs, bool custom, bool outputs_are_views);
template <typename T, typename = void>
struct has_outputs_are_views_flag : std::false_type {};
template <typename T>
struct has_outputs_are_views_flag<T, std::void_t<decltype(T::outputs_are_views)>> : std::true_type {};
/// Whether T's outputs that share an input's storage are views of it. A built-in op whose output
/// reuses its input's fresh buffer without being a view (LibTorch's `_unsafe_view`) declares
/// `static constexpr bool outputs_are_views = false`.
template <typename T>
constexpr bool outputs_are_views() {
  if constexpr (has_outputs_are_views_flag<T>::value)
    return T::outputs_are_views;
  else
    return true;
}
/// Throws AutogradError when backward runs under create_graph=true (grad mode on) through an op
/// whose backward records no graph, while its incoming gradients or saved tensors require grad:
/// the second derivative would silently be wrong.
void refuse_double_backward(const AutogradContext& ctx, const Node& node, const variable_list& grads);
template <typename T, typename = void>
struct has_double_backward_flag : std::false_type {};
template <typename T>
struct has_double_backward_flag<T, std::void_t<decltype(T::double_backward)>> : std::true_type {};
/// Whether T's backward is built from differentiable ops. A user Function's backward is assumed
/// to be (as LibTorch assumes); a built-in op whose backward calls raw kernels declares
/// `static constexpr bool double_backward = false`.
template <typename T>
constexpr bool supports_double_backward() {
  if constexpr (has_double_backward_flag<T>::value)
    return T::double_backward;
  else
    return true;
}
template <typename T, typename = void>
struct has_name : std::false_type {};
template <typename T>
struct has_name<T, std::void_t<decltype(T::name())>> : std::true_type {};

/// The profiler's name for a forward call of a Function whose node is named `grad_fn_name`
/// ("ConvolutionBackward0" -> "convolution"), as anomaly mode names ops.
std::string profiler_op_name(std::string_view grad_fn_name);
/// Computed once per T, and only when a profile runs.
template <typename T>
const std::string& forward_op_name() {
  static const std::string name = [] {
    if constexpr (has_name<T>::value)
      return profiler_op_name(T::name());
    else
      return demangle(typeid(T).name());  // a user Function: its class name, as PyTorch shows it
  }();
  return name;
}

template <typename A>
constexpr bool is_tensor_v = std::is_base_of_v<Tensor, std::remove_cvref_t<A>>;
template <typename A>
constexpr bool is_optional_tensor_v = std::is_same_v<std::remove_cvref_t<A>, std::optional<Tensor>>;
template <typename A>
constexpr bool is_tensor_list_v = std::is_same_v<std::remove_cvref_t<A>, std::vector<Tensor>> ||
                                  std::is_same_v<std::remove_cvref_t<A>, TensorList>;
// A container of tensors other than the two list types tracked above (std::array<Tensor, N>,
// std::vector<std::optional<Tensor>>, ...): its tensors would silently get no gradient.
template <typename A, typename = void>
struct holds_untracked_tensors : std::false_type {};
template <typename A>
struct holds_untracked_tensors<A, std::enable_if_t<std::ranges::range<std::remove_cvref_t<A>>>>
    : std::bool_constant<is_tensor_v<std::ranges::range_value_t<std::remove_cvref_t<A>>> ||
                         is_optional_tensor_v<std::ranges::range_value_t<std::remove_cvref_t<A>>>> {};

/// Flattens one forward argument as LibTorch's extract_vars: the tensors it holds go to `out`
/// (they become the node's inputs, in this order).
template <typename A>
void collect_tensors(variable_list& out, const A& arg) {
  if constexpr (is_tensor_v<A>) {
    out.push_back(arg);
  } else if constexpr (is_optional_tensor_v<A>) {
    if (arg.has_value() && arg->defined()) out.push_back(*arg);
  } else if constexpr (is_tensor_list_v<A>) {
    for (const Tensor& t : arg) out.push_back(t);
  } else {
    static_assert(!holds_untracked_tensors<A>::value,
                  "Function::apply: this argument holds tensors in a container xgrad does not track; pass "
                  "them as a std::vector<Tensor> or TensorList so they get gradients");
  }
}
/// One entry per slot of the list backward returns, for the same argument: true per tensor,
/// false for a non-tensor argument or an empty optional. Only a recorded call needs it.
template <typename A>
void collect_slots(std::vector<bool>& is_var, const A& arg) {
  if constexpr (is_tensor_v<A>) {
    is_var.push_back(true);
  } else if constexpr (is_optional_tensor_v<A>) {
    is_var.push_back(arg.has_value() && arg->defined());
  } else if constexpr (is_tensor_list_v<A>) {
    is_var.insert(is_var.end(), arg.size(), true);
  } else {
    is_var.push_back(false);
  }
}
}  // namespace detail

/// The graph node of one call to a Function<T>.
template <typename T>
class CppNode final : public Node {
 public:
  std::string name() const override { return node_name(); }
  static std::string node_name() {
    if constexpr (detail::has_name<T>::value)
      return std::string(T::name());
    else
      return detail::demangle(typeid(T).name()) + "Backward";
  }
  variable_list apply(variable_list&& grads) override {
    if constexpr (!detail::supports_double_backward<T>())
      if (GradMode::is_enabled()) detail::refuse_double_backward(ctx_, *this, grads);
    // xgrad's own ops (they name their node, as PyTorch's generated ones) give no gradient
    // when they receive none; a user Function's backward always runs, as in LibTorch.
    return detail::run_function_backward(ctx_, *this, std::move(grads), is_variable_input_, &backward_trampoline,
                                         detail::has_name<T>::value);
  }
  void release_variables() override { ctx_.release_(); }
  variable_list saved_tensors() const override { return ctx_.saved_tensors_(); }
  void remap_saved_tensors_(const std::function<void(Tensor&, uint64_t&)>& f) override { ctx_.remap_saved_(f); }

  AutogradContext ctx_;
  /// One entry per slot of backward's result, true where the slot is a tensor input.
  std::vector<bool> is_variable_input_;

 private:
  static variable_list backward_trampoline(AutogradContext* ctx, variable_list grads) {
    return T::backward(ctx, std::move(grads));
  }
};

/// CRTP base for differentiable operators (LibTorch's `torch::autograd::Function<T>`): define
/// static `forward(AutogradContext*, args...)` returning a Tensor or a variable_list, and static
/// `backward(AutogradContext*, variable_list grad_outputs)`. Optionally a static `name()` for
/// grad_fn printing (xgrad's built-in ops define it; a Function with name() is treated as one:
/// when all its incoming gradients are undefined, its backward is skipped and its inputs get no
/// gradient, as PyTorch's built-in nodes; without name(), as LibTorch's custom Functions,
/// backward runs with zeros, or undefined gradients under set_materialize_grads(false)), and `static constexpr bool double_backward = false` when backward does not
/// use differentiable ops, so that a backward with create_graph=true through it throws instead
/// of giving wrong second derivatives.
///
/// Inputs: tensors in arguments of type `Tensor`, `std::optional<Tensor>` (when it holds a
/// defined tensor), `std::vector<Tensor>` and `TensorList` (every element) are the node's
/// inputs, in argument order; they get gradients. (LibTorch 1.13 tracks a `TensorList` but
/// silently ignores a `std::vector<Tensor>` argument; xgrad tracks both.) Other containers of
/// tensors do not compile.
///
/// backward returns, as in LibTorch, one entry per argument slot: per tensor in the flattening
/// above, and per non-tensor argument or empty optional (undefined there); extra trailing
/// undefined entries are ignored. xgrad also accepts exactly one entry per tensor input. An
/// undefined entry means "no gradient" (nothing is added to that input). Other counts, or a
/// defined entry for a non-tensor argument, throw AutogradError during backward.
template <class T>
struct Function {
  template <typename X = T, typename... Args>
  static auto apply(Args&&... args) {
    variable_list inputs;
    inputs.reserve(sizeof...(Args));
    (detail::collect_tensors(inputs, args), ...);
    // One relaxed load and branch when no profile runs; the range covers forward and wiring.
    xgrad::profiler::RecordFunction record_function;
    if (xgrad::profiler::is_enabled()) [[unlikely]]
      record_function.begin(detail::forward_op_name<X>(), inputs);

    using Out = decltype(X::forward(std::declval<AutogradContext*>(), std::forward<Args>(args)...));
    constexpr bool custom = !detail::has_name<X>::value;  // a user's custom Function (see above)
    const bool record = compute_requires_grad(inputs);
    if (!record) {
      // Nothing to record (no input requires grad, or grad mode is off): no node. forward gets
      // a context of its own, whose saved tensors and marks go nowhere; a define-by-run step
      // runs many such calls (optimizer updates, no_grad evaluation).
      AutogradContext ctx;
      ctx.set_node_(nullptr, inputs.size(), &CppNode<X>::node_name);
      if constexpr (std::is_same_v<std::decay_t<Out>, Tensor> && !detail::outputs_are_views<X>()) {
        AutoGradMode no_grad(false);  // one output and nothing to wire: no list
        return Tensor(X::forward(&ctx, std::forward<Args>(args)...));
      } else {
        variable_list outputs = run_forward<X>(&ctx, std::forward<Args>(args)...);
        if constexpr (detail::outputs_are_views<X>()) detail::wire_view_outputs(ctx, outputs, inputs, custom);
        return unwrap_outputs<Out>(std::move(outputs));
      }
    }

    auto node = std::make_shared<CppNode<X>>();
    node->ctx_.set_node_(node.get(), inputs.size());
    {
      std::vector<Edge> edges;
      edges.reserve(inputs.size());
      for (const auto& in : inputs) edges.push_back(in.defined() ? gradient_edge(in) : Edge{});
      node->set_next_edges(std::move(edges));
      node->is_variable_input_.reserve(sizeof...(Args));
      (detail::collect_slots(node->is_variable_input_, args), ...);
    }

    variable_list outputs = run_forward<X>(&node->ctx_, std::forward<Args>(args)...);
    detail::wire_function_outputs(node, node->ctx_, outputs, inputs, custom, detail::outputs_are_views<X>());
    return unwrap_outputs<Out>(std::move(outputs));
  }

 private:
  /// X::forward with grad mode off (its ops record nothing), its result as a list: a Tensor
  /// result is the list's one entry.
  template <typename X, typename... Args>
  static variable_list run_forward(AutogradContext* ctx, Args&&... args) {
    AutoGradMode no_grad(false);
    if constexpr (std::is_same_v<std::decay_t<decltype(X::forward(ctx, std::forward<Args>(args)...))>, Tensor>) {
      variable_list outputs;
      outputs.push_back(X::forward(ctx, std::forward<Args>(args)...));
      return outputs;
    } else {
      return X::forward(ctx, std::forward<Args>(args)...);
    }
  }
  /// What apply returns for forward's result type `Out`: the one Tensor, or the list.
  template <typename Out>
  static auto unwrap_outputs(variable_list&& outputs) {
    if constexpr (std::is_same_v<std::decay_t<Out>, Tensor>)
      return std::move(outputs[0]);
    else
      return std::move(outputs);
  }
};

}  // namespace xgrad::autograd

namespace xgrad {
using autograd::AutogradContext;
}
