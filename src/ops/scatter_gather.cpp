// Index-driven reads and writes along a dim: gather, scatter_add, scatter (and their in-place
// forms), masked_fill, and one_hot.
//
// gather and scatter_add are each other's adjoint: gather's gradient is a scatter_add into
// zeros, scatter_add's gradient for src is a gather. Both are Functions, so gradients of any
// order flow through them. Every index is checked against its dimension before anything is
// written, so a bad index leaves an in-place target untouched.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/strided.hpp"
#include "core/tensor_internal.hpp"

#include <cmath>
#include <type_traits>

namespace xgrad {

using autograd::variable_list;

namespace {


// Size and stride of `t` along d, a 0-dim tensor counting as one element.
int64_t size_at(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.size(d); }

// t's strides with the stride of d set to 0 (the index supplies that coordinate).
std::vector<int64_t> strides_without(const Tensor& t, int64_t d) {
  std::vector<int64_t> s = t.strides().vec();
  if (!s.empty()) s[static_cast<size_t>(d)] = 0;
  return s;
}

// The rules shared by gather and the scatters; `src` is undefined for gather and the value
// scatters. Returns the wrapped dim.
int64_t check_index_args(const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src, const char* op) {
  detail::check_defined(self, op);
  detail::check_defined(index, op);
  const int64_t d = detail::wrap_dim(dim, self.dim(), op);
  XGRAD_CHECK(index.dtype() == kInt64, TypeError, "{}: expected dtype int64 for index, got {}", op,
              dtype_name(index.dtype()));
  XGRAD_CHECK(index.dim() == self.dim() || index.numel() == 0, ShapeError,
              "{}: index has {} dimension(s) but the input has {} (index sizes {}, input sizes {})", op, index.dim(),
              self.dim(), to_string(index.sizes()), to_string(self.sizes()));
  if (src) {
    detail::check_defined(*src, op);
    XGRAD_CHECK(src->dtype() == self.dtype(), TypeError, "{}: expected src of the input's dtype {}, got {}", op,
                dtype_name(self.dtype()), dtype_name(src->dtype()));
    XGRAD_CHECK(src->dim() == index.dim() || index.numel() == 0, ShapeError,
                "{}: index has {} dimension(s) but src has {} (index sizes {}, src sizes {})", op, index.dim(),
                src->dim(), to_string(index.sizes()), to_string(src->sizes()));
  }
  if (index.numel() == 0) return d;
  for (int64_t k = 0; k < index.dim(); ++k) {
    XGRAD_CHECK(k == d || index.size(k) <= self.size(k), ShapeError,
                "{}: index size {} exceeds the input's size {} in dimension {} (index sizes {}, input sizes {})", op,
                index.size(k), self.size(k), k, to_string(index.sizes()), to_string(self.sizes()));
    if (src)
      XGRAD_CHECK(index.size(k) <= src->size(k), ShapeError,
                  "{}: index size {} exceeds src's size {} in dimension {} (index sizes {}, src sizes {})", op,
                  index.size(k), src->size(k), k, to_string(index.sizes()), to_string(src->sizes()));
  }
  // Every index value in [0, self.size(d)), checked before anything is read or written.
  const int64_t n = size_at(self, d);
  const int64_t* pi = detail::typed_data<int64_t>(index);
  const auto& is = index.impl()->strides;
  detail::for_each_element<1>(index.sizes(), {is.data()}, [&](const std::array<int64_t, 1>& off) {
    const int64_t v = pi[off[0]];
    XGRAD_CHECK(v >= 0 && v < n, IndexError, "{}: index {} is out of bounds for dimension {} with size {}", op, v, d,
                n);
  });
  return d;
}

Tensor gather_kernel(const Tensor& x, int64_t d, const Tensor& index) {
  Tensor out = make_tensor(index.sizes(), x.dtype(), "gather");
  if (out.numel() == 0) return out;
  const auto os = out.strides().vec();
  const auto xs = strides_without(x, d);
  const int64_t step = x.dim() == 0 ? 0 : x.stride(d);
  const auto& is = index.impl()->strides;
  const int64_t* pi = detail::typed_data<int64_t>(index);
  detail::dispatch_all(x.dtype(), "gather", [&]<typename T>() {
    const T* px = detail::typed_data<T>(x);
    T* po = detail::typed_data<T>(out);
    detail::for_each_element<3>(index.sizes(), {os.data(), is.data(), xs.data()}, [&](const std::array<int64_t, 3>& off) {
      po[off[0]] = px[off[2] + pi[off[1]] * step];
    });
  });
  return out;
}

enum class Mode { kAdd, kAssign };

// Writes src (or `value` when src is undefined) into `target` at the positions index names along d.
void scatter_into(const Tensor& target, int64_t d, const Tensor& index, const Tensor& src, double value, Mode mode,
                  const char* op) {
  if (index.numel() == 0) return;
  const auto ts = strides_without(target, d);
  const int64_t step = target.dim() == 0 ? 0 : target.stride(d);
  const auto& is = index.impl()->strides;
  const int64_t* pi = detail::typed_data<int64_t>(index);
  detail::dispatch_all(target.dtype(), op, [&]<typename T>() {
    T* pt = detail::typed_data<T>(target);
    if (!src.defined()) {
      const T v = static_cast<T>(value);
      detail::for_each_element<2>(index.sizes(), {ts.data(), is.data()},
                                  [&](const std::array<int64_t, 2>& off) { pt[off[0] + pi[off[1]] * step] = v; });
      return;
    }
    const T* ps = detail::typed_data<T>(src);
    const auto& ss = src.impl()->strides;
    detail::for_each_element<3>(index.sizes(), {ts.data(), is.data(), ss.data()},
                                [&](const std::array<int64_t, 3>& off) {
                                  T& dst = pt[off[0] + pi[off[1]] * step];
                                  if (mode == Mode::kAssign) {
                                    dst = ps[off[2]];
                                  } else if constexpr (std::is_same_v<T, bool>) {
                                    dst = dst || ps[off[2]];
                                  } else if constexpr (detail::is_int_v<T>) {
                                    // Wraps around (as PyTorch) instead of signed-overflow UB.
                                    dst = static_cast<T>(static_cast<uint64_t>(dst) +
                                                         static_cast<uint64_t>(ps[off[2]]));
                                  } else {
                                    dst += ps[off[2]];
                                  }
                                });
  });
}

// A fresh contiguous copy of x (the target of an out-of-place scatter).
Tensor copy_of(const Tensor& x, const char* op) {
  Tensor out = make_tensor(x.sizes(), x.dtype(), op);
  out.copy_(x);
  return out;
}

// g (index-shaped) zero-padded up to `sizes`, differentiably: the gradient of a src larger than
// its index, whose uncovered elements took no part.
Tensor pad_to(Tensor g, IntArrayRef sizes) {
  for (int64_t k = 0; k < g.dim(); ++k) {
    const int64_t extra = sizes[static_cast<size_t>(k)] - g.size(k);
    if (extra <= 0) continue;
    std::vector<int64_t> zs = g.sizes().vec();
    zs[static_cast<size_t>(k)] = extra;
    g = cat({g, zeros(zs, g.dtype())}, k);
  }
  return g;
}

struct GatherOp : autograd::Function<GatherOp> {
  static std::string_view name() { return "GatherBackward0"; }
  struct State {
    std::vector<int64_t> in_sizes;  // the input's sizes
    int64_t dim;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t d, const Tensor& index) {
    ctx->save_for_backward({index});
    ctx->emplace_state<State>(State{x.sizes().vec(), d});
    return gather_kernel(x, d, index);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor index = ctx->get_saved_variables()[0];
    const State& st = ctx->state<State>();
    const Tensor base = zeros(st.in_sizes, g[0].dtype());
    return {base.scatter_add(st.dim, index, g[0]), Tensor(), Tensor()};
  }
};

// scatter_add (Add) and scatter with a src tensor (Assign).
template <Mode M>
struct ScatterOp : autograd::Function<ScatterOp<M>> {
  static std::string_view name() { return M == Mode::kAdd ? "ScatterAddBackward0" : "ScatterBackward0"; }
  struct State {
    int64_t dim;
    std::vector<int64_t> src_sizes;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t d, const Tensor& index, const Tensor& src) {
    const char* op = M == Mode::kAdd ? "scatter_add" : "scatter";
    ctx->save_for_backward({index});
    ctx->emplace_state<State>(State{d, src.sizes().vec()});
    Tensor out = copy_of(x, op);
    scatter_into(out, d, index, src, 0.0, M, op);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor index = ctx->get_saved_variables()[0];
    const State& st = ctx->state<State>();
    const int64_t d = st.dim;
    Tensor gx, gsrc;
    if (ctx->needs_input_grad(0)) gx = M == Mode::kAdd ? g[0] : g[0].scatter(d, index, 0.0);
    if (ctx->needs_input_grad(2)) gsrc = pad_to(g[0].gather(d, index), st.src_sizes);
    return {gx, Tensor(), Tensor(), gsrc};
  }
};

struct ScatterValueOp : autograd::Function<ScatterValueOp> {
  static std::string_view name() { return "ScatterBackward1"; }
  using State = int64_t;  // the dim
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t d, const Tensor& index, double value) {
    ctx->save_for_backward({index});
    ctx->emplace_state<State>(d);
    Tensor out = copy_of(x, "scatter");
    scatter_into(out, d, index, Tensor(), value, Mode::kAssign, "scatter");
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor index = ctx->get_saved_variables()[0];
    return {g[0].scatter(ctx->state<State>(), index, 0.0), Tensor(), Tensor(), Tensor()};
  }
};

// A value written into an integer or bool tensor must be representable there (as PyTorch's
// "value cannot be converted to type int64_t without overflow").
void check_value_fits(const Tensor& self, double value, const char* op) {
  if (is_floating_point(self.dtype())) return;
  XGRAD_CHECK(std::isfinite(value) && std::abs(value) < 9.2e18, ValueError,
              "{}: value {} cannot be converted to {} without overflow", op, value, dtype_name(self.dtype()));
}

// ---- masked_fill ----------------------------------------------------------------------------------

void check_mask(const Tensor& mask, const char* op) {
  detail::check_defined(mask, op);
  XGRAD_CHECK(mask.dtype() == kBool, TypeError, "{}: expected a bool mask, got {}", op, dtype_name(mask.dtype()));
}

double value_of(const Tensor& value, const char* op) {
  detail::check_defined(value, op);
  XGRAD_CHECK(value.dim() == 0, ValueError,
              "{}: only supports a 0-dimensional value tensor, but got a tensor with {} dimension(s) (sizes {})", op,
              value.dim(), to_string(value.sizes()));
  return value.item<double>();
}

// out (fresh, broadcast sizes) = mask ? value : x.
Tensor masked_fill_kernel(const Tensor& x, const Tensor& mask, double value) {
  const auto shape = broadcast_shapes(x.sizes(), mask.sizes(), "masked_fill");
  Tensor out = make_tensor(shape, x.dtype(), "masked_fill");
  const auto os = out.strides().vec();
  const auto xs = detail::broadcast_strides(x, shape);
  const auto ms = detail::broadcast_strides(mask, shape);
  const bool* pm = detail::typed_data<bool>(mask);
  detail::dispatch_all(x.dtype(), "masked_fill", [&]<typename T>() {
    const T* px = detail::typed_data<T>(x);
    T* po = detail::typed_data<T>(out);
    const T v = static_cast<T>(value);
    detail::for_each_element<3>(shape, {os.data(), xs.data(), ms.data()}, [&](const std::array<int64_t, 3>& off) {
      po[off[0]] = pm[off[2]] ? v : px[off[1]];
    });
  });
  return out;
}

// The gradient of x where it was kept, summed back to x's sizes (x may have been broadcast).
Tensor kept_grad(const Tensor& g, const Tensor& mask, IntArrayRef x_sizes) {
  return sum_to(g.masked_fill(mask, 0.0), x_sizes);
}

struct MaskedFillOp : autograd::Function<MaskedFillOp> {
  static std::string_view name() { return "MaskedFillBackward0"; }
  using State = std::vector<int64_t>;  // the input's sizes
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& mask, double value) {
    ctx->save_for_backward({mask});
    ctx->emplace_state<State>(x.sizes().vec());
    return masked_fill_kernel(x, mask, value);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor mask = ctx->get_saved_variables()[0];
    return {kept_grad(g[0], mask, ctx->state<State>()), Tensor(), Tensor()};
  }
};

