#pragma once
/// \file
/// Options of dropout, as LibTorch's `torch/nn/options/dropout.h`:
///
///     xgrad::nn::Dropout drop(xgrad::nn::DropoutOptions().p(0.2));
///     auto y = F::dropout(x, F::DropoutFuncOptions().p(0.5).training(is_training()));

#include <xgrad/arg.hpp>

namespace xgrad::nn {

/// `DropoutOptions(0.2)` or `DropoutOptions().p(0.2)`: probability of zeroing an element.
struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: `Dropout(0.2)` as LibTorch
  XGRAD_ARG(double, p);
  /// Writes the result into the input tensor.
  XGRAD_ARG(bool, inplace) = false;
};

/// Options of `functional::dropout`; `training(false)` makes it the identity.
struct DropoutFuncOptions {
  XGRAD_ARG(double, p) = 0.5;
  XGRAD_ARG(bool, training) = true;
  XGRAD_ARG(bool, inplace) = false;
};

/// Options of `nn::Dropout2d` (`Dropout2dOptions(0.2).inplace(true)`): the probability of
/// zeroing a whole channel. The same struct as DropoutOptions, as in LibTorch.
using Dropout2dOptions = DropoutOptions;
/// Options of `functional::dropout2d`: DropoutFuncOptions, as in LibTorch.
using Dropout2dFuncOptions = DropoutFuncOptions;

}  // namespace xgrad::nn

namespace xgrad::nn::functional {
using nn::DropoutFuncOptions;
using nn::Dropout2dFuncOptions;
}  // namespace xgrad::nn::functional
