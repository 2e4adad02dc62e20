#pragma once
/// \file
/// Options of the activations, as LibTorch's `torch/nn/options/activation.h`:
///
///     auto p = F::softmax(logits, F::SoftmaxFuncOptions(1));
///     xgrad::nn::ReLU relu(xgrad::nn::ReLUOptions().inplace(false));

#include <xgrad/arg.hpp>

#include <cstdint>
#include <string>

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

/// `LeakyReLUOptions().negative_slope(0.2).inplace(true)`: x for x > 0, negative_slope * x
/// otherwise (default slope 0.01). As LibTorch's `LeakyReLUOptions`.
struct LeakyReLUOptions {
  XGRAD_ARG(double, negative_slope) = 1e-2;
  XGRAD_ARG(bool, inplace) = false;
};
using LeakyReLUFuncOptions = LeakyReLUOptions;

/// `ELUOptions().alpha(0.5).inplace(true)`: x for x > 0, alpha * (exp(x) - 1) otherwise
/// (default alpha 1). As LibTorch's `ELUOptions`.
struct ELUOptions {
  XGRAD_ARG(double, alpha) = 1.0;
  XGRAD_ARG(bool, inplace) = false;
};
using ELUFuncOptions = ELUOptions;

/// `GELUOptions().approximate("tanh")`: "none" (exact, with erf; the default) or "tanh" (the
/// tanh approximation). Any other string is a ValueError when the op runs. As LibTorch's
/// `GELUOptions`.
struct GELUOptions {
  XGRAD_ARG(std::string, approximate) = "none";
};
using GELUFuncOptions = GELUOptions;

/// `SoftplusOptions().beta(0.5).threshold(3.0)`: log(1 + exp(beta x)) / beta, and x itself where
/// beta x > threshold (defaults beta 1, threshold 20). As LibTorch's `SoftplusOptions`.
struct SoftplusOptions {
  XGRAD_ARG(double, beta) = 1.0;
  XGRAD_ARG(double, threshold) = 20.0;
};
using SoftplusFuncOptions = SoftplusOptions;

/// `HardtanhOptions().min_val(-2).max_val(2).inplace(true)`: x clamped to [min_val, max_val]
/// (default [-1, 1]). The module requires max_val > min_val. As LibTorch's `HardtanhOptions`.
struct HardtanhOptions {
  XGRAD_ARG(double, min_val) = -1.0;
  XGRAD_ARG(double, max_val) = 1.0;
  XGRAD_ARG(bool, inplace) = false;
};
using HardtanhFuncOptions = HardtanhOptions;

/// `ReLU6Options(true)` / `ReLU6Options().inplace(true)`: min(max(x, 0), 6), optionally written
/// into the input. As LibTorch's `ReLU6Options`; `F::relu6` takes the same struct.
struct ReLU6Options {
  ReLU6Options(bool inplace = false) : inplace_(inplace) {}  // NOLINT: `ReLU6(true)` as LibTorch
  XGRAD_ARG(bool, inplace);
};
using ReLU6FuncOptions = ReLU6Options;

}  // namespace xgrad::nn

namespace xgrad::nn::functional {
using nn::ELUFuncOptions;
using nn::GELUFuncOptions;
using nn::HardtanhFuncOptions;
using nn::LeakyReLUFuncOptions;
using nn::LogSoftmaxFuncOptions;
using nn::ReLUFuncOptions;
using nn::ReLU6FuncOptions;
using nn::SoftmaxFuncOptions;
using nn::SoftplusFuncOptions;
}  // namespace xgrad::nn::functional
