// conv2d: argument checks and the autograd Function; the arithmetic is in kernels/conv.hpp.
#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/conv.hpp>

#include "core/checked.hpp"
#include "core/dispatch.hpp"
#include "kernels/conv.hpp"

#include <limits>
#include <new>
#include <string>
#include <variant>

namespace xgrad::nn::functional {
namespace {

using kernels::Conv2dShape;

std::string shape_str(const Tensor& t) { return xgrad::to_string(t.sizes()); }

// Validates the arguments of a batched conv2d and works out the kernel's shape.
Conv2dShape conv2d_shape(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& o) {
  XGRAD_CHECK(weight.dim() == 4, ShapeError,
              "conv2d: expected a 4-D weight [out_channels, in_channels / groups, kH, kW], got {}-D weight of size {}",
              weight.dim(), shape_str(weight));
  XGRAD_CHECK(input.dtype() == weight.dtype(), TypeError,
              "conv2d: input ({}) and weight ({}) must have the same dtype", dtype_name(input.dtype()),
              dtype_name(weight.dtype()));
  XGRAD_CHECK(input.is_floating_point(), TypeError,
              "conv2d: expected a floating-point input (float32 or float64), got {}", dtype_name(input.dtype()));
  const int64_t groups = o.groups();
  const auto& stride = o.stride();
  const auto& dilation = o.dilation();
  XGRAD_CHECK(groups > 0, ValueError, "conv2d: groups must be positive, got {}", groups);
  XGRAD_CHECK(stride[0] > 0 && stride[1] > 0, ValueError, "conv2d: stride must be positive, got [{}, {}]", stride[0],
              stride[1]);
  XGRAD_CHECK(dilation[0] > 0 && dilation[1] > 0, ValueError, "conv2d: dilation must be positive, got [{}, {}]",
              dilation[0], dilation[1]);

  Conv2dShape s;
  s.n = input.size(0);
  s.c_in = input.size(1);
  s.h = input.size(2);
  s.w = input.size(3);
  s.c_out = weight.size(0);
  s.kh = weight.size(2);
  s.kw = weight.size(3);
  s.sh = stride[0];
  s.sw = stride[1];
  s.dh = dilation[0];
  s.dw = dilation[1];
  s.groups = groups;
  XGRAD_CHECK(s.c_out % groups == 0, ShapeError,
              "conv2d: out_channels ({}) must be divisible by groups ({}) (weight {})", s.c_out, groups,
              shape_str(weight));
  XGRAD_CHECK(s.c_in == weight.size(1) * groups, ShapeError,
              "conv2d: input has {} channels, weight expects {} ({} per group x {} groups) (input {}, weight {})",
              s.c_in, weight.size(1) * groups, weight.size(1), groups, shape_str(input), shape_str(weight));
  XGRAD_CHECK(s.kh > 0 && s.kw > 0 && s.c_out > 0, ShapeError, "conv2d: weight has an empty dimension (weight {})",
              shape_str(weight));
  if (o.bias().defined()) {
    const Tensor& b = o.bias();
    XGRAD_CHECK(b.dim() == 1 && b.size(0) == s.c_out, ShapeError,
                "conv2d: expected a bias of size [{}] (one per output channel), got {} (weight {})", s.c_out,
                shape_str(b), shape_str(weight));
    XGRAD_CHECK(b.dtype() == weight.dtype(), TypeError, "conv2d: bias ({}) and weight ({}) must have the same dtype",
                dtype_name(b.dtype()), dtype_name(weight.dtype()));
  }

  // Padding: before = top/left, after = bottom/right.
  int64_t pad_before[2] = {0, 0};
  int64_t pad_after[2] = {0, 0};
  const int64_t k[2] = {s.kh, s.kw};
  const int64_t d[2] = {s.dh, s.dw};
  if (const auto* p = std::get_if<ExpandingArray<2>>(&o.padding())) {
    XGRAD_CHECK((*p)[0] >= 0 && (*p)[1] >= 0, ValueError, "conv2d: padding must be non-negative, got [{}, {}]",
                (*p)[0], (*p)[1]);
    for (int i = 0; i < 2; ++i) pad_before[i] = pad_after[i] = (*p)[i];
  } else if (std::holds_alternative<enumtype::kSame>(o.padding())) {
    XGRAD_CHECK(s.sh == 1 && s.sw == 1, ValueError,
                "conv2d: padding='same' is not supported for strided convolutions (stride [{}, {}])", s.sh, s.sw);
    // As PyTorch: total d(k-1); an odd total puts the extra row/column at the bottom/right.
    for (int i = 0; i < 2; ++i) {
      const int64_t total = xgrad::detail::checked_mul(d[i], k[i] - 1, "conv2d", "padding='same' (dilation * (kernel - 1))");
      pad_before[i] = total / 2;
      pad_after[i] = total - pad_before[i];
    }
  }  // kValid: no padding
  s.ph = pad_before[0];
  s.pw = pad_before[1];

  const int64_t in_sz[2] = {s.h, s.w};
  int64_t out_sz[2];
  // In 128-bit arithmetic: padding, dilation and stride may each be near INT64_MAX, and the
  // output size must then be right (or the kernel too large), never a wrapped value.
  using I = __int128;
  auto i128_str = [](I v) { return v > std::numeric_limits<int64_t>::max() ? std::string("> 2^63") : std::to_string(static_cast<int64_t>(v)); };
  for (int i = 0; i < 2; ++i) {
    const I padded = I(in_sz[i]) + pad_before[i] + pad_after[i];
    const I extent = I(d[i]) * (k[i] - 1) + 1;
    XGRAD_CHECK(padded >= extent, ShapeError,
                "conv2d: padded input size ({} along dimension {}) is smaller than the (dilated) kernel ({}) "
                "(input {}, weight {}, padding [{}, {}], dilation [{}, {}])",
                i128_str(padded), i + 2, i128_str(extent), shape_str(input), shape_str(weight), pad_before[0],
                pad_before[1], d[0], d[1]);
    // The kernels index the padded input in int64 (window starts, padded images): it must fit.
    XGRAD_CHECK(padded <= std::numeric_limits<int64_t>::max(), ValueError,
                "conv2d: padded input size along dimension {} overflows int64 (input {}, padding [{}, {}])", i + 2,
                shape_str(input), pad_before[0], pad_before[1]);
    const I out = (padded - extent) / (i == 0 ? s.sh : s.sw) + 1;
    XGRAD_CHECK(out <= std::numeric_limits<int64_t>::max(), ValueError,
                "conv2d: output size along dimension {} overflows int64 (input {}, padding [{}, {}])", i + 2,
                shape_str(input), pad_before[0], pad_before[1]);
    out_sz[i] = static_cast<int64_t>(out);
  }
  s.ho = out_sz[0];
  s.wo = out_sz[1];
  return s;
}

// Runs a kernel call; a std::bad_alloc from its serial parts (offset tables, partial sums)
// becomes an OutOfMemoryError naming the op and the shapes (parallel parts already throw one).
template <typename F>
void with_oom_context(const Conv2dShape& s, const char* what, F&& f) {
  try {
    f();
  } catch (const OutOfMemoryError& e) {  // scratch refused inside the kernel: add the shapes
    XGRAD_THROW(OutOfMemoryError, "{} (input [{}, {}, {}, {}], kernel [{}, {}], output [{}, {}])", e.what(), s.n,
                s.c_in, s.h, s.w, s.kh, s.kw, s.ho, s.wo);
  } catch (const std::bad_alloc&) {
    XGRAD_THROW(OutOfMemoryError,
                "{}: out of memory for the kernel's work buffers (input [{}, {}, {}, {}], kernel [{}, {}], output "
                "[{}, {}])",
                what, s.n, s.c_in, s.h, s.w, s.kh, s.kw, s.ho, s.wo);
  }
}

// The three passes of a convolution y = B(x, w), each a Function whose backward is made of the
// other two, so that gradients of any order flow (a gradient penalty through a conv):
//   forward      y  = B(x, w)        backward: gx = Dx(gy, w), gw = Dw(x, gy), gb = sum(gy)
//   input grad   gx = Dx(gy, w)      backward: d/dgy = B(h, w),  d/dw = Dw(h, gy)
//   weight grad  gw = Dw(x, gy)      backward: d/dx  = Dx(gy, H), d/dgy = B(x, H)
// (B is bilinear: <h, Dx(g, w)> = <g, B(h, w)> and <H, Dw(x, g)> = <g, B(x, H)>.) A first-order
// backward (grad mode off) calls both gradient kernels directly, with grad-bias fused into the
// grad-weight pass.
struct ConvolutionOp;
struct ConvInputGradOp;
struct ConvWeightGradOp;

Tensor conv_forward_kernel(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dShape& s) {
  const Tensor x = input.contiguous();
  const Tensor w = weight.contiguous();
  const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
  Tensor y = make_tensor({s.n, s.c_out, s.ho, s.wo}, x.dtype(), "conv2d");
  xgrad::detail::dispatch_floating(x.dtype(), "conv2d", [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>)
      with_oom_context(s, "conv2d", [&] {
        kernels::conv2d_forward<T>(s, x.data_ptr<T>(), w.data_ptr<T>(), b.defined() ? b.data_ptr<T>() : nullptr,
                                   y.data_ptr<T>());
      });
  });
  return y;
}

Tensor conv_input_grad_kernel(const Tensor& grad_output, const Tensor& weight, const Conv2dShape& s) {
  const Tensor gy = grad_output.contiguous();
  const Tensor w = weight.contiguous();
  Tensor gx = make_tensor({s.n, s.c_in, s.h, s.w}, gy.dtype(), "conv2d backward");
  xgrad::detail::dispatch_floating(gy.dtype(), "conv2d backward", [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>)
      with_oom_context(s, "conv2d backward", [&] {
        kernels::conv2d_backward_input<T>(s, gy.data_ptr<T>(), w.data_ptr<T>(), gx.data_ptr<T>());
      });
  });
  return gx;
}

