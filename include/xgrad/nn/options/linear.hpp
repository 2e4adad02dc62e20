#pragma once
/// \file
/// Options of `Linear` and `Flatten`, as LibTorch's `torch/nn/options/linear.h`:
///
///     xgrad::nn::Linear fc(xgrad::nn::LinearOptions(400, 120).bias(false));
///     xgrad::nn::Flatten flat(xgrad::nn::FlattenOptions().start_dim(1));

#include <xgrad/arg.hpp>

#include <cstdint>

namespace xgrad::nn {

/// `LinearOptions(in_features, out_features).bias(true)`.
struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  XGRAD_ARG(int64_t, in_features);
  XGRAD_ARG(int64_t, out_features);
  /// Whether the layer learns an additive bias.
  XGRAD_ARG(bool, bias) = true;
};

/// `FlattenOptions().start_dim(1).end_dim(-1)`: the dimensions merged into one.
struct FlattenOptions {
  XGRAD_ARG(int64_t, start_dim) = 1;
  XGRAD_ARG(int64_t, end_dim) = -1;
};

}  // namespace xgrad::nn
