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

/// Channel-wise dropout: in training, zeroes each whole channel input[n][c] with probability `p`
/// and scales the kept ones by 1/(1-p); otherwise returns `input` unchanged. Input [N, C, H, W]
/// (any trailing sizes; float32/float64, else TypeError); any other number of dims is taken as
/// one unbatched sample, as LibTorch 1.13's F::dropout2d does: a [C, H, W] input drops whole
/// channels C (Python 1.13 instead reads a 3-D input as (N, C, L)). A 0-dim input is a
/// ShapeError; p outside [0, 1] a ValueError. The mask has one draw per (n, c), made with
/// bernoulli_(1 - p) on the global generator exactly as PyTorch's feature_dropout, so the same
/// manual_seed zeroes the same channels as PyTorch. grad_fn "MulBackward0" (the gradient is
/// the mask). `inplace` as dropout. PyTorch: `F.dropout2d` / `nn.functional.feature_dropout`.
Tensor dropout2d(const Tensor& input, const Dropout2dFuncOptions& options = {});

}  // namespace xgrad::nn::functional
