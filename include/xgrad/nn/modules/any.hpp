#pragma once
/// \file
/// `nn::AnyValue` and `nn::AnyModule`, as LibTorch's `torch::nn::AnyValue` and
/// `torch::nn::AnyModule`: a value of any (copyable) type, and a module of any type whose
/// `forward` is called with type-erased arguments. `nn::Sequential` holds its modules as
/// AnyModules, which is how a Sequential chains modules whose forward takes or returns something
/// other than one Tensor.
///
///     nn::AnyValue v(42);
///     v.get<int>();          // 42
///     v.try_get<float>();    // nullptr
///     v.get<float>();        // TypeError: ... cast AnyValue to float, but its actual type is int
///
///     nn::AnyModule any(nn::Linear(3, 4));
///     Tensor y = any.forward(x);               // ReturnType defaults to Tensor
///     nn::AnyValue out = any.any_forward(x);   // the result, type-erased
///     nn::Linear fc = any.get<nn::Linear>();   // the holder again (or get<nn::LinearImpl>() -> LinearImpl&)
///
/// The module's `forward` must be one (non-overloaded, non-template) member function, returning
/// a value; its arguments are matched by type exactly (after removing const and references), so
/// a module taking `int64_t` must be given an `int64_t`, not an `int` (as in LibTorch). A wrong
/// number of arguments or an argument of the wrong type throws xgrad::TypeError naming the
/// module, the argument's position and both types. The module is called as `module(args...)`
/// (see call_module), so its forward hooks run and errors name it. A module with a templated
/// forward that maps a Tensor to a Tensor (e.g. Sequential) is called with one Tensor, or, for
/// a Sequential, with whatever its first module takes.

#include <xgrad/nn/module.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace xgrad::nn {

namespace detail {
/// A readable name of a C++ type ("int", "xgrad::Tensor", "std::tuple<...>").
std::string type_name(const std::type_info& type);
}  // namespace detail

/// A value of any copyable type, as LibTorch's `AnyValue` (the result of AnyModule::any_forward
/// and of each step of a Sequential). Copies copy the value; a moved-from AnyValue is empty and
/// throws ValueError when read.
class AnyValue {
 public:
  /// Stores a copy (or the moved) `value`, of type `std::decay_t<T>`.
  template <typename T>
    requires(!std::is_same_v<std::remove_cvref_t<T>, AnyValue>)
  explicit AnyValue(T&& value) : content_(std::make_unique<Holder<std::decay_t<T>>>(std::forward<T>(value))) {}
  AnyValue(const AnyValue& other) : content_(other.content_ ? other.content_->clone() : nullptr) {}
  AnyValue& operator=(const AnyValue& other) {
    if (this != &other) content_ = other.content_ ? other.content_->clone() : nullptr;
    return *this;
  }
  AnyValue(AnyValue&&) noexcept = default;
  AnyValue& operator=(AnyValue&&) noexcept = default;
  ~AnyValue() = default;

  /// A pointer to the value if it is a `T`, else nullptr.
  template <typename T>
  T* try_get() {
    static_assert(!std::is_reference_v<T>, "AnyValue::try_get<T>: T must not be a reference");
    if (!content_ || content_->type != typeid(T)) return nullptr;
    return &static_cast<Holder<std::remove_cv_t<T>>&>(*content_).value;
  }
  template <typename T>
  const T* try_get() const {
    return const_cast<AnyValue*>(this)->try_get<T>();
  }
  /// A copy of the value as a `T`; TypeError when it holds another type.
  template <typename T>
  T get() const {
    if (const T* p = try_get<T>()) return *p;
    throw_bad_cast(typeid(T));
  }
  /// The type of the value held (typeid of the decayed type).
  const std::type_info& type_info() const;

 private:
  struct Placeholder {
    explicit Placeholder(const std::type_info& t) noexcept : type(t) {}
    virtual ~Placeholder() = default;
    virtual std::unique_ptr<Placeholder> clone() const = 0;
    const std::type_info& type;
  };
  template <typename T>
  struct Holder final : Placeholder {
    template <typename U>
    explicit Holder(U&& v) : Placeholder(typeid(T)), value(std::forward<U>(v)) {}
    std::unique_ptr<Placeholder> clone() const override {
      if constexpr (std::is_copy_constructible_v<T>)
        return std::make_unique<Holder>(value);
      else
        throw_not_copyable(typeid(T));
    }
    T value;
  };
  [[noreturn]] void throw_bad_cast(const std::type_info& requested) const;
  [[noreturn]] static void throw_not_copyable(const std::type_info& type);

