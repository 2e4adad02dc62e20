#pragma once
/// \file
/// `xgrad::summary(model, input_size)`: a table of a model's layers with their output shapes and
/// parameter counts (as Keras' `model.summary()` and the `torchsummary` package; PyTorch itself
/// has none):
///
///     xgrad::nn::Sequential net(xgrad::nn::Conv2d(xgrad::nn::Conv2dOptions(1, 6, 5).padding(2)), ...);
///     std::cout << xgrad::summary(net, {1, 1, 28, 28});
///
///     Layer (type)    Output Shape      Param #
///     =========================================
///     0 (Conv2d)      [1, 6, 28, 28]        156
///     1 (Sigmoid)     [1, 6, 28, 28]          0
///     ...
///     11 (Linear)     [1, 10]               850
///     =========================================
///     Total params: 61,706
///     Trainable params: 61,706
///     Non-trainable params: 0
///     -----------------------------------------
///     Input size (MB): 0.00
///     Forward pass size (MB): 0.06      (the recorded outputs)
///     Params size (MB): 0.24
///     Estimated Total Size (MB): 0.30
///     -----------------------------------------
///
/// It calls the model once on zeros of `input_size` (dtype of the model's first parameter,
/// float32 if it has none), in evaluation mode and without gradient recording; every module's
/// training flag is restored afterwards. Output shapes are recorded by forward hooks, so a row
/// appears for every call of a leaf module (a module without submodules) or of a module owning
/// parameters of its own, in call order; a module called twice has two rows, one never called
/// has none (its parameters are still counted in the totals). The hooks need every module the
/// model calls to take one Tensor and return one (TypeError otherwise).
///
/// Errors: ValueError for a negative size; an error raised by the model's forward (e.g. a
/// ShapeError for an input of the wrong shape) is rethrown as the same type with the path and
/// type of the innermost module that was running: "summary(input [1, 3, 28, 28]): 0 (Conv2d):
/// conv2d: ...".

#include <xgrad/array_ref.hpp>
#include <xgrad/nn/module.hpp>
#include <xgrad/tensor.hpp>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>

namespace xgrad {

namespace detail {
/// The non-template core of summary(): `forward` calls the model (with its hooks).
std::string summary_table(nn::Module& model, IntArrayRef input_size,
                          const std::function<Tensor(const Tensor&)>& forward);

template <typename ModuleType>
auto& summary_module(ModuleType& model) {
  using D = std::remove_cvref_t<ModuleType>;
  if constexpr (nn::is_module_holder_v<D>)
    return *model;
  else if constexpr (std::is_base_of_v<nn::Module, D>)
    return model;
  else
    return *model;  // std::shared_ptr<Impl>
}
}  // namespace detail

/// The summary table of `model` (a holder, an Impl or a shared_ptr to one) for an input of
/// sizes `input_size`, as a string ending in a newline.
template <typename ModuleType>
std::string summary(ModuleType&& model, IntArrayRef input_size) {
  auto& impl = detail::summary_module(model);
  return detail::summary_table(impl, input_size,
                               [&impl](const Tensor& x) -> Tensor { return nn::call_module(impl, x); });
}

/// Writes the summary table of `model` to `stream`.
template <typename ModuleType>
void summary(ModuleType&& model, IntArrayRef input_size, std::ostream& stream) {
  stream << summary(std::forward<ModuleType>(model), input_size);
}

}  // namespace xgrad
