// Datasets over in-memory tensors. data::TensorDataset keeps both tensors contiguous so a batch
// is a row gather (gather.cpp).
#include <xgrad/data/datasets/tensor.hpp>
#include <xgrad/data/detail/stacked.hpp>
#include <xgrad/error.hpp>

namespace xgrad::data {

TensorDataset::TensorDataset(Tensor data, Tensor targets) {
  XGRAD_CHECK(data.defined() && targets.defined(), ValueError, "TensorDataset: data and targets must be defined");
  XGRAD_CHECK(data.dim() >= 1 && targets.dim() >= 1, ValueError,
              "TensorDataset: data and targets need a first (example) dimension, got sizes {} and {}", data.sizes(),
              targets.sizes());
  XGRAD_CHECK(data.size(0) == targets.size(0), ShapeError,
              "TensorDataset: data has {} examples but targets {} (sizes {} and {})", data.size(0), targets.size(0),
              data.sizes(), targets.sizes());
  data_ = data.detach().contiguous();
  targets_ = targets.detach().contiguous();
}

Example<> TensorDataset::get_batch(ArrayRef<size_t> indices) {
  return {detail::gather_rows(data_, indices, {}, "TensorDataset"),
          detail::gather_rows(targets_, indices, {}, "TensorDataset")};
}

std::optional<size_t> TensorDataset::size() const { return static_cast<size_t>(data_.size(0)); }

Example<> TensorDataset::get(size_t index) {
  const auto n = static_cast<size_t>(data_.size(0));
  XGRAD_CHECK(index < n, IndexError, "TensorDataset: index {} is out of range for a dataset of {} examples", index, n);
  return {data_[static_cast<int64_t>(index)], targets_[static_cast<int64_t>(index)]};
}

namespace datasets {

TensorExample TensorDataset::get(size_t index) {
  const auto n = static_cast<size_t>(tensor.size(0));
  XGRAD_CHECK(index < n, IndexError, "TensorDataset: index {} is out of range for a dataset of {} examples", index, n);
  return tensor[static_cast<int64_t>(index)];
}

}  // namespace datasets
}  // namespace xgrad::data
