// Containers: Functional (a function as a module), Sequential (modules run in order), ModuleList
// and ModuleDict (registered submodules the owner calls).

#include <xgrad/nn/modules/container.hpp>

#include <fmt/ranges.h>

#include <cstdlib>
#include <cxxabi.h>

namespace xgrad::nn {

// ---- Functional ---------------------------------------------------------------------------------

FunctionalImpl::FunctionalImpl(Function function) : function_(std::move(function)) {
  XGRAD_CHECK(static_cast<bool>(function_), ValueError, "Functional: the function must not be empty");
}

Tensor FunctionalImpl::forward(Tensor input) { return function_(std::move(input)); }

// ---- AnyValue, AnyModule ----------------------------------------------------------------------------

// The full name ("xgrad::Tensor", "std::tuple<xgrad::Tensor, xgrad::Tensor>"): autograd's demangle
// keeps only the last component, which cuts template arguments apart.
std::string detail::type_name(const std::type_info& type) {
  int status = 0;
  char* out = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = status == 0 && out != nullptr ? out : type.name();
  std::free(out);
  return name;
}

const std::type_info& AnyValue::type_info() const {
  XGRAD_CHECK(content_ != nullptr, ValueError, "AnyValue: the value was moved out of this AnyValue");
  return content_->type;
}

void AnyValue::throw_bad_cast(const std::type_info& requested) const {
  XGRAD_THROW(TypeError, "AnyValue: attempted to cast AnyValue to {}, but its actual type is {}",
              detail::type_name(requested), detail::type_name(type_info()));
}

void AnyValue::throw_not_copyable(const std::type_info& type) {
  XGRAD_THROW(TypeError, "AnyValue: cannot copy a value of the move-only type {}; move the AnyValue instead",
              detail::type_name(type));
}

void detail_any::throw_argument_count(const Module& module, size_t expected, size_t received) {
  XGRAD_THROW(TypeError, "{}.forward: expected {} argument(s), but received {}{}", module.short_name(), expected,
              received,
              received < expected ? "; if its forward() has default arguments, declare them with the "
                                    "FORWARD_HAS_DEFAULT_ARGS macro in the module's class"
                                  : "");
}

void detail_any::fill_default_arguments(const Module& module, std::vector<std::pair<unsigned, AnyValue>> defaults,
                                        std::vector<AnyValue>& arguments, size_t arity) {
  XGRAD_CHECK(!defaults.empty(), TypeError, "{}: FORWARD_HAS_DEFAULT_ARGS() names no argument", module.short_name());
  for (size_t i = 0; i < defaults.size(); ++i)
    XGRAD_CHECK(defaults[i].first == arity - defaults.size() + i, TypeError,
                "{}: FORWARD_HAS_DEFAULT_ARGS must list the last {} argument(s) of forward() (which takes {}) in "
                "order, but entry {} has index {}",
                module.short_name(), defaults.size(), arity, i, defaults[i].first);
  const size_t required = defaults.front().first;
  if (arguments.size() < required) return;
  for (size_t i = arguments.size() - required; i < defaults.size(); ++i)
    arguments.push_back(std::move(defaults[i].second));
}

void detail_any::throw_argument_type(const Module& module, size_t index, const std::type_info& expected,
                                     const std::type_info& received) {
  XGRAD_THROW(TypeError, "{}.forward: argument {} must be a {}, but received a {}", module.short_name(), index,
              detail::type_name(expected), detail::type_name(received));
}

AnyValue AnyModule::any_forward_values(std::vector<AnyValue>&& arguments) {
  XGRAD_CHECK(content_ != nullptr, ValueError, "AnyModule: cannot call forward() on an empty AnyModule");
  return content_->forward(std::move(arguments));
}

const std::shared_ptr<Module>& AnyModule::ptr() const {
  XGRAD_CHECK(content_ != nullptr, ValueError, "AnyModule: cannot access the module of an empty AnyModule");
  return content_->module;
}

void detail_any::throw_clone_type(const Module& module) {
  XGRAD_THROW(TypeError, "{}.clone: clone() returned a module of another type", module.short_name());
}

AnyModule AnyModule::clone() const {
  XGRAD_CHECK(content_ != nullptr, ValueError, "AnyModule: cannot clone an empty AnyModule");
  return AnyModule(content_->clone_module());
}

const std::type_info& AnyModule::type_info() const {
  XGRAD_CHECK(content_ != nullptr, ValueError, "AnyModule: cannot get the type of an empty AnyModule");
  return *content_->type;
}

void AnyModule::throw_bad_module_cast(const std::type_info& requested) const {
  XGRAD_THROW(TypeError, "AnyModule: attempted to cast a module of type {} to type {}", detail::type_name(type_info()),
              detail::type_name(requested));
}

// ---- Sequential ---------------------------------------------------------------------------------

void SequentialImpl::extend(const SequentialImpl& other) {
  // A copy first, so that extending a Sequential by itself appends each module once.
  const std::vector<AnyModule> add = other.items_;
  for (const auto& item : add) append(std::to_string(items_.size()), item);
}

AnyValue SequentialImpl::forward_values(std::vector<AnyValue>&& inputs) {
  XGRAD_CHECK(!items_.empty(), ValueError, "Sequential: Cannot call forward() on an empty Sequential; push_back() a module first");
  // Called as seq->forward(x) rather than seq(x), the Sequential still names its children's
  // module paths in anomaly mode (a no-op when call_module already entered it).
  autograd::detail::AnomalyModuleScope anomaly_scope(*this);
  try {  // so that seq->forward(x) names the failing child too
    AnyValue x = items_.front().any_forward_values(std::move(inputs));
    for (size_t i = 1; i < items_.size(); ++i) x = items_[i].any_forward(std::move(x));
    return x;
  } catch (Error& error) {
    detail::add_module_context(error, *this);
    throw;
  }
}

void SequentialImpl::throw_return_type(const std::type_info& actual, const std::type_info& requested) const {
  XGRAD_THROW(TypeError, "Sequential: The type of the return value is {}, but you asked for type {}",
              detail::type_name(actual), detail::type_name(requested));
}

// The containers' clones start as copies (name, training flag, hooks) without registrations, then
// take clones of the modules under the same names: they have no reset() that could create them.
std::shared_ptr<Module> SequentialImpl::clone(const std::optional<Device>& device) const {
  check_clone_device_(device);
  NoGradGuard no_grad;
  auto copy = std::make_shared<SequentialImpl>(*this);
  copy->clear_registrations_for_clone_();
  copy->items_.clear();
  const auto names = children_.keys();  // registered in the order of items_
  for (size_t i = 0; i < items_.size(); ++i) copy->append(names[i], items_[i].clone());
  return copy;
}

std::shared_ptr<Module> SequentialImpl::ptr(size_t index) const {
  XGRAD_CHECK(index < items_.size(), IndexError, "Sequential: Index out of range: index {} for a Sequential of {} modules",
              index, items_.size());
  return items_[index].ptr();
}

AnyValue detail_any::forward_sequential(SequentialImpl& sequential, std::vector<AnyValue>&& arguments) {
  // One Tensor goes through call_module, so the nested Sequential's own hooks run; any other
  // arguments go straight down the chain (hooks only apply to a single-Tensor forward).
  if (arguments.size() == 1) {
    if (Tensor* x = arguments[0].try_get<Tensor>()) return AnyValue(Tensor(call_module(sequential, *x)));
  }
  if (sequential.has_forward_hooks()) detail::throw_hooks_need_single_tensor_forward(sequential);
  return sequential.forward_values(std::move(arguments));
}

// ---- ModuleList ---------------------------------------------------------------------------------

void ModuleListImpl::insert_ptr(size_t index, std::shared_ptr<Module> module) {
  XGRAD_CHECK(index <= items_.size(), IndexError,
              "ModuleList.insert: Index out of range: index {} for a list of {} modules (0 to {} allowed)", index,
              items_.size(), items_.size());
  items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(index), std::move(module));
  // Names follow positions: every module from `index` on takes the name of its new position; the
  // last name is new.
  for (size_t i = index; i + 1 < items_.size(); ++i) replace_module(std::to_string(i), items_[i]);
  register_module(std::to_string(items_.size() - 1), items_.back());
}

