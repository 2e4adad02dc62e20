#pragma once
/// \file
/// Transforms from functions, as LibTorch's `BatchLambda` and `Lambda`:
///
///     using namespace xgrad::data;
///     auto flip = transforms::Lambda<Example<>>([](Example<> e) { e.data = -e.data; return e; });
///     auto first = transforms::BatchLambda<std::vector<Example<>>, Example<>>(
///         [](std::vector<Example<>> b) { return b.front(); });

#include <xgrad/data/transforms/base.hpp>

#include <functional>
#include <utility>

namespace xgrad::data::transforms {

/// A BatchTransform calling `function` on each batch.
template <typename Input, typename Output = Input>
class BatchLambda : public BatchTransform<Input, Output> {
 public:
  using typename BatchTransform<Input, Output>::InputBatchType;
  using typename BatchTransform<Input, Output>::OutputBatchType;
  using FunctionType = std::function<OutputBatchType(InputBatchType)>;

  explicit BatchLambda(FunctionType function) : function_(std::move(function)) {}
  OutputBatchType apply_batch(InputBatchType input_batch) override { return function_(std::move(input_batch)); }

 private:
  FunctionType function_;
};

/// A Transform calling `function` on each example.
template <typename Input, typename Output = Input>
class Lambda : public Transform<Input, Output> {
 public:
  using typename Transform<Input, Output>::InputType;
  using typename Transform<Input, Output>::OutputType;
  using FunctionType = std::function<Output(Input)>;

  explicit Lambda(FunctionType function) : function_(std::move(function)) {}
  OutputType apply(InputType input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

}  // namespace xgrad::data::transforms
