// Containers: Functional (a function as a module), Sequential (modules run in order), ModuleList
// and ModuleDict (registered submodules the owner calls).

#include <xgrad/nn/modules/container.hpp>

#include <fmt/ranges.h>

namespace xgrad::nn {

// ---- Functional ---------------------------------------------------------------------------------

FunctionalImpl::FunctionalImpl(Function function) : function_(std::move(function)) {
  XGRAD_CHECK(static_cast<bool>(function_), ValueError, "Functional: the function must not be empty");
}

Tensor FunctionalImpl::forward(Tensor input) { return function_(std::move(input)); }

// ---- Sequential ---------------------------------------------------------------------------------

void SequentialImpl::extend(const SequentialImpl& other) {
  for (const auto& item : other.items_) {
    const std::string name = std::to_string(items_.size());
    register_module(name, item.module);
    items_.push_back(item);
  }
}

Tensor SequentialImpl::forward(const Tensor& input) {
  XGRAD_CHECK(!items_.empty(), ValueError, "Sequential: cannot call forward() on an empty Sequential");
  // Called as seq->forward(x) rather than seq(x), the Sequential still names its children's
  // module paths in anomaly mode (a no-op when call_module already entered it).
  autograd::detail::AnomalyModuleScope anomaly_scope(*this);
  try {  // so that seq->forward(x) names the failing child too
    Tensor x = items_.front().forward(input);
    for (size_t i = 1; i < items_.size(); ++i) x = items_[i].forward(x);
    return x;
  } catch (Error& error) {
    detail::add_module_context(error, *this);
    throw;
  }
}

std::shared_ptr<Module> SequentialImpl::ptr(size_t index) const {
  XGRAD_CHECK(index < items_.size(), IndexError, "Sequential: index {} is out of range for a Sequential of {} modules",
              index, items_.size());
  return items_[index].module;
}

// ---- ModuleList ---------------------------------------------------------------------------------

void ModuleListImpl::insert_ptr(size_t index, std::shared_ptr<Module> module) {
  XGRAD_CHECK(index <= items_.size(), IndexError,
              "ModuleList.insert: index {} is out of range for a list of {} modules (0 to {} allowed)", index,
              items_.size(), items_.size());
  items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(index), std::move(module));
  // Names follow positions: every module from `index` on takes the name of its new position; the
  // last name is new.
  for (size_t i = index; i + 1 < items_.size(); ++i) replace_module(std::to_string(i), items_[i]);
  register_module(std::to_string(items_.size() - 1), items_.back());
}

// ---- ModuleDict ---------------------------------------------------------------------------------

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