// Grad-weight and/or grad-bias (either may be undefined when not wanted) in one kernel pass.
void conv_weight_grad_kernel(const Tensor& input, const Tensor& grad_output, const Conv2dShape& s, Tensor* gw,
                             Tensor* gb) {
  const Tensor gy = grad_output.contiguous();
  const Tensor x = gw ? input.contiguous() : Tensor();
  if (gw) *gw = make_tensor({s.c_out, s.cin_g(), s.kh, s.kw}, gy.dtype(), "conv2d backward");
  if (gb) *gb = make_tensor({s.c_out}, gy.dtype(), "conv2d backward");
  xgrad::detail::dispatch_floating(gy.dtype(), "conv2d backward", [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>)
      with_oom_context(s, "conv2d backward", [&] {
        kernels::conv2d_backward_weight<T>(s, gw ? x.data_ptr<T>() : nullptr, gy.data_ptr<T>(),
                                           gw ? gw->data_ptr<T>() : nullptr, gb ? gb->data_ptr<T>() : nullptr);
      });
  });
}

// The three conv ops keep the convolution's geometry (Conv2dShape) as their state: each
// backward is one of the others with the same geometry.
struct ConvolutionOp : autograd::Function<ConvolutionOp> {
  static std::string_view name() { return "ConvolutionBackward0"; }
  using State = Conv2dShape;

