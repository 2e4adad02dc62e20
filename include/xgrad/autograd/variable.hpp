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

/// How a view was created, which decides whether an in-place change of it may be recorded
/// (LibTorch's `torch::autograd::CreationMeta`):
/// - DEFAULT: an ordinary view;
/// - IN_CUSTOM_FUNCTION: a view returned by a custom Function's forward;
/// - MULTI_OUTPUT_NODE: one of several views returned by one op (split, unbind, chunk);
/// - NO_GRAD_MODE: made with grad mode off from a tensor that requires grad;
/// - INFERENCE_MODE: made in inference mode (xgrad has no inference mode; never set).
enum class CreationMeta : uint8_t { DEFAULT, IN_CUSTOM_FUNCTION, MULTI_OUTPUT_NODE, NO_GRAD_MODE, INFERENCE_MODE };

}  // namespace xgrad::autograd
