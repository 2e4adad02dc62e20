// Elementwise arithmetic, math functions and comparisons with NumPy broadcasting and PyTorch's
// type promotion, plus the in-place updates used by optimisers and initialisers.
//
// Every loop has a fast path for contiguous operands of the same shape (and for a scalar
// operand) written as a plain indexed loop, so -O3 vectorises it; the general case walks rows
// with detail::for_each_row, broadcasting through stride-0 dimensions.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/strided.hpp"
#include "core/tensor_internal.hpp"
#include "kernels/unary.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

namespace xgrad {

using autograd::variable_list;

namespace {

// ---- type promotion -------------------------------------------------------------------------

// bool < integer < floating, as PyTorch's categories for promotion with 0-dim tensors/scalars.
int category(ScalarType t) {
  if (t == kBool) return 0;
  if (is_complex(t)) return 3;
  return is_integral(t, false) ? 1 : 2;
}

}  // namespace

// PyTorch's promoteTypes over xgrad's storage dtypes: the wider floating type wins; among
// integers the wider one, except uint8 with int8, which need int16 to hold both ranges.
ScalarType promote_types(ScalarType a, ScalarType b) {
  if (a == b) return a;
  if (!is_supported(a)) detail::throw_unsupported_dtype(a, "promote_types");
  if (!is_supported(b)) detail::throw_unsupported_dtype(b, "promote_types");
  // A complex type with anything: complex, of the wider precision (complex64 with float64 is
  // complex128, as PyTorch).
  if (is_complex(a) || is_complex(b)) {
    const bool wide = a == kComplexDouble || b == kComplexDouble || a == kFloat64 || b == kFloat64;
    return wide ? kComplexDouble : kComplexFloat;
  }
  if (a == kFloat64 || b == kFloat64) return kFloat64;
  if (a == kFloat32 || b == kFloat32) return kFloat32;
  if (a == kBool) return b;
  if (b == kBool) return a;
  if ((a == kUInt8 && b == kInt8) || (a == kInt8 && b == kUInt8)) return kInt16;
  return element_size(a) >= element_size(b) ? a : b;
}

namespace {

// PyTorch's result_type for two tensors: a 0-dim tensor only takes part when its category is
// higher than that of the dimensioned one (float32 [n] + float64 0-dim -> float32).
ScalarType result_type(const Tensor& a, const Tensor& b) {
  const bool za = a.dim() == 0, zb = b.dim() == 0;
  if (za == zb) return promote_types(a.dtype(), b.dtype());
  const Tensor& d = za ? b : a;
  const Tensor& z = za ? a : b;
  return category(z.dtype()) > category(d.dtype()) ? z.dtype() : d.dtype();
}

// The dtype a Scalar takes part with, as PyTorch's wrapped numbers: its category's default.
ScalarType wrapped_type(const Scalar& s) {
  if (s.isFloatingPoint()) return get_default_dtype_as_scalartype();
  return s.isBoolean() ? kBool : kInt64;
}

// PyTorch's result_type(tensor, scalar): the Scalar's kind, not its value, counts, and only
// when its category is higher (int64 [n] * 2 -> int64, * 2.5 -> float32; float32 * 2.5 ->
// float32).
ScalarType result_type_scalar(ScalarType t, const Scalar& s) {
  const ScalarType w = wrapped_type(s);
  return category(w) > category(t) ? w : t;
}

// `s` converted to the element type T as the operand of an arithmetic op: an int64 Scalar
// converts exactly (not through double) and wraps into a narrower integer type, as PyTorch
// (uint8 + 300 adds 44); a floating one truncates into int64 (ValueError when it cannot).
template <typename T>
T scalar_as(const Scalar& s) {
  if constexpr (std::is_same_v<T, bool>)
    return s.toBool();
  else if constexpr (detail::is_int_v<T>)
    return static_cast<T>(s.toLong());
  else
    return s.isFloatingPoint() ? static_cast<T>(s.toDouble()) : static_cast<T>(s.toLong());
}

// `s` as T where PyTorch converts with an overflow check (clamp bounds, fill_): ValueError when
// the value does not fit T, as PyTorch's "value cannot be converted to type uint8_t without
// overflow". A floating value truncates toward zero.
template <typename T>
T scalar_checked(const Scalar& s, const char* op) {
  if constexpr (detail::is_int_v<T>) {
    if (s.isFloatingPoint()) {
      const double v = s.toDouble();
      XGRAD_CHECK(detail::fits_after_trunc<T>(v), ValueError,
                  "{}: value {} cannot be converted to type {} without overflow", op, v,
                  dtype_name(scalar_type_of<T>()));
      return static_cast<T>(v);
    }
    const int64_t v = s.toLong();
    XGRAD_CHECK(std::in_range<T>(v), ValueError, "{}: value {} cannot be converted to type {} without overflow", op,
                v, dtype_name(scalar_type_of<T>()));
    return static_cast<T>(v);
  } else {
    return scalar_as<T>(s);
  }
}

// An integral bound for an integer tensor of dtype t must be a value of t (PyTorch: "value cannot
// be converted to type int8_t without overflow"); the cast to T would otherwise be undefined.
void check_int_bound(ScalarType t, double bound, const char* op) {
  if (!is_integral(t, false)) return;
  detail::dispatch_all(t, op, [&]<typename T>() {
    if constexpr (detail::is_int_v<T>)
      XGRAD_CHECK(detail::fits_after_trunc<T>(bound), ValueError,
                  "{}: value {} cannot be converted to type {} without overflow", op, bound, dtype_name(t));
  });
}

// PyTorch's alpha_check for add/sub with result dtype `t`.
void check_alpha(ScalarType t, const Scalar& alpha, const char* name) {
  XGRAD_CHECK(!alpha.isBoolean() || t == kBool, TypeError,
              "{}: boolean alpha is only supported for bool results (result type {})", name, dtype_name(t));
  XGRAD_CHECK(is_floating_point(t) || alpha.isIntegral(true), TypeError,
              "{}: for integral input tensors, argument alpha must not be a floating point number (alpha {}, "
              "result type {})",
              name, alpha.toDouble(), dtype_name(t));
}

// A result of dtype `need` written into a tensor of dtype `self` (PyTorch's canCast: no
// floating into integral, nothing but bool into bool).
void check_can_cast(ScalarType need, ScalarType self, const char* name) {
  XGRAD_CHECK(category(need) <= category(self), TypeError,
              "{}: result type {} can't be cast to the desired output type {}", name, dtype_name(need),
              dtype_name(self));
}

// The dtype of true division and floating functions of integers: the default dtype, as PyTorch.
ScalarType float_type(ScalarType t) { return category(t) < 2 ? get_default_dtype_as_scalartype() : t; }

// `t` converted to `dtype`, never recorded in the graph (used inside kernels only).
Tensor as_type(const Tensor& t, ScalarType dtype) {
  if (t.dtype() == dtype) return t;
  AutoGradMode guard(false);
  return t.detach().to(dtype);
}

// A double that converts to int64 exactly (no UB from NaN, infinities or out-of-range values).
bool is_integral_value(double v) { return std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 9.2e18; }

// Integer arithmetic wraps around (two's complement, as PyTorch) instead of overflowing, which
// would be undefined behaviour for signed types: computed in uint64_t, then narrowed modulo 2^n. bool + is "or", bool * is "and" (PyTorch's results).
template <typename T>
inline T add_w(T x, T y) {
  if constexpr (detail::is_int_v<T>)
    return static_cast<T>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));
  else if constexpr (std::is_same_v<T, bool>)
    return x || y;
  else
    return x + y;
}
template <typename T>
inline T sub_w(T x, T y) {
  if constexpr (detail::is_int_v<T>)
    return static_cast<T>(static_cast<uint64_t>(x) - static_cast<uint64_t>(y));
  else if constexpr (std::is_same_v<T, bool>)
    return x != y;
  else
    return x - y;
}
template <typename T>
inline T mul_w(T x, T y) {
  if constexpr (detail::is_int_v<T>)
    return static_cast<T>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
  else if constexpr (std::is_same_v<T, bool>)
    return x && y;
  else
    return x * y;
}
template <typename T>
inline T neg_w(T x) {
  if constexpr (detail::is_int_v<T>)
    return static_cast<T>(uint64_t{0} - static_cast<uint64_t>(x));
  else
    return -x;
}

// ---- loops ----------------------------------------------------------------------------------

// Merges adjacent dims that every operand walks as one (stride[d] == stride[d+1] * size[d+1]),
// so rows get longer: a [N, C, H, W] + [1, C, 1, 1] bias add runs rows of H*W, not W.
template <size_t N>
void coalesce(DimVector& sizes, std::array<DimVector, N>& strides) {
  if (sizes.size() < 2) return;
  size_t out = 0;
  for (size_t d = 1; d < sizes.size(); ++d) {
    bool merge = true;
    for (size_t k = 0; k < N; ++k)
      if (strides[k][out] != strides[k][d] * sizes[d]) merge = false;
    if (merge) {
      sizes[out] *= sizes[d];
      for (size_t k = 0; k < N; ++k) strides[k][out] = strides[k][d];
    } else {
      ++out;
      sizes[out] = sizes[d];
      for (size_t k = 0; k < N; ++k) strides[k][out] = strides[k][d];
    }
  }
  sizes.resize(out + 1);
  for (size_t k = 0; k < N; ++k) strides[k].resize(out + 1);
}

// out = op(x) elementwise; out is fresh and contiguous with x's sizes.
template <typename R, typename T, typename Op>
void unary_loop(const Tensor& out, const Tensor& x, Op op) {
  R* o = detail::typed_data<R>(out);
  const T* p = detail::typed_data<T>(x);
  const int64_t n = out.numel();
  if (x.is_contiguous()) {
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<R>(op(p[i]));
    return;
  }
  const auto& so = out.impl()->strides;
  const auto& sx = x.impl()->strides;
  detail::for_each_row<2>(x.sizes(), {so.data(), sx.data()}, [&](const auto& base, int64_t cnt, const auto& st) {
    R* oo = o + base[0];
    const T* xx = p + base[1];
    const int64_t s = st[1];
    for (int64_t i = 0; i < cnt; ++i) oo[i] = static_cast<R>(op(xx[i * s]));
  });
}