struct MaskedFillTensorOp : autograd::Function<MaskedFillTensorOp> {
  static std::string_view name() { return "MaskedFillBackward1"; }
  using State = std::vector<int64_t>;  // the input's sizes
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& mask, const Tensor& value) {
    ctx->save_for_backward({mask});
    ctx->emplace_state<State>(x.sizes().vec());
    return masked_fill_kernel(x, mask, value.item<double>());
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor mask = ctx->get_saved_variables()[0];
    Tensor gx, gv;
    if (ctx->needs_input_grad(0)) gx = kept_grad(g[0], mask, ctx->state<State>());
    // The value received the gradient of every filled element.
    if (ctx->needs_input_grad(2)) gv = (g[0] - g[0].masked_fill(mask, 0.0)).sum();
    return {gx, Tensor(), gv};
  }
};

// self[mask] = value in place; mask must broadcast to self's sizes.
// With autograd recording, masked_fill (with `value_tensor` when given, so its gradient is
// kept) runs out of place and rebase_history makes its node self's grad_fn.
Tensor& masked_fill_inplace(Tensor& self, const Tensor& mask, double value, const char* op,
                            const Tensor& value_tensor = Tensor()) {
  detail::check_defined(self, op);
  check_mask(mask, op);
  const bool record = detail::inplace_records(self, op, {value_tensor});
  detail::check_no_internal_overlap(self, op);
  const auto shape = broadcast_shapes(self.sizes(), mask.sizes(), op);
  XGRAD_CHECK(IntArrayRef(shape) == self.sizes(), ShapeError,
              "{}: mask of sizes {} does not broadcast to the input's sizes {} (in-place)", op,
              to_string(mask.sizes()), to_string(self.sizes()));
  if (record) {
    autograd::rebase_history(
        self, value_tensor.defined() ? masked_fill(self, mask, value_tensor) : masked_fill(self, mask, value), op);
    return self;
  }
  check_value_fits(self, value, op);
  const auto& ss = self.impl()->strides;
  const auto ms = detail::broadcast_strides(mask, shape);
  const bool* pm = detail::typed_data<bool>(mask);
  detail::dispatch_all(self.dtype(), op, [&]<typename T>() {
    T* ps = detail::typed_data<T>(self);
    const T v = static_cast<T>(value);
    detail::for_each_element<2>(shape, {ss.data(), ms.data()}, [&](const std::array<int64_t, 2>& off) {
      if (pm[off[1]]) ps[off[0]] = v;
    });
  });
  detail::bump_version(self);
  return self;
}

}  // namespace

