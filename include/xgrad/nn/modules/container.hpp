#pragma once
/// \file
/// The containers `nn::Sequential`, `nn::ModuleList`, `nn::ModuleDict` and `nn::Functional`, as in
/// LibTorch:
///
///     namespace nn = xgrad::nn;
///     nn::Sequential net(
///         nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::Sigmoid(),
///         nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)),
///         nn::Flatten(), nn::Linear(6 * 14 * 14, 10));
///     net->push_back(nn::ReLU());
///     auto y = net->forward(x);        // or net(x)
///     auto conv = net[0]->as<nn::Conv2d>();

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/modules/any.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <tuple>
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

/// Wraps a function `Tensor(Tensor)` as a module, to put e.g. `xgrad::relu` in a Sequential
/// (LibTorch's `nn::Functional`). Extra arguments are bound after the input, as LibTorch:
///
///     nn::Functional(xgrad::relu);                                   // relu(x)
///     nn::Functional(xgrad::elu, 0.5);                               // elu(x, 0.5)
///     nn::Functional(F::leaky_relu, F::LeakyReLUFuncOptions().negative_slope(0.2));
///
/// ValueError for an empty function.
class FunctionalImpl : public Cloneable<FunctionalImpl> {
 public:
  using Function = std::function<Tensor(Tensor)>;
  explicit FunctionalImpl(Function function);
  /// `original_function(input, args...)`; the arguments are copied into the module.
  template <typename SomeFunction, typename... Args>
    requires(sizeof...(Args) > 0)
  explicit FunctionalImpl(SomeFunction original_function, Args&&... args)
      : FunctionalImpl(Function([f = std::move(original_function),
                                 bound = std::make_tuple(std::forward<Args>(args)...)](Tensor input) {
          return std::apply([&](const auto&... a) { return Tensor(f(std::move(input), a...)); }, bound);
        })) {}
  Tensor forward(Tensor input);
  void reset() override {}

 private:
  Function function_;
};
XGRAD_MODULE(Functional);

/// A module with the name it gets in a container: `{"conv1", nn::Conv2d(...)}` (LibTorch's
/// NamedAnyModule). The module is given as a holder, a shared_ptr, an Impl by value or an
/// AnyModule.
class NamedModule {
 public:
  template <typename M>
  NamedModule(std::string name, M&& module) : name_(std::move(name)) {  // NOLINT: brace-init in lists
    using D = std::remove_cvref_t<M>;
    if constexpr (std::is_same_v<D, AnyModule>) {
      XGRAD_CHECK(!module.is_empty(), ValueError, "module '{}' is an empty AnyModule", name_);
      module_ = module.ptr();
      any_ = std::forward<M>(module);
    } else {
      using Impl = typename detail_container::impl_of<D>::type;
      static_assert(std::is_base_of_v<Module, Impl>,
                    "a named module must be an nn::Module (holder, Impl, shared_ptr or AnyModule)");
      std::shared_ptr<Impl> ptr;
      if constexpr (is_module_holder_v<D>)
        ptr = module.ptr();
      else if constexpr (std::is_base_of_v<Module, D>)
        ptr = std::make_shared<D>(std::forward<M>(module));
      else
        ptr = module;
      module_ = ptr;
      // A module without a forward (a ModuleDict entry, a plain nn::Module) has an empty
      // AnyModule; Sequential rejects it.
      if constexpr (detail_any::UniqueForward<Impl> || detail_any::TensorForward<Impl>) {
        if (ptr) any_ = AnyModule(ptr);
      }
    }
  }
  const std::string& name() const noexcept { return name_; }
  const std::shared_ptr<Module>& module() const noexcept { return module_; }
  /// The module as an AnyModule; empty when the module has no forward an AnyModule can call.
  const AnyModule& any_module() const noexcept { return any_; }

 private:
  std::string name_;
  std::shared_ptr<Module> module_;
  AnyModule any_;
};

/// Modules applied one after the other, as LibTorch's `Sequential`: the first module is called
/// with forward's arguments, every later one with the previous one's result. Submodules are
/// named "0", "1", ... unless pushed with a name. The modules are held as AnyModules, so their
/// forwards may take and return anything:
///
///     nn::Sequential net(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 2));
///     Tensor y = net->forward(x);                   // or net(x): ReturnType is Tensor by default
///     struct AddImpl : nn::Module { Tensor forward(Tensor a, Tensor b) { return a + b; } };
///     struct CountImpl : nn::Module { int64_t forward(Tensor a) { return a.numel(); } };
///     nn::Sequential s(AddImpl{}, CountImpl{});
///     int64_t n = s->forward<int64_t>(a, b);        // the last module's result
///     nn::AnyValue v = s->forward<nn::AnyValue>(a, b);
///
/// Errors: ValueError for forward() on an empty Sequential; TypeError when a module gets
/// arguments of the wrong number or type, or when `ReturnType` is not the last module's return
/// type ("The type of the return value is long, but you asked for type float"). Errors inside a
/// module's forward name the module path ("Sequential/2 (Linear)").
class SequentialImpl : public Cloneable<SequentialImpl> {
 public:
  using Iterator = std::vector<AnyModule>::iterator;
  using ConstIterator = std::vector<AnyModule>::const_iterator;

