// Shape ops: views that share storage (view, reshape, slice, select, expand, transpose, permute,
// squeeze, unsqueeze, flatten) and the copying ops index_select, cat and stack.
//
// Each view op is a raw metadata computation (`*_view` below, no autograd) wrapped in a
// Function whose backward scatters the gradient back into the input's shape. The scatter ops are
// Functions too, so gradients of gradients work (create_graph).

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/autograd/node.hpp>
#include <xgrad/indexing.hpp>
#include <xgrad/nn/functional/linear.hpp>
#include <xgrad/tensor.hpp>

#include "core/checked.hpp"
#include "core/dispatch.hpp"
#include "core/tensor_internal.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace xgrad {

using autograd::variable_list;

namespace {

std::string sizes_str(IntArrayRef s) { return xgrad::to_string(s); }

int64_t product(IntArrayRef s) {
  int64_t n = 1;
  for (auto v : s) n *= v;
  return n;
}

// Resolves one `-1` in `sizes` against `numel`, as PyTorch's infer_size.
std::vector<int64_t> infer_size(IntArrayRef sizes, int64_t numel, IntArrayRef input_sizes, const char* op) {
  std::vector<int64_t> out = sizes.vec();
  std::optional<size_t> infer;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      XGRAD_CHECK(!infer, ShapeError, "{}: only one dimension can be inferred (shape {})", op, sizes_str(sizes));
      infer = i;
    } else {
      XGRAD_CHECK(out[i] >= 0, ShapeError, "{}: invalid shape dimension {} in {}", op, out[i], sizes_str(sizes));
      known = detail::checked_mul(known, out[i], op, "number of elements of the shape");
    }
  }
  if (infer) {
    XGRAD_CHECK(known != 0, ShapeError,
                "{}: cannot reshape tensor of {} elements into shape {} because the unspecified dimension size -1 "
                "can be any value and is ambiguous",
                op, numel, sizes_str(sizes));
    XGRAD_CHECK(numel % known == 0, ShapeError, "{}: shape {} is invalid for input of size {} (input sizes {})", op,
                sizes_str(sizes), numel, sizes_str(input_sizes));
    out[*infer] = numel / known;
  } else {
    XGRAD_CHECK(known == numel, ShapeError, "{}: shape {} is invalid for input of size {} (input sizes {})", op,
                sizes_str(sizes), numel, sizes_str(input_sizes));
  }
  return out;
}

// Strides that let a tensor of (sizes, strides) be viewed as `shape` without copying, or
// nothing when some new dimension would span two non-contiguous chunks (PyTorch's
// computeStride): runs of old dimensions that are contiguous with each other are split or merged
// freely; a boundary between runs must also be a boundary in the new shape.
std::optional<std::vector<int64_t>> compute_view_strides(IntArrayRef sizes, IntArrayRef strides, IntArrayRef shape) {
  std::vector<int64_t> out(shape.size(), 1);
  if (sizes.empty()) return contiguous_strides(shape);
  const int64_t numel = product(sizes);
  if (numel == 0) {
    if (sizes == shape) return strides.vec();
    return contiguous_strides(shape);
  }
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];
    if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

Tensor alias_of(const Tensor& x) { return make_view(x, x.sizes(), x.strides(), x.storage_offset()); }

// ---- raw views (no autograd) -------------------------------------------------------------------

Tensor view_raw(const Tensor& x, IntArrayRef sizes, const char* op) {
  auto shape = infer_size(sizes, x.numel(), x.sizes(), op);
  auto strides = compute_view_strides(x.sizes(), x.strides(), shape);
  XGRAD_CHECK(strides.has_value(), ShapeError,
              "{}: view size is not compatible with input tensor's size and stride (at least one dimension spans "
              "across two contiguous subspaces). Use .reshape(...) instead. (input sizes {}, strides {}, requested "
              "shape {})",
              op, sizes_str(x.sizes()), sizes_str(x.strides()), sizes_str(sizes));
  return make_view(x, shape, *strides, x.storage_offset());
}

struct SliceArgs {
  int64_t dim, start, end, step;
};

SliceArgs normalize_slice(const Tensor& x, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
                          int64_t step) {
  XGRAD_CHECK(x.dim() > 0, IndexError, "slice: cannot be applied to a 0-dim tensor");
  const int64_t d = detail::wrap_dim(dim, x.dim(), "slice");
  XGRAD_CHECK(step > 0, ValueError, "slice: step must be positive, got {} (dim {}, sizes {})", step, dim,
              sizes_str(x.sizes()));
  const int64_t n = x.size(d);
  // Python semantics: negative bounds count from the end, then clamp into [0, n].
  int64_t s = start.value_or(0);
  int64_t e = end.value_or(n);
  if (s < 0) s += n;
  if (e < 0) e += n;
  s = std::clamp<int64_t>(s, 0, n);
  e = std::clamp<int64_t>(e, 0, n);
  if (e < s) e = s;
  return {d, s, e, step};
}

Tensor slice_raw(const Tensor& x, const SliceArgs& a) {
  auto sizes = x.sizes().vec();
  auto strides = x.strides().vec();
  const int64_t offset = x.storage_offset() + a.start * strides[a.dim];
  sizes[a.dim] = (a.end - a.start + a.step - 1) / a.step;
  strides[a.dim] *= a.step;
  return make_view(x, sizes, strides, offset);
}

int64_t normalize_select(const Tensor& x, int64_t dim, int64_t index, const char* op) {
  XGRAD_CHECK(x.dim() > 0, IndexError, "{}: cannot be applied to a 0-dim tensor", op);
  const int64_t d = detail::wrap_dim(dim, x.dim(), op);
  const int64_t n = x.size(d);
  XGRAD_CHECK(index >= -n && index < n, IndexError,
              "{}: index {} out of range for tensor of size {} at dimension {}", op, index, sizes_str(x.sizes()), dim);
  return d;
}

Tensor select_raw(const Tensor& x, int64_t d, int64_t index) {
  const int64_t n = x.size(d);
  if (index < 0) index += n;
  auto sizes = x.sizes().vec();
  auto strides = x.strides().vec();
  const int64_t offset = x.storage_offset() + index * strides[d];
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  return make_view(x, sizes, strides, offset);
}

