#pragma once
// Helpers shared by the op families; not part of the public API.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad::detail {

// For in-place ops that are never recorded in the graph: throws unless the write records
// nothing (grad mode off, or self does not require grad).
void check_inplace(const Tensor& self, const char* op);
// For in-place ops that are recorded: whether the op on `self` with `operands` must be recorded
// (grad mode on, and self or an operand requires grad); the op then computes its out-of-place
// twin and calls autograd::rebase_history. Throws AutogradError for a write that cannot be
// recorded: into a leaf that requires grad or a view of one, a view whose creation meta forbids
// it (no_grad, custom Function, multi-output), a view reaching outside its base; TypeError for a
// non-floating self. A write into a DEFAULT view is recorded in its base's history (CopySlices).
bool inplace_records(const Tensor& self, const char* op, TensorList operands = {});
// Throws (ValueError naming `op`) when two elements of `self` share one memory location (a
// stride 0 over a size > 1 from expand(), or overlapping strides from from_blob): an in-place
// op writing through such a tensor would write each location several times, and its result
// would depend on the order of the writes. PyTorch refuses the same writes (fill_ and zero_,
// which write one value everywhere, and index_put_ stay allowed).
void check_no_internal_overlap(const Tensor& self, const char* op);
// Marks `self`'s storage as modified, so saved copies of it are detected as stale.
void bump_version(const Tensor& self);
// zero_grad for one parameter (Module::zero_grad, Optimizer::zero_grad): drops its gradient
// (set_to_none) or zeroes it in place, first cutting the history a create_graph=true backward
// left on it. An undefined parameter or gradient is left alone.
void clear_grad(const Tensor& param, bool set_to_none);
// Strides that view `t` as `shape` (stride 0 on broadcast dimensions). `shape` must be a
// broadcast of t's sizes.
DimVector broadcast_strides(const Tensor& t, IntArrayRef shape);
/// broadcast_shapes without the heap (the binary ops call it on every call).
DimVector broadcast_shapes_impl(IntArrayRef a, IntArrayRef b, const char* op);
// Dimension `d` wrapped into [0, ndim), or IndexError naming `op`.
int64_t wrap_dim(int64_t d, int64_t ndim, const char* op);

// Element 0 of `t` (storage + offset) as a T*, unchecked. For loops inside a dtype dispatch,
// where T is known to be t's dtype: data_ptr<T>() would check the dtype again on every call.
template <typename T>
T* typed_data(const Tensor& t) {
  return static_cast<T*>(t.impl()->data());
}

// Whether an op asked for `inplace` (relu, dropout, leaky_relu, ...) may write into `input`:
// not when the write would be recorded (grad mode on, input requires grad), since xgrad
// records no in-place ops; those ops then run out of place, with the same values.
inline bool writes_in_place(bool inplace, const Tensor& input) {
  return inplace && !(GradMode::is_enabled() && input.requires_grad());
}

}  // namespace xgrad::detail