// ---- public ---------------------------------------------------------------------------------------

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index, bool sparse_grad) {
  const int64_t d = check_index_args(x, dim, index, nullptr, "gather");
  XGRAD_CHECK(!sparse_grad, ValueError, "gather: sparse_grad=true is not supported (xgrad has no sparse tensors)");
  return GatherOp::apply(x, d, index);
}
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  const int64_t d = check_index_args(x, dim, index, &src, "scatter_add");
  return ScatterOp<Mode::kAdd>::apply(x, d, index, src);
}
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  const int64_t d = check_index_args(x, dim, index, &src, "scatter");
  return ScatterOp<Mode::kAssign>::apply(x, d, index, src);
}
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, double value) {
  const int64_t d = check_index_args(x, dim, index, nullptr, "scatter");
  check_value_fits(x, value, "scatter");
  return ScatterValueOp::apply(x, d, index, value);
}

Tensor Tensor::gather(int64_t dim, const Tensor& index, bool sparse_grad) const {
  return xgrad::gather(*this, dim, index, sparse_grad);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return xgrad::scatter_add(*this, dim, index, src);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return xgrad::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, double value) const {
  return xgrad::scatter(*this, dim, index, value);
}

// In-place forms: recorded in the graph as their out-of-place twins when self or src requires
// grad (detail::inplace_records).
Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) const {
  Tensor& self = const_cast<Tensor&>(*this);  // const as LibTorch's: the handle is not changed
  const int64_t d = check_index_args(*this, dim, index, &src, "scatter_add_");
  const bool record = detail::inplace_records(*this, "scatter_add_", {src});
  detail::check_no_internal_overlap(*this, "scatter_add_");
  if (record) {
    autograd::rebase_history(self, xgrad::scatter_add(*this, d, index, src), "scatter_add_");
    return self;
  }
  scatter_into(self, d, index, src, 0.0, Mode::kAdd, "scatter_add_");
  detail::bump_version(*this);
  return self;
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) const {
  Tensor& self = const_cast<Tensor&>(*this);
  const int64_t d = check_index_args(*this, dim, index, &src, "scatter_");
  const bool record = detail::inplace_records(*this, "scatter_", {src});
  detail::check_no_internal_overlap(*this, "scatter_");
  if (record) {
    autograd::rebase_history(self, xgrad::scatter(*this, d, index, src), "scatter_");
    return self;
  }
  scatter_into(self, d, index, src, 0.0, Mode::kAssign, "scatter_");
  detail::bump_version(*this);
  return self;
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, double value) const {
  Tensor& self = const_cast<Tensor&>(*this);
  const int64_t d = check_index_args(*this, dim, index, nullptr, "scatter_");
  const bool record = detail::inplace_records(*this, "scatter_");
  detail::check_no_internal_overlap(*this, "scatter_");
  check_value_fits(*this, value, "scatter_");
  if (record) {
    autograd::rebase_history(self, xgrad::scatter(*this, d, index, value), "scatter_");
    return self;
  }
  scatter_into(self, d, index, Tensor(), value, Mode::kAssign, "scatter_");
  detail::bump_version(*this);
  return self;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  detail::check_defined(x, "masked_fill");
  check_mask(mask, "masked_fill");
  check_value_fits(x, value, "masked_fill");
  return MaskedFillOp::apply(x, mask, value);
}
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  detail::check_defined(x, "masked_fill");
  check_mask(mask, "masked_fill");
  check_value_fits(x, value_of(value, "masked_fill"), "masked_fill");
  return MaskedFillTensorOp::apply(x, mask, value);
}
Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return xgrad::masked_fill(*this, mask, value); }
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const {
  return xgrad::masked_fill(*this, mask, value);
}
Tensor& Tensor::masked_fill_(const Tensor& mask, double value) const {
  return masked_fill_inplace(const_cast<Tensor&>(*this), mask, value, "masked_fill_");
}
Tensor& Tensor::masked_fill_(const Tensor& mask, const Tensor& value) const {
  return masked_fill_inplace(const_cast<Tensor&>(*this), mask, value_of(value, "masked_fill_"), "masked_fill_", value);
}