Tensor permute_raw(const Tensor& x, const std::vector<int64_t>& perm) {
  std::vector<int64_t> sizes(perm.size()), strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    sizes[i] = x.sizes()[perm[i]];
    strides[i] = x.strides()[perm[i]];
  }
  return make_view(x, sizes, strides, x.storage_offset());
}

Tensor transpose_raw(const Tensor& x, int64_t d0, int64_t d1) {
  if (x.dim() == 0) return alias_of(x);
  auto sizes = x.sizes().vec();
  auto strides = x.strides().vec();
  std::swap(sizes[d0], sizes[d1]);
  std::swap(strides[d0], strides[d1]);
  return make_view(x, sizes, strides, x.storage_offset());
}

Tensor unsqueeze_raw(const Tensor& x, int64_t d) {
  auto sizes = x.sizes().vec();
  auto strides = x.strides().vec();
  const int64_t stride = d >= x.dim() ? 1 : sizes[d] * strides[d];
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return make_view(x, sizes, strides, x.storage_offset());
}

Tensor squeeze_raw(const Tensor& x, std::optional<int64_t> only) {
  std::vector<int64_t> sizes, strides;
  for (int64_t d = 0; d < x.dim(); ++d) {
    const bool drop = x.size(d) == 1 && (!only || *only == d);
    if (drop) continue;
    sizes.push_back(x.size(d));
    strides.push_back(x.stride(d));
  }
  return make_view(x, sizes, strides, x.storage_offset());
}

std::vector<int64_t> normalize_permutation(const Tensor& x, IntArrayRef dims) {
  XGRAD_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), ShapeError,
              "permute: number of dims don't match: got {} dims {} for a tensor of sizes {}", dims.size(),
              sizes_str(dims), sizes_str(x.sizes()));
  std::vector<int64_t> perm(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    perm[i] = detail::wrap_dim(dims[i], x.dim(), "permute");
    XGRAD_CHECK(!seen[perm[i]], ValueError, "permute: repeated dim {} in {}", perm[i], sizes_str(dims));
    seen[perm[i]] = true;
  }
  return perm;
}

// Sizes and strides of `x` broadcast to `sizes` (PyTorch's inferExpandGeometry).
Tensor expand_raw(const Tensor& x, IntArrayRef sizes) {
  const int64_t ndim = x.dim();
  const int64_t new_ndim = static_cast<int64_t>(sizes.size());
  XGRAD_CHECK(new_ndim >= ndim, ShapeError,
              "expand: the number of sizes provided ({}) must be greater or equal to the number of dimensions in the "
              "tensor ({}) (target sizes {}, tensor sizes {})",
              new_ndim, ndim, sizes_str(sizes), sizes_str(x.sizes()));
  std::vector<int64_t> out_sizes(new_ndim), out_strides(new_ndim);
  for (int64_t i = new_ndim - 1; i >= 0; --i) {
    const int64_t offset = new_ndim - 1 - i;
    const int64_t d = ndim - 1 - offset;
    int64_t size = d >= 0 ? x.size(d) : 1;
    int64_t stride = d >= 0 ? x.stride(d)
                            : (i + 1 < new_ndim ? detail::checked_mul(out_sizes[i + 1], out_strides[i + 1], "expand",
                                                                      "stride")
                                                : 1);
    int64_t target = sizes[i];
    if (target == -1) {
      XGRAD_CHECK(d >= 0, ShapeError,
                  "expand: -1 is not allowed in a leading, non-existing dimension {} (target sizes {}, tensor sizes {})",
                  i, sizes_str(sizes), sizes_str(x.sizes()));
      target = size;
    }
    XGRAD_CHECK(target >= 0, ShapeError, "expand: invalid target size {} at dimension {} (target sizes {})", target,
                i, sizes_str(sizes));
    if (size != target) {
      XGRAD_CHECK(size == 1, ShapeError,
                  "expand: the expanded size of the tensor ({}) must match the existing size ({}) at non-singleton "
                  "dimension {}. Target sizes: {}. Tensor sizes: {}",
                  target, size, i, sizes_str(sizes), sizes_str(x.sizes()));
      size = target;
      stride = 0;
    }
    out_sizes[i] = size;
    out_strides[i] = stride;
  }
  detail::checked_numel(out_sizes, "expand");  // the element count must fit int64 (as in view)
  return make_view(x, out_sizes, out_strides, x.storage_offset());
}

// ---- gradient scatters (differentiable, so double backward works) -------------------------------

struct SliceScatterOp : autograd::Function<SliceScatterOp> {
  static std::string_view name() { return "SliceBackwardBackward0"; }
  using State = SliceArgs;  // the slice whose gradient this scatters
  static Tensor forward(AutogradContext* ctx, const Tensor& g, IntArrayRef input_sizes, SliceArgs a) {
    ctx->emplace_state<State>(a);
    Tensor out = zeros(input_sizes, g.dtype());
    slice_raw(out, a).copy_(g);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const SliceArgs& a = ctx->state<State>();
    return {g[0].slice(a.dim, a.start, a.end, a.step)};
  }
};

struct SelectScatterOp : autograd::Function<SelectScatterOp> {
  static std::string_view name() { return "SelectBackwardBackward0"; }
  struct State {
    int64_t dim, index;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& g, IntArrayRef input_sizes, int64_t dim, int64_t index) {
    ctx->emplace_state<State>(dim, index);
    Tensor out = zeros(input_sizes, g.dtype());
    select_raw(out, dim, index).copy_(g);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const State& s = ctx->state<State>();
    return {g[0].select(s.dim, s.index)};
  }
};