  std::unique_ptr<Placeholder> content_;
};

class SequentialImpl;

namespace detail_any {
// The signature of a module's forward, from a pointer to it.
template <typename F>
struct forward_signature;
template <typename R, typename C, typename... A>
struct forward_signature<R (C::*)(A...)> {
  using return_type = R;
  using args = std::tuple<A...>;
};
template <typename R, typename C, typename... A>
struct forward_signature<R (C::*)(A...) const> : forward_signature<R (C::*)(A...)> {};
template <typename R, typename C, typename... A>
struct forward_signature<R (C::*)(A...) noexcept> : forward_signature<R (C::*)(A...)> {};
template <typename R, typename C, typename... A>
struct forward_signature<R (C::*)(A...) const noexcept> : forward_signature<R (C::*)(A...)> {};

template <typename M>
concept UniqueForward = requires { &M::forward; };
template <typename M>
concept TensorForward = requires(M& m, const Tensor& x) {
  { m.forward(x) } -> std::convertible_to<Tensor>;
};

/// The type-erased part of an AnyModule: the module and a call of its forward on AnyValues.
struct Placeholder {
  Placeholder(std::shared_ptr<Module> m, const std::type_info& t) : module(std::move(m)), type(&t) {}
  virtual ~Placeholder() = default;
  virtual AnyValue forward(std::vector<AnyValue>&& arguments) = 0;
  virtual std::unique_ptr<Placeholder> copy() const = 0;
  virtual std::unique_ptr<Placeholder> clone_module() const = 0;
  std::shared_ptr<Module> module;
  const std::type_info* type;
};

[[noreturn]] void throw_clone_type(const Module& module);
[[noreturn]] void throw_argument_count(const Module& module, size_t expected, size_t received);
// Appends the defaults of `defaults` (FORWARD_HAS_DEFAULT_ARGS: {index, value} of the trailing
// arguments, in order) that `arguments` lacks, when it holds at least the required ones; leaves
// `arguments` as it is otherwise (the count check then reports it). TypeError when the list
// does not name the last arguments of a forward taking `arity` in order.
void fill_default_arguments(const Module& module, std::vector<std::pair<unsigned, AnyValue>> defaults,
                            std::vector<AnyValue>& arguments, size_t arity);
[[noreturn]] void throw_argument_type(const Module& module, size_t index, const std::type_info& expected,
                                      const std::type_info& received);
// A Sequential inside an AnyModule (its forward is a template): defined in container.cpp.
AnyValue forward_sequential(SequentialImpl& sequential, std::vector<AnyValue>&& arguments);

// A module M whose forward is `R forward(A...)`.
template <typename M, typename R, typename... A>
struct Holder final : Placeholder {
  static_assert(!std::is_void_v<R>, "AnyModule: the module's forward must return a value (it returns void)");
  explicit Holder(std::shared_ptr<M> m) : Placeholder(m, typeid(M)), typed(m.get()) {}
  AnyValue forward(std::vector<AnyValue>&& arguments) override {
    if (arguments.size() != sizeof...(A)) {
      // Trailing arguments the module declared defaults for (FORWARD_HAS_DEFAULT_ARGS).
      if constexpr (requires { M::_forward_default_args(); }) {
        if (arguments.size() < sizeof...(A))
          fill_default_arguments(*module, M::_forward_default_args(), arguments, sizeof...(A));
      }
      if (arguments.size() != sizeof...(A)) throw_argument_count(*module, sizeof...(A), arguments.size());
    }
    return call(arguments, std::index_sequence_for<A...>{});
  }
  std::unique_ptr<Placeholder> copy() const override { return std::make_unique<Holder>(*this); }
  std::unique_ptr<Placeholder> clone_module() const override {
    auto clone = std::dynamic_pointer_cast<M>(module->clone());
    if (clone == nullptr) throw_clone_type(*module);
    return std::make_unique<Holder>(std::move(clone));
  }

