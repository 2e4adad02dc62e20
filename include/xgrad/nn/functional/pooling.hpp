#pragma once
/// \file
/// 2-D pooling, as `torch::nn::functional::{max,avg,adaptive_avg,adaptive_max}_pool2d` and the
/// ATen-level `torch::max_pool2d(input, kernel_size, stride, ...)` forms.
///
///     namespace F = xgrad::nn::functional;
///     auto x = xgrad::arange(16., xgrad::kFloat32).reshape({1, 1, 4, 4});
///     F::max_pool2d(x, F::MaxPool2dFuncOptions(3));                        // [[[[10.]]]]
///     F::max_pool2d(x, F::MaxPool2dFuncOptions(3).padding(1).stride(2));  // [[[[5, 7], [13, 15]]]]
///     auto [y, idx] = F::max_pool2d_with_indices(x, F::MaxPool2dFuncOptions(2));
///     F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).count_include_pad(false));
///     F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions({1, 1}));   // global average
///
/// Inputs are [N, C, H, W] or unbatched [C, H, W], float32 or float64, any strides. Each of the
/// N*C planes is pooled on its own. Output size per spatial dimension (docs/ops-pooling.md):
///
///     out = floor((in + 2 * padding - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0)) / stride) + 1
///
/// and in ceil mode the last window is dropped when it would start past the input and its left
/// padding. Errors (xgrad::ValueError for options, xgrad::ShapeError for shapes, TypeError for
/// dtypes) name the op and the values: a padding larger than half the kernel, a kernel larger than
/// the padded input, a non-positive kernel/stride/dilation, an input that is not 3-D or 4-D.

#include <xgrad/nn/options/pooling.hpp>
#include <xgrad/tensor.hpp>

#include <optional>
#include <tuple>

namespace xgrad {

/// Max pool over kH x kW windows; an empty `stride` means `kernel_size`. grad_fn
/// "MaxPool2DWithIndicesBackward0"; the gradient goes to the (first) arg-max of each window.
/// NaN propagates: a window holding a NaN yields NaN (as PyTorch).
Tensor max_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {}, IntArrayRef padding = 0,
                  IntArrayRef dilation = 1, bool ceil_mode = false);
/// Max pool returning (values, int64 indices into each flattened H*W input plane).
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntArrayRef kernel_size,
                                                   IntArrayRef stride = {}, IntArrayRef padding = 0,
                                                   IntArrayRef dilation = 1, bool ceil_mode = false);
/// Average pool; zero padding, counted in the divisor when `count_include_pad`; every window is
/// divided by `divisor_override` instead when it is given. grad_fn "AvgPool2DBackward0".
Tensor avg_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {}, IntArrayRef padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
/// Average over adaptive windows giving exactly `output_size` ({oH, oW}). grad_fn
/// "AdaptiveAvgPool2DBackward0".
Tensor adaptive_avg_pool2d(const Tensor& input, IntArrayRef output_size);
/// Max over adaptive windows: (values, int64 indices into each H*W plane). grad_fn
/// "AdaptiveMaxPool2DBackward0".
std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, IntArrayRef output_size);

namespace nn::functional {

/// `max_pool2d(x, MaxPool2dFuncOptions(3).stride(2).padding(1))`.
Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options);
/// Values and int64 arg-max indices into each flattened H*W input plane (PyTorch's layout).
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& options);
/// `avg_pool2d(x, AvgPool2dFuncOptions(2).count_include_pad(false).divisor_override(3))`.
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options);
/// `adaptive_avg_pool2d(x, AdaptiveAvgPool2dFuncOptions({5, 7}))`; a `std::nullopt` entry keeps
/// the input's size.
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& options);
/// `adaptive_max_pool2d(x, AdaptiveMaxPool2dFuncOptions(1))`.
Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& options);
std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool2dFuncOptions& options);

}  // namespace nn::functional
}  // namespace xgrad