// out = op(a, b) with broadcasting; out is fresh and contiguous with the broadcast sizes.
template <typename R, typename T, typename Op>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, Op op) {
  R* o = detail::typed_data<R>(out);
  const T* pa = detail::typed_data<T>(a);
  const T* pb = detail::typed_data<T>(b);
  const int64_t n = out.numel();
  if (n == 0) return;
  const bool a_full = a.sizes() == out.sizes() && a.is_contiguous();
  const bool b_full = b.sizes() == out.sizes() && b.is_contiguous();
  if (a_full && b_full) {
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<R>(op(pa[i], pb[i]));
    return;
  }
  // One value seen everywhere: a single element, or a view expanded from one (a reduction's
  // gradient, `g.expand(sizes)`), whose strides are all zero.
  auto one_value = [](const Tensor& t) {
    if (t.numel() == 1) return true;
    for (int64_t st : t.strides())
      if (st != 0) return false;
    return true;
  };
  if (a_full && one_value(b)) {
    const T s = pb[0];
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<R>(op(pa[i], s));
    return;
  }
  if (b_full && one_value(a)) {
    const T s = pa[0];
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<R>(op(s, pb[i]));
    return;
  }
  DimVector sizes(out.sizes());
  std::array<DimVector, 3> st3{DimVector(out.strides()), detail::broadcast_strides(a, out.sizes()),
                               detail::broadcast_strides(b, out.sizes())};
  coalesce(sizes, st3);
  detail::for_each_row<3>(sizes, {st3[0].data(), st3[1].data(), st3[2].data()},
                          [&](const auto& base, int64_t cnt, const auto& st) {
                            R* oo = o + base[0];
                            const T* x = pa + base[1];
                            const T* y = pb + base[2];
                            if (st[1] == 1 && st[2] == 1) {
                              for (int64_t i = 0; i < cnt; ++i) oo[i] = static_cast<R>(op(x[i], y[i]));
                            } else if (st[1] == 1 && st[2] == 0) {
                              const T s = *y;
                              for (int64_t i = 0; i < cnt; ++i) oo[i] = static_cast<R>(op(x[i], s));
                            } else if (st[1] == 0 && st[2] == 1) {
                              const T s = *x;
                              for (int64_t i = 0; i < cnt; ++i) oo[i] = static_cast<R>(op(s, y[i]));
                            } else {
                              for (int64_t i = 0; i < cnt; ++i)
                                oo[i] = static_cast<R>(op(x[i * st[1]], y[i * st[2]]));
                            }
                          });
}

// Broadcast binary op computed in `compute` type, result of dtype `out_type`.
template <typename Op>
Tensor binary_kernel(const Tensor& a, const Tensor& b, ScalarType compute, ScalarType out_type, const char* name,
                     Op op) {
  detail::check_defined(a, name);
  detail::check_defined(b, name);
  const auto shape = detail::broadcast_shapes_impl(a.sizes(), b.sizes(), name);
  Tensor out = make_tensor(shape, out_type, name);
  const Tensor ca = as_type(a, compute);
  const Tensor cb = as_type(b, compute);
  detail::dispatch_all(compute, name, [&]<typename T>() {
    if (out_type == kBool)
      binary_loop<bool, T>(out, ca, cb, op);
    else
      binary_loop<T, T>(out, ca, cb, op);
  });
  return out;
}

// Unary op with the same output type as its (converted) input.
template <typename Op>
Tensor unary_kernel(const Tensor& x, ScalarType compute, const char* name, Op op) {
  detail::check_defined(x, name);
  Tensor out = make_tensor(x.sizes(), compute, name);
  const Tensor cx = as_type(x, compute);
  detail::dispatch_all(compute, name, [&]<typename T>() { unary_loop<T, T>(out, cx, op); });
  return out;
}

template <typename Op>
Tensor unary_float(const Tensor& x, const char* name, Op op) {
  detail::check_defined(x, name);
  const ScalarType t = float_type(x.dtype());
  Tensor out = make_tensor(x.sizes(), t, name);
  const Tensor cx = as_type(x, t);
  detail::dispatch_floating(t, name, [&]<typename T>() { unary_loop<T, T>(out, cx, op); });
  return out;
}

// Tensor ∘ scalar computed in dtype `t`: the scalar is converted to the computation type
// first, as PyTorch. `op(x, v)` gets elements and the converted scalar as T.
template <typename Op>
Tensor scalar_kernel(const Tensor& a, const Scalar& s, ScalarType t, const char* name, Op op) {
  detail::check_defined(a, name);
  Tensor out = make_tensor(a.sizes(), t, name);
  const Tensor ca = as_type(a, t);
  detail::dispatch_all(t, name, [&]<typename T>() {
    const T v = scalar_as<T>(s);
    unary_loop<T, T>(out, ca, [v, &op](T x) { return static_cast<T>(op(x, v)); });
  });
  return out;
}

// Gradient `g` of a broadcast result, reduced to and typed like input `in`.
Tensor grad_like(const Tensor& g, const Tensor& in) {
  Tensor r = sum_to(g, in.sizes());
  if (r.dtype() != in.dtype() && is_floating_point(in.dtype())) r = r.to(in.dtype());
  return r;
}

// The engine keeps a node's own saved output without its graph (no reference cycle), so a
// backward that runs with create_graph recomputes the output from the saved input instead:
// first-order backward stays cheap and higher-order gradients stay exact.
template <typename F>
Tensor output_for_backward(const variable_list& saved, F recompute) {
  if (GradMode::is_enabled() && saved[0].requires_grad()) return recompute(saved[0]);
  return saved[1];
}

void check_no_bool_sub(const Tensor& a, const Tensor& b, const char* name) {
  XGRAD_CHECK(!(a.dtype() == kBool && b.dtype() == kBool), TypeError,
              "{}: subtraction of two bool tensors is not supported; use logical ops or convert to int64", name);
}
// PyTorch's sub_check with a Scalar operand: no bool on either side.
void check_no_bool_sub(ScalarType a, const Scalar& b, const char* name) {
  XGRAD_CHECK(a != kBool && !b.isBoolean(), TypeError,
              "{}: subtraction with a bool tensor or bool Scalar is not supported; use logical_not to invert a "
              "mask, or convert to int64",
              name);
}

// ---- differentiable binary ops ----------------------------------------------------------------

// What the gradient of a broadcast operand needs from forward: its sizes (to sum the gradient
// back to) and its dtype (a float32 gradient goes back to a float64 operand as float64). The
// operand itself is not kept: add/sub/where gradients do not depend on its values.
struct OperandMeta {
  DimVector sizes;
  ScalarType dtype;
};
OperandMeta operand_meta(const Tensor& t) { return {DimVector(t.sizes()), t.dtype()}; }

// g * scale summed to operand `m`'s shape, or undefined when input `i` needs no gradient.
Tensor reduce_grad(AutogradContext* ctx, const Tensor& g, const OperandMeta& m, size_t i, double scale) {
  if (!ctx->needs_input_grad(i)) return {};
  Tensor r = sum_to(scale == 1.0 ? g : g * scale, m.sizes);
  if (r.dtype() != m.dtype && is_floating_point(m.dtype)) r = r.to(m.dtype);
  return r;
}

// a + alpha * b and a - alpha * b.
struct AddSubState {
  double alpha;
  OperandMeta a, b;
};

struct AddOp : autograd::Function<AddOp> {
  static std::string_view name() { return "AddBackward0"; }
  using State = AddSubState;
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b, const Scalar& alpha) {
    const ScalarType t = result_type(a, b);
    check_alpha(t, alpha, "add");
    ctx->emplace_state<State>(alpha.toDouble(), operand_meta(a), operand_meta(b));
    if (alpha.equal(1) || alpha.equal(true))
      return binary_kernel(a, b, t, t, "add", [](auto x, auto y) { return add_w(x, y); });
    return binary_kernel(a, b, t, t, "add", [al = alpha](auto x, auto y) {
      using T = decltype(x);
      return add_w(x, mul_w(scalar_as<T>(al), y));
    });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const State& s = ctx->state<State>();
    return {reduce_grad(ctx, g[0], s.a, 0, 1.0), reduce_grad(ctx, g[0], s.b, 1, s.alpha)};
  }
};

struct SubOp : autograd::Function<SubOp> {
  static std::string_view name() { return "SubBackward0"; }
  using State = AddSubState;
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b, const Scalar& alpha) {
    check_no_bool_sub(a, b, "sub");
    const ScalarType t = result_type(a, b);
    check_alpha(t, alpha, "sub");
    ctx->emplace_state<State>(alpha.toDouble(), operand_meta(a), operand_meta(b));
    if (alpha.equal(1)) return binary_kernel(a, b, t, t, "sub", [](auto x, auto y) { return sub_w(x, y); });
    return binary_kernel(a, b, t, t, "sub", [al = alpha](auto x, auto y) {
      using T = decltype(x);
      return sub_w(x, mul_w(scalar_as<T>(al), y));
    });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const State& s = ctx->state<State>();
    return {reduce_grad(ctx, g[0], s.a, 0, 1.0), reduce_grad(ctx, g[0], s.b, 1, -s.alpha)};
  }
};

struct MulOp : autograd::Function<MulOp> {
  static std::string_view name() { return "MulBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
    ctx->save_for_backward({a, b});
    const ScalarType t = result_type(a, b);
    if (t == kBool) return binary_kernel(a, b, t, t, "mul", [](bool x, bool y) { return x && y; });
    return binary_kernel(a, b, t, t, "mul", [](auto x, auto y) { return mul_w(x, y); });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = grad_like(g[0] * s[1], s[0]);
    if (ctx->needs_input_grad(1)) gb = grad_like(g[0] * s[0], s[1]);
    return {ga, gb};
  }
};

struct DivOp : autograd::Function<DivOp> {
  static std::string_view name() { return "DivBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
    ctx->save_for_backward({a, b});
    // True division: integers divide as float32, as PyTorch.
    const ScalarType t = float_type(result_type(a, b));
    return binary_kernel(a, b, t, t, "div", [](auto x, auto y) { return x / y; });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = grad_like(g[0] / s[1], s[0]);
    if (ctx->needs_input_grad(1)) gb = grad_like(-g[0] * s[0] / (s[1] * s[1]), s[1]);
    return {ga, gb};
  }
};

// ---- tensor ∘ scalar --------------------------------------------------------------------------

