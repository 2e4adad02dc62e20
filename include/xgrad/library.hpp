#pragma once
/// \file
/// Custom operators, as LibTorch's `torch/library.h` and `c10::Dispatcher`: declare an operator
/// with a schema, give it kernels for dispatch keys, and call it by name.
///
///     xgrad::Tensor my_add(const xgrad::Tensor& a, const xgrad::Tensor& b) { return a + b; }
///
///     TORCH_LIBRARY(myops, m) { m.def("myops::my_add(Tensor self, Tensor other) -> Tensor"); }
///     TORCH_LIBRARY_IMPL(myops, CPU, m) { m.impl("my_add", TORCH_FN(my_add)); }
///
///     auto op = xgrad::Dispatcher::singleton().findSchemaOrThrow("myops::my_add", "")
///                   .typed<xgrad::Tensor(const xgrad::Tensor&, const xgrad::Tensor&)>();
///     xgrad::Tensor c = op.call(a, b);
///
/// What is supported: schemas with Tensor, Tensor?, Tensor[], int, float, bool, str, Scalar,
/// int[], float[] arguments (alias annotations `Tensor(a)`, `Tensor(a!)`, defaults, `*`), returns
/// of one type, `()`-tuples or `Tensor[]`; kernels for the keys CPU (also
/// CompositeExplicitAutograd), CompositeImplicitAutograd, Autograd (also AutogradCPU) and
/// ADInplaceOrView; LibTorch's `autogradNotImplementedFallback()` and
/// `autogradNotImplementedInplaceOrViewFallback()` (namespace xgrad::autograd, below). Not
/// supported: TorchScript (no `torch.ops` from Python), backend fallbacks (`m.fallback`), custom
/// classes, LibTorch's IValue (boxed calls take a stack of xgrad::BoxedValue), other dispatch
/// keys (CUDA kernels are accepted and never called: xgrad runs on the CPU). docs/custom-ops.md
/// has the details.
///
/// Registrations are owned by the `Library` object that made them: destroying it removes them
/// (the static one of TORCH_LIBRARY lives until the program exits).

#include <xgrad/device.hpp>
#include <xgrad/error.hpp>
#include <xgrad/optional.hpp>
#include <xgrad/scalar.hpp>
#include <xgrad/tensor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