std::shared_ptr<Module> ModuleListImpl::clone(const std::optional<Device>& device) const {
  check_clone_device_(device);
  NoGradGuard no_grad;
  auto copy = std::make_shared<ModuleListImpl>(*this);
  copy->clear_registrations_for_clone_();
  copy->items_.clear();
  for (const auto& m : items_) copy->push_back(m->clone());
  return copy;
}

// ---- ModuleDict ---------------------------------------------------------------------------------

std::shared_ptr<Module> ModuleDictImpl::clone(const std::optional<Device>& device) const {
  check_clone_device_(device);
  NoGradGuard no_grad;
  auto copy = std::make_shared<ModuleDictImpl>(*this);
  copy->clear_registrations_for_clone_();
  for (const auto& item : children_) copy->insert_ptr(item.key(), item.value()->clone());
  return copy;
}

void ModuleDictImpl::insert_ptr(const std::string& key, std::shared_ptr<Module> module) {
  XGRAD_CHECK(module != nullptr, ValueError, "ModuleDict: cannot insert an empty module under '{}'", key);
  if (children_.contains(key))
    replace_module(key, std::move(module));
  else
    register_module(key, std::move(module));
}

std::shared_ptr<Module> ModuleDictImpl::operator[](const std::string& key) const {
  const auto* m = children_.find(key);
  XGRAD_CHECK(m != nullptr, IndexError, "ModuleDict: no module under the key '{}' (keys: {})", key,
              fmt::join(children_.keys(), ", "));
  return *m;
}

std::shared_ptr<Module> ModuleDictImpl::pop(const std::string& key) {
  auto module = (*this)[key];
  unregister_module(key);
  return module;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> ModuleDictImpl::items() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  out.reserve(children_.size());
  for (const auto& item : children_) out.emplace_back(item.key(), item.value());
  return out;
}

}  // namespace xgrad::nn