// out (zeros of `sizes`) with out.select(dim, index[i]) += g.select(dim, i) for every i.
struct IndexAddOp : autograd::Function<IndexAddOp> {
  static std::string_view name() { return "IndexSelectBackwardBackward0"; }
  struct State {
    int64_t dim;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& g, IntArrayRef sizes, int64_t dim, const Tensor& index) {
    ctx->save_for_backward({index});
    ctx->emplace_state<State>(dim);
    Tensor out = zeros(sizes, g.dtype());
    const Tensor gc = g.contiguous();
    const Tensor idx = index.contiguous();
    const int64_t n = idx.numel();
    const int64_t size = sizes[dim];
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < dim; ++d) outer *= sizes[d];
    for (size_t d = dim + 1; d < sizes.size(); ++d) inner *= sizes[d];
    const int64_t* ip = idx.data_ptr<int64_t>();
    detail::dispatch_floating(g.dtype(), "index_select_backward", [&]<typename T>() {
      T* o = out.data_ptr<T>();
      const T* src = gc.data_ptr<T>();
      for (int64_t a = 0; a < outer; ++a)
        for (int64_t i = 0; i < n; ++i) {
          const int64_t j = ip[i] < 0 ? ip[i] + size : ip[i];
          T* dst = o + (a * size + j) * inner;
          const T* s = src + (a * n + i) * inner;
          for (int64_t k = 0; k < inner; ++k) dst[k] += s[k];
        }
    });
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto saved = ctx->get_saved_variables();
    return {g[0].index_select(ctx->state<State>().dim, saved[0]), Tensor()};
  }
};

// ---- view ops ------------------------------------------------------------------------------------

// Backward of every op that only reinterprets sizes: reshape the gradient back. Its forward
// stores State{x.sizes().vec()}.
template <typename Self>
struct ReshapeLike : autograd::Function<Self> {
  struct State {
    std::vector<int64_t> input_sizes;
  };
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0].reshape(ctx->state<State>().input_sizes)};
  }
};

struct ViewOp : ReshapeLike<ViewOp> {
  static std::string_view name() { return "ViewBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x, IntArrayRef sizes) {
    ctx->emplace_state<State>(x.sizes().vec());
    return view_raw(x, sizes, "view");
  }
};

struct ReshapeAliasOp : ReshapeLike<ReshapeAliasOp> {
  static std::string_view name() { return "ReshapeAliasBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x, IntArrayRef shape, IntArrayRef strides) {
    ctx->emplace_state<State>(x.sizes().vec());
    return make_view(x, shape, strides, x.storage_offset());
  }
};

// Storage positions, relative to `lo`, of the elements of a strided geometry in row-major order.
Tensor storage_positions(IntArrayRef sizes, IntArrayRef strides, int64_t offset, int64_t lo) {
  Tensor pos = make_tensor(sizes, kInt64, "as_strided");
  int64_t* out = pos.data_ptr<int64_t>();
  const int64_t n = pos.numel();
  std::vector<int64_t> idx(sizes.size(), 0);
  int64_t off = offset - lo;
  for (int64_t k = 0; k < n; ++k) {
    out[k] = off;
    for (size_t d = sizes.size(); d-- > 0;) {  // odometer increment, last dimension fastest
      if (++idx[d] < sizes[d]) {
        off += strides[d];
        break;
      }
      off -= (sizes[d] - 1) * strides[d];
      idx[d] = 0;
    }
  }
  return pos;
}

// Last storage element a geometry reaches (its offset when it is empty).
int64_t last_position(IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  int64_t hi = offset;
  for (size_t d = 0; d < sizes.size(); ++d)
    if (sizes[d] > 0) hi += (sizes[d] - 1) * strides[d];
  return hi;
}

// as_strided's gradient, as PyTorch's as_strided_backward: the output gradient is added into a
// buffer standing for the storage both geometries touch (so output elements sharing a storage
// element add up), then read back at the input's positions; input elements that share a storage
// element split what arrived there evenly. Built from differentiable ops, so it has a gradient too.
struct AsStridedOp : autograd::Function<AsStridedOp> {
  static std::string_view name() { return "AsStridedBackward0"; }
  struct State {
    std::vector<int64_t> in_sizes, in_strides, out_sizes, out_strides;
    int64_t in_offset, out_offset;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, IntArrayRef size, IntArrayRef stride, int64_t offset) {
    ctx->emplace_state<State>(State{x.sizes().vec(), x.strides().vec(), size.vec(), stride.vec(), x.storage_offset(),
                                    offset});
    return make_view(x, size, stride, offset);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const auto& s = ctx->state<State>();
    const int64_t lo = std::min(s.in_offset, s.out_offset);
    const int64_t hi = std::max(last_position(s.in_sizes, s.in_strides, s.in_offset),
                                last_position(s.out_sizes, s.out_strides, s.out_offset));
    Tensor buffer = zeros({hi - lo + 1}, g[0].dtype());
    Tensor out_pos = storage_positions(s.out_sizes, s.out_strides, s.out_offset, lo).reshape({-1});
    Tensor in_pos = storage_positions(s.in_sizes, s.in_strides, s.in_offset, lo).reshape({-1});
    if (out_pos.numel() > 0) buffer = index_put(buffer, {out_pos}, g[0].reshape({-1}), /*accumulate=*/true);
    Tensor grad = buffer.index_select(0, in_pos);
    // How many input elements share each storage element (1 unless the input overlaps itself).
    std::vector<int64_t> count(static_cast<size_t>(hi - lo + 1), 0);
    bool overlaps = false;
    for (int64_t p : in_pos.to_vector<int64_t>()) overlaps |= ++count[static_cast<size_t>(p)] > 1;
    if (overlaps) {
      Tensor c = make_tensor({in_pos.numel()}, g[0].dtype(), "as_strided");
      const auto pos = in_pos.to_vector<int64_t>();
      detail::dispatch_floating(g[0].dtype(), "as_strided", [&]<typename T>() {
        T* p = c.data_ptr<T>();
        for (size_t k = 0; k < pos.size(); ++k) p[k] = static_cast<T>(count[static_cast<size_t>(pos[k])]);
      });
      grad = grad / c;
    }
    return {grad.view(s.in_sizes)};
  }
};