namespace xgrad {

/// LibTorch's `c10::DispatchKey`, reduced to the keys xgrad dispatches on. Kernels registered
/// for CUDA are kept but never run.
enum class DispatchKey : uint8_t {
  Undefined,
  CPU,
  CUDA,
  ADInplaceOrView,
  AutogradOther,
  AutogradCPU,
  AutogradCUDA,
  Autograd,
  CompositeImplicitAutograd,
  CompositeExplicitAutograd,
};
/// The key's name as LibTorch prints it ("CPU", "Autograd", ...).
const char* toString(DispatchKey k);

// ---- schemas ----------------------------------------------------------------------------------

/// An alias annotation: `a` in `Tensor(a)`, written to with `Tensor(a!)`.
struct AliasInfo {
  std::string set;
  bool is_write = false;
  bool isWrite() const { return is_write; }
};

/// One argument or return of a schema. `type` is the type without alias annotation and name,
/// normalised (`SymInt` is `int`, `int[2]` is `int[]`): "Tensor", "Tensor?", "Tensor[]",
/// "int", "int?", "int[]", "float", "float[]", "bool", "str", "Scalar", "Scalar?", ...
struct Argument {
  std::string name;  // empty for unnamed returns
  std::string type;
  optional<AliasInfo> alias;
  optional<std::string> default_value;  // the schema's text, e.g. "1", "None", "[0, 1]"
  bool kwarg_only = false;
  const AliasInfo* alias_info() const { return alias ? &*alias : nullptr; }
  bool is_tensor() const { return type == "Tensor" || type == "Tensor?"; }
  bool is_tensor_list() const { return type == "Tensor[]"; }
};

/// A parsed operator schema, LibTorch's `c10::FunctionSchema`:
/// `ns::name.overload(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)`.
struct FunctionSchema {
  std::string name;           // "ns::name" (or "name" before the library adds its namespace)
  std::string overload_name;  // "" when none
  std::vector<Argument> arguments;
  std::vector<Argument> returns;
  /// The schema written back in LibTorch's syntax.
  std::string str() const;
  /// "ns::name" or "ns::name.overload".
  std::string full_name() const { return overload_name.empty() ? name : name + "." + overload_name; }
};

/// Parses a schema (LibTorch's `torch::jit::parseSchema`). A string without `(` is a bare name
/// (`ns::name.overload`) with no arguments known. Throws ValueError naming the schema, the
/// character position and what was expected, e.g. for an unknown type or a missing `)`.
FunctionSchema parse_schema(const std::string& schema);

// ---- boxed values -----------------------------------------------------------------------------

/// A value on the boxed calling convention's stack (LibTorch's `c10::IValue`, reduced to the
/// schema types above): None (an absent `Tensor?`), a Tensor, a Tensor list, int, float,
/// bool, str, Scalar, int list or float list. A tuple return is pushed as its elements.
using BoxedValue = std::variant<std::monostate, Tensor, std::vector<Tensor>, int64_t, double, bool, std::string,
                                Scalar, std::vector<int64_t>, std::vector<double>>;
namespace jit {
/// The arguments of a boxed call, then (after it) its returns (LibTorch's `torch::jit::Stack`).
using Stack = std::vector<BoxedValue>;
}  // namespace jit

class OperatorHandle;

/// A boxed kernel: reads its arguments from the end of the stack, replaces them by its returns.
/// `key` is the key it was registered (and is now called) for.
using BoxedKernel = void (*)(const OperatorHandle& op, DispatchKey key, jit::Stack* stack);

namespace detail {
template <typename T>
struct schema_type;  // the schema type of a C++ argument / return type; undefined: not supported
// clang-format off
template <> struct schema_type<Tensor> { static constexpr const char* name = "Tensor"; };
template <> struct schema_type<optional<Tensor>> { static constexpr const char* name = "Tensor?"; };
template <> struct schema_type<TensorList> { static constexpr const char* name = "Tensor[]"; };
template <> struct schema_type<std::vector<Tensor>> { static constexpr const char* name = "Tensor[]"; };
template <> struct schema_type<int64_t> { static constexpr const char* name = "int"; };
template <> struct schema_type<optional<int64_t>> { static constexpr const char* name = "int?"; };
template <> struct schema_type<double> { static constexpr const char* name = "float"; };
template <> struct schema_type<optional<double>> { static constexpr const char* name = "float?"; };
template <> struct schema_type<bool> { static constexpr const char* name = "bool"; };
template <> struct schema_type<std::string> { static constexpr const char* name = "str"; };
template <> struct schema_type<Scalar> { static constexpr const char* name = "Scalar"; };
template <> struct schema_type<optional<Scalar>> { static constexpr const char* name = "Scalar?"; };
template <> struct schema_type<IntArrayRef> { static constexpr const char* name = "int[]"; };
template <> struct schema_type<std::vector<int64_t>> { static constexpr const char* name = "int[]"; };
template <> struct schema_type<ArrayRef<double>> { static constexpr const char* name = "float[]"; };
template <> struct schema_type<std::vector<double>> { static constexpr const char* name = "float[]"; };
// clang-format on

template <typename T>
const char* schema_type_name() {
  return schema_type<std::remove_cvref_t<T>>::name;
}

// Schema types of a C++ return type: none for void, the elements of a tuple, else one.
template <typename R>
struct return_types {
  static std::vector<std::string> get() { return {schema_type_name<R>()}; }
};
template <>
struct return_types<void> {
  static std::vector<std::string> get() { return {}; }
};
template <typename... Rs>
struct return_types<std::tuple<Rs...>> {
  static std::vector<std::string> get() { return {schema_type_name<Rs>()...}; }
};

// Boxing one argument (by value into the stack).
template <typename T>
BoxedValue box(T&& v) {
  using D = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<D, optional<Tensor>> || std::is_same_v<D, optional<int64_t>> ||
                std::is_same_v<D, optional<double>> || std::is_same_v<D, optional<Scalar>>) {
    if (!v.has_value()) return std::monostate{};
    return *v;
  } else if constexpr (std::is_same_v<D, TensorList> || std::is_same_v<D, IntArrayRef> ||
                       std::is_same_v<D, ArrayRef<double>>) {
    return v.vec();
  } else {
    return D(std::forward<T>(v));
  }
}

[[noreturn]] void throw_boxed_type(const BoxedValue& v, const char* want);

// The element of `v` of type T, or TypeError.
template <typename T>
T& boxed_get(BoxedValue& v) {
  if (auto* p = std::get_if<T>(&v)) return *p;
  throw_boxed_type(v, schema_type_name<T>());
}

// Unboxing one argument: what binds to a parameter of type A (a reference into the stack when
// A is a reference or a view type).
template <typename A>
decltype(auto) unbox(BoxedValue& v) {
  using D = std::remove_cvref_t<A>;
  if constexpr (std::is_same_v<D, optional<Tensor>> || std::is_same_v<D, optional<int64_t>> ||
                std::is_same_v<D, optional<double>> || std::is_same_v<D, optional<Scalar>>) {
    if (std::holds_alternative<std::monostate>(v)) return D{};
    return D(boxed_get<typename D::value_type>(v));
  } else if constexpr (std::is_same_v<D, TensorList>) {
    return TensorList(boxed_get<std::vector<Tensor>>(v));
  } else if constexpr (std::is_same_v<D, IntArrayRef>) {
    return IntArrayRef(boxed_get<std::vector<int64_t>>(v));
  } else if constexpr (std::is_same_v<D, ArrayRef<double>>) {
    return ArrayRef<double>(boxed_get<std::vector<double>>(v));
  } else if constexpr (std::is_same_v<D, double>) {
    if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    return double(boxed_get<double>(v));
  } else {
    return static_cast<D&>(boxed_get<D>(v));
  }
}

// Pushes a kernel's result on the stack (a tuple as its elements, void as nothing).
template <typename R>
void push_returns(jit::Stack& s, R&& r) {
  using D = std::remove_cvref_t<R>;
  if constexpr (requires { std::tuple_size<D>::value; }) {
    std::apply([&](auto&&... e) { (s.push_back(box(std::forward<decltype(e)>(e))), ...); }, std::forward<R>(r));
  } else {
    s.push_back(box(std::forward<R>(r)));
  }
}

void check_return_count(const jit::Stack& s, size_t want, const char* what);
// TypeError unless a call returning Tensor& returned one of its Tensor arguments.
void check_reference_return(bool found);

// Pops a call's returns (the last values of the stack) as R.
template <typename R>
R pop_returns(jit::Stack& s) {
  if constexpr (std::is_void_v<R>) {
    check_return_count(s, 0, "void");
    return;
  } else if constexpr (requires { std::tuple_size<R>::value; }) {
    constexpr size_t n = std::tuple_size<R>::value;
    static_assert([]<size_t... I>(std::index_sequence<I...>) {
      return (!std::is_reference_v<std::tuple_element_t<I, R>> && ...);
    }(std::make_index_sequence<n>{}), "typed calls return tuples of values (std::tuple<Tensor, Tensor>), not references");
    check_return_count(s, n, "tuple");
    const size_t base = s.size() - n;
    return [&]<size_t... I>(std::index_sequence<I...>) {
      return R(std::tuple_element_t<I, R>(std::move(unbox<std::tuple_element_t<I, R>>(s[base + I])))...);
    }(std::make_index_sequence<n>{});
  } else {
    check_return_count(s, 1, schema_type_name<R>());
    return R(std::move(unbox<R>(s.back())));
  }
}

// Function traits of a plain function type.
template <typename F>
struct fn_traits;
template <typename R, typename... A>
struct fn_traits<R(A...)> {
  using ret = R;
  static std::vector<std::string> args() { return {schema_type_name<A>()...}; }
};
// The call operator's signature of a functor type (a lambda).
template <typename M>
struct member_sig;
template <typename C, typename R, typename... A>
struct member_sig<R (C::*)(A...) const> {
  using type = R(A...);
};
template <typename C, typename R, typename... A>
struct member_sig<R (C::*)(A...)> {
  using type = R(A...);
};

// A typed kernel, type-erased: `call` is a `R (*)(void* functor, A...)` for the signature
// whose typeid is `*signature`; only code that checked the typeid casts it back.
struct UnboxedKernel {
  std::shared_ptr<void> functor;
  void (*call)() = nullptr;
  const std::type_info* signature = nullptr;
};

template <typename F, typename R, typename... A>
R call_functor(void* f, A... a) {
  return (*static_cast<F*>(f))(std::forward<A>(a)...);
}

template <typename F, typename R, typename... A>
void call_functor_boxed(void* f, jit::Stack* s) {
  constexpr size_t n = sizeof...(A);
  XGRAD_CHECK(s->size() >= n, ValueError, "boxed call: the stack holds {} values, the kernel takes {} arguments",
              s->size(), n);
  const size_t base = s->size() - n;
  auto run = [&]<size_t... I>(std::index_sequence<I...>) -> decltype(auto) {
    return (*static_cast<F*>(f))(unbox<A>((*s)[base + I])...);
  };
  if constexpr (std::is_void_v<R>) {
    run(std::index_sequence_for<A...>{});
    s->resize(base);
  } else {
    // Boxed before the arguments are popped: a returned reference may point at one of them.
    jit::Stack out;
    push_returns(out, run(std::index_sequence_for<A...>{}));
    s->resize(base);
    for (auto& v : out) s->push_back(std::move(v));
  }
}
}  // namespace detail