// a + alpha * s (a - alpha * s for Sub), computed in PyTorch's result type.
template <bool Sub>
struct AddScalarOp : autograd::Function<AddScalarOp<Sub>> {
  static std::string_view name() { return Sub ? "SubBackward0" : "AddBackward0"; }
  static Tensor forward(AutogradContext*, const Tensor& a, const Scalar& s, const Scalar& alpha) {
    const char* op = Sub ? "sub" : "add";
    if constexpr (Sub) check_no_bool_sub(a.dtype(), s, op);
    const ScalarType t = result_type_scalar(a.dtype(), s);
    check_alpha(t, alpha, op);
    const bool unit = alpha.equal(1) || alpha.equal(true);
    return scalar_kernel(a, s, t, op, [unit, al = alpha](auto x, auto v) {
      using T = decltype(x);
      const T w = unit ? v : mul_w(scalar_as<T>(al), v);
      if constexpr (Sub)
        return sub_w(x, w);
      else
        return add_w(x, w);
    });
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

struct DivScalarOp : autograd::Function<DivScalarOp> {
  static std::string_view name() { return "DivBackward0"; }
  struct State {
    double divisor;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Scalar& s) {
    ctx->emplace_state<State>(s.toDouble());
    // True division: integral tensors and Scalars divide as float32. Dividing (not
    // multiplying by 1/s) keeps results bit-identical to PyTorch.
    return scalar_kernel(x, s, float_type(result_type_scalar(x.dtype(), s)), "div",
                         [](auto v, auto d) { return v / d; });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] / ctx->state<State>().divisor};
  }
};

// s - a as LibTorch's C++ operator computes it: a tensor like `a` filled with s (converted to
// a's dtype), minus a; so the result keeps a's dtype (`2.5 - int_tensor` is int64 2 - a).
struct RsubScalarOp : autograd::Function<RsubScalarOp> {
  static std::string_view name() { return "RsubBackward1"; }
  static Tensor forward(AutogradContext*, const Tensor& a, const Scalar& s) {
    XGRAD_CHECK(a.dtype() != kBool, TypeError,
                "rsub: subtraction with a bool tensor is not supported; use logical_not to invert a mask");
    return scalar_kernel(a, s, a.dtype(), "rsub", [](auto x, auto v) { return sub_w(v, x); });
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {-g[0]}; }
};

struct MulScalarOp : autograd::Function<MulScalarOp> {
  static std::string_view name() { return "MulBackward0"; }
  struct State {
    double factor;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Scalar& s) {
    ctx->emplace_state<State>(s.toDouble());
    return scalar_kernel(a, s, result_type_scalar(a.dtype(), s), "mul", [](auto x, auto v) { return mul_w(x, v); });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * ctx->state<State>().factor};
  }
};

// s / a as LibTorch's C++ operator computes it: a's dtype filled with s, divided in place by a,
// so an integral `a` is a TypeError (the float quotient cannot be written into it).
struct RdivScalarOp : autograd::Function<RdivScalarOp> {
  static std::string_view name() { return "MulBackward0"; }  // PyTorch computes s * a.reciprocal()
  struct State {
    double numerator;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Scalar& s) {
    check_can_cast(float_type(a.dtype()), a.dtype(), "div_");
    ctx->emplace_state<State>(s.toDouble());
    ctx->save_for_backward({a});
    return scalar_kernel(a, s, a.dtype(), "div", [](auto x, auto v) { return v / x; });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto a = ctx->get_saved_variables()[0];
    return {-g[0] * ctx->state<State>().numerator / (a * a)};
  }
};

struct NegOp : autograd::Function<NegOp> {
  static std::string_view name() { return "NegBackward0"; }
  static Tensor forward(AutogradContext*, const Tensor& a) {
    XGRAD_CHECK(a.dtype() != kBool, TypeError, "neg: negation of a bool tensor is not supported; use logical_not");
    return unary_kernel(a, a.dtype(), "neg", [](auto x) { return neg_w(x); });
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {-g[0]}; }
};

// ---- unary math -------------------------------------------------------------------------------

struct ExpOp : autograd::Function<ExpOp> {
  static std::string_view name() { return "ExpBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor r;
    if (x.dtype() == kFloat32 && x.is_contiguous()) {
      r = make_tensor(x.sizes(), kFloat32);
      kernels::exp_forward(detail::typed_data<float>(x), detail::typed_data<float>(r), x.numel());  // SIMD, <= 1 ulp
    } else {
      r = unary_float(x, "exp", [](auto v) { return std::exp(v); });
    }
    ctx->save_for_backward({x, r});
    return r;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * output_for_backward(ctx->get_saved_variables(), [](const Tensor& x) { return x.exp(); })};
  }
};

struct LogOp : autograd::Function<LogOp> {
  static std::string_view name() { return "LogBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return unary_float(x, "log", [](auto v) { return std::log(v); });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] / ctx->get_saved_variables()[0]};
  }
};

struct SqrtOp : autograd::Function<SqrtOp> {
  static std::string_view name() { return "SqrtBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor r = unary_float(x, "sqrt", [](auto v) { return std::sqrt(v); });
    ctx->save_for_backward({x, r});
    return r;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] / (2.0 * output_for_backward(ctx->get_saved_variables(), [](const Tensor& x) { return x.sqrt(); }))};
  }
};

struct RsqrtOp : autograd::Function<RsqrtOp> {
  static std::string_view name() { return "RsqrtBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor r = unary_float(x, "rsqrt", [](auto v) {
      using T = decltype(v);
      return T(1) / std::sqrt(v);
    });
    ctx->save_for_backward({x, r});
    return r;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto r = output_for_backward(ctx->get_saved_variables(), [](const Tensor& x) { return x.rsqrt(); });
    return {-0.5 * g[0] * r * r * r};
  }
};

// sign(x) as a constant (no graph): the derivative of abs.
Tensor sign_of(const Tensor& x) {
  return unary_kernel(x, x.dtype(), "sign", [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_same_v<T, bool>)
      return v;
    else
      return static_cast<T>((T(0) < v) - (v < T(0)));
  });
}

struct AbsOp : autograd::Function<AbsOp> {
  static std::string_view name() { return "AbsBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return unary_kernel(x, x.dtype(), "abs", [](auto v) {
      using T = decltype(v);
      if constexpr (std::is_same_v<T, bool>)
        return v;
      else
        return v < T(0) ? neg_w(v) : v;
    });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * sign_of(ctx->get_saved_variables()[0])};
  }
};

// PyTorch's sign: its gradient is zero everywhere.
struct SignOp : autograd::Function<SignOp> {
  static std::string_view name() { return "SignBackward0"; }
  static Tensor forward(AutogradContext*, const Tensor& x) { return sign_of(x); }
  static variable_list backward(AutogradContext*, variable_list g) { return {zeros_like(g[0])}; }
};

struct SinOp : autograd::Function<SinOp> {
  static std::string_view name() { return "SinBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return unary_float(x, "sin", [](auto v) { return std::sin(v); });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * ctx->get_saved_variables()[0].cos()};
  }
};

struct CosOp : autograd::Function<CosOp> {
  static std::string_view name() { return "CosBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return unary_float(x, "cos", [](auto v) { return std::cos(v); });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {-g[0] * ctx->get_saved_variables()[0].sin()};
  }
};

struct PowScalarOp : autograd::Function<PowScalarOp> {
  static std::string_view name() { return "PowBackward0"; }
  struct State {
    double exponent;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Scalar& exponent) {
    const ScalarType t = result_type_scalar(x.dtype(), exponent);
    if (is_integral(t, true)) {
      // Integral base and exponent: exact integer power (wrapping as PyTorch), no graph.
      const int64_t p = exponent.toLong();
      XGRAD_CHECK(p >= 0, ValueError, "pow: integers to negative integer powers are not allowed (exponent {})", p);
      if (t == kBool) return unary_kernel(x, kBool, "pow", [p](bool v) { return p == 0 || v; });
      return unary_kernel(x, t, "pow", [p](auto b) {
        using T = decltype(b);
        T acc = 1;
        for (int64_t q = p; q > 0; q >>= 1, b = mul_w(b, b))
          if (q & 1) acc = mul_w(acc, b);
        return acc;
      });
    }
    const double e = exponent.toDouble();
    ctx->save_for_backward({x});
    ctx->emplace_state<State>(e);
    if (e == 2.0) return unary_kernel(x, t, "pow", [](auto v) { return v * v; });
    if (e == 1.0) return as_type(x, t).clone();
    if (e == 0.5) return unary_float(x, "pow", [](auto v) { return std::sqrt(v); });
    return unary_float(x, "pow", [e](auto v) {
      using T = decltype(v);
      return static_cast<T>(std::pow(v, static_cast<T>(e)));
    });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const double e = ctx->state<State>().exponent;
    auto x = ctx->get_saved_variables()[0];
    if (e == 0.0) return {g[0] * 0.0};
    if (e == 1.0) return {g[0]};
    if (e == 2.0) {
      // Without create_graph, one pass and one tensor instead of two ops (the squared error of
      // every regression loop); x + x is the 2.0 * x of the graph form, bit for bit.
      if (!GradMode::is_enabled())
        return {binary_kernel(g[0], x, result_type(g[0], x), result_type(g[0], x), "pow_backward",
                              [](auto gv, auto xv) { return gv * (xv + xv); })};
      return {g[0] * (2.0 * x)};
    }
    return {g[0] * (e * x.pow(e - 1.0))};
  }
};

