#pragma once
/// \file
/// `Example<Data, Target>`: one item of a dataset (or one collated batch), as LibTorch's
/// `torch::data::Example`.
///
///     xgrad::data::Example<> e{image, label};       // e.data, e.target
///     xgrad::data::TensorExample t{image};          // no target; converts to the Tensor

#include <xgrad/tensor.hpp>

#include <utility>

namespace xgrad::data {

/// Data and its target (label). `Example<>` is `Example<Tensor, Tensor>`.
template <typename Data = Tensor, typename Target = Tensor>
struct Example {
  using DataType = Data;
  using TargetType = Target;

  Example() = default;
  Example(Data data, Target target) : data(std::move(data)), target(std::move(target)) {}

  Data data;
  Target target;
};

namespace example {
/// Marks an Example without a target.
using NoTarget = void;
}  // namespace example

/// An Example that holds only data; it converts implicitly to that data.
template <typename Data>
struct Example<Data, example::NoTarget> {
  using DataType = Data;
  using TargetType = example::NoTarget;

  Example() = default;
  Example(Data data) : data(std::move(data)) {}  // NOLINT: implicit as LibTorch's

  operator Data&() { return data; }              // NOLINT
  operator const Data&() const { return data; }  // NOLINT

  Data data;
};

/// A data-only Example of one Tensor (LibTorch's `TensorExample`).
using TensorExample = Example<Tensor, example::NoTarget>;

}  // namespace xgrad::data