/// LibTorch's `TORCH_FN(f)`: the function as a compile-time constant.
template <typename FuncType, FuncType* func>
struct CompileTimeFunctionPointer {
  using type = FuncType;
  static constexpr FuncType* func_ptr() { return func; }
};
#define TORCH_FN(func) (::xgrad::CompileTimeFunctionPointer<std::remove_pointer_t<std::remove_reference_t<decltype(func)>>, func>())

/// A kernel for one operator: a C++ function, function pointer or lambda (typed; its argument
/// and return types are checked against the schema when registered), or a boxed function
/// (such as the autograd fallbacks). LibTorch's `torch::CppFunction`.
class CppFunction {
 public:
  template <typename FuncType, FuncType* func>
  CppFunction(CompileTimeFunctionPointer<FuncType, func>)  // NOLINT: as LibTorch
      : CppFunction(func) {}
  /// A function pointer.
  template <typename R, typename... A>
  CppFunction(R (*f)(A...))  // NOLINT
  {
    init<R (*)(A...), R, A...>(f);
  }
  /// A lambda or other functor with one non-template call operator.
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, CppFunction> &&
                                                    !std::is_pointer_v<std::decay_t<F>>>,
            typename = decltype(&std::decay_t<F>::operator())>
  CppFunction(F&& f) {  // NOLINT: a lambda converts, as in LibTorch
    using Sig = typename detail::member_sig<decltype(&std::decay_t<F>::operator())>::type;
    init_from_sig<std::decay_t<F>>(std::forward<F>(f), static_cast<Sig*>(nullptr));
  }
  /// A boxed kernel (LibTorch's `CppFunction::makeFromBoxedFunction`).
  static CppFunction makeFromBoxedFunction(BoxedKernel f) {
    CppFunction c;
    c.boxed_fn_ = f;
    return c;
  }

