#pragma once
/// \file
/// `nn::functional::dropout`, as in LibTorch:
///
///     auto y = F::dropout(x, F::DropoutFuncOptions().p(0.5).training(true));

#include <xgrad/nn/options/dropout.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad::nn::functional {

/// In training, zeroes each element with probability `p` and scales the others by 1/(1-p)
/// (grad_fn "MulBackward0"); otherwise returns `input` unchanged. `p` must lie in [0, 1].
/// `inplace(true)` writes into `input`, except on a tensor that requires grad while grad mode
/// is on: xgrad records no in-place ops, so it then returns a new tensor (same values).
Tensor dropout(const Tensor& input, const DropoutFuncOptions& options = {});

}  // namespace xgrad::nn::functional
