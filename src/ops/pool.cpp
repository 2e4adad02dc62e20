// 2-D pooling ops: argument checks, output sizes and autograd. The numeric work is in
// src/kernels/pool*.cpp (raw pointers over contiguous N*C planes).
//
// Each pool is a Function<T> whose backward is itself a Function (the gradient scatter), so
// double backward works: the adjoint of a max-pool scatter is a gather through the same
// indices, the adjoint of an average-pool backward is the average pool itself.
#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/pooling.hpp>

#include "core/dispatch.hpp"
#include "kernels/pool.hpp"

#include <array>
#include <string>

namespace xgrad {
namespace {

using Pair = std::array<int64_t, 2>;

std::string pair_str(const Pair& p) { return fmt::format("[{}, {}]", p[0], p[1]); }

// `3` -> {3, 3}, `{3, 2}` -> {3, 2}; an empty list gives `fallback` (stride defaults to kernel).
Pair to_pair(IntArrayRef v, const char* op, const char* what, const Pair* fallback = nullptr) {
  if (v.empty() && fallback != nullptr) return *fallback;
  XGRAD_CHECK(v.size() == 1 || v.size() == 2, ValueError, "{}: {} must be one or two values, got {}", op, what,
              to_string(v));
  return v.size() == 1 ? Pair{v[0], v[0]} : Pair{v[0], v[1]};
}

// PyTorch's pooling_output_shape: in ceil mode the last window must start inside the input or
// its left padding.
// Computed in 128-bit arithmetic: every option may be near INT64_MAX (the result is then small
// or negative, never a wrapped value).
int64_t pooled_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  using I = __int128;
  const I num = I(in) + 2 * I(pad) - I(dilation) * (I(k) - 1) - 1 + (ceil_mode ? I(stride) - 1 : 0);
  I out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;  // floor division
  if (ceil_mode && (out - 1) * stride >= I(in) + pad) --out;
  // |out| <= in + 2 pad + 1 for out > 0; a very negative out only means "no window fits".
  return out < 1 ? 0 : static_cast<int64_t>(out);
}

// Checks a 3-D / 4-D input of a pool; returns its (planes, H, W) and the batch prefix of the
// output sizes ([N, C] or [C]).
struct Planes {
  int64_t planes, h, w;
  std::vector<int64_t> prefix;
};
Planes check_input(const Tensor& input, const char* op) {
  XGRAD_CHECK(input.defined(), ValueError, "{}: input is an undefined tensor", op);
  XGRAD_CHECK(input.dim() == 3 || input.dim() == 4, ShapeError,
              "{}: expected a 3-D (unbatched C, H, W) or 4-D (batched N, C, H, W) input, got {}-D input of size {}",
              op, input.dim(), to_string(input.sizes()));
  const int64_t first_required = input.dim() == 4 ? 1 : 0;  // the batch may be empty
  for (int64_t d = first_required; d < input.dim(); ++d)
    XGRAD_CHECK(input.size(d) > 0, ShapeError,
                "{}: expected input with non-zero sizes except the batch dimension, got input of size {}", op,
                to_string(input.sizes()));
  if (!input.is_floating_point())
    XGRAD_THROW(TypeError, "{}: expected a floating-point tensor (float32 or float64), got {}", op,
                dtype_name(input.dtype()));
  Planes p;
  p.h = input.size(-2);
  p.w = input.size(-1);
  p.planes = input.numel() / (p.h * p.w);
  p.prefix.assign(input.sizes().begin(), input.sizes().end() - 2);
  return p;
}

// Everything a pool's kernels need; also each pool op's State, so its backward (itself a pool
// op, for double backward) runs with the same parameters.
struct PoolParams {
  kernels::Pool2dShape shape;
  std::vector<int64_t> in_sizes, out_sizes;
  // avg only
  bool count_include_pad = true;
  int64_t divisor_override = 0;
};

PoolParams window_params(const Tensor& input, const char* op, IntArrayRef kernel_size, IntArrayRef stride,
                         IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  const Pair k = to_pair(kernel_size, op, "kernel_size");
  const Pair s = to_pair(stride, op, "stride", &k);
  const Pair p = to_pair(padding, op, "padding");
  const Pair d = to_pair(dilation, op, "dilation");
  XGRAD_CHECK(k[0] > 0 && k[1] > 0, ValueError, "{}: kernel_size must be positive, got {}", op, pair_str(k));
  XGRAD_CHECK(s[0] > 0 && s[1] > 0, ValueError, "{}: stride must be positive, got {}", op, pair_str(s));
  XGRAD_CHECK(p[0] >= 0 && p[1] >= 0, ValueError, "{}: padding must be non-negative, got {}", op, pair_str(p));
  XGRAD_CHECK(d[0] > 0 && d[1] > 0, ValueError, "{}: dilation must be positive, got {}", op, pair_str(d));
  XGRAD_CHECK(p[0] <= k[0] / 2 && p[1] <= k[1] / 2, ValueError,
              "{}: padding should be at most half of kernel size, got padding {} and kernel_size {}", op,
              pair_str(p), pair_str(k));
  const Planes pl = check_input(input, op);
  PoolParams r;
  auto& sh = r.shape;
  sh.planes = pl.planes;
  sh.in_h = pl.h;
  sh.in_w = pl.w;
  sh.kernel_h = k[0];
  sh.kernel_w = k[1];
  sh.stride_h = s[0];
  sh.stride_w = s[1];
  sh.pad_h = p[0];
  sh.pad_w = p[1];
  sh.dilation_h = d[0];
  sh.dilation_w = d[1];
  sh.out_h = pooled_size(pl.h, k[0], p[0], s[0], d[0], ceil_mode);
  sh.out_w = pooled_size(pl.w, k[1], p[1], s[1], d[1], ceil_mode);
  XGRAD_CHECK(sh.out_h >= 1 && sh.out_w >= 1, ShapeError,
              "{}: kernel_size {} (dilation {}) is larger than the padded input: input size {}, padding {}, "
              "stride {}, ceil_mode {} give output size [{}, {}]",
              op, pair_str(k), pair_str(d), to_string(input.sizes()), pair_str(p), pair_str(s), ceil_mode, sh.out_h,
              sh.out_w);
  r.in_sizes = input.sizes().vec();
  r.out_sizes = pl.prefix;
  r.out_sizes.push_back(sh.out_h);
  r.out_sizes.push_back(sh.out_w);
  return r;
}

PoolParams adaptive_params(const Tensor& input, const char* op, IntArrayRef output_size) {
  XGRAD_CHECK(output_size.size() == 2, ValueError, "{}: output_size must have 2 values, got {}", op,
              to_string(output_size));
  XGRAD_CHECK(output_size[0] >= 0 && output_size[1] >= 0, ValueError,
              "{}: elements of output_size must be greater than or equal to 0, got {}", op, to_string(output_size));
  const Planes pl = check_input(input, op);
  PoolParams r;
  r.shape.planes = pl.planes;
  r.shape.in_h = pl.h;
  r.shape.in_w = pl.w;
  r.shape.out_h = output_size[0];
  r.shape.out_w = output_size[1];
  r.in_sizes = input.sizes().vec();
  r.out_sizes = pl.prefix;
  r.out_sizes.push_back(output_size[0]);
  r.out_sizes.push_back(output_size[1]);
  return r;
}

// ---- max pools -----------------------------------------------------------------------------------

// Gather of `src` (input-plane sized) through arg-max indices: the max pool's forward given its
// indices, and the adjoint of the gradient scatter below.
Tensor gather_indices(const Tensor& src, const Tensor& indices, const PoolParams& p) {
  const Tensor g = src.contiguous();
  Tensor out = make_tensor(p.out_sizes, g.dtype(), "max_pool2d backward");
  const int64_t in_plane = p.shape.in_h * p.shape.in_w, out_plane = p.shape.out_h * p.shape.out_w;
  const int64_t* ip = indices.data_ptr<int64_t>();
  detail::dispatch_floating(g.dtype(), "max_pool2d", [&]<typename T>() {
    const T* s = g.data_ptr<T>();
    T* d = out.data_ptr<T>();
    for (int64_t o = 0; o < out.numel(); ++o) {
      const int64_t i = ip[o];
      d[o] = (i >= 0 && i < in_plane) ? s[(o / out_plane) * in_plane + i] : T(0);
    }
  });
  return out;
}

// grad_input = scatter-add of grad_output through the indices (backward of both max pools). A
// Function itself, so that second derivatives flow (its adjoint is the gather above).
template <bool Adaptive>
struct MaxPoolScatterOp : autograd::Function<MaxPoolScatterOp<Adaptive>> {
  static std::string_view name() {
    return Adaptive ? "AdaptiveMaxPool2DBackwardBackward0" : "MaxPool2DWithIndicesBackwardBackward0";
  }
  using State = PoolParams;
  static Tensor forward(AutogradContext* ctx, const Tensor& grad_output, const Tensor& indices,
                        const PoolParams& p) {
    ctx->save_for_backward({indices});
    ctx->emplace_state<State>(p);
    const Tensor g = grad_output.contiguous();
    Tensor gin = make_tensor(p.in_sizes, g.dtype(), "pool2d backward");
    detail::dispatch_floating(g.dtype(), "max_pool2d_backward", [&]<typename T>() {
      kernels::max_pool2d_backward(p.shape, g.data_ptr<T>(), indices.data_ptr<int64_t>(), gin.data_ptr<T>());
    });
    return gin;
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list grads) {
    const Tensor idx = ctx->get_saved_variables()[0];
    if (!ctx->needs_input_grad(0)) return {Tensor(), Tensor()};
    return {gather_indices(grads[0], idx, ctx->state<State>()), Tensor()};
  }
};

template <bool Adaptive>
struct MaxPoolOp : autograd::Function<MaxPoolOp<Adaptive>> {
  static std::string_view name() { return Adaptive ? "AdaptiveMaxPool2DBackward0" : "MaxPool2DWithIndicesBackward0"; }
  using State = PoolParams;
  static autograd::variable_list forward(AutogradContext* ctx, const Tensor& input, const PoolParams& p) {
    const Tensor x = input.contiguous();
    Tensor out = make_tensor(p.out_sizes, x.dtype(), "max_pool2d");
    Tensor idx = make_tensor(p.out_sizes, kInt64, "max_pool2d");
    detail::dispatch_floating(x.dtype(), Adaptive ? "adaptive_max_pool2d" : "max_pool2d", [&]<typename T>() {
      if constexpr (Adaptive)
        kernels::adaptive_max_pool2d_forward(p.shape, x.data_ptr<T>(), out.data_ptr<T>(), idx.data_ptr<int64_t>());
      else
        kernels::max_pool2d_forward(p.shape, x.data_ptr<T>(), out.data_ptr<T>(), idx.data_ptr<int64_t>());
    });
    ctx->mark_non_differentiable({idx});
    ctx->save_for_backward({idx});
    ctx->emplace_state<State>(p);
    // The indices output never gets a gradient: without this, every backward would first fill
    // an output-sized zero tensor standing for it.
    ctx->set_materialize_grads(false);
    return {out, idx};
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list grads) {
    const Tensor idx = ctx->get_saved_variables()[0];
    // No gradient in, none out (as PyTorch's generated backward functions).
    if (!ctx->needs_input_grad(0) || !grads[0].defined()) return {Tensor()};
    return {MaxPoolScatterOp<Adaptive>::apply(grads[0], idx, ctx->state<State>())};
  }
};

// Values only, without recording indices: the inference path (no graph needed).
Tensor max_pool_values(const Tensor& input, const PoolParams& p) {
  const Tensor x = input.contiguous();
  Tensor out = make_tensor(p.out_sizes, x.dtype(), "max_pool2d");
  detail::dispatch_floating(x.dtype(), "max_pool2d", [&]<typename T>() {
    kernels::max_pool2d_forward(p.shape, x.data_ptr<T>(), out.data_ptr<T>(), nullptr);
  });
  return out;
}

// ---- average pools -------------------------------------------------------------------------------

template <bool Adaptive>
Tensor avg_forward_kernel(const Tensor& input, const PoolParams& p) {
  const Tensor x = input.contiguous();
  Tensor out = make_tensor(p.out_sizes, x.dtype(), "avg_pool2d");
  detail::dispatch_floating(x.dtype(), Adaptive ? "adaptive_avg_pool2d" : "avg_pool2d", [&]<typename T>() {
    if constexpr (Adaptive)
      kernels::adaptive_avg_pool2d_forward(p.shape, x.data_ptr<T>(), out.data_ptr<T>());
    else
      kernels::avg_pool2d_forward(p.shape, p.count_include_pad, p.divisor_override, x.data_ptr<T>(),
                                  out.data_ptr<T>());
  });
  return out;
}

template <bool Adaptive>
struct AvgPoolOp;

// grad_input of an average pool. Linear in grad_output with the pool itself as adjoint, so its
// backward is the forward pool again.
template <bool Adaptive>
struct AvgPoolBackwardOp : autograd::Function<AvgPoolBackwardOp<Adaptive>> {
  static std::string_view name() {
    return Adaptive ? "AdaptiveAvgPool2DBackwardBackward0" : "AvgPool2DBackwardBackward0";
  }
  using State = PoolParams;
  static Tensor forward(AutogradContext* ctx, const Tensor& grad_output, const PoolParams& p) {
    ctx->emplace_state<State>(p);
    const Tensor g = grad_output.contiguous();
    Tensor gin = make_tensor(p.in_sizes, g.dtype(), "avg_pool2d backward");
    detail::dispatch_floating(g.dtype(), Adaptive ? "adaptive_avg_pool2d_backward" : "avg_pool2d_backward",
                              [&]<typename T>() {
                                if constexpr (Adaptive)
                                  kernels::adaptive_avg_pool2d_backward(p.shape, g.data_ptr<T>(), gin.data_ptr<T>());
                                else
                                  kernels::avg_pool2d_backward(p.shape, p.count_include_pad, p.divisor_override,
                                                               g.data_ptr<T>(), gin.data_ptr<T>());
                              });
    return gin;
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list grads) {
    if (!ctx->needs_input_grad(0)) return {Tensor()};
    return {AvgPoolOp<Adaptive>::apply(grads[0], ctx->state<State>())};
  }
};

template <bool Adaptive>
struct AvgPoolOp : autograd::Function<AvgPoolOp<Adaptive>> {
  static std::string_view name() { return Adaptive ? "AdaptiveAvgPool2DBackward0" : "AvgPool2DBackward0"; }
  using State = PoolParams;
  static Tensor forward(AutogradContext* ctx, const Tensor& input, const PoolParams& p) {
    ctx->emplace_state<State>(p);
    return avg_forward_kernel<Adaptive>(input, p);
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list grads) {
    if (!ctx->needs_input_grad(0)) return {Tensor()};
    return {AvgPoolBackwardOp<Adaptive>::apply(grads[0], ctx->state<State>())};
  }
};

bool records_graph(const Tensor& input) { return GradMode::is_enabled() && input.requires_grad(); }

}  // namespace