  SequentialImpl() = default;
  /// `Sequential({{"conv", nn::Conv2d(...)}, {"act", nn::ReLU()}})`: named submodules.
  explicit SequentialImpl(std::initializer_list<NamedModule> named_modules) {
    for (const auto& m : named_modules) {
      XGRAD_CHECK(m.module() != nullptr, ValueError, "Sequential: module '{}' is empty", m.name());
      XGRAD_CHECK(!m.any_module().is_empty(), TypeError,
                  "Sequential: module '{}' ({}) has no forward() a Sequential can call", m.name(),
                  m.module()->short_name());
      append(m.name(), m.any_module());
    }
  }
  /// `Sequential(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 2))`.
  template <typename... Modules>
    requires(sizeof...(Modules) > 0)
  explicit SequentialImpl(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }

  /// Appends a module given as a holder (`nn::ReLU()`), a shared_ptr, an Impl by value or an
  /// AnyModule.
  template <typename M>
  void push_back(M&& module) {
    push_back(std::to_string(items_.size()), std::forward<M>(module));
  }
  /// Appends under an explicit name (shown in printing and parameter names).
  template <typename M>
  void push_back(std::string name, M&& module) {
    using D = std::remove_cvref_t<M>;
    if constexpr (std::is_same_v<D, AnyModule>) {
      XGRAD_CHECK(!module.is_empty(), ValueError, "Sequential: cannot append an empty AnyModule");
      append(std::move(name), AnyModule(std::forward<M>(module)));
    } else {
      static_assert(is_module_holder_v<D> || std::is_base_of_v<Module, D> ||
                        std::is_base_of_v<Module, typename detail_container::impl_of<D>::type>,
                    "Sequential holds modules (holders, Impls derived from nn::Module, shared_ptrs, AnyModules)");
      append(std::move(name), AnyModule(std::forward<M>(module)));
    }
  }
  /// Appends every module of another Sequential.
  void extend(const SequentialImpl& other);
  /// Appends every module of a range (`std::vector<std::shared_ptr<MyImpl>>`, holders,
  /// AnyModules) or of a Sequential holder, named by position.
  template <typename Container>
  void extend(const Container& container) {
    if constexpr (is_module_holder_v<Container>) {
      extend(*container);
    } else {
      for (const auto& m : container) push_back(m);
    }
  }

  /// Runs the modules in order, calling each as `module(x)` (so their forward hooks run), and
  /// returns the last one's result as `ReturnType` (AnyValue: the result itself).
  template <typename ReturnType = Tensor, typename... InputTypes>
  ReturnType forward(InputTypes&&... inputs) {
    std::vector<AnyValue> values;
    values.reserve(sizeof...(InputTypes));
    (values.push_back(AnyValue(std::forward<InputTypes>(inputs))), ...);
    AnyValue out = forward_values(std::move(values));
    if constexpr (std::is_same_v<ReturnType, AnyValue>) {
      return out;
    } else {
      if (auto* p = out.try_get<ReturnType>()) return std::move(*p);
      throw_return_type(out.type_info(), typeid(ReturnType));
    }
  }
  /// The chain on type-erased arguments (what forward() calls).
  AnyValue forward_values(std::vector<AnyValue>&& inputs);

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
                ptr(index)->short_name());
    return p;
  }
  template <typename T>
  T& at(size_t index) const {
    return *ptr<T>(index);
  }
  /// A deep copy: a Sequential of clones of the modules, under the same names.
  std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const override;
  /// Iterates the modules as AnyModules (`for (auto& m : *seq) m.ptr()->name()`).
  Iterator begin() { return items_.begin(); }
  Iterator end() { return items_.end(); }
  ConstIterator begin() const { return items_.begin(); }
  ConstIterator end() const { return items_.end(); }
  void reset() override {}

 private:
  void append(std::string name, AnyModule module) {
    register_module(std::move(name), module.ptr());
    items_.push_back(std::move(module));
  }
  [[noreturn]] void throw_return_type(const std::type_info& actual, const std::type_info& requested) const;

  std::vector<AnyModule> items_;
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
/// registered as "0", "1", ... (so their parameters are found as "0.weight") and printed, and
/// the owner calls them.
///
///     nn::ModuleList blocks(nn::Linear(8, 8), nn::ReLU());
///     blocks->push_back(nn::Linear(8, 2));
///     blocks->insert(1, nn::Dropout(0.1));       // now Linear, Dropout, ReLU, Linear
///     for (const auto& m : *blocks) std::cout << m->name() << '\n';
///     x = blocks->at<nn::LinearImpl>(0).forward(x);
class ModuleListImpl : public Cloneable<ModuleListImpl> {
 public:
  using Iterator = std::vector<std::shared_ptr<Module>>::iterator;
  using ConstIterator = std::vector<std::shared_ptr<Module>>::const_iterator;