 private:
  template <size_t... I>
  AnyValue call(std::vector<AnyValue>& arguments, std::index_sequence<I...>) {
    return AnyValue(call_module(*typed, argument<A>(arguments[I], I)...));
  }
  // The argument as the forward's parameter type wants it: an rvalue (the AnyValues are
  // consumed), unless the parameter is a non-const lvalue reference.
  template <typename P>
  P&& argument(AnyValue& value, size_t index) {
    using T = std::remove_cvref_t<P>;
    T* p = value.try_get<T>();
    if (p == nullptr) throw_argument_type(*module, index, typeid(T), value.type_info());
    return static_cast<P&&>(*p);
  }
  M* typed;
};

template <typename M, typename R, typename Tuple>
struct holder_of;
template <typename M, typename R, typename... A>
struct holder_of<M, R, std::tuple<A...>> {
  using type = Holder<M, R, A...>;
};

// A module with a templated forward that maps one Tensor to a Tensor.
template <typename M>
struct TensorHolder final : Placeholder {
  explicit TensorHolder(std::shared_ptr<M> m) : Placeholder(m, typeid(M)), typed(m.get()) {}
  AnyValue forward(std::vector<AnyValue>&& arguments) override {
    if constexpr (std::is_base_of_v<SequentialImpl, M>) {
      return forward_sequential(*typed, std::move(arguments));
    } else {
      if (arguments.size() != 1) throw_argument_count(*module, 1, arguments.size());
      Tensor* x = arguments[0].try_get<Tensor>();
      if (x == nullptr) throw_argument_type(*module, 0, typeid(Tensor), arguments[0].type_info());
      return AnyValue(Tensor(call_module(*typed, *x)));
    }
  }
  std::unique_ptr<Placeholder> copy() const override { return std::make_unique<TensorHolder>(*this); }
  std::unique_ptr<Placeholder> clone_module() const override {
    auto clone = std::dynamic_pointer_cast<M>(module->clone());
    if (clone == nullptr) throw_clone_type(*module);
    return std::make_unique<TensorHolder>(std::move(clone));
  }
  M* typed;
};

template <typename M>
std::unique_ptr<Placeholder> make_placeholder(std::shared_ptr<M> module) {
  static_assert(std::is_base_of_v<Module, M>, "AnyModule holds nn::Module subclasses");
  if constexpr (UniqueForward<M>) {
    using Sig = forward_signature<decltype(&M::forward)>;
    using H = typename holder_of<M, typename Sig::return_type, typename Sig::args>::type;
    return std::make_unique<H>(std::move(module));
  } else {
    static_assert(TensorForward<M>,
                  "AnyModule (and Sequential) need a module with one forward() member function, not "
                  "overloaded and not a template (or a template mapping a Tensor to a Tensor)");
    return std::make_unique<TensorHolder<M>>(std::move(module));
  }
}
}  // namespace detail_any

/// Declares the default values of a module's trailing forward() arguments, so that an AnyModule
/// (and so a Sequential) holding it can be called without them, as LibTorch's macro of the same
/// name. Each argument is `{index, AnyValue(default)}`: the 0-based position in forward's
/// parameter list, the indices consecutive up to the last parameter. The AnyValue's type must be
/// the parameter's (decayed) type.
///
///     struct MImpl : nn::Module {
///       Tensor forward(int a, int b = 2, double c = 3.0) { return tensor(a + b + c); }
///      protected:
///       FORWARD_HAS_DEFAULT_ARGS({1, nn::AnyValue(2)}, {2, nn::AnyValue(3.0)})
///     };
///     nn::Sequential seq(M{});  seq->forward(1);   // a = 1, b = 2, c = 3.0
///
/// Without it, calling with fewer arguments throws TypeError ("... expected 3 argument(s), but
/// received 1 ..."). PyTorch has no equivalent (Python keeps its defaults).
#define FORWARD_HAS_DEFAULT_ARGS(...)                                               \
  template <typename, typename, typename...>                                         \
  friend struct ::xgrad::nn::detail_any::Holder;                                     \
  static std::vector<std::pair<unsigned, ::xgrad::nn::AnyValue>> _forward_default_args() { \
    return {__VA_ARGS__};                                                            \
  }