// ---- ATen-level entry points ---------------------------------------------------------------------

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                                                   IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  const PoolParams p = window_params(input, "max_pool2d_with_indices", kernel_size, stride, padding, dilation, ceil_mode);
  auto outs = MaxPoolOp<false>::apply(input, p);
  return {outs[0], outs[1]};
}

Tensor max_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  IntArrayRef dilation, bool ceil_mode) {
  // Recorded here as well: without a graph the values-only path bypasses MaxPoolOp.
  XGRAD_RECORD_FUNCTION("max_pool2d", {input});
  const PoolParams p = window_params(input, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode);
  if (!records_graph(input)) return max_pool_values(input, p);
  return MaxPoolOp<false>::apply(input, p)[0];
}

Tensor avg_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override) {
  PoolParams p = window_params(input, "avg_pool2d", kernel_size, stride, padding, 1, ceil_mode);
  XGRAD_CHECK(!divisor_override.has_value() || *divisor_override != 0, ValueError,
              "avg_pool2d: divisor_override must not be zero");
  p.count_include_pad = count_include_pad;
  p.divisor_override = divisor_override.value_or(0);
  return AvgPoolOp<false>::apply(input, p);
}

Tensor adaptive_avg_pool2d(const Tensor& input, IntArrayRef output_size) {
  const PoolParams p = adaptive_params(input, "adaptive_avg_pool2d", output_size);
  return AvgPoolOp<true>::apply(input, p);
}