Tensor one_hot(const Tensor& x, int64_t num_classes) {
  detail::check_defined(x, "one_hot");
  XGRAD_CHECK(x.dtype() == kInt64, TypeError, "one_hot: expected an int64 tensor of class indices, got {}",
              dtype_name(x.dtype()));
  XGRAD_CHECK(num_classes >= -1, ValueError, "one_hot: num_classes must be -1 (infer) or non-negative, got {}",
              num_classes);
  const Tensor c = x.contiguous();
  const int64_t* pc = detail::typed_data<int64_t>(c);
  const int64_t n = c.numel();
  int64_t lo = 0, hi = -1;
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, pc[i]);
    hi = std::max(hi, pc[i]);
  }
  XGRAD_CHECK(lo >= 0, ValueError, "one_hot: class values must be non-negative, got {}", lo);
  if (num_classes == -1) {
    XGRAD_CHECK(n > 0, ValueError, "one_hot: cannot infer the number of classes from an empty tensor (sizes {})",
                to_string(x.sizes()));
    num_classes = hi + 1;
  }
  XGRAD_CHECK(hi < num_classes, ValueError, "one_hot: class value {} is not smaller than num_classes = {}", hi,
              num_classes);
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes.push_back(num_classes);
  Tensor out = zeros(sizes, kInt64);
  int64_t* po = detail::typed_data<int64_t>(out);
  for (int64_t i = 0; i < n; ++i) po[i * num_classes + pc[i]] = 1;
  return out;
}

}  // namespace xgrad
