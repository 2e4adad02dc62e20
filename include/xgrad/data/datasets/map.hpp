#pragma once
/// \file
/// `MapDataset`: a dataset with a transform applied to its batches, made by `dataset.map(t)`
/// (LibTorch's `torch::data::datasets::MapDataset`).
///
///     auto ds = xgrad::data::datasets::MNIST(root)
///                   .map(xgrad::data::transforms::Normalize<>(0.1307, 0.3081))
///                   .map(xgrad::data::transforms::Stack<>());
///     xgrad::data::Example<> batch = ds.get_batch({0, 1, 2});   // data [3, 1, 28, 28]
///
/// Fast path: when the transform is `Stack<>` and the source can gather its rows directly
/// (MNIST, optionally behind any number of `Normalize<>` maps), `get_batch` copies the requested
/// rows into the batch tensor and normalizes them in the same pass instead of making one small
/// tensor per example. The values are identical to the per-example path (same float32
/// operations in the same order); any other transform in the chain takes the per-example path.

#include <xgrad/data/datasets/base.hpp>
#include <xgrad/data/detail/stacked.hpp>
#include <xgrad/data/transforms/stack.hpp>
#include <xgrad/data/transforms/tensor.hpp>

#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace xgrad::data::datasets {

template <typename SourceDataset, typename AppliedTransform>
class MapDataset : public BatchDataset<MapDataset<SourceDataset, AppliedTransform>,
                                       typename AppliedTransform::OutputBatchType,
                                       typename SourceDataset::BatchRequestType> {
 public:
  using DatasetType = SourceDataset;
  using TransformType = AppliedTransform;
  using BatchRequestType = typename SourceDataset::BatchRequestType;
  using OutputBatchType = typename AppliedTransform::OutputBatchType;

  MapDataset(DatasetType dataset, TransformType transform)
      : dataset_(std::move(dataset)), transform_(std::move(transform)) {}

  /// The source's batch for `indices` with the transform applied.
  OutputBatchType get_batch(BatchRequestType indices) override {
    if constexpr (kStacksRows) {
      if (auto batch = dataset_.get_batch_stacked(indices, {})) return std::move(*batch);
    }
    return transform_.apply_batch(dataset_.get_batch(std::move(indices)));
  }

  /// The source's size.
  std::optional<size_t> size() const override { return dataset_.size(); }

  /// The source dataset.
  const SourceDataset& dataset() noexcept { return dataset_; }
  /// The transform.
  const AppliedTransform& transform() noexcept { return transform_; }

  /// Fast-path hook (see the file comment): present when this maps a Normalize<> over a
  /// source that can gather rows. Adds this Normalize in front of the outer `stages`.
  std::optional<Example<>> get_batch_stacked(ArrayRef<size_t> indices, ArrayRef<detail::NormalizeStage> stages)
    requires(std::is_same_v<AppliedTransform, transforms::Normalize<Tensor>> && detail::StackedSource<SourceDataset>)
  {
    auto mine = transforms::detail::normalize_stage(transform_);
    if (!mine) return std::nullopt;
    std::vector<detail::NormalizeStage> all;
    all.reserve(stages.size() + 1);
    all.push_back(std::move(*mine));
    all.insert(all.end(), stages.begin(), stages.end());
    return dataset_.get_batch_stacked(indices, all);
  }

 private:
  static constexpr bool kStacksRows =
      std::is_same_v<AppliedTransform, transforms::Stack<Example<>>> && detail::StackedSource<SourceDataset>;

  SourceDataset dataset_;
  AppliedTransform transform_;
};

/// A MapDataset of `dataset` and `transform`; the transform's input must be the dataset's batch.
template <typename DatasetType, typename TransformType>
MapDataset<DatasetType, TransformType> map(DatasetType dataset, TransformType transform) {
  static_assert(std::is_same_v<typename DatasetType::BatchType, typename TransformType::InputBatchType>,
                "map: the transform's input batch type is not the dataset's batch type");
  return {std::move(dataset), std::move(transform)};
}

}  // namespace xgrad::data::datasets
