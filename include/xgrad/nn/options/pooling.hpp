#pragma once
/// \file
/// Options of the 2-D pooling modules and functionals, as LibTorch's `torch/nn/options/pooling.h`.
/// Sizes are `ExpandingArray<2>`: one value (`3`, meaning 3x3) or two (`{3, 2}`, height then width).
/// The functional options are the module options under another name, as in LibTorch:
///
///     using namespace xgrad::nn;
///     auto pool = MaxPool2d(MaxPool2dOptions(3).stride(2).padding(1));       // module (nn helper)
///     auto y = functional::max_pool2d(x, functional::MaxPool2dFuncOptions({2, 3}).padding({1, 1}));
///     auto a = functional::adaptive_avg_pool2d(x, functional::AdaptiveAvgPool2dFuncOptions({5, 7}));
///
/// Defaults: `stride` = `kernel_size`, `padding` = 0, `dilation` = 1, `ceil_mode` = false,
/// `count_include_pad` = true, `divisor_override` = none. The values are checked when the pool
/// runs (against the input's size), with errors naming the op and the offending values.

#include <xgrad/arg.hpp>
#include <xgrad/expanding_array.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>

namespace xgrad {

/// A size option whose entries may each be `std::nullopt`, meaning "same as the input" (LibTorch's
/// `ExpandingArrayWithOptionalElem`), used by the adaptive pools:
///
///     AdaptiveAvgPool2dOptions(7);                  // 7x7
///     AdaptiveAvgPool2dOptions({5, 7});             // 5x7
///     AdaptiveAvgPool2dOptions({std::nullopt, 7});  // keep the height, width 7
template <size_t N>
class ExpandingArrayWithOptionalElem : public ExpandingArray<N, std::optional<int64_t>> {
  using Base = ExpandingArray<N, std::optional<int64_t>>;

 public:
  ExpandingArrayWithOptionalElem(int64_t single) : Base(std::optional<int64_t>(single)) {}  // NOLINT
  ExpandingArrayWithOptionalElem(std::nullopt_t) : Base(std::optional<int64_t>()) {}       // NOLINT
  ExpandingArrayWithOptionalElem(std::initializer_list<int64_t> list)                        // NOLINT
      : Base(std::optional<int64_t>()) {
    XGRAD_CHECK(list.size() == N, ValueError, "ExpandingArrayWithOptionalElem: expected {} values, got {}", N,
                list.size());
    size_t i = 0;
    for (int64_t v : list) (**this)[i++] = v;
  }
  ExpandingArrayWithOptionalElem(std::initializer_list<std::optional<int64_t>> list) : Base(list) {}  // NOLINT
  ExpandingArrayWithOptionalElem(const ExpandingArray<N>& values)                                     // NOLINT
      : Base(std::optional<int64_t>()) {
    for (size_t i = 0; i < N; ++i) (**this)[i] = values[i];
  }
};

namespace nn {


/// Options of a `D`-dimensional max pool (module and functional).
///
///     MaxPool2dOptions(3).stride(2).padding(1).dilation(1).ceil_mode(false)
template <size_t D>
struct MaxPoolOptions {
  MaxPoolOptions(ExpandingArray<D> kernel_size)  // NOLINT: implicit like LibTorch
      : kernel_size_(kernel_size), stride_(kernel_size) {}

  /// Size of the window to take the maximum over.
  XGRAD_ARG(ExpandingArray<D>, kernel_size);
  /// Step between windows; defaults to `kernel_size`.
  XGRAD_ARG(ExpandingArray<D>, stride);
  /// Implicit padding on both sides; padded positions never win the max (they count as -inf).
  XGRAD_ARG(ExpandingArray<D>, padding) = 0;
  /// Spacing between the elements of a window.
  XGRAD_ARG(ExpandingArray<D>, dilation) = 1;
  /// Round the output size up instead of down (the last window must still start inside the
  /// input or its left padding).
  XGRAD_ARG(bool, ceil_mode) = false;

 public:
  bool operator==(const MaxPoolOptions&) const = default;
};

using MaxPool2dOptions = MaxPoolOptions<2>;

/// Options of a `D`-dimensional average pool (module and functional).
///
///     AvgPool2dOptions(2).stride(2).padding(0).ceil_mode(false).count_include_pad(true)
template <size_t D>
struct AvgPoolOptions {
  AvgPoolOptions(ExpandingArray<D> kernel_size)  // NOLINT: implicit like LibTorch
      : kernel_size_(kernel_size), stride_(kernel_size) {}

  /// Size of the window to average over.
  XGRAD_ARG(ExpandingArray<D>, kernel_size);
  /// Step between windows; defaults to `kernel_size`.
  XGRAD_ARG(ExpandingArray<D>, stride);
  /// Implicit zero padding on both sides.
  XGRAD_ARG(ExpandingArray<D>, padding) = 0;
  /// Round the output size up instead of down.
  XGRAD_ARG(bool, ceil_mode) = false;
  /// Whether the zero padding counts in the divisor (windows are still clipped at the padded
  /// border, so a window hanging past it in ceil mode divides by its clipped size).
  XGRAD_ARG(bool, count_include_pad) = true;
  /// When set, every window is divided by this value instead of its size.
  XGRAD_ARG(std::optional<int64_t>, divisor_override) = std::nullopt;

 public:
  bool operator==(const AvgPoolOptions&) const = default;
};

using AvgPool2dOptions = AvgPoolOptions<2>;

/// Options of an adaptive average pool: the output size; the windows are chosen so that they
/// cover the input (`start = floor(i * in / out)`, `end = ceil((i + 1) * in / out)`).
///
///     AdaptiveAvgPool2dOptions({5, 7})
template <typename output_size_t>
struct AdaptiveAvgPoolOptions {
  AdaptiveAvgPoolOptions(output_size_t output_size) : output_size_(output_size) {}  // NOLINT

  /// Target output size; a `std::nullopt` entry keeps the input's size in that dimension.
  XGRAD_ARG(output_size_t, output_size);

 public:
  bool operator==(const AdaptiveAvgPoolOptions&) const = default;
};

using AdaptiveAvgPool2dOptions = AdaptiveAvgPoolOptions<ExpandingArrayWithOptionalElem<2>>;

/// Options of an adaptive max pool (same windows as the adaptive average pool).
///
///     AdaptiveMaxPool2dOptions(1)
template <typename output_size_t>
struct AdaptiveMaxPoolOptions {
  AdaptiveMaxPoolOptions(output_size_t output_size) : output_size_(output_size) {}  // NOLINT

  /// Target output size; a `std::nullopt` entry keeps the input's size in that dimension.
  XGRAD_ARG(output_size_t, output_size);

 public:
  bool operator==(const AdaptiveMaxPoolOptions&) const = default;
};

using AdaptiveMaxPool2dOptions = AdaptiveMaxPoolOptions<ExpandingArrayWithOptionalElem<2>>;

namespace functional {
/// Options of `functional::max_pool2d` / `max_pool2d_with_indices`.
using MaxPool2dFuncOptions = MaxPool2dOptions;
/// Options of `functional::avg_pool2d`.
using AvgPool2dFuncOptions = AvgPool2dOptions;
/// Options of `functional::adaptive_avg_pool2d`.
using AdaptiveAvgPool2dFuncOptions = AdaptiveAvgPool2dOptions;
/// Options of `functional::adaptive_max_pool2d` / `adaptive_max_pool2d_with_indices`.
using AdaptiveMaxPool2dFuncOptions = AdaptiveMaxPool2dOptions;
}  // namespace functional

}  // namespace nn
}  // namespace xgrad
