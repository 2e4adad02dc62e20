#pragma once
// Helpers shared by the op families; not part of the public API.

#include <xgrad/tensor.hpp>

namespace xgrad::detail {

// Throws unless an in-place write to `self` is allowed (not recording a graph through it).
void check_inplace(const Tensor& self, const char* op);
// Marks `self`'s storage as modified, so saved copies of it are detected as stale.
void bump_version(const Tensor& self);
// Strides that view `t` as `shape` (stride 0 on broadcast dimensions). `shape` must be a
// broadcast of t's sizes.
std::vector<int64_t> broadcast_strides(const Tensor& t, IntArrayRef shape);
std::vector<int64_t> broadcast_shapes_impl(IntArrayRef a, IntArrayRef b, const char* op);
// Dimension `d` wrapped into [0, ndim), or IndexError naming `op`.
int64_t wrap_dim(int64_t d, int64_t ndim, const char* op);

}  // namespace xgrad::detail