// The checks as_strided and _reshape_alias make before building the view, naming the op.
void check_strided_geometry(const Tensor& x, IntArrayRef size, IntArrayRef stride, int64_t offset, const char* op) {
  XGRAD_CHECK(size.size() == stride.size(), ShapeError, "{}: mismatch in length of strides and shape (sizes {}, strides {})",
              op, sizes_str(size), sizes_str(stride));
  for (size_t d = 0; d < size.size(); ++d) {
    XGRAD_CHECK(size[d] >= 0, ValueError, "{}: negative size {} at dimension {} (sizes {})", op, size[d], d,
                sizes_str(size));
    XGRAD_CHECK(stride[d] >= 0, ValueError, "{}: negative stride {} at dimension {} (strides {}); xgrad views have "
                "non-negative strides", op, stride[d], d, sizes_str(stride));
  }
  XGRAD_CHECK(offset >= 0, ValueError, "{}: negative storage offset {}", op, offset);
  const int64_t numel = detail::checked_numel(size, op);
  const auto capacity = static_cast<int64_t>(x.impl()->storage->nbytes / x.element_size());
  const int64_t needed = numel == 0 ? 0 : last_position(size, stride, offset) + 1;
  XGRAD_CHECK(needed <= capacity, ValueError,
              "{}: sizes {}, strides {}, storage offset {}, and itemsize {} requiring a storage size of {} are out of "
              "bounds for storage of size {}",
              op, sizes_str(size), sizes_str(stride), offset, x.element_size(),
              needed * static_cast<int64_t>(x.element_size()), capacity * static_cast<int64_t>(x.element_size()));
}

// View of a fresh contiguous copy (what reshape does when no view exists).
struct UnsafeViewOp : ReshapeLike<UnsafeViewOp> {
  static std::string_view name() { return "UnsafeViewBackward0"; }
  // Its output reuses a fresh buffer made for it: not a view of anything (LibTorch's _unsafe_view).
  static constexpr bool outputs_are_views = false;
  static Tensor forward(AutogradContext* ctx, const Tensor& x, IntArrayRef shape) {
    ctx->emplace_state<State>(x.sizes().vec());
    return make_view(x, shape, contiguous_strides(shape), x.storage_offset());
  }
};

struct SqueezeOp : ReshapeLike<SqueezeOp> {
  static std::string_view name() { return "SqueezeBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->emplace_state<State>(x.sizes().vec());
    return squeeze_raw(x, std::nullopt);
  }
};

struct SqueezeDimOp : ReshapeLike<SqueezeDimOp> {
  static std::string_view name() { return "SqueezeBackward1"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t d) {
    ctx->emplace_state<State>(x.sizes().vec());
    return squeeze_raw(x, d);
  }
};

struct UnsqueezeOp : autograd::Function<UnsqueezeOp> {
  static std::string_view name() { return "UnsqueezeBackward0"; }
  struct State {
    int64_t dim;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t d) {
    ctx->emplace_state<State>(d);
    return unsqueeze_raw(x, d);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0].squeeze(ctx->state<State>().dim)};
  }
};

struct AliasOp : autograd::Function<AliasOp> {
  static std::string_view name() { return "AliasBackward0"; }
  static Tensor forward(AutogradContext*, const Tensor& x) { return alias_of(x); }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

struct TransposeOp : autograd::Function<TransposeOp> {
  static std::string_view name() { return "TransposeBackward0"; }
  struct State {
    int64_t dim0, dim1;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t d0, int64_t d1) {
    ctx->emplace_state<State>(d0, d1);
    return transpose_raw(x, d0, d1);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const State& s = ctx->state<State>();
    return {g[0].transpose(s.dim0, s.dim1)};
  }
};

struct TOp : autograd::Function<TOp> {
  static std::string_view name() { return "TBackward0"; }
  static Tensor forward(AutogradContext*, const Tensor& x) { return x.dim() < 2 ? alias_of(x) : transpose_raw(x, 0, 1); }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0].t()}; }
};

struct PermuteOp : autograd::Function<PermuteOp> {
  static std::string_view name() { return "PermuteBackward0"; }
  struct State {
    std::vector<int64_t> inverse;  // the permutation that undoes forward's
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const std::vector<int64_t>& perm) {
    std::vector<int64_t> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
    ctx->emplace_state<State>(std::move(inverse));
    return permute_raw(x, perm);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0].permute(ctx->state<State>().inverse)};
  }
};

struct SliceOp : autograd::Function<SliceOp> {
  static std::string_view name() { return "SliceBackward0"; }
  struct State {
    std::vector<int64_t> input_sizes;
    SliceArgs slice;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, SliceArgs a) {
    ctx->emplace_state<State>(x.sizes().vec(), a);
    return slice_raw(x, a);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const State& s = ctx->state<State>();
    return {SliceScatterOp::apply(g[0], IntArrayRef(s.input_sizes), s.slice)};
  }
};

struct SelectOp : autograd::Function<SelectOp> {
  static std::string_view name() { return "SelectBackward0"; }
  struct State {
    std::vector<int64_t> input_sizes;
    int64_t dim, index;  // index made non-negative
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t d, int64_t index) {
    ctx->emplace_state<State>(x.sizes().vec(), d, index < 0 ? index + x.size(d) : index);
    return select_raw(x, d, index);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const State& s = ctx->state<State>();
    return {SelectScatterOp::apply(g[0], IntArrayRef(s.input_sizes), s.dim, s.index)};
  }
};

struct ExpandOp : autograd::Function<ExpandOp> {
  static std::string_view name() { return "ExpandBackward0"; }
  struct State {
    std::vector<int64_t> input_sizes;  // the gradient is summed back to them
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, IntArrayRef sizes) {
    ctx->emplace_state<State>(x.sizes().vec());
    return expand_raw(x, sizes);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {sum_to(g[0], ctx->state<State>().input_sizes)};
  }
};

// ---- ops returning several views, and diagonal ------------------------------------------------

// Views of `lengths[i]` consecutive elements along `d`, one after the other (no autograd).
std::vector<Tensor> split_raw(const Tensor& x, int64_t d, IntArrayRef lengths) {
  std::vector<Tensor> out;
  out.reserve(lengths.size());
  int64_t start = 0;
  for (int64_t len : lengths) {
    out.push_back(slice_raw(x, {d, start, start + len, 1}));
    start += len;
  }
  return out;
}

// split and split_with_sizes: one node for all the pieces; the gradient of x is the pieces'
// gradients concatenated back (the engine gives zeros for a piece that got none), through cat,
// so it is differentiable again.
template <bool WithSizes>
struct SplitOp : autograd::Function<SplitOp<WithSizes>> {
  static std::string_view name() { return WithSizes ? "SplitWithSizesBackward0" : "SplitBackward0"; }
  struct State {
    int64_t dim;
  };
  static variable_list forward(AutogradContext* ctx, const Tensor& x, int64_t d, IntArrayRef lengths) {
    ctx->emplace_state<State>(d);
    return split_raw(x, d, lengths);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {cat(g, ctx->state<State>().dim)};
  }
};

