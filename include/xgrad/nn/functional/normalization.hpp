#pragma once
/// \file
/// `nn::functional::normalize`, as in LibTorch:
///
///     auto unit_rows = F::normalize(x, F::NormalizeFuncOptions().dim(1));   // L2 norm 1 per row

#include <xgrad/nn/options/normalization.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad::nn::functional {

/// input / max(||input||_p over `dim`, eps), the norm kept as a size-1 dim and broadcast: each
/// slice along `dim` gets p-norm 1 (a zero slice stays zero). Any shape (a 0-dim input takes dim
/// 0 or -1); float32/float64 (else TypeError); the result has the input's sizes and dtype. A dim
/// out of range is an IndexError. With `out(t)` the result is also written into t (resized to
/// the input's sizes, converted to t's dtype) and returned; that is a write, so it is an
/// AutogradError when grad mode is on and input requires grad (as PyTorch's out= arguments).
/// Differentiable twice (built from norm, clamp_min and div: graph DivBackward0 <- ClampMin <-
/// NormBackward1, as PyTorch's). PyTorch: `F.normalize`.
Tensor normalize(const Tensor& input, NormalizeFuncOptions options = {});

}  // namespace xgrad::nn::functional
