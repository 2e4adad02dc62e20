#pragma once
/// \file
/// Transform base classes, as LibTorch's `torch::data::transforms::BatchTransform` and
/// `Transform`. A BatchTransform maps a whole batch; a Transform maps one example and applies
/// itself to every example of a batch. `dataset.map(transform)` applies either to a dataset.

#include <cstddef>
#include <utility>
#include <vector>

namespace xgrad::data::transforms {

/// Turns an `InputBatch` into an `OutputBatch`.
template <typename InputBatch, typename OutputBatch>
class BatchTransform {
 public:
  using InputBatchType = InputBatch;
  using OutputBatchType = OutputBatch;

  virtual ~BatchTransform() = default;
  virtual OutputBatch apply_batch(InputBatch input_batch) = 0;
};

/// Turns one `Input` example into one `Output` example; a batch is transformed example by example.
template <typename Input, typename Output>
class Transform : public BatchTransform<std::vector<Input>, std::vector<Output>> {
 public:
  using InputType = Input;
  using OutputType = Output;

  virtual OutputType apply(InputType input) = 0;

  std::vector<Output> apply_batch(std::vector<Input> input_batch) override {
    std::vector<Output> out;
    out.reserve(input_batch.size());
    for (auto&& input : input_batch) out.push_back(apply(std::move(input)));
    return out;
  }
};

}  // namespace xgrad::data::transforms