  /// Whether it is a boxed kernel (no C++ signature).
  bool is_boxed_only() const { return boxed_fn_ != nullptr; }
  /// The schema types of a typed kernel's arguments and returns.
  const std::vector<std::string>& argument_types() const { return arg_types_; }
  const std::vector<std::string>& return_types() const { return ret_types_; }

  // ---- used by the dispatcher ------------------------------------------------------------
  detail::UnboxedKernel unboxed_;
  void (*boxed_functor_)(void*, jit::Stack*) = nullptr;
  BoxedKernel boxed_fn_ = nullptr;
  std::vector<std::string> arg_types_;
  std::vector<std::string> ret_types_;
  optional<DispatchKey> key_;  // from `impl(name, key, f)`

 private:
  CppFunction() = default;
  template <typename F, typename R, typename... A>
  void init(F f) {
    unboxed_.functor = std::make_shared<F>(std::move(f));
    unboxed_.call = reinterpret_cast<void (*)()>(&detail::call_functor<F, R, A...>);
    unboxed_.signature = &typeid(R(A...));
    boxed_functor_ = &detail::call_functor_boxed<F, R, A...>;
    arg_types_ = detail::fn_traits<R(A...)>::args();
    ret_types_ = detail::return_types<R>::get();
  }
  template <typename F, typename R, typename... A>
  void init_from_sig(F f, R (*)(A...)) {
    init<F, R, A...>(std::move(f));
  }
};

