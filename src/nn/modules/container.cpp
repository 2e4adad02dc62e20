// Containers: Functional (a function as a module) and Sequential (modules run in order).

#include <xgrad/nn/modules/container.hpp>

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
  Tensor x = items_.front().forward(input);
  for (size_t i = 1; i < items_.size(); ++i) x = items_[i].forward(x);
  return x;
}

std::shared_ptr<Module> SequentialImpl::ptr(size_t index) const {
  XGRAD_CHECK(index < items_.size(), IndexError, "Sequential: index {} is out of range for a Sequential of {} modules",
              index, items_.size());
  return items_[index].module;
}

}  // namespace xgrad::nn