  static Tensor forward(AutogradContext* ctx, const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const Conv2dShape& s) {
    // grad-input needs the weight, grad-weight needs the input; grad-bias needs neither.
    ctx->save_for_backward({ctx->needs_input_grad(1) ? input : Tensor(), ctx->needs_input_grad(0) ? weight : Tensor()});
    ctx->emplace_state<State>(s);
    return conv_forward_kernel(input, weight, bias, s);
  }

  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list grads);
};

struct ConvInputGradOp : autograd::Function<ConvInputGradOp> {
  static std::string_view name() { return "ConvolutionBackwardBackward0"; }
  using State = Conv2dShape;
  static Tensor forward(AutogradContext* ctx, const Tensor& grad_output, const Tensor& weight, const Conv2dShape& s) {
    ctx->save_for_backward({ctx->needs_input_grad(1) ? grad_output : Tensor(), ctx->needs_input_grad(0) ? weight : Tensor()});
    ctx->emplace_state<State>(s);
    return conv_input_grad_kernel(grad_output, weight, s);
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list grads);
};

struct ConvWeightGradOp : autograd::Function<ConvWeightGradOp> {
  static std::string_view name() { return "ConvolutionBackwardBackward1"; }
  using State = Conv2dShape;
  static Tensor forward(AutogradContext* ctx, const Tensor& input, const Tensor& grad_output, const Conv2dShape& s) {
    ctx->save_for_backward({input, grad_output});
    ctx->emplace_state<State>(s);
    Tensor gw;
    conv_weight_grad_kernel(input, grad_output, s, &gw, nullptr);
    return gw;
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list grads);
};

