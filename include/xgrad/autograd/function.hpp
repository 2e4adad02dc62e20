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

#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <iterator>
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

/// A tensor kept for backward, with the storage version it had when saved.
struct SavedVariable {
  Tensor data;
  uint64_t saved_version = 0;
};

/// Per-call state shared by a Function's forward and backward.
class AutogradContext {
 public:
  /// Keeps tensors for backward; call at most once, from forward.
  void save_for_backward(variable_list to_save);
  /// The saved tensors; throws when the graph was already freed or a saved tensor was modified
  /// in place after it was saved.
  variable_list get_saved_variables() const;
  /// Marks outputs (e.g. argmax indices) that have no gradient.
  void mark_non_differentiable(const variable_list& outputs);
  /// Marks inputs modified in place by forward.
  void mark_dirty(const variable_list& inputs);
  /// With true (default), undefined incoming gradients are given to backward as zeros.
  void set_materialize_grads(bool value) { materialize_grads_flag_ = value; }
  /// Whether backward must compute the gradient of the `i`-th tensor input.
  bool needs_input_grad(size_t i) const { return i < needs_input_grad_.size() && needs_input_grad_[i]; }

  std::unordered_map<std::string, IValue> saved_data;

  // ---- used by Function<T>::apply and its node --------------------------------------------
  void set_needs_input_grad_(std::vector<bool> v) { needs_input_grad_ = std::move(v); }
  bool materialize_grads_() const { return materialize_grads_flag_; }
  bool is_non_differentiable_(const Tensor& t) const;
  void pack_saved_(const variable_list& outputs, const std::shared_ptr<Node>& self);
  void release_();
  bool released_() const { return released_flag_; }
  /// Every tensor this context keeps (saved for backward, and tensors in saved_data).
  variable_list saved_tensors_() const;

 private:
  variable_list to_save_;
  std::vector<SavedVariable> saved_;
  std::vector<TensorImpl*> non_differentiable_;
  std::vector<bool> needs_input_grad_;
  bool materialize_grads_flag_ = true;
  bool released_flag_ = false;
  bool has_saved_ = false;
};

namespace detail {
std::string demangle(const char* name);
/// Shared non-template part of a Function node's backward.
variable_list run_function_backward(AutogradContext& ctx, const Node& node, variable_list&& grads,
                                    const std::vector<int>& tensor_arg_positions, size_t num_args,
                                    variable_list (*backward)(AutogradContext*, variable_list));
/// Wires outputs of a Function call into the graph.
void wire_function_outputs(const std::shared_ptr<Node>& node, AutogradContext& ctx, variable_list& outputs,
                           const variable_list& inputs);
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

inline void collect_tensors(variable_list& out, std::vector<int>& positions, int& pos, const Tensor& t) {
  out.push_back(t);
  positions.push_back(pos++);
}
inline void collect_tensors(variable_list& out, std::vector<int>& positions, int& pos, Tensor& t) {
  out.push_back(t);
  positions.push_back(pos++);
}
template <typename A>
void collect_tensors(variable_list&, std::vector<int>&, int& pos, const A&) {
  ++pos;
}
}  // namespace detail

/// The graph node of one call to a Function<T>.
template <typename T>
class CppNode final : public Node {
 public:
  std::string name() const override {
    if constexpr (detail::has_name<T>::value)
      return std::string(T::name());
    else
      return detail::demangle(typeid(T).name()) + "Backward";
  }
  variable_list apply(variable_list&& grads) override {
    if constexpr (!detail::supports_double_backward<T>())
      if (GradMode::is_enabled()) detail::refuse_double_backward(ctx_, *this, grads);
    return detail::run_function_backward(ctx_, *this, std::move(grads), tensor_arg_positions_, num_args_,
                                         &backward_trampoline);
  }
  void release_variables() override { ctx_.release_(); }
  variable_list saved_tensors() const override { return ctx_.saved_tensors_(); }

  AutogradContext ctx_;
  std::vector<int> tensor_arg_positions_;
  size_t num_args_ = 0;

 private:
  static variable_list backward_trampoline(AutogradContext* ctx, variable_list grads) {
    return T::backward(ctx, std::move(grads));
  }
};

/// CRTP base for differentiable operators: define static `forward(AutogradContext*, args...)`
/// returning a Tensor or a variable_list, and static `backward(AutogradContext*, variable_list)`
/// returning one gradient per tensor argument (or per argument, undefined for non-tensors).
/// Optionally a static `name()` for grad_fn printing, and `static constexpr bool
/// double_backward = false` when backward does not use differentiable ops, so that a backward
/// with create_graph=true through it throws instead of giving wrong second derivatives.
template <class T>
struct Function {
  template <typename X = T, typename... Args>
  static auto apply(Args&&... args) {
    variable_list inputs;
    inputs.reserve(sizeof...(Args));
    std::vector<int> positions;
    int pos = 0;
    (detail::collect_tensors(inputs, positions, pos, args), ...);

    const bool record = compute_requires_grad(inputs);
    auto node = std::make_shared<CppNode<X>>();
    if (record) {
      std::vector<Edge> edges;
      std::vector<bool> needs;
      edges.reserve(inputs.size());
      for (const auto& in : inputs) {
        edges.push_back(in.defined() ? gradient_edge(in) : Edge{});
        needs.push_back(edges.back().is_valid());
      }
      node->set_next_edges(std::move(edges));
      node->ctx_.set_needs_input_grad_(std::move(needs));
      node->tensor_arg_positions_ = std::move(positions);
      node->num_args_ = sizeof...(Args);
    }

    using Out = decltype(X::forward(&node->ctx_, std::forward<Args>(args)...));
    variable_list outputs;
    {
      AutoGradMode no_grad(false);
      if constexpr (std::is_same_v<std::decay_t<Out>, Tensor>) {
        outputs.push_back(X::forward(&node->ctx_, std::forward<Args>(args)...));
      } else {
        outputs = X::forward(&node->ctx_, std::forward<Args>(args)...);
      }
    }
    if (record) detail::wire_function_outputs(node, node->ctx_, outputs, inputs);
    if constexpr (std::is_same_v<std::decay_t<Out>, Tensor>)
      return outputs[0];
    else
      return outputs;
  }
};

}  // namespace xgrad::autograd

namespace xgrad {
using autograd::AutogradContext;
}
