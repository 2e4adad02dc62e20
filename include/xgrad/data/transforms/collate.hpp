#pragma once
/// \file
/// Collations: transforms that reduce a batch (a vector of examples) to one value, as
/// LibTorch's `Collation` and `Collate`.
///
///     auto ds = xgrad::data::datasets::MNIST(root).map(
///         xgrad::data::transforms::Collate<xgrad::data::Example<>>(
///             [](std::vector<xgrad::data::Example<>> e) { return std::move(e.front()); }));

#include <xgrad/data/transforms/base.hpp>
#include <xgrad/data/transforms/lambda.hpp>

#include <vector>

namespace xgrad::data::transforms {

/// A BatchTransform from `BatchType` to a single `T`; subclass it and override apply_batch.
template <typename T, typename BatchType = std::vector<T>>
using Collation = BatchTransform<BatchType, T>;

/// A Collation from a function.
template <typename T, typename BatchType = std::vector<T>>
using Collate = BatchLambda<BatchType, T>;

}  // namespace xgrad::data::transforms
