#pragma once
/// \file
/// `nn::functional::conv2d`, as `torch::nn::functional::conv2d`.
///
///     namespace F = xgrad::nn::functional;
///     auto x = xgrad::randn({8, 3, 32, 32});
///     auto w = xgrad::randn({16, 3, 3, 3}, xgrad::requires_grad());
///     auto y = F::conv2d(x, w, F::Conv2dFuncOptions().padding(1));   // [8, 16, 32, 32]

#include <xgrad/nn/options/conv.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad::nn::functional {

/// 2-D cross-correlation of `input` ([N, C_in, H, W] or unbatched [C_in, H, W]) with `weight`
/// ([C_out, C_in / groups, kH, kW]), plus `options.bias()` ([C_out]) when defined. Output size
/// per spatial dimension: floor((n + 2p - d(k-1) - 1) / s) + 1. Differentiable in input,
/// weight and bias (grad_fn "ConvolutionBackward0"). float32 and float64.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options = {});

}  // namespace xgrad::nn::functional
