#pragma once
/// \file
/// Options of 2-D convolution: `Conv2dOptions` for the `nn::Conv2d` module and
/// `functional::Conv2dFuncOptions` for `nn::functional::conv2d`, as in LibTorch.
///
///     auto conv = xgrad::nn::Conv2d(xgrad::nn::Conv2dOptions(1, 6, 5).padding(2));
///     auto y = F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).stride(2).padding({1, 0}));
///     auto z = F::conv2d(x, w, F::Conv2dFuncOptions().padding(xgrad::kSame));
///
/// Sizes (`kernel_size`, `stride`, `dilation`) are `ExpandingArray<2>`: one value (`3`, used
/// for both dimensions) or two (`{3, 2}` = height, width). `padding` also accepts the tags
/// `xgrad::kValid` (no padding) and `xgrad::kSame` (output as large as the input; stride 1 only).

#include <xgrad/arg.hpp>
#include <xgrad/enum.hpp>
#include <xgrad/expanding_array.hpp>
#include <xgrad/tensor.hpp>

#include <concepts>
#include <cstdint>
#include <type_traits>
#include <variant>

namespace xgrad::nn {

namespace detail {
/// Padding of a D-dimensional convolution: explicit sizes, or `kValid` / `kSame`.
template <size_t D>
using conv_padding_t = std::variant<ExpandingArray<D>, enumtype::kValid, enumtype::kSame>;

// The padding setter accepts `2`, `{2, 1}`, `xgrad::kSame`, `xgrad::kValid` or a whole
// padding_t (as read from another options object). A template for the last case keeps `2`
// from being ambiguous between ExpandingArray and the variant.
#define XGRAD_CONV_PADDING_ARG(D)                                                          \
 public:                                                                                   \
  using padding_t = ::xgrad::nn::detail::conv_padding_t<D>;                                \
  auto& padding(ExpandingArray<D> p) {                                                     \
    padding_ = p;                                                                          \
    return *this;                                                                          \
  }                                                                                        \
  auto& padding(enumtype::kValid p) {                                                      \
    padding_ = p;                                                                          \
    return *this;                                                                          \
  }                                                                                        \
  auto& padding(enumtype::kSame p) {                                                       \
    padding_ = p;                                                                          \
    return *this;                                                                          \
  }                                                                                        \
  template <typename P>                                                                    \
    requires std::same_as<std::remove_cvref_t<P>, padding_t>                               \
  auto& padding(P&& p) {                                                                   \
    padding_ = std::forward<P>(p);                                                         \
    return *this;                                                                          \
  }                                                                                        \
  const padding_t& padding() const noexcept { return padding_; }                           \
  padding_t& padding() noexcept { return padding_; }                                       \
                                                                                           \
 private:                                                                                  \
  padding_t padding_
}  // namespace detail

/// How a convolution pads its input. Only `xgrad::kZeros` is implemented; the module throws
/// ValueError for the others.
using padding_mode_t = std::variant<enumtype::kZeros, enumtype::kReflect, enumtype::kReplicate, enumtype::kCircular>;

/// Options of the `Conv2d` module (LibTorch's `ConvOptions<2>`).
///
///     auto o = Conv2dOptions(3, 16, {3, 5}).stride(2).padding(1).bias(false);
///     o.kernel_size();   // {3, 5}
template <size_t D>
struct ConvOptions {
  ConvOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  /// Channels of the input.
  XGRAD_ARG(int64_t, in_channels);
  /// Channels of the output (number of filters).
  XGRAD_ARG(int64_t, out_channels);
  /// Window size.
  XGRAD_ARG(ExpandingArray<D>, kernel_size);
  /// Step of the window.
  XGRAD_ARG(ExpandingArray<D>, stride) = 1;
  /// Implicit zeros on both sides of each spatial dimension, or kValid / kSame.
  XGRAD_CONV_PADDING_ARG(D) = ExpandingArray<D>(0);
  /// Spacing between kernel taps.
  XGRAD_ARG(ExpandingArray<D>, dilation) = 1;
  /// Blocked connections: in_channels and out_channels must both be divisible by groups.
  XGRAD_ARG(int64_t, groups) = 1;
  /// Whether the module has a learnable bias.
  XGRAD_ARG(bool, bias) = true;
  /// Padding fill; only kZeros is supported.
  XGRAD_ARG(padding_mode_t, padding_mode) = enumtype::kZeros{};
};

/// `Conv2dOptions(in_channels, out_channels, kernel_size)`.
using Conv2dOptions = ConvOptions<2>;

namespace functional {

/// Options of `nn::functional::conv2d` (LibTorch's `ConvFuncOptions<2>`).
///
///     F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).stride(2).padding(1).groups(2));
template <size_t D>
struct ConvFuncOptions {
  /// Optional bias of shape [out_channels] (undefined = none).
  XGRAD_ARG(Tensor, bias);
  XGRAD_ARG(ExpandingArray<D>, stride) = 1;
  XGRAD_CONV_PADDING_ARG(D) = ExpandingArray<D>(0);
  XGRAD_ARG(ExpandingArray<D>, dilation) = 1;
  XGRAD_ARG(int64_t, groups) = 1;
};

using Conv2dFuncOptions = ConvFuncOptions<2>;

}  // namespace functional

}  // namespace xgrad::nn
