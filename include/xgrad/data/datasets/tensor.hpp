#pragma once
/// \file
/// Datasets over tensors already in memory.
///
/// `data::TensorDataset(data, targets)` is for code that wants no transforms: its batches are
/// already stacked Examples, gathered row by row:
///
///     auto ds = xgrad::data::TensorDataset(x, y);          // x [N, ...], y [N, ...]
///     auto loader = xgrad::data::make_data_loader(std::move(ds), 64);
///     for (auto& batch : *loader) model(batch.data) ... batch.target ...
///
/// `data::datasets::TensorDataset(tensor)` is LibTorch's: one tensor, examples are its rows
/// as target-less `TensorExample`s (stack them with `transforms::Stack<TensorExample>()`).

#include <xgrad/data/datasets/base.hpp>
#include <xgrad/data/example.hpp>
#include <xgrad/error.hpp>
#include <xgrad/tensor.hpp>

#include <optional>
#include <vector>

namespace xgrad::data {

/// Rows of `data` paired with rows of `targets`. Both are made contiguous once; their first
/// dimensions must agree (ShapeError otherwise; ValueError for a 0-d tensor). `get_batch(indices)`
/// returns Example{data rows [B, ...], target rows [B, ...]}; IndexError for an index >= size().
class TensorDataset : public datasets::BatchDataset<TensorDataset, Example<>> {
 public:
  TensorDataset(Tensor data, Tensor targets);

  Example<> get_batch(ArrayRef<size_t> indices) override;
  std::optional<size_t> size() const override;
  /// Row `index` of data and of targets (views).
  Example<> get(size_t index);

  const Tensor& data() const { return data_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor data_, targets_;
};

namespace datasets {

/// LibTorch's TensorDataset: the rows of one tensor (or of `stack(tensors)`).
struct TensorDataset : public Dataset<TensorDataset, TensorExample> {
  explicit TensorDataset(const std::vector<Tensor>& tensors) : TensorDataset(xgrad::stack(tensors)) {}
  /// ValueError for an undefined or 0-d tensor.
  explicit TensorDataset(Tensor tensor) : tensor(std::move(tensor)) {
    XGRAD_CHECK(this->tensor.defined() && this->tensor.dim() >= 1, ValueError,
                "datasets::TensorDataset: the tensor needs a first (example) dimension");
  }

  /// Row `index`; IndexError when out of range.
  TensorExample get(size_t index) override;
  std::optional<size_t> size() const override { return static_cast<size_t>(tensor.size(0)); }

  Tensor tensor;
};

}  // namespace datasets
}  // namespace xgrad::data