struct UnbindOp : autograd::Function<UnbindOp> {
  static std::string_view name() { return "UnbindBackward0"; }
  struct State {
    int64_t dim;
  };
  static variable_list forward(AutogradContext* ctx, const Tensor& x, int64_t d) {
    ctx->emplace_state<State>(d);
    variable_list out;
    out.reserve(static_cast<size_t>(x.size(d)));
    for (int64_t i = 0; i < x.size(d); ++i) out.push_back(select_raw(x, d, i));
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {stack(g, ctx->state<State>().dim)};
  }
};

// PyTorch gives every output of an op returning several views MULTI_OUTPUT_NODE while grad mode
// is on, whether or not the input requires grad and however many outputs there are: an in-place
// op on one of them would have to replace the node's backward for that output alone. (The
// generic Function wiring marks only nodes with more than one differentiable output.)
std::vector<Tensor> mark_multi_output(std::vector<Tensor> outputs) {
  if (!GradMode::is_enabled()) return outputs;  // they are NO_GRAD_MODE views already
  for (auto& out : outputs)
    if (auto* meta = out.impl()->view_meta())
      meta->set_creation_meta(autograd::propagate_creation_meta(meta->get_creation_meta(), autograd::CreationMeta::MULTI_OUTPUT_NODE));
  return outputs;
}

// The dim of `x` a multi-output op splits along (PyTorch's order of checks: rank, then dim).
int64_t split_dim(const Tensor& x, int64_t dim, const char* op) {
  detail::check_defined(x, op);
  XGRAD_CHECK(x.dim() > 0, IndexError, "{}: expects at least a 1-dimensional tensor (got dim {} of a 0-D tensor)", op,
              dim);
  return detail::wrap_dim(dim, x.dim(), op);
}

std::vector<Tensor> split_with_sizes_impl(const Tensor& x, IntArrayRef split_sizes, int64_t dim, const char* op) {
  const int64_t d = split_dim(x, dim, op);
  const int64_t n = x.size(d);
  int64_t total = 0;
  for (int64_t s : split_sizes) {
    XGRAD_CHECK(s >= 0, ValueError,
                "{}: expects split_sizes to have only non-negative entries, but got split_sizes={}", op,
                sizes_str(split_sizes));
    total = detail::checked_add(total, s, op, "sum of split_sizes");
  }
  XGRAD_CHECK(total == n, ValueError,
              "{}: expects split_sizes to sum exactly to {} (input tensor's size at dimension {}), "
              "but got split_sizes={}",
              op, n, dim, sizes_str(split_sizes));
  return mark_multi_output(SplitOp<true>::apply(x, d, split_sizes));
}

struct DiagonalArgs {
  int64_t offset, dim1, dim2;  // dims wrapped
};

Tensor diagonal_raw(const Tensor& x, const DiagonalArgs& a) {
  const int64_t n1 = x.size(a.dim1), n2 = x.size(a.dim2);
  const int64_t len = a.offset >= 0 ? std::max<int64_t>(std::min(n1, n2 - a.offset), 0)
                                    : std::max<int64_t>(std::min(n1 + a.offset, n2), 0);
  int64_t offset = x.storage_offset();
  // An empty diagonal keeps the tensor's own offset: a far offset would point past the storage.
  if (len > 0) offset += a.offset >= 0 ? a.offset * x.stride(a.dim2) : -a.offset * x.stride(a.dim1);
  std::vector<int64_t> sizes, strides;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d == a.dim1 || d == a.dim2) continue;
    sizes.push_back(x.size(d));
    strides.push_back(x.stride(d));
  }
  sizes.push_back(len);
  strides.push_back(x.stride(a.dim1) + x.stride(a.dim2));
  return make_view(x, sizes, strides, offset);
}

// diagonal's gradient: the incoming gradient written onto the diagonal of zeros of the input's
// sizes (PyTorch's diagonal_backward); its own gradient takes the diagonal again.
struct DiagonalScatterOp : autograd::Function<DiagonalScatterOp> {
  static std::string_view name() { return "DiagonalBackwardBackward0"; }
  using State = DiagonalArgs;
  static Tensor forward(AutogradContext* ctx, const Tensor& g, IntArrayRef input_sizes, DiagonalArgs a) {
    ctx->emplace_state<State>(a);
    Tensor out = zeros(input_sizes, g.dtype());
    diagonal_raw(out, a).copy_(g);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const DiagonalArgs& a = ctx->state<State>();
    return {g[0].diagonal(a.offset, a.dim1, a.dim2)};
  }
};

struct DiagonalOp : autograd::Function<DiagonalOp> {
  static std::string_view name() { return "DiagonalBackward0"; }
  struct State {
    std::vector<int64_t> input_sizes;
    DiagonalArgs args;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, DiagonalArgs a) {
    ctx->emplace_state<State>(x.sizes().vec(), a);
    return diagonal_raw(x, a);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const State& s = ctx->state<State>();
    return {DiagonalScatterOp::apply(g[0], IntArrayRef(s.input_sizes), s.args)};
  }
};

// ---- copying ops -----------------------------------------------------------------------------------

// Gathers x's slices `index[i]` along `dim` into a fresh tensor (any dtype; bytes are copied).
Tensor index_select_raw(const Tensor& x, int64_t dim, const Tensor& index) {
  const Tensor xc = x.contiguous();
  const Tensor idx = index.contiguous();
  const int64_t n = idx.numel();
  auto sizes = x.sizes().vec();
  const int64_t size = sizes[dim];
  sizes[dim] = n;
  Tensor out = make_tensor(sizes, x.dtype(), "index_select");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= sizes[d];
  for (size_t d = dim + 1; d < sizes.size(); ++d) inner *= sizes[d];
  const size_t es = x.element_size();
  const int64_t* ip = idx.data_ptr<int64_t>();
  const auto* src = static_cast<const char*>(xc.impl()->data());
  auto* dst = static_cast<char*>(out.impl()->data());
  const size_t chunk = static_cast<size_t>(inner) * es;
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t i = 0; i < n; ++i) {
      const int64_t j = ip[i] < 0 ? ip[i] + size : ip[i];
      if (chunk) std::memcpy(dst + static_cast<size_t>(a * n + i) * chunk, src + static_cast<size_t>(a * size + j) * chunk, chunk);
    }
  return out;
}

