#pragma once
/// \file
/// `ModuleHolder<Impl>` and `XGRAD_MODULE(Name)`, as LibTorch's `ModuleHolder` and
/// `TORCH_MODULE`: a module class `NameImpl` gets a holder `Name` that owns it through a
/// `shared_ptr`, forwards `->` to it and calls its `forward` with `()`:
///
///     struct NetImpl : xgrad::nn::Module {
///       NetImpl() { fc = register_module("fc", xgrad::nn::Linear(4, 2)); }
///       xgrad::Tensor forward(const xgrad::Tensor& x) { return fc(x); }
///       xgrad::nn::Linear fc{nullptr};
///     };
///     XGRAD_MODULE(Net);
///     Net net;                 // constructs a NetImpl
///     auto y = net(x);         // net->forward(x)
///     net->fc->weight;         // the Linear's parameter

#include <xgrad/error.hpp>

#include <cstddef>
#include <memory>
#include <ostream>
#include <type_traits>
#include <utility>

namespace xgrad::nn {

namespace detail {
/// Common base of every ModuleHolder, to recognise holders in templates.
struct ModuleHolderIndicator {};
}  // namespace detail

/// Calls `module.forward(args...)` the way PyTorch's `module(*args)` does: with the module's
/// forward pre-hooks and hooks (see Module::register_forward_hook). Defined in module.hpp.
template <typename Impl, typename... Args>
decltype(auto) call_module(Impl& module, Args&&... args);

template <typename T>
inline constexpr bool is_module_holder_v = std::is_base_of_v<detail::ModuleHolderIndicator, std::remove_cvref_t<T>>;

/// Owns a module `Contained` through a shared pointer. Copies share the same module.
template <typename Contained>
class ModuleHolder : detail::ModuleHolderIndicator {
 public:
  using ContainedType = Contained;

  /// Default-constructs the module (only for modules with a default constructor; use
  /// `= nullptr` for an empty holder).
  ModuleHolder() : impl_(default_construct()) {
    static_assert(std::is_default_constructible_v<Contained>,
                  "this module has no default constructor: construct it with arguments, or give the holder "
                  "the empty state with `= nullptr` (e.g. `Linear fc{nullptr};`)");
  }
  /// The empty holder, to be assigned later.
  ModuleHolder(std::nullptr_t) : impl_(nullptr) {}  // NOLINT
  /// Constructs the module from the given arguments (`Linear(4, 2)`, `Conv2d(Conv2dOptions(...))`).
  template <typename Head, typename... Tail,
            typename = std::enable_if_t<!(std::is_same_v<std::remove_cvref_t<Head>, ModuleHolder> &&
                                          sizeof...(Tail) == 0)>>
  explicit ModuleHolder(Head&& head, Tail&&... tail)
      : impl_(std::make_shared<Contained>(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}
  /// Wraps an existing module.
  ModuleHolder(std::shared_ptr<Contained> module) : impl_(std::move(module)) {}  // NOLINT

  explicit operator bool() const noexcept { return !is_empty(); }
  bool is_empty() const noexcept { return impl_ == nullptr; }

  Contained* operator->() { return get(); }
  const Contained* operator->() const { return get(); }
  Contained& operator*() { return *get(); }
  const Contained& operator*() const { return *get(); }

  const std::shared_ptr<Contained>& ptr() const {
    check_not_empty();
    return impl_;
  }
  Contained* get() {
    check_not_empty();
    return impl_.get();
  }
  const Contained* get() const {
    check_not_empty();
    return impl_.get();
  }

  /// Calls the module's `forward`, running its forward pre-hooks and hooks around it (as
  /// PyTorch's `module(x)`; `holder->forward(x)` skips them).
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) {
    return call_module(*get(), std::forward<Args>(args)...);
  }

  /// Indexes the module (`seq[0]` for a Sequential).
  template <typename Arg>
  decltype(auto) operator[](Arg&& arg) {
    return (*get())[std::forward<Arg>(arg)];
  }

 private:
  void check_not_empty() const {
    XGRAD_CHECK(impl_ != nullptr, ValueError, "Accessing empty ModuleHolder: it was constructed with nullptr; assign a module to it before use");
  }
  static std::shared_ptr<Contained> default_construct() {
    if constexpr (std::is_default_constructible_v<Contained>)
      return std::make_shared<Contained>();
    else
      return nullptr;
  }

  std::shared_ptr<Contained> impl_;
};

/// Prints the held module (PyTorch's format).
template <typename Contained>
std::ostream& operator<<(std::ostream& os, const ModuleHolder<Contained>& holder) {
  return os << *holder;
}

}  // namespace xgrad::nn

/// Defines the holder `Name` of the module class `NameImpl` (LibTorch's TORCH_MODULE).
#define XGRAD_MODULE_IMPL(Name, ImplType)                          \
  class Name : public ::xgrad::nn::ModuleHolder<ImplType> {        \
   public:                                                         \
    using ::xgrad::nn::ModuleHolder<ImplType>::ModuleHolder;       \
    using Impl = ImplType;                                         \
  }

/// `XGRAD_MODULE(Net)` makes `Net` the holder of `NetImpl`.
#define XGRAD_MODULE(Name) XGRAD_MODULE_IMPL(Name, Name##Impl)

/// LibTorch's spellings of the two macros above, so `TORCH_MODULE(Net);` compiles unchanged.
#define TORCH_MODULE_IMPL(Name, ImplType) XGRAD_MODULE_IMPL(Name, ImplType)
#define TORCH_MODULE(Name) XGRAD_MODULE(Name)
