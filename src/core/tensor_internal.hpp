#pragma once
// Helpers shared by the op families; not part of the public API.

#include <xgrad/tensor.hpp>

namespace xgrad::detail {

// Throws unless an in-place write to `self` is allowed (not recording a graph through it).
void check_inplace(const Tensor& self, const char* op);
// Throws (ValueError naming `op`) when two elements of `self` share one memory location (a
// stride 0 over a size > 1 from expand(), or overlapping strides from from_blob): an in-place
// op writing through such a tensor would write each location several times, and its result
// would depend on the order of the writes. PyTorch refuses the same writes (fill_ and zero_,
// which write one value everywhere, and index_put_ stay allowed).
void check_no_internal_overlap(const Tensor& self, const char* op);
// Marks `self`'s storage as modified, so saved copies of it are detected as stale.
void bump_version(const Tensor& self);
// Strides that view `t` as `shape` (stride 0 on broadcast dimensions). `shape` must be a
// broadcast of t's sizes.
std::vector<int64_t> broadcast_strides(const Tensor& t, IntArrayRef shape);
std::vector<int64_t> broadcast_shapes_impl(IntArrayRef a, IntArrayRef b, const char* op);
// Dimension `d` wrapped into [0, ndim), or IndexError naming `op`.
int64_t wrap_dim(int64_t d, int64_t ndim, const char* op);

}  // namespace xgrad::detail
