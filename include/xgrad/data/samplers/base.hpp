#pragma once
/// \file
/// `Sampler`: yields batch requests (index lists) for a DataLoader, as LibTorch's
/// `torch::data::samplers::Sampler`. The loader calls `reset()` at the start of every epoch and
/// `next(batch_size)` until it returns nullopt. (LibTorch's save/load to archives is not
/// provided.)

#include <cstddef>
#include <optional>
#include <vector>

namespace xgrad::data::samplers {

template <typename BatchRequest = std::vector<size_t>>
class Sampler {
 public:
  using BatchRequestType = BatchRequest;

  virtual ~Sampler() = default;
  /// Starts a new epoch, optionally over a dataset of `new_size` examples.
  virtual void reset(std::optional<size_t> new_size) = 0;
  /// The next `batch_size` indices (fewer at the end of the epoch), or nullopt when exhausted.
  virtual std::optional<BatchRequest> next(size_t batch_size) = 0;
};

}  // namespace xgrad::data::samplers