  ModuleListImpl() = default;
  template <typename... Modules>
    requires(sizeof...(Modules) > 0)
  explicit ModuleListImpl(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }
  /// Appends a module given as a holder (`nn::ReLU()`), a shared_ptr, or an Impl by value.
  template <typename M>
  void push_back(M&& module) {
    auto ptr = to_module_ptr(std::forward<M>(module));
    register_module(std::to_string(items_.size()), ptr);
    items_.push_back(std::move(ptr));
  }
  /// Inserts before position `index` (0 <= index <= size()); the modules after it are renamed
  /// ("1" becomes "2", ...), as PyTorch's ModuleList.insert. IndexError when out of range.
  template <typename M>
  void insert(size_t index, M&& module) {
    insert_ptr(index, to_module_ptr(std::forward<M>(module)));
  }
  /// Appends every module of `container`: another ModuleList (holder or Impl), or any range of
  /// modules (holders or shared_ptrs).
  template <typename Container>
  void extend(const Container& container) {
    if constexpr (is_module_holder_v<Container>) {
      extend(*container);
    } else {
      // A copy first, so that extending a list by itself appends each module once.
      std::vector<std::shared_ptr<Module>> add;
      for (const auto& m : container) add.push_back(to_module_ptr(m));
      for (auto& m : add) push_back(std::move(m));
    }
  }

  size_t size() const noexcept { return items_.size(); }
  bool is_empty() const noexcept { return items_.empty(); }
  /// The `index`-th module; IndexError when out of range.
  std::shared_ptr<Module> ptr(size_t index) const {
    XGRAD_CHECK(index < items_.size(), IndexError, "ModuleList: Index out of range: index {} for a list of {} modules",
                index, items_.size());
    return items_[index];
  }
  std::shared_ptr<Module> operator[](size_t index) const { return ptr(index); }
  /// The `index`-th module as `T` (an Impl class or a holder type); TypeError when it is not one.
  template <typename T>
  std::shared_ptr<typename detail_container::impl_of<T>::type> ptr(size_t index) const {
    auto p = std::dynamic_pointer_cast<typename detail_container::impl_of<T>::type>(ptr(index));
    XGRAD_CHECK(p != nullptr, TypeError, "ModuleList: module {} is a {}, not the requested type", index,
                ptr(index)->short_name());
    return p;
  }
  template <typename T>
  typename detail_container::impl_of<T>::type& at(size_t index) const {
    return *ptr<T>(index);
  }
  Iterator begin() { return items_.begin(); }
  Iterator end() { return items_.end(); }
  ConstIterator begin() const { return items_.begin(); }
  ConstIterator end() const { return items_.end(); }
  void reset() override {}
  /// A deep copy: a ModuleList of clones of the modules.
  std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const override;

 private:
  template <typename M>
  static std::shared_ptr<Module> to_module_ptr(M&& module) {
    using D = std::remove_cvref_t<M>;
    std::shared_ptr<Module> ptr;
    if constexpr (is_module_holder_v<D>)
      ptr = module.ptr();
    else if constexpr (std::is_base_of_v<Module, D>)
      ptr = std::make_shared<D>(std::forward<M>(module));
    else
      ptr = module;
    XGRAD_CHECK(ptr != nullptr, ValueError, "ModuleList: cannot hold an empty module");
    return ptr;
  }
  void insert_ptr(size_t index, std::shared_ptr<Module> module);

  std::vector<std::shared_ptr<Module>> items_;
};
XGRAD_MODULE(ModuleList);

/// Submodules by name (PyTorch's and LibTorch's ModuleDict). The modules are registered under
/// their keys (so their parameters are found as "key.weight") and printed in insertion order;
/// the owner calls them.
///
///     nn::ModuleDict heads({{"cls", nn::Linear(8, 10)}, {"box", nn::Linear(8, 4)}});
///     heads->insert("aux", nn::Linear(8, 2));     // PyTorch's heads["aux"] = ...
///     auto y = heads->at<nn::LinearImpl>("cls").forward(x);
///     for (const auto& item : *heads) std::cout << item.key() << '\n';
///
/// As in PyTorch, `pop` and `clear` also unregister the modules (LibTorch 1.13 keeps them
/// registered, so their parameters would still be trained and saved).
class ModuleDictImpl : public Cloneable<ModuleDictImpl> {
 public:
  using Dict = OrderedDict<std::string, std::shared_ptr<Module>>;
  using Iterator = Dict::iterator;
  using ConstIterator = Dict::const_iterator;

