#pragma once
/// \file
/// `Stack<>`: collates a batch of Examples into one Example whose data is the examples' data
/// stacked along a new first dimension, and likewise the targets (LibTorch's
/// `torch::data::transforms::Stack`):
///
///     // examples with data [1, 28, 28] and 0-d targets -> data [B, 1, 28, 28], target [B]
///     auto ds = xgrad::data::datasets::MNIST(root).map(xgrad::data::transforms::Stack<>());
///
/// Throws ShapeError (from `xgrad::stack`) when the examples' shapes differ and ValueError for an
/// empty batch. Over a dataset with contiguous rows (MNIST, possibly behind Normalize) the
/// MapDataset skips the per-example path and gathers the rows straight into the batch; the
/// result is the same.

#include <xgrad/data/example.hpp>
#include <xgrad/data/transforms/collate.hpp>
#include <xgrad/error.hpp>
#include <xgrad/tensor.hpp>

#include <utility>
#include <vector>

namespace xgrad::data::transforms {

template <typename T = Example<>>
struct Stack;

/// Stacks data and targets of `Example<Tensor, Tensor>`s.
template <>
struct Stack<Example<>> : public Collation<Example<>> {
  Example<> apply_batch(std::vector<Example<>> examples) override {
    XGRAD_CHECK(!examples.empty(), ValueError, "transforms::Stack: cannot stack an empty batch");
    std::vector<Tensor> data, targets;
    data.reserve(examples.size());
    targets.reserve(examples.size());
    for (auto& e : examples) {
      data.push_back(std::move(e.data));
      targets.push_back(std::move(e.target));
    }
    return {xgrad::stack(data), xgrad::stack(targets)};
  }
};

/// Stacks the data of target-less `TensorExample`s.
template <>
struct Stack<TensorExample> : public Collation<TensorExample> {
  TensorExample apply_batch(std::vector<TensorExample> examples) override {
    XGRAD_CHECK(!examples.empty(), ValueError, "transforms::Stack: cannot stack an empty batch");
    std::vector<Tensor> data;
    data.reserve(examples.size());
    for (auto& e : examples) data.push_back(std::move(e.data));
    return xgrad::stack(data);
  }
};

}  // namespace xgrad::data::transforms
