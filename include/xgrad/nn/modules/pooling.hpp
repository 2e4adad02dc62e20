#pragma once
/// \file
/// 2-D pooling modules, as in LibTorch:
///
///     xgrad::nn::MaxPool2d pool(xgrad::nn::MaxPool2dOptions(3).stride(2).padding(1));
///     xgrad::nn::AvgPool2d avg(2);                          // kernel 2, stride 2
///     xgrad::nn::AdaptiveAvgPool2d gap(1);                  // global average pool
///     xgrad::nn::AdaptiveMaxPool2d amp({std::nullopt, 4}); // keep the height, width 4
///     std::cout << *pool;   // MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)
///
/// As in LibTorch, each module is built from its options or from the options' required argument
/// alone (`MaxPool2d(2)`, `AvgPool2d({3, 2})`, `AdaptiveAvgPool2d(1)`), so `nn::MaxPool2d(2)` works
/// the way `torch::nn::MaxPool2d(2)` does. Inputs are [N, C, H, W] or [C, H, W], float32 or
/// float64; see nn/functional/pooling.hpp for the output sizes and the errors thrown.

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/options/pooling.hpp>

namespace xgrad::nn {

/// Max over kernel_size windows (PyTorch's `nn.MaxPool2d`).
class MaxPool2dImpl : public Cloneable<MaxPool2dImpl> {
 public:
  /// `MaxPool2d(2)`, `MaxPool2d({3, 2})`: the kernel size, other options at their defaults.
  MaxPool2dImpl(ExpandingArray<2> kernel_size) : MaxPool2dImpl(MaxPool2dOptions(kernel_size)) {}  // NOLINT
  explicit MaxPool2dImpl(const MaxPool2dOptions& options);
  void reset() override;
  Tensor forward(const Tensor& input);
  /// (values, argmax indices into each flattened H*W plane).
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;
  MaxPool2dOptions options;
};
XGRAD_MODULE(MaxPool2d);

/// Average over kernel_size windows (PyTorch's `nn.AvgPool2d`).
class AvgPool2dImpl : public Cloneable<AvgPool2dImpl> {
 public:
  /// `AvgPool2d(2)`: the kernel size (and stride), other options at their defaults.
  AvgPool2dImpl(ExpandingArray<2> kernel_size) : AvgPool2dImpl(AvgPool2dOptions(kernel_size)) {}  // NOLINT
  explicit AvgPool2dImpl(const AvgPool2dOptions& options);
  void reset() override;
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  AvgPool2dOptions options;
};
XGRAD_MODULE(AvgPool2d);

/// Average over windows chosen to give exactly `output_size` (PyTorch's `nn.AdaptiveAvgPool2d`);
/// a `std::nullopt` entry keeps the input's size. ValueError for a negative output size (at
/// construction). Repr `AdaptiveAvgPool2d(output_size=(None, 7))`.
class AdaptiveAvgPool2dImpl : public Cloneable<AdaptiveAvgPool2dImpl> {
 public:
  /// `AdaptiveAvgPool2d(1)`, `AdaptiveAvgPool2d({std::nullopt, 7})`.
  AdaptiveAvgPool2dImpl(ExpandingArrayWithOptionalElem<2> output_size)  // NOLINT
      : AdaptiveAvgPool2dImpl(AdaptiveAvgPool2dOptions(output_size)) {}
  explicit AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options);
  void reset() override;
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  AdaptiveAvgPool2dOptions options;
};
XGRAD_MODULE(AdaptiveAvgPool2d);

/// Max over the adaptive pool's windows (PyTorch's `nn.AdaptiveMaxPool2d`, LibTorch's
/// `torch::nn::AdaptiveMaxPool2d`): output [N, C, oH, oW] (or [C, oH, oW]) with window `i` of a
/// dimension covering input `floor(i * in / out)` to `ceil((i + 1) * in / out)`; a
/// `std::nullopt` entry of `output_size` keeps the input's size. grad_fn
/// "AdaptiveMaxPool2DBackward0" (the gradient goes to each window's first arg-max; NaN wins).
/// ValueError for a negative output size (at construction), ShapeError for an input that is not
/// 3-D/4-D, TypeError for a non-floating input. Repr `AdaptiveMaxPool2d(output_size=(1, 1))`.
///
///     nn::AdaptiveMaxPool2d pool(1);                       // global max pool
///     auto y = pool(x);                                    // [N, C, 1, 1]
///     auto [v, idx] = pool->forward_with_indices(x);       // idx: int64 into each H*W plane
///
/// PyTorch's `return_indices=True` is `forward_with_indices` here, as in LibTorch.
class AdaptiveMaxPool2dImpl : public Cloneable<AdaptiveMaxPool2dImpl> {
 public:
  /// `AdaptiveMaxPool2d(1)`, `AdaptiveMaxPool2d({2, std::nullopt})`.
  AdaptiveMaxPool2dImpl(ExpandingArrayWithOptionalElem<2> output_size)  // NOLINT
      : AdaptiveMaxPool2dImpl(AdaptiveMaxPool2dOptions(output_size)) {}
  explicit AdaptiveMaxPool2dImpl(const AdaptiveMaxPool2dOptions& options);
  /// Checks the options (no state to create).
  void reset() override;
  /// The pooled values.
  Tensor forward(const Tensor& input);
  /// (values, int64 arg-max indices into each flattened H*W input plane), as
  /// `nn.AdaptiveMaxPool2d(..., return_indices=True)(x)`.
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;
  AdaptiveMaxPool2dOptions options;
};
XGRAD_MODULE(AdaptiveMaxPool2d);

}  // namespace xgrad::nn