autograd::variable_list ConvolutionOp::backward(AutogradContext* ctx, autograd::variable_list grads) {
  const auto saved = ctx->get_saved_variables();
  const Conv2dShape& s = ctx->state<State>();
  const Tensor& gy = grads[0];
  Tensor gx, gw, gb;
  if (GradMode::is_enabled()) {  // create_graph: every gradient is recorded
    if (ctx->needs_input_grad(0)) gx = ConvInputGradOp::apply(gy, saved[1], s);
    if (ctx->needs_input_grad(1)) gw = ConvWeightGradOp::apply(saved[0], gy, s);
    if (ctx->needs_input_grad(2)) gb = gy.sum({0, 2, 3});
    return {gx, gw, gb};
  }
  if (ctx->needs_input_grad(0)) gx = conv_input_grad_kernel(gy, saved[1], s);
  if (ctx->needs_input_grad(1) || ctx->needs_input_grad(2))
    conv_weight_grad_kernel(saved[0], gy, s, ctx->needs_input_grad(1) ? &gw : nullptr,
                            ctx->needs_input_grad(2) ? &gb : nullptr);
  return {gx, gw, gb};
}

autograd::variable_list ConvInputGradOp::backward(AutogradContext* ctx, autograd::variable_list grads) {
  const auto saved = ctx->get_saved_variables();  // {grad_output, weight}
  const Conv2dShape& s = ctx->state<State>();
  Tensor g_gy, g_w;
  if (ctx->needs_input_grad(0)) g_gy = ConvolutionOp::apply(grads[0], saved[1], Tensor(), s);
  if (ctx->needs_input_grad(1)) g_w = ConvWeightGradOp::apply(grads[0], saved[0], s);
  return {g_gy, g_w};
}

autograd::variable_list ConvWeightGradOp::backward(AutogradContext* ctx, autograd::variable_list grads) {
  const auto saved = ctx->get_saved_variables();  // {input, grad_output}
  const Conv2dShape& s = ctx->state<State>();
  Tensor g_x, g_gy;
  if (ctx->needs_input_grad(0)) g_x = ConvInputGradOp::apply(saved[1], grads[0], s);
  if (ctx->needs_input_grad(1)) g_gy = ConvolutionOp::apply(saved[0], grads[0], Tensor(), s);
  return {g_x, g_gy};
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options) {
  XGRAD_CHECK(input.defined() && weight.defined(), ValueError, "conv2d: input and weight must be defined tensors");
  XGRAD_CHECK(input.dim() == 3 || input.dim() == 4, ShapeError,
              "conv2d: expected a 3-D (unbatched) or 4-D (batched) input, got {}-D input of size {}", input.dim(),
              shape_str(input));
  // Unbatched input runs as a batch of one; as PyTorch, the squeeze is its own graph node.
  const bool batched = input.dim() == 4;
  const Tensor x = batched ? input : input.unsqueeze(0);
  const Conv2dShape s = conv2d_shape(x, weight, options);
  Tensor y = ConvolutionOp::apply(x, weight, options.bias(), s);
  return batched ? y : y.squeeze(0);
}

}  // namespace xgrad::nn::functional
