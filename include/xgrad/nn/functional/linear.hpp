#pragma once
/// \file
/// `nn::functional::linear` and `flatten`, as in LibTorch:
///
///     namespace F = xgrad::nn::functional;
///     auto y = F::linear(x, w, b);        // x [N, 4], w [3, 4], b [3] -> [N, 3]
///     auto f = F::flatten(images, 1);     // [N, C, H, W] -> [N, C*H*W]

#include <xgrad/nn/options/linear.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad::nn::functional {

/// `input @ weight^T + bias` over the last dimension: input [*, in], weight [out, in], bias
/// [out] (optional) -> [*, out]. One GEMM with a bias epilogue; grad_fn "AddmmBackward0"
/// ("MmBackward0" without bias) for 2-D input, as PyTorch.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});

/// Merges dimensions `start_dim..end_dim` into one (a view when possible).
Tensor flatten(const Tensor& input, int64_t start_dim = 0, int64_t end_dim = -1);

}  // namespace xgrad::nn::functional