  ModuleDictImpl() = default;
  /// `ModuleDict({{"a", nn::Linear(3, 2)}, {"b", nn::ReLU()}})`: holders, shared_ptrs or Impls.
  explicit ModuleDictImpl(std::initializer_list<NamedModule> modules) {
    for (const auto& m : modules) insert(m.name(), m.module());
  }
  explicit ModuleDictImpl(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
    update(modules);
  }
  explicit ModuleDictImpl(const Dict& modules) { update(modules); }

  /// Adds `module` under `key`, or replaces the module already there (keeping its position).
  /// ValueError for an empty key or one with a '.'.
  template <typename M>
  void insert(const std::string& key, M&& module) {
    insert_ptr(key, NamedModule(key, std::forward<M>(module)).module());
  }
  /// Inserts (or replaces) every pair of `modules`, in order.
  void update(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
    for (const auto& [key, module] : modules) insert_ptr(key, module);
  }
  /// Same from an OrderedDict, another ModuleDict (holder or Impl) or a list of NamedModule.
  template <typename Container>
  void update(const Container& container) {
    if constexpr (is_module_holder_v<Container>) {
      update(*container);
    } else if constexpr (std::is_same_v<Container, std::initializer_list<NamedModule>> ||
                         std::is_same_v<Container, std::vector<NamedModule>>) {
      for (const auto& m : container) insert_ptr(m.name(), m.module());
    } else {
      // A copy first: updating a ModuleDict from itself must not iterate what it modifies.
      std::vector<std::pair<std::string, std::shared_ptr<Module>>> copy;
      for (const auto& item : container) copy.emplace_back(item.key(), item.value());
      update(copy);
    }
  }
  void update(std::initializer_list<NamedModule> modules) {
    for (const auto& m : modules) insert_ptr(m.name(), m.module());
  }

  /// The module under `key`; IndexError when there is none (check with contains()).
  std::shared_ptr<Module> operator[](const std::string& key) const;
  /// The module under `key` as `T` (an Impl class or a holder type); TypeError when it is not one.
  template <typename T>
  typename detail_container::impl_of<T>::type& at(const std::string& key) const {
    auto* p = (*this)[key]->template as<typename detail_container::impl_of<T>::type>();
    XGRAD_CHECK(p != nullptr, TypeError, "ModuleDict: module '{}' is a {}, not the requested type", key,
                (*this)[key]->short_name());
    return *p;
  }
  /// Removes the module under `key` (and its registration) and returns it; IndexError when absent.
  std::shared_ptr<Module> pop(const std::string& key);
  /// Removes every module.
  void clear() { children_.clear(); }

  bool contains(const std::string& key) const noexcept { return children_.contains(key); }
  size_t size() const noexcept { return children_.size(); }
  bool empty() const noexcept { return children_.is_empty(); }
  bool is_empty() const noexcept { return children_.is_empty(); }
  std::vector<std::string> keys() const { return children_.keys(); }
  std::vector<std::shared_ptr<Module>> values() const { return children_.values(); }
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> items() const;
  /// Iterates (key, module) items in insertion order: `item.key()`, `item.value()`.
  Iterator begin() { return children_.begin(); }
  Iterator end() { return children_.end(); }
  ConstIterator begin() const { return children_.begin(); }
  ConstIterator end() const { return children_.end(); }
  void reset() override {}
  /// A deep copy: a ModuleDict of clones of the modules, under the same keys.
  std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const override;

 private:
  void insert_ptr(const std::string& key, std::shared_ptr<Module> module);
};
/// Holder of ModuleDictImpl; also accepts a braced list of named modules.
class ModuleDict : public ModuleHolder<ModuleDictImpl> {
 public:
  using ModuleHolder<ModuleDictImpl>::ModuleHolder;
  using Impl = ModuleDictImpl;
  ModuleDict() : ModuleHolder<ModuleDictImpl>() {}
  ModuleDict(std::initializer_list<NamedModule> modules)  // NOLINT
      : ModuleHolder<ModuleDictImpl>(std::make_shared<ModuleDictImpl>(modules)) {}
  /// `dict["a"]`: the module under "a".
  std::shared_ptr<Module> operator[](const std::string& key) const { return (**this)[key]; }
};

}  // namespace xgrad::nn