struct IndexSelectOp : autograd::Function<IndexSelectOp> {
  static std::string_view name() { return "IndexSelectBackward0"; }
  struct State {
    std::vector<int64_t> input_sizes;
    int64_t dim;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t dim, const Tensor& index) {
    ctx->save_for_backward({index});
    ctx->emplace_state<State>(x.sizes().vec(), dim);
    return index_select_raw(x, dim, index);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto saved = ctx->get_saved_variables();
    const State& s = ctx->state<State>();
    return {IndexAddOp::apply(g[0], IntArrayRef(s.input_sizes), s.dim, saved[0]), Tensor()};
  }
};

// cat and stack take a list of tensors, which Function<T> cannot record, so they use their own
// node: the gradient of input i is the slice of the output gradient that input filled.
class CatNode final : public autograd::Node {
 public:
  std::string name() const override { return stack ? "StackBackward0" : "CatBackward0"; }
  variable_list apply(variable_list&& grads) override {
    variable_list out(lengths.size());
    const Tensor& g = grads.at(0);
    if (!g.defined()) return out;
    int64_t offset = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
      if (should_compute_output(i)) {
        if (stack)
          out[i] = g.select(dim, static_cast<int64_t>(i));
        else if (skipped[i])
          out[i] = zeros({0}, g.dtype());
        else
          out[i] = g.narrow(dim, offset, lengths[i]);
      }
      if (!stack && !skipped[i]) offset += lengths[i];
    }
    return out;
  }

  bool stack = false;
  int64_t dim = 0;
  std::vector<int64_t> lengths;
  std::vector<bool> skipped;
};

ScalarType promote_types(TensorList tensors) {
  ScalarType t = kBool;
  for (const auto& x : tensors) t = xgrad::promote_types(t, x.dtype());
  return t;
}

void record_cat(Tensor& out, TensorList tensors, int64_t dim, bool stack, const std::vector<bool>& skipped) {
  if (!autograd::compute_requires_grad(tensors) || !out.is_floating_point()) return;
  auto node = std::make_shared<CatNode>();
  node->stack = stack;
  node->dim = dim;
  node->skipped = skipped;
  std::vector<autograd::Edge> edges;
  for (size_t i = 0; i < tensors.size(); ++i) {
    edges.push_back(autograd::gradient_edge(tensors[i]));
    node->lengths.push_back(skipped[i] ? 0 : (stack ? 1 : tensors[i].size(dim)));
  }
  node->set_next_edges(std::move(edges));
  autograd::set_history(out, node, 0);
  node->add_output_meta(out);
}

void check_list(TensorList tensors, const char* op) {
  XGRAD_CHECK(!tensors.empty(), ValueError, "{}: expected a non-empty list of Tensors", op);
  for (size_t i = 0; i < tensors.size(); ++i)
    XGRAD_CHECK(tensors[i].defined(), ValueError, "{}: tensor #{} in the list is undefined", op, i);
}

// Concatenation along an already-wrapped `dim`; `skipped[i]` marks legacy 1-D empty inputs.
Tensor cat_raw(TensorList tensors, int64_t dim, const Tensor& ref, const std::vector<bool>& skipped) {
  auto sizes = ref.sizes().vec();
  sizes[dim] = 0;
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!skipped[i]) sizes[dim] += tensors[i].size(dim);
  Tensor out = make_tensor(sizes, promote_types(tensors), "cat");
  AutoGradMode no_grad(false);
  int64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (skipped[i]) continue;
    const int64_t len = tensors[i].size(dim);
    if (len > 0) slice_raw(out, {dim, offset, offset + len, 1}).copy_(tensors[i].detach());
    offset += len;
  }
  return out;
}

}  // namespace

namespace detail {
// Used by indexing.cpp: the gradient of `x.index_select(dim, index)` for an input of `sizes`.
Tensor index_select_backward(const Tensor& grad, IntArrayRef sizes, int64_t dim, const Tensor& index) {
  return IndexAddOp::apply(grad, sizes, dim, index);
}
// Used by indexing.cpp: `x[...]` is a differentiable alias of x, as in PyTorch.
Tensor alias(const Tensor& x) { return AliasOp::apply(x); }
}  // namespace detail

// ---- public API --------------------------------------------------------------------------------

Tensor Tensor::view(IntArrayRef sizes) const {
  detail::check_defined(*this, "view");
  return ViewOp::apply(*this, sizes);
}

Tensor Tensor::reshape(IntArrayRef sizes) const {
  detail::check_defined(*this, "reshape");
  auto shape = infer_size(sizes, numel(), this->sizes(), "reshape");
  if (auto strides = compute_view_strides(this->sizes(), this->strides(), shape))
    return ReshapeAliasOp::apply(*this, IntArrayRef(shape), IntArrayRef(*strides));
  return UnsafeViewOp::apply(clone(), IntArrayRef(shape));
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  detail::check_defined(*this, "flatten");
  if (dim() == 0) return reshape({1});
  const int64_t s = detail::wrap_dim(start_dim, dim(), "flatten");
  const int64_t e = detail::wrap_dim(end_dim, dim(), "flatten");
  XGRAD_CHECK(s <= e, ValueError, "flatten: start_dim ({}) cannot come after end_dim ({}) (sizes {})", start_dim,
              end_dim, sizes_str(sizes()));
  if (s == e) return *this;
  std::vector<int64_t> shape;
  for (int64_t d = 0; d < s; ++d) shape.push_back(size(d));
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= size(d);
  shape.push_back(n);
  for (int64_t d = e + 1; d < dim(); ++d) shape.push_back(size(d));
  return reshape(shape);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  detail::check_defined(*this, "transpose");
  const int64_t d0 = detail::wrap_dim(dim0, dim(), "transpose");
  const int64_t d1 = detail::wrap_dim(dim1, dim(), "transpose");
  return TransposeOp::apply(*this, d0, d1);
}