/// A module of any type with a forward of any signature, as LibTorch's `AnyModule`. Copies
/// share the module (as copies of a holder do). Default-constructed, it is empty.
///
///     struct AddImpl : nn::Module { int forward(int a, int b) { return a + b; } };
///     nn::AnyModule add(std::make_shared<AddImpl>());
///     add.forward<int>(1, 2);      // 3
///     add.forward<int>(1);         // TypeError: Add.forward: expected 2 argument(s), but received 1
class AnyModule {
 public:
  /// The empty AnyModule; forward() and ptr() throw ValueError until one is assigned.
  AnyModule() = default;
  /// Holds `module` (shared).
  template <typename M>
    requires std::is_base_of_v<Module, M>
  explicit AnyModule(std::shared_ptr<M> module) {
    XGRAD_CHECK(module != nullptr, ValueError, "AnyModule: cannot hold an empty module (a null shared_ptr)");
    content_ = detail_any::make_placeholder(std::move(module));
  }
  /// Holds a new module moved or copied from `module` (an Impl by value: `AnyModule(MyImpl{})`).
  template <typename M>
    requires std::is_base_of_v<Module, std::remove_cvref_t<M>>
  explicit AnyModule(M&& module)
      : AnyModule(std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(module))) {}
  /// Holds the module of a holder (`AnyModule(nn::Linear(3, 4))`).
  template <typename M>
  explicit AnyModule(const ModuleHolder<M>& holder) : AnyModule(holder.ptr()) {}

  AnyModule(const AnyModule& other) : content_(other.content_ ? other.content_->copy() : nullptr) {}
  AnyModule& operator=(const AnyModule& other) {
    if (this != &other) content_ = other.content_ ? other.content_->copy() : nullptr;
    return *this;
  }
  AnyModule(AnyModule&&) noexcept = default;
  AnyModule& operator=(AnyModule&&) noexcept = default;
  ~AnyModule() = default;

  /// Replaces the module held (any argument the constructors take).
  template <typename M>
  AnyModule& set(M&& module) {
    *this = AnyModule(std::forward<M>(module));
    return *this;
  }

  /// Calls the module's forward with `arguments` and returns its result type-erased. TypeError
  /// for a wrong number or type of arguments, ValueError when empty.
  template <typename... ArgumentTypes>
  AnyValue any_forward(ArgumentTypes&&... arguments) {
    std::vector<AnyValue> values;
    values.reserve(sizeof...(ArgumentTypes));
    (values.push_back(AnyValue(std::forward<ArgumentTypes>(arguments))), ...);
    return any_forward_values(std::move(values));
  }
  /// Same with the arguments already type-erased.
  AnyValue any_forward_values(std::vector<AnyValue>&& arguments);
  /// Calls the module's forward and returns its result as `ReturnType` (Tensor by default);
  /// TypeError when the forward returns another type.
  template <typename ReturnType = Tensor, typename... ArgumentTypes>
  ReturnType forward(ArgumentTypes&&... arguments) {
    AnyValue out = any_forward(std::forward<ArgumentTypes>(arguments)...);
    if constexpr (std::is_same_v<ReturnType, AnyValue>)
      return out;
    else
      return out.get<ReturnType>();
  }

  /// The module held.
  const std::shared_ptr<Module>& ptr() const;
  /// The module as a `T` (an Impl class); TypeError when it is another type.
  template <typename T>
  std::shared_ptr<T> ptr() const {
    auto p = std::dynamic_pointer_cast<T>(ptr());
    if (p == nullptr) throw_bad_module_cast(typeid(T));
    return p;
  }
  /// The module as `T&` for an Impl class, or a new holder `T` for a holder type
  /// (`get<nn::Linear>()`); TypeError when it is another type.
  template <typename T>
  decltype(auto) get() const {
    if constexpr (is_module_holder_v<T>)
      return T(ptr<typename T::ContainedType>());
    else
      return static_cast<T&>(*ptr<T>());
  }
  /// An AnyModule holding a deep copy of the module (Module::clone()); ValueError when empty.
  AnyModule clone() const;
  /// typeid of the module's class; ValueError when empty.
  const std::type_info& type_info() const;
  bool is_empty() const noexcept { return content_ == nullptr; }

 private:
  [[noreturn]] void throw_bad_module_cast(const std::type_info& requested) const;
  explicit AnyModule(std::unique_ptr<detail_any::Placeholder> content) : content_(std::move(content)) {}
  std::unique_ptr<detail_any::Placeholder> content_;
};

}  // namespace xgrad::nn