struct PowTensorOp : autograd::Function<PowTensorOp> {
  static std::string_view name() { return "PowBackward1"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& e) {
    const ScalarType t = result_type(x, e);
    Tensor r;
    if (is_integral(t, false)) {
      r = binary_kernel(x, e, t, t, "pow", [](auto b, auto p) {
        using T = decltype(b);
        if constexpr (detail::is_int_v<T>) {
          if (std::is_signed_v<T> && p < 0) return T(b == 1 ? 1 : (b == -1 ? ((p & 1) ? -1 : 1) : 0));
          T acc = 1;
          for (T base = b; p > 0; p >>= 1, base = mul_w(base, base))
            if (p & 1) acc = mul_w(acc, base);
          return acc;
        } else {
          return static_cast<T>(std::pow(b, p));
        }
      });
    } else {
      const ScalarType ft = float_type(t);
      r = binary_kernel(x, e, ft, ft, "pow", [](auto b, auto p) { return std::pow(b, p); });
    }
    ctx->save_for_backward({x, e, r});
    return r;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    const Tensor &x = s[0], &e = s[1];
    const bool higher_order = GradMode::is_enabled() && (x.requires_grad() || e.requires_grad());
    const Tensor r = higher_order ? x.pow(e) : s[2];
    Tensor gx, ge;
    if (ctx->needs_input_grad(0)) gx = grad_like(where(e == 0.0, zeros_like(r), g[0] * e * x.pow(e - 1.0)), x);
    if (ctx->needs_input_grad(1)) {
      // d/de x^e = x^e log x, taken as 0 where x == 0 and e >= 0 (as PyTorch) to avoid 0 * -inf.
      Tensor mask = (x == 0.0).mul(e >= 0.0);
      ge = grad_like(where(mask, zeros_like(r), g[0] * r * x.log()), e);
    }
    return {gx, ge};
  }
};

struct ClampOp : autograd::Function<ClampOp> {
  static std::string_view name() { return "ClampBackward1"; }
  struct State {
    std::optional<double> lo, hi;  // an absent bound clamps nothing on its side
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const std::optional<Scalar>& lo,
                        const std::optional<Scalar>& hi) {
    XGRAD_CHECK(lo.has_value() || hi.has_value(), ValueError, "clamp: at least one of 'min' or 'max' must be given");
    XGRAD_CHECK(x.dtype() != kBool, TypeError, "clamp: not supported for bool tensors");
    ctx->save_for_backward({x});
    ctx->emplace_state<State>(lo ? std::optional<double>(lo->toDouble()) : std::nullopt,
                              hi ? std::optional<double>(hi->toDouble()) : std::nullopt);
    // The bounds take part in type promotion as Scalars (PyTorch 1.13): int64.clamp(0.5, 2)
    // is float32, int64.clamp(0, 1) stays int64.
    ScalarType t = x.dtype();
    if (lo) t = result_type_scalar(t, *lo);
    if (hi) t = result_type_scalar(t, *hi);
    return unary_kernel(x, t, "clamp", [lo, hi](auto v) {
      using T = decltype(v);
      if constexpr (!std::is_same_v<T, bool>) {
        if (lo && v < scalar_checked<T>(*lo, "clamp")) v = scalar_checked<T>(*lo, "clamp");
        if (hi && v > scalar_checked<T>(*hi, "clamp")) v = scalar_checked<T>(*hi, "clamp");
      }
      return v;
    });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto x = ctx->get_saved_variables()[0];
    Tensor mask;
    {
      AutoGradMode guard(false);
      const std::optional<double> lo = ctx->state<State>().lo, hi = ctx->state<State>().hi;
      // The gradient passes where min <= x <= max (bounds included), as PyTorch.
      mask = unary_kernel(x, x.dtype(), "clamp_backward", [lo, hi](auto v) {
        using T = decltype(v);
        const bool in = (!lo || v >= static_cast<T>(*lo)) && (!hi || v <= static_cast<T>(*hi));
        return static_cast<T>(in ? 1 : 0);
      });
    }
    return {g[0] * mask};
  }
};

// log1p and expm1 (beside exp and log): exact for small |x|, where log(1 + x) and exp(x) - 1
// lose every digit to cancellation.
struct Log1pOp : autograd::Function<Log1pOp> {
  static std::string_view name() { return "Log1PBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return unary_float(x, "log1p", [](auto v) { return std::log1p(v); });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] / (ctx->get_saved_variables()[0] + 1.0)};
  }
};

struct Expm1Op : autograd::Function<Expm1Op> {
  static std::string_view name() { return "Expm1Backward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor r = unary_float(x, "expm1", [](auto v) { return std::expm1(v); });
    ctx->save_for_backward({x, r});
    return r;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * (output_for_backward(ctx->get_saved_variables(), [](const Tensor& x) { return x.expm1(); }) + 1.0)};
  }
};

// clamp with one bound (clamp_min: IsMin), its own node as in PyTorch.
template <bool IsMin>
struct ClampBoundOp : autograd::Function<ClampBoundOp<IsMin>> {
  static std::string_view name() { return IsMin ? "ClampMinBackward0" : "ClampMaxBackward0"; }
  using State = double;  // the bound
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double bound) {
    const char* op = IsMin ? "clamp_min" : "clamp_max";
    XGRAD_CHECK(x.dtype() != kBool, TypeError, "{}: not supported for bool tensors", op);
    ctx->save_for_backward({x});
    ctx->emplace_state<State>(bound);
    ScalarType t = x.dtype();
    if (is_integral(t, false) && !is_integral_value(bound)) t = get_default_dtype_as_scalartype();
    check_int_bound(t, bound, op);
    return unary_kernel(x, t, op, [bound](auto v) {
      using T = decltype(v);
      const T b = static_cast<T>(bound);
      // Written so NaN passes through, as PyTorch.
      if constexpr (IsMin)
        return v < b ? b : v;
      else
        return v > b ? b : v;
    });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor x = ctx->get_saved_variables()[0];
    const double bound = ctx->state<State>();
    Tensor mask;
    {
      AutoGradMode guard(false);
      // The gradient passes where x >= min (x <= max), bound included, as PyTorch.
      mask = (IsMin ? x >= bound : x <= bound).to(g[0].dtype());
    }
    return {g[0] * mask};
  }
};

// Ternary loop for where(): out = c ? a : b, all broadcast to `shape`.
template <typename T>
void where_loop(const Tensor& out, const Tensor& c, const Tensor& a, const Tensor& b) {
  T* o = detail::typed_data<T>(out);
  const bool* pc = detail::typed_data<bool>(c);
  const T* pa = detail::typed_data<T>(a);
  const T* pb = detail::typed_data<T>(b);
  const auto so = out.impl()->strides;
  const auto sc = detail::broadcast_strides(c, out.sizes());
  const auto sa = detail::broadcast_strides(a, out.sizes());
  const auto sb = detail::broadcast_strides(b, out.sizes());
  detail::for_each_row<4>(out.sizes(), {so.data(), sc.data(), sa.data(), sb.data()},
                          [&](const auto& base, int64_t cnt, const auto& st) {
                            T* oo = o + base[0];
                            const bool* cc = pc + base[1];
                            const T* x = pa + base[2];
                            const T* y = pb + base[3];
                            for (int64_t i = 0; i < cnt; ++i) oo[i] = cc[i * st[1]] ? x[i * st[2]] : y[i * st[3]];
                          });
}

struct WhereOp : autograd::Function<WhereOp> {
  static std::string_view name() { return "WhereBackward0"; }
  struct State {
    OperandMeta a, b;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& c, const Tensor& a, const Tensor& b) {
    detail::check_defined(c, "where");
    detail::check_defined(a, "where");
    detail::check_defined(b, "where");
    XGRAD_CHECK(c.dtype() == kBool, TypeError, "where: condition must be a bool tensor, got {}", dtype_name(c.dtype()));
    auto shape = broadcast_shapes(broadcast_shapes(c.sizes(), a.sizes(), "where"), b.sizes(), "where");
    const ScalarType t = result_type(a, b);
    ctx->save_for_backward({c});
    ctx->emplace_state<State>(operand_meta(a), operand_meta(b));
    Tensor out = make_tensor(shape, t, "where");
    const Tensor ca = as_type(a, t), cb = as_type(b, t);
    detail::dispatch_all(t, "where", [&]<typename T>() { where_loop<T>(out, c, ca, cb); });
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto c = ctx->get_saved_variables()[0];
    Tensor ga, gb;
    Tensor zero = zeros({}, g[0].dtype());
    const State& s = ctx->state<State>();
    if (ctx->needs_input_grad(1)) ga = reduce_grad(ctx, where(c, g[0], zero), s.a, 1, 1.0);
    if (ctx->needs_input_grad(2)) gb = reduce_grad(ctx, where(c, zero, g[0]), s.b, 2, 1.0);
    return {Tensor(), ga, gb};
  }
};

// maximum/minimum: ties share the gradient equally (PyTorch's rule).
template <bool IsMax>
struct MaxMinOp : autograd::Function<MaxMinOp<IsMax>> {
  static std::string_view name() { return IsMax ? "MaximumBackward0" : "MinimumBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
    ctx->save_for_backward({a, b});
    const ScalarType t = result_type(a, b);
    return binary_kernel(a, b, t, t, IsMax ? "maximum" : "minimum", [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
      }
      if constexpr (IsMax)
        return x > y ? x : y;
      else
        return x < y ? x : y;
    });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor wa;
    {
      AutoGradMode guard(false);
      const ScalarType t = g[0].dtype();
      const Tensor win = IsMax ? (s[0] > s[1]) : (s[0] < s[1]);
      wa = as_type(win, t) + as_type(s[0] == s[1], t) * 0.5;
    }
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = grad_like(g[0] * wa, s[0]);
    if (ctx->needs_input_grad(1)) gb = grad_like(g[0] * (1.0 - wa), s[1]);
    return {ga, gb};
  }
};

// ---- comparisons ------------------------------------------------------------------------------

enum class Cmp { EQ, NE, LT, LE, GT, GE };

constexpr const char* cmp_name(Cmp c) {
  switch (c) {
    case Cmp::EQ: return "eq";
    case Cmp::NE: return "ne";
    case Cmp::LT: return "lt";
    case Cmp::LE: return "le";
    case Cmp::GT: return "gt";
    case Cmp::GE: return "ge";
  }
  return "cmp";
}

template <Cmp C>
struct CmpFn {
  template <typename T>
  bool operator()(T x, T y) const {
    if constexpr (C == Cmp::EQ) return x == y;
    if constexpr (C == Cmp::NE) return x != y;
    if constexpr (C == Cmp::LT) return x < y;
    if constexpr (C == Cmp::LE) return x <= y;
    if constexpr (C == Cmp::GT) return x > y;
    if constexpr (C == Cmp::GE) return x >= y;
  }
};

template <Cmp C>
Tensor compare(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, cmp_name(C));
  detail::check_defined(b, cmp_name(C));
  return binary_kernel(a, b, result_type(a, b), kBool, cmp_name(C), CmpFn<C>{});
}

