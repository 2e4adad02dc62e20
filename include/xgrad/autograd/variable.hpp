#pragma once
/// \file
/// LibTorch's `torch/csrc/autograd/variable.h` names that user code reaches: make_variable and
/// CreationMeta.

#include <xgrad/tensor.hpp>

#include <cstdint>

namespace xgrad::autograd {

/// A new leaf tensor on `data`'s storage (same sizes, strides and offset; no autograd history
/// of `data` is kept) that requires grad when `requires_grad` (LibTorch's
/// `torch::autograd::make_variable`). Typical use: a custom Function's forward building a graph
/// of its own on its input's values (`make_variable(input.tensor_data(), true)`). An undefined
/// `data` gives an undefined tensor. Throws TypeError when `requires_grad` and the dtype is not
/// floating point, as requires_grad_. `allow_tensor_metadata_change` is accepted for LibTorch's
/// signature; xgrad does not restrict metadata changes. Difference from LibTorch: the version
/// counter belongs to the storage in xgrad, so it is shared with `data` (LibTorch starts a new
/// one).
Tensor make_variable(const Tensor& data, bool requires_grad = false, bool allow_tensor_metadata_change = true);

// CreationMeta, propagate_creation_meta, AutogradMeta and DifferentiableViewMeta are declared
// in <xgrad/tensor.hpp> (TensorImpl holds the view metadata).

}  // namespace xgrad::autograd
