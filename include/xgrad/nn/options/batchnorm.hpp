#pragma once
/// \file
/// Options of batch normalisation, as LibTorch's `torch/nn/options/batchnorm.h`:
///
///     using namespace xgrad::nn;
///     BatchNorm2d bn(BatchNormOptions(64).eps(1e-3).momentum(0.01));
///     BatchNorm1d cma(BatchNormOptions(10).momentum(std::nullopt));   // cumulative average
///     auto y = functional::batch_norm(x, rm, rv,
///                                     functional::BatchNormFuncOptions().weight(w).bias(b).training(true));

#include <xgrad/arg.hpp>
#include <xgrad/tensor.hpp>

#include <cstdint>
#include <optional>

namespace xgrad::nn {

/// Options of `BatchNorm1d` / `BatchNorm2d` (`BatchNormOptions(num_features)` or just the number:
/// `BatchNorm2d(64)`).
struct BatchNormOptions {
  BatchNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT: implicit like LibTorch
  /// C, the channel dimension (dim 1) of the input.
  XGRAD_ARG(int64_t, num_features);
  /// Added to the variance before its square root.
  XGRAD_ARG(double, eps) = 1e-5;
  /// Weight of the new batch statistics in the running averages:
  /// `running = (1 - momentum) * running + momentum * batch`. `std::nullopt` gives the
  /// cumulative moving average (momentum = 1 / num_batches_tracked).
  XGRAD_ARG(std::optional<double>, momentum) = 0.1;
  /// Learnable per-channel `weight` (ones) and `bias` (zeros).
  XGRAD_ARG(bool, affine) = true;
  /// Keep `running_mean`, `running_var` and `num_batches_tracked` buffers and normalise with
  /// them in eval(); without them batch statistics are used in both modes.
  XGRAD_ARG(bool, track_running_stats) = true;
};

using BatchNorm1dOptions = BatchNormOptions;
using BatchNorm2dOptions = BatchNormOptions;

namespace functional {

/// Options of `functional::batch_norm`. Defaults as LibTorch: no weight/bias, evaluation mode
/// (`training(false)`: normalise with the running statistics), momentum 0.1, eps 1e-5.
struct BatchNormFuncOptions {
  /// Per-channel scale (C elements), or undefined for none.
  XGRAD_ARG(Tensor, weight) = Tensor();
  /// Per-channel shift (C elements), or undefined for none.
  XGRAD_ARG(Tensor, bias) = Tensor();
  /// Batch statistics (and update of the running ones when given) instead of running ones.
  XGRAD_ARG(bool, training) = false;
  /// Factor of the running-statistics update in training. Must hold a value when running
  /// statistics are updated.
  XGRAD_ARG(std::optional<double>, momentum) = 0.1;
  XGRAD_ARG(double, eps) = 1e-5;
};

}  // namespace functional
}  // namespace xgrad::nn
