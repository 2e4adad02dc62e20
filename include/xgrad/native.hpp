#pragma once
/// \file
/// Functions LibTorch code reaches in `at::native` (its kernel namespace) outside an op's
/// Tensor method.

#include <xgrad/tensor.hpp>

namespace xgrad::native {

/// Whether a one-element tensor is nonzero: its truth value, as Python's `bool(t)` (LibTorch's
/// `at::native::is_nonzero`). NaN is true (it is not zero). Throws ValueError on an undefined
/// tensor, on an empty one ("Boolean value of Tensor with no values is ambiguous") and on one
/// with more than one element ("Boolean value of Tensor with more than one value is
/// ambiguous"), as PyTorch.
bool is_nonzero(const Tensor& self);

}  // namespace xgrad::native
