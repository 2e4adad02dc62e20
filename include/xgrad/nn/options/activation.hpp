#pragma once
/// \file
/// Options of the activations, as LibTorch's `torch/nn/options/activation.h`:
///
///     auto p = F::softmax(logits, F::SoftmaxFuncOptions(1));
///     xgrad::nn::ReLU relu(xgrad::nn::ReLUOptions().inplace(false));

#include <xgrad/arg.hpp>

#include <cstdint>

namespace xgrad::nn {

/// `ReLUOptions(true)`: in-place variant flag (accepted for LibTorch compatibility).
struct ReLUOptions {
  ReLUOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT
  XGRAD_ARG(bool, inplace);
};
using ReLUFuncOptions = ReLUOptions;

/// `SoftmaxOptions(dim)`: the dimension the probabilities sum to one along.
struct SoftmaxOptions {
  SoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  XGRAD_ARG(int64_t, dim);
};

/// `SoftmaxFuncOptions(dim)`.
struct SoftmaxFuncOptions {
  SoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  XGRAD_ARG(int64_t, dim);
};

/// `LogSoftmaxOptions(dim)`.
struct LogSoftmaxOptions {
  LogSoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  XGRAD_ARG(int64_t, dim);
};

/// `LogSoftmaxFuncOptions(dim)`.
struct LogSoftmaxFuncOptions {
  LogSoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  XGRAD_ARG(int64_t, dim);
};

}  // namespace xgrad::nn

namespace xgrad::nn::functional {
using nn::LogSoftmaxFuncOptions;
using nn::ReLUFuncOptions;
using nn::SoftmaxFuncOptions;
}  // namespace xgrad::nn::functional
