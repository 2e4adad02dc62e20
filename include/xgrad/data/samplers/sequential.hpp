#pragma once
/// \file
/// `SequentialSampler`: indices 0, 1, ..., size - 1 in order, every epoch
/// (LibTorch's `torch::data::samplers::SequentialSampler`).
///
///     xgrad::data::samplers::SequentialSampler s(5);
///     s.next(2);   // {0, 1}
///     s.next(2);   // {2, 3}
///     s.next(2);   // {4}
///     s.next(2);   // nullopt

#include <xgrad/data/samplers/base.hpp>

#include <cstddef>
#include <optional>
#include <vector>

namespace xgrad::data::samplers {

class SequentialSampler : public Sampler<> {
 public:
  explicit SequentialSampler(size_t size);

  /// Back to index 0 (and to `new_size` examples if given).
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  /// How many indices this epoch has handed out.
  size_t index() const noexcept;

 private:
  size_t size_;
  size_t index_ = 0;
};

}  // namespace xgrad::data::samplers