Tensor Tensor::t() const {
  detail::check_defined(*this, "t");
  XGRAD_CHECK(dim() <= 2, ShapeError, "t: expects a tensor with <= 2 dimensions, but self is {}D (sizes {})", dim(),
              sizes_str(sizes()));
  return TOp::apply(*this);
}

Tensor Tensor::permute(IntArrayRef dims) const {
  detail::check_defined(*this, "permute");
  return PermuteOp::apply(*this, normalize_permutation(*this, dims));
}

Tensor Tensor::squeeze() const {
  detail::check_defined(*this, "squeeze");
  return SqueezeOp::apply(*this);
}

Tensor Tensor::squeeze(int64_t d) const {
  detail::check_defined(*this, "squeeze");
  const int64_t w = detail::wrap_dim(d, dim(), "squeeze");
  return SqueezeDimOp::apply(*this, w);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  detail::check_defined(*this, "unsqueeze");
  const int64_t w = detail::wrap_dim(d, dim() + 1, "unsqueeze");
  return UnsqueezeOp::apply(*this, w);
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  detail::check_defined(*this, "narrow");
  XGRAD_CHECK(dim() > 0, IndexError, "narrow: cannot be applied to a 0-dim tensor");
  const int64_t w = detail::wrap_dim(d, dim(), "narrow");
  const int64_t n = size(w);
  XGRAD_CHECK(start >= -n && start <= n, IndexError,
              "narrow: start ({}) out of range for dimension {} of size {} (sizes {})", start, d, n,
              sizes_str(sizes()));
  if (start < 0) start += n;
  XGRAD_CHECK(length >= 0 && start + length <= n, IndexError,
              "narrow: start ({}) + length ({}) exceeds dimension size ({}) of dimension {} (sizes {})", start, length,
              n, d, sizes_str(sizes()));
  return SliceOp::apply(*this, SliceArgs{w, start, start + length, 1});
}

Tensor Tensor::slice(int64_t d, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) const {
  detail::check_defined(*this, "slice");
  return SliceOp::apply(*this, normalize_slice(*this, d, start, end, step));
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  detail::check_defined(*this, "select");
  const int64_t w = normalize_select(*this, d, index, "select");
  return SelectOp::apply(*this, w, index);
}

Tensor Tensor::expand(IntArrayRef sizes) const {
  detail::check_defined(*this, "expand");
  return ExpandOp::apply(*this, sizes);
}

Tensor Tensor::index_select(int64_t d, const Tensor& index) const {
  detail::check_defined(*this, "index_select");
  detail::check_defined(index, "index_select");
  XGRAD_CHECK(index.dtype() == kInt64, TypeError, "index_select: expected an int64 index tensor, got {}",
              dtype_name(index.dtype()));
  XGRAD_CHECK(index.dim() <= 1, ShapeError, "index_select: index must be 0-D or 1-D, got sizes {}",
              sizes_str(index.sizes()));
  // A 0-D tensor is indexed as if it were 1-D with one element.
  XGRAD_CHECK(dim() > 0 || index.numel() == 1, IndexError,
              "index_select: a 0-dim tensor can only be indexed by a single index, got {} indices", index.numel());
  const Tensor self = dim() == 0 ? reshape({1}) : *this;
  const int64_t w = detail::wrap_dim(d, self.dim(), "index_select");
  const int64_t n = self.size(w);
  for (int64_t i : index.to_vector<int64_t>())
    XGRAD_CHECK(i >= -n && i < n, IndexError,
                "index_select: index {} is out of bounds for dimension {} with size {} (sizes {})", i, d, n,
                sizes_str(sizes()));
  Tensor out = IndexSelectOp::apply(self, w, index.reshape({-1}));
  return dim() == 0 ? out.reshape({}) : out;
}

Tensor reshape(const Tensor& x, IntArrayRef sizes) { return x.reshape(sizes); }
Tensor clone(const Tensor& x) {
  detail::check_defined(x, "clone");
  return x.clone();
}

Tensor Tensor::as_strided(IntArrayRef size, IntArrayRef stride, std::optional<int64_t> storage_offset) const {
  detail::check_defined(*this, "as_strided");
  const int64_t offset = storage_offset.value_or(this->storage_offset());
  check_strided_geometry(*this, size, stride, offset, "as_strided");
  return AsStridedOp::apply(*this, size, stride, offset);
}

Tensor as_strided(const Tensor& x, IntArrayRef size, IntArrayRef stride, std::optional<int64_t> storage_offset) {
  detail::check_defined(x, "as_strided");
  return x.as_strided(size, stride, storage_offset);
}

Tensor _reshape_alias(const Tensor& x, IntArrayRef size, IntArrayRef stride) {
  detail::check_defined(x, "_reshape_alias");
  check_strided_geometry(x, size, stride, x.storage_offset(), "_reshape_alias");
  return ReshapeAliasOp::apply(x, size, stride);
}
Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) { return x.flatten(start_dim, end_dim); }
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) { return x.transpose(dim0, dim1); }
Tensor t(const Tensor& x) { return x.t(); }
Tensor permute(const Tensor& x, IntArrayRef dims) { return x.permute(dims); }
Tensor squeeze(const Tensor& x) { return x.squeeze(); }
Tensor squeeze(const Tensor& x, int64_t dim) { return x.squeeze(dim); }
Tensor unsqueeze(const Tensor& x, int64_t dim) { return x.unsqueeze(dim); }
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) { return x.narrow(dim, start, length); }
Tensor select(const Tensor& x, int64_t dim, int64_t index) { return x.select(dim, index); }
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) { return x.index_select(dim, index); }

