#pragma once
/// \file
/// Dataset base classes, as LibTorch's `torch::data::datasets::BatchDataset` and `Dataset`.
///
/// A `BatchDataset` maps a batch request (by default a list of indices) to a batch; a
/// `Dataset` maps one index to one Example and makes batches by calling `get` per index. Derive
/// from them with your class as the first template argument (CRTP), so `.map(transform)` keeps
/// the concrete type:
///
///     struct Squares : xgrad::data::datasets::Dataset<Squares> {
///       xgrad::data::Example<> get(size_t i) override {
///         return {xgrad::full({1}, double(i * i)), xgrad::tensor(int64_t(i))};
///       }
///       std::optional<size_t> size() const override { return 100; }
///     };
///     auto batches = Squares().map(xgrad::data::transforms::Stack<>());

#include <xgrad/array_ref.hpp>
#include <xgrad/data/example.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace xgrad::data::datasets {

template <typename S, typename T>
class MapDataset;
template <typename D, typename T>
MapDataset<D, T> map(D dataset, T transform);

/// A dataset that yields data only in batches. `Batch` is what `get_batch` returns,
/// `BatchRequest` what it takes (LibTorch's defaults: `std::vector<Example<>>` and
/// `ArrayRef<size_t>`).
template <typename Self, typename Batch = std::vector<Example<>>, typename BatchRequest = ArrayRef<size_t>>
class BatchDataset {
 public:
  using SelfType = Self;
  using BatchType = Batch;
  using BatchRequestType = BatchRequest;
  /// xgrad has no stateful (chunk) datasets; kept so LibTorch-style code that tests it compiles.
  static constexpr bool is_stateful = false;

  virtual ~BatchDataset() = default;

  /// The batch for `request`.
  virtual Batch get_batch(BatchRequest request) = 0;

  /// The number of examples, or nullopt for an unsized dataset (which a DataLoader refuses).
  virtual std::optional<size_t> size() const = 0;

  /// A MapDataset that applies `transform` to every batch of this dataset (which is copied).
  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) & {
    return datasets::map(static_cast<Self&>(*this), std::move(transform));
  }
  /// A MapDataset that applies `transform` to every batch of this dataset (which is moved).
  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) && {
    return datasets::map(std::move(static_cast<Self&>(*this)), std::move(transform));
  }
};

/// A dataset with random access to single examples. `get_batch` calls `get` for every index,
/// in order; override it to do better.
template <typename Self, typename SingleExample = Example<>>
class Dataset : public BatchDataset<Self, std::vector<SingleExample>> {
 public:
  using ExampleType = SingleExample;

  /// The example at `index`.
  virtual ExampleType get(size_t index) = 0;

  std::vector<ExampleType> get_batch(ArrayRef<size_t> indices) override {
    std::vector<ExampleType> batch;
    batch.reserve(indices.size());
    for (const size_t i : indices) batch.push_back(get(i));
    return batch;
  }
};

}  // namespace xgrad::data::datasets