template <Cmp C>
Tensor compare(const Tensor& a, const Scalar& s) {
  detail::check_defined(a, cmp_name(C));
  // Compared in PyTorch's result type: int64 labels == 3 exactly in int64, int64 == 2.5 in
  // float32, float32 == 0.1 in float32 (0.1 rounded to float first).
  const ScalarType t = result_type_scalar(a.dtype(), s);
  Tensor out = make_tensor(a.sizes(), kBool, cmp_name(C));
  const Tensor ca = as_type(a, t);
  detail::dispatch_all(t, cmp_name(C), [&]<typename T>() {
    const T v = scalar_as<T>(s);
    unary_loop<bool, T>(out, ca, [v](T x) { return CmpFn<C>{}(x, v); });
  });
  return out;
}

// ---- in-place ---------------------------------------------------------------------------------

// self = op(self, other) with `other` broadcast to self's sizes, computed in self's dtype.
// When autograd must record the op (detail::inplace_records), `out_of_place()` computes the
// op's out-of-place twin with the graph and autograd::rebase_history writes it into self: the
// gradient is the out-of-place op's.
template <typename Op, typename OutOfPlace>
void inplace_binary(const Tensor& self, const Tensor& other, const char* name, ScalarType needed, Op op,
                    OutOfPlace out_of_place) {
  detail::check_defined(other, name);
  const bool record = detail::inplace_records(self, name, {other});
  detail::check_no_internal_overlap(self, name);
  const auto shape = detail::broadcast_shapes_impl(self.sizes(), other.sizes(), name);
  XGRAD_CHECK(IntArrayRef(shape) == self.sizes(), ShapeError,
              "{}: output with shape {} doesn't match the broadcast shape {} (other has shape {})", name,
              to_string(self.sizes()), to_string(shape), to_string(other.sizes()));
  check_can_cast(needed, self.dtype(), name);
  if (record) {
    autograd::rebase_history(self, out_of_place(), name);
    return;
  }
  Tensor src = as_type(other, self.dtype());
  // A source overlapping self in a different layout would be read after being written.
  if (src.impl()->storage == self.impl()->storage &&
      !(src.storage_offset() == self.storage_offset() && src.sizes() == self.sizes() &&
        src.strides() == self.strides())) {
    AutoGradMode guard(false);
    src = src.detach().clone();
  }
  // Same-shaped contiguous operands (an optimizer's or a hand-written update) need no strides.
  const bool flat = self.is_contiguous() && src.sizes() == self.sizes() && src.is_contiguous();
  DimVector sizes;
  std::array<DimVector, 2> st2;
  if (!flat) {
    sizes = DimVector(self.sizes());
    st2 = {DimVector(self.strides()), detail::broadcast_strides(src, self.sizes())};
    coalesce(sizes, st2);
  }
  detail::dispatch_all(self.dtype(), name, [&]<typename T>() {
    T* o = detail::typed_data<T>(self);
    const T* p = detail::typed_data<T>(src);
    const int64_t n = self.numel();
    if (flat) {
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(op(o[i], p[i]));
      return;
    }
    detail::for_each_row<2>(sizes, {st2[0].data(), st2[1].data()}, [&](const auto& base, int64_t cnt, const auto& s) {
      T* oo = o + base[0];
      const T* x = p + base[1];
      if (s[0] == 1 && s[1] == 1) {
        for (int64_t i = 0; i < cnt; ++i) oo[i] = static_cast<T>(op(oo[i], x[i]));
      } else if (s[0] == 1 && s[1] == 0) {
        const T v = *x;
        for (int64_t i = 0; i < cnt; ++i) oo[i] = static_cast<T>(op(oo[i], v));
      } else {
        for (int64_t i = 0; i < cnt; ++i) oo[i * s[0]] = static_cast<T>(op(oo[i * s[0]], x[i * s[1]]));
      }
    });
  });
  detail::bump_version(self);
}

// self = f(self) elementwise, any strides.
template <typename F>
void inplace_apply(const Tensor& self, const char* name, F f) {
  const auto& st = self.impl()->strides;
  detail::dispatch_all(self.dtype(), name, [&]<typename T>() {
    T* o = detail::typed_data<T>(self);
    if (self.is_contiguous()) {
      const int64_t n = self.numel();
      for (int64_t i = 0; i < n; ++i) o[i] = f(o[i]);
      return;
    }
    detail::for_each_row<1>(self.sizes(), {st.data()}, [&](const auto& base, int64_t cnt, const auto& s) {
      T* oo = o + base[0];
      for (int64_t i = 0; i < cnt; ++i) oo[i * s[0]] = f(oo[i * s[0]]);
    });
  });
}

// self = op(self, s) computed in self's dtype; `needed` is the op's result type, which must be
// castable to self's dtype (PyTorch: `int_tensor.add_(1.5)` is an error, `.add_(1)` is not).
// Recorded as inplace_binary.
template <typename Op, typename OutOfPlace>
void inplace_scalar(const Tensor& self, const Scalar& s, ScalarType needed, const char* name, Op op,
                    OutOfPlace out_of_place) {
  detail::check_defined(self, name);
  const bool record = detail::inplace_records(self, name);
  detail::check_no_internal_overlap(self, name);
  check_can_cast(needed, self.dtype(), name);
  if (record) {
    autograd::rebase_history(self, out_of_place(), name);
    return;
  }
  inplace_apply(self, name, [&op, &s](auto x) {
    using T = decltype(x);
    return static_cast<T>(op(x, scalar_as<T>(s)));
  });
  detail::bump_version(self);
}

}  // namespace

// ---- public: binary arithmetic --------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  detail::check_defined(a, "add");
  detail::check_defined(b, "add");
  return AddOp::apply(a, b, alpha);
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  detail::check_defined(a, "sub");
  detail::check_defined(b, "sub");
  return SubOp::apply(a, b, alpha);
}
Tensor mul(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "mul");
  detail::check_defined(b, "mul");
  return MulOp::apply(a, b);
}
Tensor div(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "div");
  detail::check_defined(b, "div");
  return DivOp::apply(a, b);
}
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  detail::check_defined(a, "add");
  return AddScalarOp<false>::apply(a, b, alpha);
}
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  detail::check_defined(a, "sub");
  return AddScalarOp<true>::apply(a, b, alpha);
}
Tensor mul(const Tensor& a, const Scalar& b) {
  detail::check_defined(a, "mul");
  return MulScalarOp::apply(a, b);
}
Tensor div(const Tensor& a, const Scalar& b) {
  detail::check_defined(a, "div");
  return DivScalarOp::apply(a, b);
}
Tensor neg(const Tensor& x) {
  detail::check_defined(x, "neg");
  return NegOp::apply(x);
}

Tensor Tensor::add(const Tensor& other, const Scalar& alpha) const { return xgrad::add(*this, other, alpha); }
Tensor Tensor::sub(const Tensor& other, const Scalar& alpha) const { return xgrad::sub(*this, other, alpha); }
Tensor Tensor::mul(const Tensor& other) const { return xgrad::mul(*this, other); }
Tensor Tensor::div(const Tensor& other) const { return xgrad::div(*this, other); }
Tensor Tensor::add(const Scalar& other, const Scalar& alpha) const { return xgrad::add(*this, other, alpha); }
Tensor Tensor::sub(const Scalar& other, const Scalar& alpha) const { return xgrad::sub(*this, other, alpha); }
Tensor Tensor::mul(const Scalar& other) const { return xgrad::mul(*this, other); }
Tensor Tensor::div(const Scalar& other) const { return xgrad::div(*this, other); }
Tensor Tensor::neg() const { return xgrad::neg(*this); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }

Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, b); }
Tensor operator+(const Scalar& a, const Tensor& b) { return add(b, a); }
Tensor operator-(const Scalar& a, const Tensor& b) {
  detail::check_defined(b, "rsub");
  return RsubScalarOp::apply(b, a);
}
Tensor operator*(const Scalar& a, const Tensor& b) { return mul(b, a); }
Tensor operator/(const Scalar& a, const Tensor& b) {
  detail::check_defined(b, "div");
  return RdivScalarOp::apply(b, a);
}

// ---- public: unary math -------------------------------------------------------------------------

#define XGRAD_UNARY(fn, Op)                 \
  Tensor fn(const Tensor& x) {              \
    detail::check_defined(x, #fn);          \
    return Op::apply(x);                    \
  }                                         \
  Tensor Tensor::fn() const { return xgrad::fn(*this); }

XGRAD_UNARY(exp, ExpOp)
XGRAD_UNARY(log, LogOp)
XGRAD_UNARY(sqrt, SqrtOp)
XGRAD_UNARY(rsqrt, RsqrtOp)
XGRAD_UNARY(abs, AbsOp)
XGRAD_UNARY(sign, SignOp)
XGRAD_UNARY(sin, SinOp)
XGRAD_UNARY(cos, CosOp)
#undef XGRAD_UNARY

Tensor pow(const Tensor& x, const Scalar& exponent) {
  detail::check_defined(x, "pow");
  return PowScalarOp::apply(x, exponent);
}
Tensor pow(const Tensor& x, const Tensor& exponent) {
  detail::check_defined(x, "pow");
  detail::check_defined(exponent, "pow");
  return PowTensorOp::apply(x, exponent);
}
Tensor Tensor::pow(const Scalar& exponent) const { return xgrad::pow(*this, exponent); }
Tensor Tensor::pow(const Tensor& exponent) const { return xgrad::pow(*this, exponent); }
Tensor square(const Tensor& x) {
  detail::check_defined(x, "square");
  // PyTorch squares integers exactly (an integer exponent); pow(x, 2.0) would give float32.
  if (is_integral(x.dtype(), false)) return x * x;
  return pow(x, 2.0);
}
Tensor Tensor::square() const { return xgrad::square(*this); }

Tensor clamp(const Tensor& x, const std::optional<Scalar>& min, const std::optional<Scalar>& max) {
  detail::check_defined(x, "clamp");
  return ClampOp::apply(x, min, max);
}
Tensor Tensor::clamp(const std::optional<Scalar>& min, const std::optional<Scalar>& max) const {
  return xgrad::clamp(*this, min, max);
}

Tensor log1p(const Tensor& x) {
  detail::check_defined(x, "log1p");
  return Log1pOp::apply(x);
}
Tensor expm1(const Tensor& x) {
  detail::check_defined(x, "expm1");
  return Expm1Op::apply(x);
}
Tensor Tensor::log1p() const { return xgrad::log1p(*this); }
Tensor Tensor::expm1() const { return xgrad::expm1(*this); }
Tensor clamp_min(const Tensor& x, double min) {
  detail::check_defined(x, "clamp_min");
  return ClampBoundOp<true>::apply(x, min);
}
Tensor clamp_max(const Tensor& x, double max) {
  detail::check_defined(x, "clamp_max");
  return ClampBoundOp<false>::apply(x, max);
}
Tensor Tensor::clamp_min(double min) const { return xgrad::clamp_min(*this, min); }
Tensor Tensor::clamp_max(double max) const { return xgrad::clamp_max(*this, max); }

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) { return WhereOp::apply(condition, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "maximum");
  detail::check_defined(b, "maximum");
  return MaxMinOp<true>::apply(a, b);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "minimum");
  detail::check_defined(b, "minimum");
  return MaxMinOp<false>::apply(a, b);
}

