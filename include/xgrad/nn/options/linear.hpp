#pragma once
/// \file
/// Options of `Linear` and `Flatten`, as LibTorch's `torch/nn/options/linear.h`:
///
///     xgrad::nn::Linear fc(xgrad::nn::LinearOptions(400, 120).bias(false));
///     xgrad::nn::Flatten flat(xgrad::nn::FlattenOptions().start_dim(1));

#include <xgrad/arg.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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

/// `UnflattenOptions(1, {2, -1})`: dimension `dim` split into `sizes` (one entry may be -1,
/// inferred). As LibTorch's `UnflattenOptions`, including the named-dimension form
/// `UnflattenOptions("B", {{"B1", 2}, {"B2", 2}})`, which xgrad accepts but cannot apply (it has
/// no named tensors): Unflatten's forward then throws ValueError.
struct UnflattenOptions {
  using namedshape_t = std::vector<std::pair<std::string, int64_t>>;
  UnflattenOptions(int64_t dim, std::vector<int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  UnflattenOptions(const char* dimname, namedshape_t namedshape)
      : dimname_(dimname), namedshape_(std::move(namedshape)) {}
  UnflattenOptions(std::string dimname, namedshape_t namedshape)
      : dimname_(std::move(dimname)), namedshape_(std::move(namedshape)) {}
  XGRAD_ARG(int64_t, dim) = 0;
  XGRAD_ARG(std::string, dimname) = "";
  XGRAD_ARG(std::vector<int64_t>, sizes) = {};
  XGRAD_ARG(namedshape_t, namedshape) = {};
};

}  // namespace xgrad::nn