Tensor cat(TensorList tensors, int64_t dim) {
  check_list(tensors, "cat");
  // PyTorch still accepts (and skips) 1-D empty tensors next to tensors of any rank.
  std::vector<bool> skipped(tensors.size());
  std::optional<size_t> ref;
  for (size_t i = 0; i < tensors.size(); ++i) {
    skipped[i] = tensors[i].dim() == 1 && tensors[i].numel() == 0;
    if (!skipped[i] && !ref) ref = i;
  }
  if (!ref) {
    ref = 0;
    std::fill(skipped.begin(), skipped.end(), false);
  }
  const Tensor& r = tensors[*ref];
  for (size_t i = 0; i < tensors.size(); ++i)
    XGRAD_CHECK(tensors[i].dim() > 0, ShapeError, "cat: zero-dimensional tensor (at position {}) cannot be concatenated",
                i);
  const int64_t d = detail::wrap_dim(dim, r.dim(), "cat");
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (skipped[i]) continue;
    const Tensor& t = tensors[i];
    XGRAD_CHECK(t.dim() == r.dim(), ShapeError,
                "cat: tensors must have the same number of dimensions: got {} and {} (tensor #{} has sizes {}, "
                "tensor #{} has sizes {})",
                r.dim(), t.dim(), *ref, sizes_str(r.sizes()), i, sizes_str(t.sizes()));
    for (int64_t k = 0; k < r.dim(); ++k)
      XGRAD_CHECK(k == d || t.size(k) == r.size(k), ShapeError,
                  "cat: sizes of tensors must match except in dimension {}. Expected size {} but got size {} for "
                  "tensor number {} in the list (sizes {} vs {})",
                  d, r.size(k), t.size(k), i, sizes_str(r.sizes()), sizes_str(t.sizes()));
  }
  Tensor out = cat_raw(tensors, d, r, skipped);
  record_cat(out, tensors, d, false, skipped);
  return out;
}

Tensor stack(TensorList tensors, int64_t dim) {
  check_list(tensors, "stack");
  const Tensor& r = tensors[0];
  for (size_t i = 1; i < tensors.size(); ++i)
    XGRAD_CHECK(tensors[i].sizes() == r.sizes(), ShapeError,
                "stack: expects each tensor to be equal size, but got {} at entry 0 and {} at entry {}",
                sizes_str(r.sizes()), sizes_str(tensors[i].sizes()), i);
  const int64_t d = detail::wrap_dim(dim, r.dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const auto& t : tensors) parts.push_back(unsqueeze_raw(t, d));
  const std::vector<bool> skipped(tensors.size(), false);
  Tensor out = cat_raw(parts, d, parts[0], skipped);
  record_cat(out, tensors, d, true, skipped);
  return out;
}

std::vector<Tensor> Tensor::unbind(int64_t d) const {
  detail::check_defined(*this, "unbind");
  XGRAD_CHECK(dim() > 0, IndexError, "unbind: Dimension specified as {} but tensor has no dimensions", d);
  const int64_t w = detail::wrap_dim(d, dim(), "unbind");
  if (size(w) == 0) return {};
  return mark_multi_output(UnbindOp::apply(*this, w));
}

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t d) const {
  const int64_t w = split_dim(*this, d, "split");
  const int64_t n = size(w);
  XGRAD_CHECK(split_size >= 0, ValueError, "split: expects split_size to be non-negative, but got split_size={}",
              split_size);
  XGRAD_CHECK(split_size != 0 || n == 0, ValueError,
              "split: split_size can only be 0 if dimension size is 0, but got dimension size of {} (dim {}, sizes {})",
              n, d, sizes_str(sizes()));
  // ceil(n / split_size) pieces, at least one (a 0-size dim gives one empty piece).
  const int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>((n - 1) / split_size + 1, 1);
  std::vector<int64_t> lengths(static_cast<size_t>(pieces), split_size);
  lengths.back() = n - split_size * (pieces - 1);
  return mark_multi_output(SplitOp<false>::apply(*this, w, IntArrayRef(lengths)));
}

std::vector<Tensor> Tensor::split(IntArrayRef split_sizes, int64_t d) const {
  return split_with_sizes_impl(*this, split_sizes, d, "split");
}

std::vector<Tensor> Tensor::split_with_sizes(IntArrayRef split_sizes, int64_t d) const {
  return split_with_sizes_impl(*this, split_sizes, d, "split_with_sizes");
}

std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t d) const {
  detail::check_defined(*this, "chunk");
  XGRAD_CHECK(dim() > 0, IndexError, "chunk: expects at least a 1-dimensional tensor");
  XGRAD_CHECK(chunks > 0, ValueError, "chunk: expects `chunks` to be greater than 0, got: {}", chunks);
  const int64_t w = detail::wrap_dim(d, dim(), "chunk");
  const int64_t n = size(w);
  const int64_t piece = n == 0 ? 0 : (n - 1) / chunks + 1;  // ceil(n / chunks) without overflow
  if (n == 0) {
    // PyTorch: `chunks` empty pieces (split would give one).
    const std::vector<int64_t> lengths(static_cast<size_t>(chunks), 0);
    return mark_multi_output(SplitOp<true>::apply(*this, w, IntArrayRef(lengths)));
  }
  return split(piece, w);
}

Tensor Tensor::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const {
  detail::check_defined(*this, "diagonal");
  const int64_t d1 = detail::wrap_dim(dim1, dim(), "diagonal");
  const int64_t d2 = detail::wrap_dim(dim2, dim(), "diagonal");
  XGRAD_CHECK(d1 != d2, ValueError, "diagonal: diagonal dimensions cannot be identical {}, {} (sizes {})", dim1, dim2,
              sizes_str(sizes()));
  return DiagonalOp::apply(*this, DiagonalArgs{offset, d1, d2});
}

std::vector<Tensor> unbind(const Tensor& x, int64_t dim) { return x.unbind(dim); }
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) { return x.chunk(chunks, dim); }
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) { return x.split(split_size, dim); }
std::vector<Tensor> split(const Tensor& x, IntArrayRef split_sizes, int64_t dim) { return x.split(split_sizes, dim); }
std::vector<Tensor> split_with_sizes(const Tensor& x, IntArrayRef split_sizes, int64_t dim) {
  return x.split_with_sizes(split_sizes, dim);
}
Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  return x.diagonal(offset, dim1, dim2);
}

namespace nn::functional {
// Declared with linear in nn/functional/linear.hpp, as LibTorch's; a shape op like the others here.
Tensor flatten(const Tensor& input, int64_t start_dim, int64_t end_dim) {
  XGRAD_CHECK(input.defined(), ValueError, "flatten: input is an undefined tensor");
  return input.flatten(start_dim, end_dim);
}
}  // namespace nn::functional

}  // namespace xgrad