// ---- public: comparisons --------------------------------------------------------------------------

#define XGRAD_CMP(fn, C, op)                                                              \
  Tensor fn(const Tensor& a, const Tensor& b) { return compare<C>(a, b); }                \
  Tensor Tensor::fn(const Tensor& other) const { return compare<C>(*this, other); }       \
  Tensor fn(const Tensor& a, const Scalar& b) { return compare<C>(a, b); }                \
  Tensor Tensor::fn(const Scalar& other) const { return compare<C>(*this, other); }       \
  Tensor operator op(const Tensor& a, const Tensor& b) { return compare<C>(a, b); }       \
  Tensor operator op(const Tensor& a, const Scalar& b) { return compare<C>(a, b); }

XGRAD_CMP(eq, Cmp::EQ, ==)
XGRAD_CMP(ne, Cmp::NE, !=)
XGRAD_CMP(lt, Cmp::LT, <)
XGRAD_CMP(le, Cmp::LE, <=)
XGRAD_CMP(gt, Cmp::GT, >)
XGRAD_CMP(ge, Cmp::GE, >=)
#undef XGRAD_CMP

namespace {
// equal / allclose with a complex side: both sides broadcast and read as complex128, and
// pred(x, y) must hold for every pair.
template <typename P>
bool all_pairs_complex(const Tensor& a, const Tensor& b, const char* op, P pred) {
  AutoGradMode guard(false);
  const auto shape = broadcast_shapes(a.sizes(), b.sizes(), op);
  const Tensor ca = a.expand(shape).to(kComplexDouble, false, /*copy=*/true);
  const Tensor cb = b.expand(shape).to(kComplexDouble, false, /*copy=*/true);
  const auto* x = static_cast<const complex<double>*>(ca.data_ptr());
  const auto* y = static_cast<const complex<double>*>(cb.data_ptr());
  for (int64_t i = 0; i < ca.numel(); ++i)
    if (!pred(x[i], y[i])) return false;
  return true;
}
}  // namespace

bool equal(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "equal");
  detail::check_defined(b, "equal");
  if (a.sizes() != b.sizes()) return false;
  if (is_complex(a.dtype()) || is_complex(b.dtype()))
    return all_pairs_complex(a, b, "equal", [](complex<double> x, complex<double> y) { return x == y; });
  AutoGradMode guard(false);
  const Tensor e = compare<Cmp::EQ>(a, b);
  const bool* p = detail::typed_data<bool>(e);
  return std::all_of(p, p + e.numel(), [](bool v) { return v; });
}
bool Tensor::equal(const Tensor& other) const { return xgrad::equal(*this, other); }

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  detail::check_defined(a, "allclose");
  detail::check_defined(b, "allclose");
  // Complex values are close when their difference's modulus is (PyTorch's rule).
  if (is_complex(a.dtype()) || is_complex(b.dtype()))
    return all_pairs_complex(a, b, "allclose", [rtol, atol](complex<double> x, complex<double> y) {
      if (x == y) return true;
      return std::abs(x - y) <= atol + rtol * std::abs(y);  // false when a part is NaN or infinite
    });
  AutoGradMode guard(false);
  const Tensor close = binary_kernel(a, b, kFloat64, kBool, "allclose", [rtol, atol](double x, double y) {
    if (x == y) return true;  // equal infinities
    return std::abs(x - y) <= atol + rtol * std::abs(y);  // false when either is NaN
  });
  const bool* p = detail::typed_data<bool>(close);
  return std::all_of(p, p + close.numel(), [](bool v) { return v; });
}
bool Tensor::allclose(const Tensor& other, double rtol, double atol) const {
  return xgrad::allclose(*this, other, rtol, atol);
}

Tensor isnan(const Tensor& x) {
  detail::check_defined(x, "isnan");
  Tensor out = make_tensor(x.sizes(), kBool, "isnan");
  detail::dispatch_all(x.dtype(), "isnan", [&]<typename T>() {
    unary_loop<bool, T>(out, x, [](T v) {
      if constexpr (std::is_floating_point_v<T>)
        return std::isnan(v);
      else
        return false;
    });
  });
  return out;
}

// ---- public: in-place -----------------------------------------------------------------------------
// In-place methods are const (a Tensor is a handle, as in LibTorch): they write the shared
// tensor and return the handle they were called on.

namespace {
// fill_ and zero_ recorded in the graph (LibTorch's FillBackward2 / ZeroBackward0): the result
// does not depend on self's old values, whose gradient is zero.
template <bool Zero>
struct FillOp : autograd::Function<FillOp<Zero>> {
  static std::string_view name() { return Zero ? "ZeroBackward0" : "FillBackward2"; }  // PyTorch 1.13's names
  static Tensor forward(AutogradContext*, const Tensor& self, const Scalar& value) {
    Tensor out = make_tensor(self.sizes(), self.dtype(), Zero ? "zero_" : "fill_");
    out.fill_(value);  // forward runs with grad mode off: a plain fill
    return out;
  }
  static autograd::variable_list backward(AutogradContext*, autograd::variable_list g) { return {zeros_like(g[0])}; }
};
}  // namespace

Tensor& Tensor::fill_(const Scalar& value) const {
  detail::check_defined(*this, "fill_");
  if (detail::inplace_records(*this, "fill_")) {
    detail::dispatch_all(dtype(), "fill_", [&]<typename T>() { (void)scalar_checked<T>(value, "fill_"); });
    autograd::rebase_history(*this, FillOp<false>::apply(*this, value), "fill_");
    return const_cast<Tensor&>(*this);
  }
  // A floating value truncates into an integer dtype (as PyTorch); NaN, inf or a value out of
  // the dtype's range would be undefined behaviour, so they are refused (PyTorch refuses too).
  detail::dispatch_all(dtype(), "fill_", [&]<typename T>() {
    const T v = scalar_checked<T>(value, "fill_");
    inplace_apply(*this, "fill_", [v](auto x) { return static_cast<decltype(x)>(v); });
  });
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
}

Tensor& Tensor::zero_() const {
  if (detail::inplace_records(*this, "zero_")) {
    autograd::rebase_history(*this, FillOp<true>::apply(*this, Scalar(0)), "zero_");
    return const_cast<Tensor&>(*this);
  }
  return fill_(0);
}

Tensor& Tensor::add_(const Tensor& other, const Scalar& alpha) const {
  detail::check_defined(other, "add_");
  detail::check_defined(*this, "add_");
  const ScalarType need = result_type(*this, other);
  check_alpha(need, alpha, "add_");
  const auto oop = [&] { return xgrad::add(*this, other, alpha); };
  if (alpha.equal(1) || alpha.equal(true))
    inplace_binary(*this, other, "add_", need, [](auto x, auto y) { return add_w(x, y); }, oop);
  else
    inplace_binary(
        *this, other, "add_", need,
        [&alpha](auto x, auto y) {
          using T = decltype(x);
          return add_w(x, mul_w(scalar_as<T>(alpha), y));
        },
        oop);
  return const_cast<Tensor&>(*this);
}
Tensor& Tensor::sub_(const Tensor& other, const Scalar& alpha) const {
  detail::check_defined(other, "sub_");
  detail::check_defined(*this, "sub_");
  check_no_bool_sub(*this, other, "sub_");
  const ScalarType need = result_type(*this, other);
  check_alpha(need, alpha, "sub_");
  const auto oop = [&] { return xgrad::sub(*this, other, alpha); };
  if (alpha.equal(1))
    inplace_binary(*this, other, "sub_", need, [](auto x, auto y) { return sub_w(x, y); }, oop);
  else
    inplace_binary(
        *this, other, "sub_", need,
        [&alpha](auto x, auto y) {
          using T = decltype(x);
          return sub_w(x, mul_w(scalar_as<T>(alpha), y));
        },
        oop);
  return const_cast<Tensor&>(*this);
}
Tensor& Tensor::mul_(const Tensor& other) const {
  detail::check_defined(other, "mul_");
  detail::check_defined(*this, "mul_");
  inplace_binary(*this, other, "mul_", result_type(*this, other), [](auto x, auto y) { return mul_w(x, y); },
                 [&] { return xgrad::mul(*this, other); });
  return const_cast<Tensor&>(*this);
}
Tensor& Tensor::div_(const Tensor& other) const {
  detail::check_defined(other, "div_");
  detail::check_defined(*this, "div_");
  inplace_binary(*this, other, "div_", float_type(result_type(*this, other)), [](auto x, auto y) { return x / y; },
                 [&] { return xgrad::div(*this, other); });
  return const_cast<Tensor&>(*this);
}
Tensor& Tensor::add_(const Scalar& other, const Scalar& alpha) const {
  detail::check_defined(*this, "add_");
  const ScalarType need = result_type_scalar(dtype(), other);
  check_alpha(need, alpha, "add_");
  const bool unit = alpha.equal(1) || alpha.equal(true);
  inplace_scalar(
      *this, other, need, "add_",
      [unit, &alpha](auto x, auto v) {
        using T = decltype(x);
        return add_w(x, unit ? v : mul_w(scalar_as<T>(alpha), v));
      },
      [&] { return xgrad::add(*this, other, alpha); });
  return const_cast<Tensor&>(*this);
}
Tensor& Tensor::sub_(const Scalar& other, const Scalar& alpha) const {
  detail::check_defined(*this, "sub_");
  check_no_bool_sub(dtype(), other, "sub_");
  const ScalarType need = result_type_scalar(dtype(), other);
  check_alpha(need, alpha, "sub_");
  const bool unit = alpha.equal(1);
  inplace_scalar(
      *this, other, need, "sub_",
      [unit, &alpha](auto x, auto v) {
        using T = decltype(x);
        return sub_w(x, unit ? v : mul_w(scalar_as<T>(alpha), v));
      },
      [&] { return xgrad::sub(*this, other, alpha); });
  return const_cast<Tensor&>(*this);
}
Tensor& Tensor::mul_(const Scalar& other) const {
  detail::check_defined(*this, "mul_");
  inplace_scalar(
      *this, other, result_type_scalar(dtype(), other), "mul_", [](auto x, auto v) { return mul_w(x, v); },
      [&] { return xgrad::mul(*this, other); });
  return const_cast<Tensor&>(*this);
}
Tensor& Tensor::div_(const Scalar& other) const {
  detail::check_defined(*this, "div_");
  inplace_scalar(
      *this, other, float_type(result_type_scalar(dtype(), other)), "div_", [](auto x, auto v) { return x / v; },
      [&] { return xgrad::div(*this, other); });
  return const_cast<Tensor&>(*this);
}