/// LibTorch's `torch::dispatch(k, f)`: `f` as the kernel for key `k`, for `impl(name, ...)`.
inline CppFunction dispatch(DispatchKey k, CppFunction f) {
  f.key_ = k;
  return f;
}

// ---- the dispatcher ---------------------------------------------------------------------------

namespace detail {
struct OperatorEntry;
// The kernel to call directly for a typed call with signature `sig`: set when the call needs
// no boxed step (no autograd / ADInplaceOrView kernel applies) and the backend kernel is typed
// with exactly `sig`.
std::shared_ptr<const CppFunction> direct_kernel(const OperatorEntry& op, const std::type_info& sig);
}  // namespace detail

template <typename Sig>
class TypedOperatorHandle;

/// A registered operator (LibTorch's `c10::OperatorHandle`). Stays valid (and callable,
/// failing with an error) after its Library is destroyed.
class OperatorHandle {
 public:
  /// The parsed schema; ValueError when the operator has no schema (only impl()s so far).
  const FunctionSchema& schema() const;
  bool hasSchema() const;
  /// The name and overload name.
  std::string operator_name() const;
  /// A typed view for calling with C++ arguments. Throws TypeError when the argument or
  /// return types of `Sig` do not match the schema (e.g. `int64_t` for a `Tensor` argument).
  template <typename Sig>
  TypedOperatorHandle<Sig> typed() const {
    check_signature(detail::fn_traits<Sig>::args(), detail::return_types<typename detail::fn_traits<Sig>::ret>::get(),
                    typeid(Sig));
    return TypedOperatorHandle<Sig>(*this);
  }
  /// Calls the operator on `stack` (its arguments on top), from its first applicable kernel.
  void callBoxed(jit::Stack* stack) const;
  /// Calls the kernel for the first key after `after` (Autograd, then ADInplaceOrView, then
  /// the backend): what a boxed Autograd or ADInplaceOrView kernel does to run the rest.
  void redispatchBoxed(DispatchKey after, jit::Stack* stack) const;

  const std::shared_ptr<detail::OperatorEntry>& entry_() const { return entry; }
  explicit OperatorHandle(std::shared_ptr<detail::OperatorEntry> e) : entry(std::move(e)) {}

 protected:
  void check_signature(const std::vector<std::string>& args, const std::vector<std::string>& rets,
                       const std::type_info& sig) const;
  std::shared_ptr<detail::OperatorEntry> entry;
};

template <typename R, typename... A>
class TypedOperatorHandle<R(A...)> : public OperatorHandle {
 public:
  explicit TypedOperatorHandle(const OperatorHandle& h) : OperatorHandle(h) {}
  /// Calls the operator: its autograd kernel if it has one (and autograd is not already
  /// handled above this call), else its CPU kernel.
  R call(A... args) const {
    if (auto k = detail::direct_kernel(*entry, typeid(R(A...)))) {
      auto f = reinterpret_cast<R (*)(void*, A...)>(k->unboxed_.call);
      return f(k->unboxed_.functor.get(), std::forward<A>(args)...);
    }
    static_assert(!std::is_reference_v<R> || std::is_same_v<R, Tensor&> || std::is_same_v<R, const Tensor&>,
                  "a typed call returns a value, or Tensor& (an argument written in place)");
    jit::Stack stack;
    stack.reserve(sizeof...(A));
    (stack.push_back(detail::box(static_cast<A&>(args))), ...);
    callBoxed(&stack);
    if constexpr (std::is_reference_v<R>) {
      // An in-place op returning `Tensor&`: the reference is to the argument it wrote.
      const Tensor result = detail::pop_returns<Tensor>(stack);
      const Tensor* found = nullptr;
      (
          [&](auto& a) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(a)>, Tensor>)
              if (found == nullptr && a.is_same(result)) found = &a;
          }(args),
          ...);
      detail::check_reference_return(found != nullptr);
      return const_cast<Tensor&>(*found);
    } else {
      return detail::pop_returns<R>(stack);
    }
  }
};

