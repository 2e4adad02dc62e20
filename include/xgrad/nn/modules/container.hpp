#pragma once
/// \file
/// `nn::Sequential` and `nn::Functional`, as in LibTorch:
///
///     namespace nn = xgrad::nn;
///     nn::Sequential net(
///         nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::Sigmoid(),
///         nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)),
///         nn::Flatten(), nn::Linear(6 * 14 * 14, 10));
///     net->push_back(nn::ReLU());
///     auto y = net->forward(x);        // or net(x)
///     auto conv = net[0]->as<nn::Conv2d>();

#include <xgrad/nn/module.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xgrad::nn {

namespace detail_container {
template <typename T, typename = void>
struct impl_of {
  using type = T;  // an Impl class
};
template <typename T>
struct impl_of<T, std::enable_if_t<is_module_holder_v<T>>> {
  using type = typename T::ContainedType;
};
template <typename T>
struct impl_of<std::shared_ptr<T>, void> {
  using type = T;
};
}  // namespace detail_container

/// Wraps a function `Tensor(Tensor)` as a module, to put e.g. `xgrad::relu` in a Sequential.
class FunctionalImpl : public Module {
 public:
  using Function = std::function<Tensor(Tensor)>;
  explicit FunctionalImpl(Function function);
  Tensor forward(Tensor input);
  void reset() {}

 private:
  Function function_;
};
XGRAD_MODULE(Functional);

/// A module with the name it gets in a container: `{"conv1", nn::Conv2d(...)}` (LibTorch's
/// NamedAnyModule).
class NamedModule {
 public:
  template <typename M>
  NamedModule(std::string name, M&& module) : name_(std::move(name)) {  // NOLINT: brace-init in lists
    using D = std::remove_cvref_t<M>;
    std::shared_ptr<typename detail_container::impl_of<D>::type> ptr;
    if constexpr (is_module_holder_v<D>)
      ptr = module.ptr();
    else if constexpr (std::is_base_of_v<Module, D>)
      ptr = std::make_shared<D>(std::forward<M>(module));
    else
      ptr = module;
    module_ = ptr;
    auto* raw = ptr.get();
    forward_ = [raw](const Tensor& x) -> Tensor { return raw->forward(x); };
  }
  const std::string& name() const noexcept { return name_; }
  const std::shared_ptr<Module>& module() const noexcept { return module_; }
  const std::function<Tensor(const Tensor&)>& forward() const noexcept { return forward_; }

 private:
  std::string name_;
  std::shared_ptr<Module> module_;
  std::function<Tensor(const Tensor&)> forward_;
};

/// Modules applied one after the other; each takes one Tensor and returns one. Submodules are
/// named "0", "1", ... unless pushed with a name.
class SequentialImpl : public Module {
 public:
  SequentialImpl() = default;
  /// `Sequential({{"conv", nn::Conv2d(...)}, {"act", nn::ReLU()}})`: named submodules.
  explicit SequentialImpl(std::initializer_list<NamedModule> named_modules) {
    for (const auto& m : named_modules) {
      register_module(m.name(), m.module());
      items_.push_back({m.module(), m.forward()});
    }
  }
  /// `Sequential(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 2))`.
  template <typename... Modules>
    requires(sizeof...(Modules) > 0)
  explicit SequentialImpl(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }

  /// Appends a module given as a holder (`nn::ReLU()`), a shared_ptr, or an Impl by value.
  template <typename M>
  void push_back(M&& module) {
    push_back(std::to_string(items_.size()), std::forward<M>(module));
  }
  /// Appends under an explicit name (shown in printing and parameter names).
  template <typename M>
  void push_back(std::string name, M&& module) {
    using D = std::remove_cvref_t<M>;
    if constexpr (is_module_holder_v<D>) {
      append(std::move(name), module.ptr());
    } else if constexpr (std::is_base_of_v<Module, D>) {
      append(std::move(name), std::make_shared<D>(std::forward<M>(module)));
    } else {
      append(std::move(name), std::forward<M>(module));  // std::shared_ptr<Impl>
    }
  }
  /// Appends every module of another Sequential.
  void extend(const SequentialImpl& other);