Tensor& Tensor::clamp_(const std::optional<Scalar>& min, const std::optional<Scalar>& max) const {
  detail::check_defined(*this, "clamp_");
  const bool record = detail::inplace_records(*this, "clamp_");
  detail::check_no_internal_overlap(*this, "clamp_");
  XGRAD_CHECK(min.has_value() || max.has_value(), ValueError, "clamp_: at least one of 'min' or 'max' must be given");
  XGRAD_CHECK(dtype() != kBool, TypeError, "clamp_: not supported for bool tensors");
  if (min) check_can_cast(result_type_scalar(dtype(), *min), dtype(), "clamp_");
  if (max) check_can_cast(result_type_scalar(dtype(), *max), dtype(), "clamp_");
  if (record) {
    autograd::rebase_history(*this, xgrad::clamp(*this, min, max), "clamp_");
    return const_cast<Tensor&>(*this);
  }
  inplace_apply(*this, "clamp_", [&min, &max](auto v) {
    using T = decltype(v);
    if constexpr (!std::is_same_v<T, bool>) {
      if (min && v < scalar_as<T>(*min)) v = scalar_as<T>(*min);
      if (max && v > scalar_as<T>(*max)) v = scalar_as<T>(*max);
    }
    return v;
  });
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
}

// pow_ computes pow out of place and writes the result into self: the same values as pow (its
// special cases for 0.5, 1 and 2, integer powers), and, when recorded, pow's node.
namespace {
// pow_'s last step: pow's out-of-place result becomes self's values, recorded as self's new
// history when the op is recorded.
template <typename Pow>
Tensor& pow_result_into(const Tensor& self, bool record, Pow pow) {
  if (record) {
    autograd::rebase_history(self, pow(), "pow_");
  } else {
    AutoGradMode no_grad(false);
    self.copy_(pow());
  }
  return const_cast<Tensor&>(self);
}
}  // namespace

Tensor& Tensor::pow_(const Scalar& exponent) const {
  detail::check_defined(*this, "pow_");
  const bool record = detail::inplace_records(*this, "pow_");
  detail::check_no_internal_overlap(*this, "pow_");
  const ScalarType need = result_type_scalar(dtype(), exponent);
  check_can_cast(need, dtype(), "pow_");
  XGRAD_CHECK(!is_integral(need, true) || exponent.toLong() >= 0, ValueError,
              "pow_: Integers to negative integer powers are not allowed (a {} tensor to the power {})",
              dtype_name(dtype()), exponent.toLong());
  return pow_result_into(*this, record, [&] { return xgrad::pow(*this, exponent); });
}

Tensor& Tensor::pow_(const Tensor& exponent) const {
  detail::check_defined(*this, "pow_");
  detail::check_defined(exponent, "pow_");
  const bool record = detail::inplace_records(*this, "pow_", {exponent});
  detail::check_no_internal_overlap(*this, "pow_");
  const auto shape = broadcast_shapes(sizes(), exponent.sizes(), "pow_");
  XGRAD_CHECK(IntArrayRef(shape) == sizes(), ShapeError,
              "pow_: output with shape {} doesn't match the broadcast shape {} (exponent has shape {})",
              xgrad::to_string(sizes()), xgrad::to_string(shape), xgrad::to_string(exponent.sizes()));
  const ScalarType t = result_type(*this, exponent);
  check_can_cast(is_integral(t, false) ? t : float_type(t), dtype(), "pow_");
  // pow reads the exponent before anything is written, so x.pow_(x) is safe.
  return pow_result_into(*this, record, [&] { return xgrad::pow(*this, exponent); });
}

namespace {
// clamp_min_ / clamp_max_: clamp_'s checks and loop with one bound, under the op's own name.
template <bool IsMin>
Tensor& clamp_bound_(Tensor& self, double bound) {
  const char* op = IsMin ? "clamp_min_" : "clamp_max_";
  detail::check_defined(self, op);
  const bool record = detail::inplace_records(self, op);
  detail::check_no_internal_overlap(self, op);
  XGRAD_CHECK(self.dtype() != kBool, TypeError, "{}: not supported for bool tensors", op);
  // The bound is a double here; an integral value is what an integer tensor can take in place.
  XGRAD_CHECK(is_floating_point(self.dtype()) || is_integral_value(bound), TypeError,
              "{}: result type float32 (bound {}) can't be cast to the desired output type {}", op, bound,
              dtype_name(self.dtype()));
  check_int_bound(self.dtype(), bound, op);
  if (record) {
    autograd::rebase_history(self, IsMin ? clamp_min(self, bound) : clamp_max(self, bound), op);
    return self;
  }
  inplace_apply(self, op, [bound](auto v) {
    using T = decltype(v);
    const T b = static_cast<T>(bound);
    if constexpr (IsMin)
      return v < b ? b : v;
    else
      return v > b ? b : v;
  });
  detail::bump_version(self);
  return self;
}
}  // namespace
// const as LibTorch's in-place methods: a Tensor is a handle, and writing through it leaves the handle alone.
Tensor& Tensor::clamp_min_(double min) const { return clamp_bound_<true>(const_cast<Tensor&>(*this), min); }
Tensor& Tensor::clamp_max_(double max) const { return clamp_bound_<false>(const_cast<Tensor&>(*this), max); }

// ---- sum_to ---------------------------------------------------------------------------------------

Tensor sum_to(const Tensor& x, IntArrayRef sizes) {
  detail::check_defined(x, "sum_to");
  if (x.sizes() == sizes) return x;
  const int64_t nd = x.dim();
  const int64_t nt = static_cast<int64_t>(sizes.size());
  XGRAD_CHECK(nt <= nd, ShapeError, "sum_to: cannot reduce a tensor of shape {} to shape {}", to_string(x.sizes()),
              to_string(sizes));
  const int64_t lead = nd - nt;
  std::vector<int64_t> lead_dims, keep_dims;
  for (int64_t d = 0; d < lead; ++d) lead_dims.push_back(d);
  for (int64_t i = 0; i < nt; ++i) {
    const int64_t xs = x.size(lead + i);
    if (sizes[i] == xs) continue;
    XGRAD_CHECK(sizes[i] == 1, ShapeError, "sum_to: cannot reduce a tensor of shape {} to shape {}",
                to_string(x.sizes()), to_string(sizes));
    keep_dims.push_back(i);
  }
  Tensor r = x;
  if (!lead_dims.empty()) r = r.sum(lead_dims, false);
  if (!keep_dims.empty()) r = r.sum(keep_dims, true);
  return r;
}


// ---- LibTorch names (issue 9, names branch): erf, remainder/fmod, isinf/isfinite, all/any,
// max/min of two tensors, repeat, alias, addmm. ------------------------------------------------------

namespace {

struct ErfOp : autograd::Function<ErfOp> {
  static std::string_view name() { return "ErfBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return unary_float(x, "erf", [](auto v) { return std::erf(v); });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    // d/dx erf(x) = 2/sqrt(pi) exp(-x^2), written with differentiable ops so create_graph gives
    // the exact second derivative.
    const Tensor x = ctx->get_saved_variables()[0];
    constexpr double two_over_sqrt_pi = 1.12837916709551257390;
    return {g[0] * ((-(x * x)).exp() * two_over_sqrt_pi)};
  }
};

// PyTorch's CPU kernels for remainder (Python's %: the sign of the divisor) and fmod (C's fmod:
// the sign of the dividend). Integral division by zero has no value: the caller checks first.
template <bool Python, typename T>
T mod_value(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    T m = std::fmod(a, b);
    if constexpr (Python) {
      if (m != T(0) && ((b < T(0)) != (m < T(0)))) m += b;
    }
    return m;
  } else {
    // INT64_MIN % -1 overflows in C++; its remainder is 0.
    if (b == T(-1)) return T(0);
    T m = static_cast<T>(a % b);
    if constexpr (Python) {
      if (m != T(0) && ((b < T(0)) != (m < T(0)))) m = static_cast<T>(m + b);
    }
    return m;
  }
}

// The quotient whose gradient the divisor gets: floor(a / b) as PyTorch's div(rounding_mode=
// "floor") (computed from fmod, so it agrees with the remainder), or trunc(a / b) for fmod.
template <bool Python, typename T>
T mod_quotient(T a, T b) {
  if constexpr (!std::is_floating_point_v<T>) {
    (void)a, (void)b;
    return T(0);  // only floating tensors take part in autograd
  } else if constexpr (!Python) {
    return std::trunc(a / b);
  } else {
    if (b == T(0)) return a / b;
    const T m = std::fmod(a, b);
    T q = (a - m) / b;
    if (m != T(0) && ((b < T(0)) != (m < T(0)))) q -= T(1);
    T fq;
    if (q != T(0)) {
      fq = std::floor(q);
      if (q - fq > T(0.5)) fq += T(1);
    } else {
      fq = std::copysign(T(0), a / b);
    }
    return fq;
  }
}

template <bool Python>
const char* mod_name() {
  return Python ? "remainder" : "fmod";
}