/// The process-wide operator registry (LibTorch's `c10::Dispatcher`).
class Dispatcher {
 public:
  static Dispatcher& singleton();
  /// The operator `name` ("ns::op") with overload `overload_name` ("" for none). Throws
  /// ValueError "Could not find schema for ..." when it is not defined.
  OperatorHandle findSchemaOrThrow(const char* name, const char* overload_name) const;
  /// The same, or nullopt.
  optional<OperatorHandle> findSchema(const std::string& name, const std::string& overload_name) const;
  /// Names ("ns::op.overload") of every operator with a schema, sorted.
  std::vector<std::string> operator_names() const;
};

/// LibTorch's `callOpUnboxed<Result, Args...>(op, args...)` (ATen's test helpers):
/// `op.typed<Result(Args...)>().call(args...)`.
template <class Result, class... Args>
Result callOpUnboxed(const OperatorHandle& op, Args... args) {
  return op.typed<Result(Args...)>().call(std::forward<Args>(args)...);
}

// ---- libraries --------------------------------------------------------------------------------

/// A set of registrations for one namespace (LibTorch's `torch::Library`): made by
/// TORCH_LIBRARY (kind DEF: defines operators), TORCH_LIBRARY_FRAGMENT (FRAGMENT: more
/// definitions for a namespace) or TORCH_LIBRARY_IMPL (IMPL: kernels for one dispatch key).
/// Destroying it removes its registrations.
class Library final {
 public:
  enum Kind { DEF, IMPL, FRAGMENT };
  /// ValueError for a second live DEF library of one namespace (use FRAGMENT), or an IMPL
  /// library without a key.
  Library(Kind kind, std::string ns, optional<DispatchKey> k, const char* file, uint32_t line);
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  Library(Library&& other) noexcept;
  Library& operator=(Library&& other) noexcept;
  ~Library();

  /// Declares an operator. The schema's namespace may be left out (the library's is used);
  /// a different one is a ValueError, as is a second definition of a live operator, a def()
  /// in an IMPL library, or a schema that does not parse.
  Library& def(const std::string& schema) &;
  /// Declares an operator and gives it `f` as its CompositeImplicitAutograd kernel (so ops
  /// inside `f` are recorded by autograd). A bare name ("op") takes the schema from f's types.
  Library& def(const std::string& name_or_schema, CppFunction f) &;
  /// Gives the operator `name` a kernel for this library's key (IMPL), or CPU in a DEF library
  /// when `f` has none. TypeError when a typed kernel's types do not match the schema.
  Library& impl(const std::string& name, CppFunction f) &;
  /// The same, for key `k`, which must equal an IMPL library's own key.
  Library& impl(const std::string& name, DispatchKey k, CppFunction f) &;
  /// The same, for a device's backend key (`m.impl("op", kCPU, f)`): CPU or CUDA.
  Library& impl(const std::string& name, DeviceType device, CppFunction f) &;

  Kind kind() const { return kind_; }
  const std::string& ns() const { return ns_; }

 private:
  std::string qualify(const std::string& name) const;
  Kind kind_;
  std::string ns_;
  optional<DispatchKey> key_;
  std::string where_;  // "file:line"
  std::vector<std::function<void()>> registrations_;  // undo actions, run in reverse
};

namespace detail {
/// Runs `init` on a library made at static initialisation (TORCH_LIBRARY's helper).
class TorchLibraryInit {
 public:
  TorchLibraryInit(Library::Kind kind, void (*init)(Library&), const char* ns, optional<DispatchKey> k,
                   const char* file, uint32_t line)
      : lib_(kind, ns, k, file, line) {
    init(lib_);
  }

 private:
  Library lib_;
};
}  // namespace detail

namespace autograd {
/// LibTorch's `torch::autograd::autogradNotImplementedFallback()`: a boxed Autograd kernel for
/// an operator with no derivative. When grad mode is on and a Tensor, Tensor? or Tensor[]
/// argument requires grad, its tensor outputs get a grad_fn ("NotImplemented") whose backward
/// throws AutogradError "the derivative for '<op>' is not implemented". Arguments written to
/// (`Tensor(a!)`) get the in-place checks (leaf that requires grad, view made in no_grad mode)
/// and their history rewritten as by any recorded in-place op. Throws AutogradError when more
/// than one output is a view (`Tensor(a)`). The kernel below it runs with autograd off.
CppFunction autogradNotImplementedFallback();
/// LibTorch's `autogradNotImplementedInplaceOrViewFallback()`: a boxed ADInplaceOrView kernel
/// that bumps the version of written arguments and makes an output annotated `Tensor(a)` a
/// view of the first argument. AutogradError unless the view pair is the first argument and
/// the first output.
CppFunction autogradNotImplementedInplaceOrViewFallback();
}  // namespace autograd

}  // namespace xgrad