  /// Runs the modules in order.
  Tensor forward(const Tensor& input);

  size_t size() const noexcept { return items_.size(); }
  bool is_empty() const noexcept { return items_.empty(); }
  /// The `index`-th module; IndexError when out of range.
  std::shared_ptr<Module> ptr(size_t index) const;
  std::shared_ptr<Module> operator[](size_t index) const { return ptr(index); }
  /// The `index`-th module as `T` (an Impl class); TypeError when it is not one.
  template <typename T>
  std::shared_ptr<T> ptr(size_t index) const {
    auto p = std::dynamic_pointer_cast<T>(ptr(index));
    XGRAD_CHECK(p != nullptr, TypeError, "Sequential: module {} is a {}, not the requested type", index,
                ptr(index)->name());
    return p;
  }
  template <typename T>
  T& at(size_t index) const {
    return *ptr<T>(index);
  }
  void reset() {}

 private:
  struct Item {
    std::shared_ptr<Module> module;
    std::function<Tensor(const Tensor&)> forward;
  };

  template <typename Impl>
  void append(std::string name, std::shared_ptr<Impl> module) {
    static_assert(std::is_base_of_v<Module, Impl>, "Sequential holds modules (classes derived from nn::Module)");
    static_assert(requires(Impl & m, const Tensor& x) { { m.forward(x) } -> std::convertible_to<Tensor>; },
                  "a module in a Sequential needs a forward(Tensor) returning a Tensor");
    register_module(name, module);
    Impl* raw = module.get();
    items_.push_back({module, [raw](const Tensor& x) -> Tensor { return raw->forward(x); }});
  }

  std::vector<Item> items_;
};
/// Holder of SequentialImpl; also accepts a braced list of named modules, as LibTorch.
class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  using Impl = SequentialImpl;
  Sequential() : ModuleHolder<SequentialImpl>() {}
  Sequential(std::initializer_list<NamedModule> named_modules)  // NOLINT
      : ModuleHolder<SequentialImpl>(std::make_shared<SequentialImpl>(named_modules)) {}
};

/// A list of submodules without a forward of its own (PyTorch's ModuleList): they are
/// registered (so their parameters are found) and printed, and the owner calls them.
///
///     nn::ModuleList blocks;
///     for (int i = 0; i < 3; ++i) blocks->push_back(nn::Linear(8, 8));
///     for (size_t i = 0; i < blocks->size(); ++i) x = blocks[i]->as<nn::Linear>()->forward(x);
class ModuleListImpl : public Module {
 public:
  ModuleListImpl() = default;
  template <typename... Modules>
    requires(sizeof...(Modules) > 0)
  explicit ModuleListImpl(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }
  template <typename M>
  void push_back(M&& module) {
    using D = std::remove_cvref_t<M>;
    std::shared_ptr<Module> ptr;
    if constexpr (is_module_holder_v<D>)
      ptr = module.ptr();
    else if constexpr (std::is_base_of_v<Module, D>)
      ptr = std::make_shared<D>(std::forward<M>(module));
    else
      ptr = module;
    register_module(std::to_string(items_.size()), ptr);
    items_.push_back(std::move(ptr));
  }
  size_t size() const noexcept { return items_.size(); }
  bool is_empty() const noexcept { return items_.empty(); }
  std::shared_ptr<Module> ptr(size_t index) const {
    XGRAD_CHECK(index < items_.size(), IndexError, "ModuleList: index {} is out of range for a list of {} modules",
                index, items_.size());
    return items_[index];
  }
  std::shared_ptr<Module> operator[](size_t index) const { return ptr(index); }
  template <typename T>
  std::shared_ptr<T> ptr(size_t index) const {
    auto p = std::dynamic_pointer_cast<T>(ptr(index));
    XGRAD_CHECK(p != nullptr, TypeError, "ModuleList: module {} is a {}, not the requested type", index,
                ptr(index)->name());
    return p;
  }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  void reset() {}

 private:
  std::vector<std::shared_ptr<Module>> items_;
};
XGRAD_MODULE(ModuleList);

}  // namespace xgrad::nn
