#pragma once
/// \file
/// `nn::Conv2d`, as in LibTorch:
///
///     xgrad::nn::Conv2d conv(xgrad::nn::Conv2dOptions(1, 6, 5).padding(2));
///     auto y = conv(xgrad::randn({256, 1, 28, 28}));   // [256, 6, 28, 28]
///     std::cout << *conv;   // Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/options/conv.hpp>

namespace xgrad::nn {

/// 2-D convolution with weight [out, in / groups, kH, kW] and bias [out], initialised as
/// PyTorch: kaiming_uniform_(a = sqrt(5)), i.e. both U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
/// fan_in = in / groups * kH * kW. Options are checked at construction (ValueError naming
/// Conv2d and the value).
class Conv2dImpl : public Cloneable<Conv2dImpl> {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : Conv2dImpl(Conv2dOptions(in_channels, out_channels, kernel_size)) {}
  explicit Conv2dImpl(Conv2dOptions options);

  void reset() override;
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  Conv2dOptions options;
  Tensor weight;
  /// Undefined when `options.bias()` is false.
  Tensor bias;
};
XGRAD_MODULE(Conv2d);

}  // namespace xgrad::nn