#define XGRAD_LIBRARY_CONCAT_(a, b) a##b
#define XGRAD_LIBRARY_CONCAT(a, b) XGRAD_LIBRARY_CONCAT_(a, b)

/// LibTorch's TORCH_LIBRARY(ns, m) { m.def(...); }: defines operators of namespace `ns` at
/// static initialisation.
#define TORCH_LIBRARY(ns, m)                                                                           \
  static void TORCH_LIBRARY_init_##ns(::xgrad::Library&);                                              \
  static const ::xgrad::detail::TorchLibraryInit TORCH_LIBRARY_static_init_##ns(                       \
      ::xgrad::Library::DEF, &TORCH_LIBRARY_init_##ns, #ns, ::xgrad::nullopt, __FILE__, __LINE__);     \
  void TORCH_LIBRARY_init_##ns(::xgrad::Library& m)

/// LibTorch's TORCH_LIBRARY_FRAGMENT(ns, m): more definitions for namespace `ns`.
#define TORCH_LIBRARY_FRAGMENT(ns, m) XGRAD_LIBRARY_FRAGMENT_(ns, m, __COUNTER__)
#define XGRAD_LIBRARY_FRAGMENT_(ns, m, uid)                                                                       \
  static void XGRAD_LIBRARY_CONCAT(TORCH_LIBRARY_FRAGMENT_init_##ns##_, uid)(::xgrad::Library&);                 \
  static const ::xgrad::detail::TorchLibraryInit XGRAD_LIBRARY_CONCAT(TORCH_LIBRARY_FRAGMENT_static_init_##ns##_, \
                                                                      uid)(                                       \
      ::xgrad::Library::FRAGMENT, &XGRAD_LIBRARY_CONCAT(TORCH_LIBRARY_FRAGMENT_init_##ns##_, uid), #ns,           \
      ::xgrad::nullopt, __FILE__, __LINE__);                                                                      \
  void XGRAD_LIBRARY_CONCAT(TORCH_LIBRARY_FRAGMENT_init_##ns##_, uid)(::xgrad::Library & m)

/// LibTorch's TORCH_LIBRARY_IMPL(ns, k, m) { m.impl(...); }: kernels of namespace `ns` for
/// dispatch key `k` (CPU, Autograd, ADInplaceOrView, ...).
#define TORCH_LIBRARY_IMPL(ns, k, m) XGRAD_LIBRARY_IMPL_(ns, k, m, __COUNTER__)
#define XGRAD_LIBRARY_IMPL_(ns, k, m, uid)                                                                       \
  static void XGRAD_LIBRARY_CONCAT(TORCH_LIBRARY_IMPL_init_##ns##_##k##_, uid)(::xgrad::Library&);               \
  static const ::xgrad::detail::TorchLibraryInit XGRAD_LIBRARY_CONCAT(TORCH_LIBRARY_IMPL_static_init_##ns##_##k##_, \
                                                                      uid)(                                      \
      ::xgrad::Library::IMPL, &XGRAD_LIBRARY_CONCAT(TORCH_LIBRARY_IMPL_init_##ns##_##k##_, uid), #ns,            \
      ::xgrad::make_optional(::xgrad::DispatchKey::k), __FILE__, __LINE__);                                      \
  void XGRAD_LIBRARY_CONCAT(TORCH_LIBRARY_IMPL_init_##ns##_##k##_, uid)(::xgrad::Library & m)

/// LibTorch's test-only MAKE_TORCH_LIBRARY(ns): a DEF Library object whose lifetime you control.
#define MAKE_TORCH_LIBRARY(ns) ::xgrad::Library(::xgrad::Library::DEF, #ns, ::xgrad::nullopt, __FILE__, __LINE__)
/// LibTorch's MAKE_TORCH_LIBRARY_IMPL(ns, k): an IMPL Library object for key `k`.
#define MAKE_TORCH_LIBRARY_IMPL(ns, k) \
  ::xgrad::Library(::xgrad::Library::IMPL, #ns, ::xgrad::make_optional(::xgrad::DispatchKey::k), __FILE__, __LINE__)