void check_mod_dtype(ScalarType t, const char* op) {
  XGRAD_CHECK(t != kBool, TypeError, "{}: not implemented for bool tensors; convert to int64 first", op);
}

template <bool Python>
struct ModScalarOp : autograd::Function<ModScalarOp<Python>> {
  static std::string_view name() { return Python ? "RemainderBackward0" : "FmodBackward0"; }
  static Tensor forward(AutogradContext*, const Tensor& a, const Scalar& s) {
    const char* op = mod_name<Python>();
    const ScalarType t = result_type_scalar(a.dtype(), s);
    check_mod_dtype(t, op);
    XGRAD_CHECK(is_floating_point(t) || s.toDouble() != 0.0, ValueError,
                "{}: integer division by zero (ZeroDivisionError in PyTorch)", op);
    return scalar_kernel(a, s, t, op, [](auto x, auto v) { return mod_value<Python>(x, v); });
  }
  // a - s * q(a) has derivative 1 in a wherever it has one, as PyTorch.
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

template <bool Python>
struct ModTensorOp : autograd::Function<ModTensorOp<Python>> {
  static std::string_view name() { return Python ? "RemainderBackward1" : "FmodBackward1"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
    const char* op = mod_name<Python>();
    const ScalarType t = result_type(a, b);
    check_mod_dtype(t, op);
    ctx->save_for_backward({a, b});
    if (!is_floating_point(t)) {
      const Tensor zero = binary_kernel(b, b, t, kBool, op, [](auto y, auto) { return y == 0; });
      const bool* z = detail::typed_data<bool>(zero);
      XGRAD_CHECK(std::none_of(z, z + zero.numel(), [](bool v) { return v; }), ValueError,
                  "{}: integer division by zero (ZeroDivisionError in PyTorch)", op);
    }
    return binary_kernel(a, b, t, t, op, [](auto x, auto y) { return mod_value<Python>(x, y); });
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = grad_like(g[0], s[0]);
    if (ctx->needs_input_grad(1)) {
      // The quotient is piecewise constant in a and b: a constant here, so the second
      // derivative is 0 (as PyTorch's).
      Tensor q;
      {
        AutoGradMode guard(false);
        const ScalarType t = g[0].dtype();
        q = binary_kernel(s[0], s[1], t, t, "remainder_backward",
                          [](auto x, auto y) { return mod_quotient<Python>(x, y); });
      }
      gb = grad_like(-(g[0] * q), s[1]);
    }
    return {ga, gb};
  }
};

// isinf / isfinite of an element (integral elements are finite).
template <bool Inf>
Tensor finite_test(const Tensor& x, const char* op) {
  detail::check_defined(x, op);
  Tensor out = make_tensor(x.sizes(), kBool, op);
  detail::dispatch_all(x.dtype(), op, [&]<typename T>() {
    unary_loop<bool, T>(out, x, [](T v) {
      if constexpr (std::is_floating_point_v<T>)
        return Inf ? std::isinf(v) : std::isfinite(v);
      else
        return !Inf;
    });
  });
  return out;
}

// all / any: counts the non-zero elements (NaN is non-zero) along `dims` and compares the count.
template <bool All>
Tensor all_any(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  const char* op = All ? "all" : "any";
  detail::check_defined(x, op);
  AutoGradMode guard(false);
  const Tensor nonzero = as_type(x.ne(0), kInt64);
  if (!dim) {
    const int64_t count = nonzero.sum().item<int64_t>();
    return full({}, All ? count == x.numel() : count > 0, kBool);
  }
  // A 0-dim tensor takes dim 0 or -1, as PyTorch.
  const int64_t nd = std::max<int64_t>(x.dim(), 1);
  XGRAD_CHECK(*dim >= -nd && *dim < nd, IndexError,
              "{}: dimension out of range (expected to be in range of [{}, {}], but got {})", op, -nd, nd - 1, *dim);
  const int64_t n = x.dim() == 0 ? 1 : x.size(*dim);
  const Tensor count = x.dim() == 0 ? nonzero : nonzero.sum({*dim}, keepdim);
  return All ? count.eq(n) : count.gt(0);
}

}  // namespace

Tensor erf(const Tensor& x) {
  detail::check_defined(x, "erf");
  return ErfOp::apply(x);
}
Tensor Tensor::erf() const { return xgrad::erf(*this); }

Tensor max(const Tensor& a, const Tensor& b) { return maximum(a, b); }
Tensor min(const Tensor& a, const Tensor& b) { return minimum(a, b); }
Tensor Tensor::maximum(const Tensor& other) const { return xgrad::maximum(*this, other); }
Tensor Tensor::minimum(const Tensor& other) const { return xgrad::minimum(*this, other); }

Tensor remainder(const Tensor& a, const Scalar& b) {
  detail::check_defined(a, "remainder");
  return ModScalarOp<true>::apply(a, b);
}
Tensor remainder(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "remainder");
  detail::check_defined(b, "remainder");
  return ModTensorOp<true>::apply(a, b);
}
Tensor fmod(const Tensor& a, const Scalar& b) {
  detail::check_defined(a, "fmod");
  return ModScalarOp<false>::apply(a, b);
}
Tensor fmod(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "fmod");
  detail::check_defined(b, "fmod");
  return ModTensorOp<false>::apply(a, b);
}
Tensor operator%(const Tensor& a, const Scalar& b) { return remainder(a, b); }
Tensor operator%(const Tensor& a, const Tensor& b) { return remainder(a, b); }
Tensor Tensor::remainder(const Scalar& other) const { return xgrad::remainder(*this, other); }
Tensor Tensor::remainder(const Tensor& other) const { return xgrad::remainder(*this, other); }
Tensor Tensor::fmod(const Scalar& other) const { return xgrad::fmod(*this, other); }
Tensor Tensor::fmod(const Tensor& other) const { return xgrad::fmod(*this, other); }

Tensor Tensor::isnan() const { return xgrad::isnan(*this); }
Tensor isinf(const Tensor& x) { return finite_test<true>(x, "isinf"); }
Tensor isfinite(const Tensor& x) { return finite_test<false>(x, "isfinite"); }
Tensor Tensor::isinf() const { return xgrad::isinf(*this); }
Tensor Tensor::isfinite() const { return xgrad::isfinite(*this); }

Tensor all(const Tensor& x) { return all_any<true>(x, std::nullopt, false); }
Tensor any(const Tensor& x) { return all_any<false>(x, std::nullopt, false); }
Tensor all(const Tensor& x, int64_t dim, bool keepdim) { return all_any<true>(x, dim, keepdim); }
Tensor any(const Tensor& x, int64_t dim, bool keepdim) { return all_any<false>(x, dim, keepdim); }
Tensor Tensor::all() const { return xgrad::all(*this); }
Tensor Tensor::any() const { return xgrad::any(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return xgrad::all(*this, dim, keepdim); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return xgrad::any(*this, dim, keepdim); }

Tensor repeat(const Tensor& x, IntArrayRef repeats) {
  detail::check_defined(x, "repeat");
  const int64_t n = static_cast<int64_t>(repeats.size());
  XGRAD_CHECK(n >= x.dim(), ValueError,
              "repeat: number of dimensions of repeat dims ({}) can not be smaller than number of dimensions of "
              "tensor ({}); pass one repeat per dim",
              n, x.dim());
  for (int64_t r : repeats)
    XGRAD_CHECK(r >= 0, ValueError, "repeat: repeats {} must be non-negative", to_string(repeats));
  // x padded to n dims, then each dim d of size s seen as [1, s], expanded to [r, s] and the
  // pairs merged: tile r of dim d holds x's values again. expand and reshape are
  // differentiable, and their gradients sum over the tiles.
  std::vector<int64_t> padded(static_cast<size_t>(n - x.dim()), 1);
  for (int64_t s : x.sizes()) padded.push_back(s);
  std::vector<int64_t> paired, expanded, out;
  for (int64_t d = 0; d < n; ++d) {
    const int64_t s = padded[static_cast<size_t>(d)], r = repeats[static_cast<size_t>(d)];
    paired.insert(paired.end(), {1, s});
    expanded.insert(expanded.end(), {r, s});
    out.push_back(r * s);
  }
  return x.reshape(paired).expand(expanded).contiguous().reshape(out);
}
Tensor Tensor::repeat(IntArrayRef repeats) const { return xgrad::repeat(*this, repeats); }

Tensor Tensor::type_as(const Tensor& other) const {
  detail::check_defined(*this, "type_as");
  detail::check_defined(other, "type_as");
  return to(other.dtype());
}

Tensor alias(const Tensor& x) {
  detail::check_defined(x, "alias");
  // A 0-dim tensor has no dim to slice; view({}) of it is already a view with the same layout.
  if (x.dim() == 0) return x.view({});
  return x.slice(0);
}
Tensor Tensor::alias() const { return xgrad::alias(*this); }

Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) {
  detail::check_defined(self, "addmm");
  detail::check_defined(mat1, "addmm");
  detail::check_defined(mat2, "addmm");
  XGRAD_CHECK(mat1.dim() == 2 && mat2.dim() == 2, ShapeError, "addmm: mat1 and mat2 must be 2-D, got sizes {} and {}",
              to_string(mat1.sizes()), to_string(mat2.sizes()));
  XGRAD_CHECK(mat1.size(1) == mat2.size(0), ShapeError,
              "addmm: mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})", mat1.size(0), mat1.size(1),
              mat2.size(0), mat2.size(1));
  const std::vector<int64_t> shape{mat1.size(0), mat2.size(1)};
  const auto b = broadcast_shapes(self.sizes(), shape, "addmm");
  XGRAD_CHECK(IntArrayRef(b) == IntArrayRef(shape), ShapeError,
              "addmm: self of size {} does not broadcast to the product's size {}", to_string(self.sizes()),
              to_string(IntArrayRef(shape)));
  Tensor prod = mm(mat1, mat2);
  if (!(alpha.equal(1) || alpha.equal(true))) prod = prod * alpha;
  // beta = 0: self is not read (NaN or inf in it must not reach the result), as PyTorch.
  if (beta.equal(0) || beta.equal(false)) return prod;
  return (beta.equal(1) || beta.equal(true) ? self : self * beta) + prod;
}
Tensor Tensor::addmm(const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) const {
  return xgrad::addmm(*this, mat1, mat2, beta, alpha);
}

}  // namespace xgrad
