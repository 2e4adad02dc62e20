#pragma once
/// \file
/// `RandomSampler`: a random permutation of 0 ... size - 1 per epoch
/// (LibTorch's `torch::data::samplers::RandomSampler`).
///
/// The permutation is `xgrad::randperm(size)` from xgrad's global generator, drawn when the
/// sampler is made and again by every `reset()` (a DataLoader resets at the start of every
/// epoch). So `xgrad::manual_seed(s)` before building and iterating a loader gives the same
/// batches on every run, the permutations LibTorch's RandomSampler draws after the same seed
/// (Python's RandomSampler draws from a generator of its own, seeded from the global one).
///
///     xgrad::manual_seed(0);
///     xgrad::data::samplers::RandomSampler s(10);
///     auto first = *s.next(4);   // four distinct indices in [0, 10)

#include <xgrad/data/samplers/base.hpp>
#include <xgrad/dtype.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace xgrad::data::samplers {

class RandomSampler : public Sampler<> {
 public:
  /// `size` >= 0 (ValueError otherwise). `index_dtype` is accepted for LibTorch compatibility;
  /// only kInt64 exists for indices in xgrad (TypeError for another).
  explicit RandomSampler(int64_t size, ScalarType index_dtype = kInt64);

  /// Draws a new permutation (of `new_size` if given).
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  /// How many indices this epoch has handed out.
  size_t index() const noexcept;

 private:
  std::vector<size_t> indices_;
  size_t index_ = 0;
};

}  // namespace xgrad::data::samplers
