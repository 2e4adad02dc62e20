#pragma once
/// \file
/// Options of `nn::functional::normalize`, as LibTorch's `torch/nn/options/normalization.h`:
///
///     auto y = F::normalize(x, F::NormalizeFuncOptions().p(1).dim(-1));

#include <xgrad/arg.hpp>
#include <xgrad/tensor.hpp>

#include <cstdint>
#include <optional>

namespace xgrad::nn::functional {

/// `NormalizeFuncOptions().p(2).dim(1).eps(1e-12).out(t)`: the norm's exponent, the dim it is
/// taken over, the floor of the divisor, and an optional tensor that receives the result.
struct NormalizeFuncOptions {
  XGRAD_ARG(double, p) = 2.0;
  XGRAD_ARG(int64_t, dim) = 1;
  XGRAD_ARG(double, eps) = 1e-12;
  XGRAD_ARG(std::optional<Tensor>, out) = std::nullopt;
};

}  // namespace xgrad::nn::functional