std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, IntArrayRef output_size) {
  const PoolParams p = adaptive_params(input, "adaptive_max_pool2d", output_size);
  auto outs = MaxPoolOp<true>::apply(input, p);
  return {outs[0], outs[1]};
}

// ---- nn::functional ------------------------------------------------------------------------------

namespace nn::functional {
namespace {
IntArrayRef ref(const ExpandingArray<2>& a) { return IntArrayRef(a->data(), 2); }

std::vector<int64_t> resolve_output_size(const Tensor& input, const ExpandingArrayWithOptionalElem<2>& size,
                                         const char* op) {
  XGRAD_CHECK(input.defined(), ValueError, "{}: input is an undefined tensor", op);
  XGRAD_CHECK(input.dim() >= 2, ShapeError, "{}: expected a 3-D or 4-D input, got {}-D input of size {}", op,
              input.dim(), to_string(input.sizes()));
  // A std::nullopt entry keeps the input's size in that dimension.
  return {size[0].value_or(input.size(-2)), size[1].value_or(input.size(-1))};
}
}  // namespace

Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return xgrad::max_pool2d(input, ref(o.kernel_size()), ref(o.stride()), ref(o.padding()), ref(o.dilation()),
                           o.ceil_mode());
}
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return xgrad::max_pool2d_with_indices(input, ref(o.kernel_size()), ref(o.stride()), ref(o.padding()),
                                        ref(o.dilation()), o.ceil_mode());
}
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& o) {
  return xgrad::avg_pool2d(input, ref(o.kernel_size()), ref(o.stride()), ref(o.padding()), o.ceil_mode(),
                           o.count_include_pad(), o.divisor_override());
}
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& o) {
  return xgrad::adaptive_avg_pool2d(input, resolve_output_size(input, o.output_size(), "adaptive_avg_pool2d"));
}
Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& o) {
  return std::get<0>(adaptive_max_pool2d_with_indices(input, o));
}
std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool2dFuncOptions& o) {
  return xgrad::adaptive_max_pool2d(input, resolve_output_size(input, o.output_size(), "adaptive_max_pool2d"));
}

}  // namespace nn::functional
}  // namespace xgrad
