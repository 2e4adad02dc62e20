#pragma once
/// \file
/// 2-D pooling modules, as in LibTorch:
///
///     xgrad::nn::MaxPool2d pool(xgrad::nn::MaxPool2dOptions(3).stride(2).padding(1));
///     xgrad::nn::AvgPool2d avg(2);                          // kernel 2, stride 2
///     xgrad::nn::AdaptiveAvgPool2d gap(1);                  // global average pool
///     std::cout << *pool;   // MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)

#include <xgrad/nn/module.hpp>
#include <xgrad/nn/options/pooling.hpp>

namespace xgrad::nn {

class MaxPool2dImpl : public Module {
 public:
  explicit MaxPool2dImpl(const MaxPool2dOptions& options);
  void reset();
  Tensor forward(const Tensor& input);
  /// (values, argmax indices into each flattened H*W plane).
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;
  MaxPool2dOptions options;
};
XGRAD_MODULE(MaxPool2d);

class AvgPool2dImpl : public Module {
 public:
  explicit AvgPool2dImpl(const AvgPool2dOptions& options);
  void reset();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  AvgPool2dOptions options;
};
XGRAD_MODULE(AvgPool2d);

class AdaptiveAvgPool2dImpl : public Module {
 public:
  explicit AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options);
  void reset();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  AdaptiveAvgPool2dOptions options;
};
XGRAD_MODULE(AdaptiveAvgPool2d);

}  // namespace xgrad::nn
