// Loss functions of nn::functional. Pointwise losses (mse, smooth L1, Huber, BCE with logits)
// share one strided forward/backward; nll_loss and cross_entropy share one fused kernel that
// walks each sample's row of class scores once (log-softmax + NLL + label smoothing), so
// cross_entropy never materialises softmax probabilities as a graph node and stays stable for
// large logits.
//
// Those fused backward passes make tensors without history, so they run only for first-order
// gradients (GradMode off inside backward). Under create_graph each loss builds the same
// gradient from differentiable tensor ops instead, so second derivatives are exact.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/loss.hpp>

#include "core/dispatch.hpp"
#include "core/strided.hpp"
#include "core/tensor_internal.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace xgrad::detail {
// softplus without threshold as a differentiable op (SoftplusBackward0, src/ops/activation.cpp).
Tensor softplus_exact(const Tensor& x);
}  // namespace xgrad::detail

namespace xgrad::nn::functional {

namespace {

using autograd::variable_list;

// Index of the reduction tag in loss_reduction_t: 0 none, 1 mean, 2 sum.
enum Reduction : int64_t { kReduceNone = 0, kReduceMean = 1, kReduceSum = 2 };

int64_t reduction_code(const loss_reduction_t& r) { return static_cast<int64_t>(r.index()); }

void check_operand(const Tensor& t, const char* op, const char* what) {
  XGRAD_CHECK(t.defined(), ValueError, "{}: {} is an undefined tensor", op, what);
}

void check_same_float_dtype(const Tensor& input, const Tensor& other, const char* op, const char* what) {
  XGRAD_CHECK(input.is_floating_point(), TypeError, "{}: expected a floating-point input (float32 or float64), got {}",
              op, dtype_name(input.dtype()));
  XGRAD_CHECK(other.dtype() == input.dtype(), TypeError, "{}: {} has dtype {} but input has dtype {}", op, what,
              dtype_name(other.dtype()), dtype_name(input.dtype()));
}

// ---- pointwise losses ---------------------------------------------------------------------------

enum class Pointwise : int64_t { kMse, kSmoothL1, kHuber, kBceLogits, kBce };

const char* pointwise_op_name(Pointwise k) {
  switch (k) {
    case Pointwise::kMse: return "mse_loss";
    case Pointwise::kSmoothL1: return "smooth_l1_loss";
    case Pointwise::kHuber: return "huber_loss";
    case Pointwise::kBceLogits: return "binary_cross_entropy_with_logits";
    case Pointwise::kBce: return "binary_cross_entropy";
  }
  return "loss";
}

// softplus(x) = log(1 + exp(x)) without overflow, and exact for very negative x (~exp(x)).
template <typename T>
T softplus(T x) {
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}

// sigmoid(x) without overflow; for very negative x it is ~exp(x), not 0 from 1 - (1 - tiny).
template <typename T>
T sigmoid_stable(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

// Per-element loss and its partial derivatives. `w` and `pw` are 1 unless given (BCE only).
template <Pointwise K, typename T>
struct PointwiseMath {
  static T loss(T x, T t, T w, T pw, T p) {
    if constexpr (K == Pointwise::kMse) {
      (void)w, (void)pw, (void)p;
      return (x - t) * (x - t);
    } else if constexpr (K == Pointwise::kSmoothL1) {
      (void)w, (void)pw;
      const T z = std::abs(x - t);
      return z < p ? T(0.5) * z * z / p : z - T(0.5) * p;
    } else if constexpr (K == Pointwise::kHuber) {
      (void)w, (void)pw;
      const T z = std::abs(x - t);
      return z < p ? T(0.5) * z * z : p * (z - T(0.5) * p);
    } else if constexpr (K == Pointwise::kBce) {
      // PyTorch 1.13's CPU kernel: each log clamped at -100, and log(1 - x) as written (not
      // log1p(-x): for x = 1e-4 in float32 the two differ in the 4th digit, and PyTorch's is this).
      (void)pw, (void)p;
      return w * ((t - T(1)) * std::max(std::log(T(1) - x), T(-100)) - t * std::max(std::log(x), T(-100)));
    } else {
      // -w [pw t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], written as a sum of two
      // softplus terms that are each >= 0 and exact in both tails. PyTorch's
      // (1 - t) x + (1 + (pw - 1) t) softplus(-x) is the same function but cancels to 0 for
      // x << 0, t = 0 (the loss at x = -15 is 3.1e-7, not 0).
      (void)p;
      return w * (pw * t * softplus(-x) + (T(1) - t) * softplus(x));
    }
  }
  static T d_input(T x, T t, T w, T pw, T p) {
    if constexpr (K == Pointwise::kMse) {
      (void)w, (void)pw, (void)p;
      return T(2) * (x - t);
    } else if constexpr (K == Pointwise::kSmoothL1) {
      (void)w, (void)pw;
      const T d = x - t;
      if (p == T(0)) return d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));  // plain L1
      return d <= -p ? T(-1) : (d >= p ? T(1) : d / p);
    } else if constexpr (K == Pointwise::kHuber) {
      (void)w, (void)pw;
      const T d = x - t;
      return d <= -p ? -p : (d >= p ? p : d);
    } else if constexpr (K == Pointwise::kBce) {
      // PyTorch's binary_cross_entropy_backward: the denominator kept >= 1e-12, so x = 0 or 1
      // gives a large finite gradient, not inf or NaN.
      (void)pw, (void)p;
      return w * (x - t) / std::max((T(1) - x) * x, T(1e-12));
    } else {
      // (1 - t) sigmoid(x) - pw t sigmoid(-x): sigmoid(x) - t for pw = 1, and each sigmoid is
      // exact in its tail, so the gradient at x = -17, t = 0 is 4.1e-8 (not 1 - (1 - 4e-8) = 0)
      // and at x = 17, t = 1 it is -4.1e-8.
      (void)p;
      return w * ((T(1) - t) * sigmoid_stable(x) - pw * t * sigmoid_stable(-x));
    }
  }
  static T d_target(T x, T t, T w, T pw, T p) {
    if constexpr (K == Pointwise::kBceLogits) {
      (void)t, (void)p;
      // w (pw softplus(-x) - softplus(x)), with softplus(x) = x + softplus(-x) taken out so
      // pw = 1 gives exactly -w x.
      return w * (-x + (pw - T(1)) * softplus(-x));
    } else if constexpr (K == Pointwise::kBce) {
      // PyTorch 1.13's binary_cross_entropy_target_backward: -w logit(x), unclamped.
      (void)t, (void)pw, (void)p;
      return -w * std::log(x / (T(1) - x));
    } else {
      return -d_input(x, t, w, pw, p);
    }
  }
};

// Strides of an optional operand viewed as `shape`; an undefined operand reads the constant 1
// through all-zero strides.
struct OptionalOperand {
  DimVector strides;
  const void* data = nullptr;
};

template <typename T>
OptionalOperand optional_operand(const Tensor& t, IntArrayRef shape, const T* one) {
  OptionalOperand o;
  if (t.defined()) {
    o.strides = detail::broadcast_strides(t, shape);
    o.data = t.data_ptr<T>();
  } else {
    o.strides.assign(shape.size(), 0);
    o.data = one;
  }
  return o;
}

// Gradients of a pointwise loss from differentiable tensor ops, for backward under create_graph
// (GradMode on): the fused kernel below makes tensors without history, whose second derivative
// would silently be wrong. `ge` is the upstream gradient per element (already divided by numel
// for the mean). Same formulas as PointwiseMath's d_input / d_target.
template <Pointwise K>
std::pair<Tensor, Tensor> pointwise_grads_composite(const Tensor& input, const Tensor& target, const Tensor& weight,
                                                    const Tensor& pos_weight, const Tensor& ge, double p,
                                                    bool want_x, bool want_t) {
  Tensor dx, dt;
  if constexpr (K == Pointwise::kBceLogits) {
    // dx = w ((1 - t) sigmoid(x) - pw t sigmoid(-x)); dt = w (-x + (pw - 1) softplus(-x)).
    const Tensor pt = pos_weight.defined() ? pos_weight * target : target;
    if (want_x) dx = (1.0 - target) * input.sigmoid() - pt * (-input).sigmoid();
    if (want_t) {
      dt = -input;
      if (pos_weight.defined()) dt = dt + (pos_weight - 1.0) * xgrad::detail::softplus_exact(-input);
    }
    if (weight.defined()) {
      if (dx.defined()) dx = dx * weight;
      if (dt.defined()) dt = dt * weight;
    }
  } else if constexpr (K == Pointwise::kBce) {
    // dx = w (x - t) / max(x (1 - x), 1e-12); dt = -w logit(x). Differentiable ops, so the
    // second derivative is exact (PyTorch's binary_cross_entropy_double_backward).
    (void)pos_weight;
    if (want_x) dx = (input - target) / ((1.0 - input) * input).clamp_min(1e-12);
    if (want_t) dt = -(input / (1.0 - input)).log();
    if (weight.defined()) {
      if (dx.defined()) dx = dx * weight;
      if (dt.defined()) dt = dt * weight;
    }
  } else {
    (void)weight, (void)pos_weight;
    const Tensor d = input - target;
    if constexpr (K == Pointwise::kMse) {
      dx = 2.0 * d;
    } else {
      // Smooth L1 / Huber: d / beta (resp. d) strictly inside (-p, p), +-1 (resp. +-delta)
      // outside. The masks are constants (no graph): the second derivative is 1/beta (resp. 1)
      // strictly inside and 0 at and beyond the kinks, as PyTorch's double backward. For
      // beta = 0 (L1) `outside` is sign(d), with derivative 0.
      Tensor inside, outside;
      {
        AutoGradMode no_grad(false);
        inside = (d.abs() < p).to(d.dtype());
        outside = (d >= p).to(d.dtype()) - (d <= -p).to(d.dtype());
      }
      if constexpr (K == Pointwise::kHuber)
        dx = d * inside + p * outside;
      else
        dx = p > 0.0 ? (d / p) * inside + outside : outside;
    }
    if (want_t) dt = -dx;
  }
  return {want_x ? ge * dx : Tensor(), want_t ? ge * dt : Tensor()};
}

template <Pointwise K>
struct PointwiseLossOp : autograd::Function<PointwiseLossOp<K>> {
  static std::string_view name() {
    switch (K) {
      case Pointwise::kMse: return "MseLossBackward0";
      case Pointwise::kSmoothL1: return "SmoothL1LossBackward0";
      case Pointwise::kHuber: return "HuberLossBackward0";
      case Pointwise::kBceLogits: return "BinaryCrossEntropyWithLogitsBackward0";
      case Pointwise::kBce: return "BinaryCrossEntropyBackward0";
    }
    return "LossBackward0";
  }
  struct State {
    int64_t reduction;           // a Reduction
    double param;                // beta (smooth_l1), delta (huber); unused otherwise
    std::vector<int64_t> shape;  // the broadcast shape of the operands
  };

  static Tensor forward(AutogradContext* ctx, const Tensor& input, const Tensor& target, const Tensor& weight,
                        const Tensor& pos_weight, int64_t reduction, double param) {
    const char* op = pointwise_op_name(K);
    auto shape = broadcast_shapes(input.sizes(), target.sizes(), op);
    if (weight.defined()) shape = broadcast_shapes(shape, weight.sizes(), op);
    if (pos_weight.defined()) shape = broadcast_shapes(shape, pos_weight.sizes(), op);
    ctx->save_for_backward({input, target, weight, pos_weight});
    ctx->emplace_state<State>(reduction, param, shape);

    Tensor out = make_tensor(shape, input.dtype(), "loss");
    detail::dispatch_floating(input.dtype(), op, [&]<typename T>() {
      const T one = T(1);
      const auto sx = detail::broadcast_strides(input, shape);
      const auto st = detail::broadcast_strides(target, shape);
      const auto w = optional_operand<T>(weight, shape, &one);
      const auto pw = optional_operand<T>(pos_weight, shape, &one);
      const auto so = contiguous_strides(shape);
      const T* x = input.data_ptr<T>();
      const T* t = target.data_ptr<T>();
      const T* wp = static_cast<const T*>(w.data);
      const T* pwp = static_cast<const T*>(pw.data);
      T* o = out.data_ptr<T>();
      const T p = static_cast<T>(param);
      detail::for_each_element<5>(shape, {so.data(), sx.data(), st.data(), w.strides.data(), pw.strides.data()},
                                  [&](const std::array<int64_t, 5>& off) {
                                    o[off[0]] = PointwiseMath<K, T>::loss(x[off[1]], t[off[2]], wp[off[3]],
                                                                          pwp[off[4]], p);
                                  });
    });
    if (reduction == kReduceNone) return out;
    Tensor total = out.sum();
    return reduction == kReduceMean ? total.div_(static_cast<double>(out.numel())) : total;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const Tensor &input = saved[0], &target = saved[1], &weight = saved[2], &pos_weight = saved[3];
    const State& state = ctx->state<State>();
    const int64_t reduction = state.reduction;
    const double param = state.param;
    const std::vector<int64_t>& shape = state.shape;
    const bool want_x = ctx->needs_input_grad(0), want_t = ctx->needs_input_grad(1);
    // As PyTorch, weight and pos_weight get no gradient; say so rather than drop it silently.
    XGRAD_CHECK(!ctx->needs_input_grad(2) && !ctx->needs_input_grad(3), AutogradError,
                "{}: the derivative for 'weight' / 'pos_weight' is not implemented; pass them detached",
                pointwise_op_name(K));
    Tensor gx, gt;
    if (!want_x && !want_t) return {gx, gt, Tensor(), Tensor()};

    int64_t numel = 1;
    for (int64_t s : shape) numel *= s;
    if (GradMode::is_enabled()) {
      // create_graph: differentiable formulas (second derivatives exact); otherwise the fused
      // pass below.
      Tensor ge = grads[0];
      if (reduction == kReduceMean) ge = ge / static_cast<double>(numel);
      std::tie(gx, gt) =
          pointwise_grads_composite<K>(input, target, weight, pos_weight, ge, param, want_x, want_t);
      if (gx.defined() && gx.sizes() != IntArrayRef(shape)) gx = gx.expand(shape);
      if (gt.defined() && gt.sizes() != IntArrayRef(shape)) gt = gt.expand(shape);
      if (gx.defined() && input.sizes() != IntArrayRef(shape)) gx = sum_to(gx, input.sizes());
      if (gt.defined() && target.sizes() != IntArrayRef(shape)) gt = sum_to(gt, target.sizes());
      return {gx, gt, Tensor(), Tensor()};
    }
    // Scalar upstream gradient for mean/sum (scaled by 1/numel for mean), per-element for none.
    const Tensor& g = grads[0];
    double scale = 1.0;
    DimVector sg(shape.size(), 0);
    if (reduction == kReduceNone) {
      sg = detail::broadcast_strides(g, shape);
    } else {
      scale = g.item<double>();
      if (reduction == kReduceMean) scale /= static_cast<double>(numel);
    }
    if (want_x) gx = make_tensor(shape, input.dtype());
    if (want_t) gt = make_tensor(shape, input.dtype());
    detail::dispatch_floating(input.dtype(), pointwise_op_name(K), [&]<typename T>() {
      const T one = T(1);
      const auto sx = detail::broadcast_strides(input, shape);
      const auto st = detail::broadcast_strides(target, shape);
      const auto w = optional_operand<T>(weight, shape, &one);
      const auto pw = optional_operand<T>(pos_weight, shape, &one);
      const auto so = contiguous_strides(shape);
      const T* x = input.data_ptr<T>();
      const T* t = target.data_ptr<T>();
      const T* wp = static_cast<const T*>(w.data);
      const T* pwp = static_cast<const T*>(pw.data);
      const T* gp = reduction == kReduceNone ? g.data_ptr<T>() : &one;
      T* gxp = want_x ? gx.data_ptr<T>() : nullptr;
      T* gtp = want_t ? gt.data_ptr<T>() : nullptr;
      const T p = static_cast<T>(param);
      const T s = static_cast<T>(scale);
      detail::for_each_element<6>(
          shape, {so.data(), sx.data(), st.data(), w.strides.data(), pw.strides.data(), sg.data()},
          [&](const std::array<int64_t, 6>& off) {
            const T gi = gp[off[5]] * s;
            const T xv = x[off[1]], tv = t[off[2]], wv = wp[off[3]], pwv = pwp[off[4]];
            if (gxp) gxp[off[0]] = gi * PointwiseMath<K, T>::d_input(xv, tv, wv, pwv, p);
            if (gtp) gtp[off[0]] = gi * PointwiseMath<K, T>::d_target(xv, tv, wv, pwv, p);
          });
    });
    // Broadcast inputs get the sum of their copies' gradients.
    if (gx.defined() && input.sizes() != IntArrayRef(shape)) gx = sum_to(gx, input.sizes());
    if (gt.defined() && target.sizes() != IntArrayRef(shape)) gt = sum_to(gt, target.sizes());
    return {gx, gt, Tensor(), Tensor()};
  }
};

template <Pointwise K>
Tensor pointwise_loss(const Tensor& input, const Tensor& target, const loss_reduction_t& reduction, double param,
                      const Tensor& weight = {}, const Tensor& pos_weight = {}) {
  const char* op = pointwise_op_name(K);
  check_operand(input, op, "input");
  check_operand(target, op, "target");
  check_same_float_dtype(input, target, op, "target");
  if (weight.defined()) check_same_float_dtype(input, weight, op, "weight");
  if (pos_weight.defined()) check_same_float_dtype(input, pos_weight, op, "pos_weight");
  return PointwiseLossOp<K>::apply(input, target, weight, pos_weight, reduction_code(reduction), param);
}

// ---- class losses: nll_loss and cross_entropy ---------------------------------------------------

// Input [N, C, S...] seen as (outer = N, classes = C, inner = prod(S)); a 1-D input [C] is one
// sample. Targets are laid out as (outer, inner).
struct ClassLayout {
  int64_t outer = 1;
  int64_t classes = 0;
  int64_t inner = 1;
};

ClassLayout check_class_inputs(const Tensor& input, const Tensor& target, const Tensor& weight, const char* op) {
  check_operand(input, op, "input");
  check_operand(target, op, "target");
  XGRAD_CHECK(input.is_floating_point(), TypeError, "{}: expected a floating-point input (float32 or float64), got {}",
              op, dtype_name(input.dtype()));
  XGRAD_CHECK(target.dtype() == kInt64, TypeError,
              "{}: expected target of dtype int64 (class indices), got {} (target sizes {})", op,
              dtype_name(target.dtype()), to_string(target.sizes()));
  XGRAD_CHECK(input.dim() >= 1, ShapeError, "{}: expected an input of at least 1 dimension [C] or [N, C, ...], got {}",
              op, to_string(input.sizes()));
  ClassLayout l;
  if (input.dim() == 1) {
    l.classes = input.size(0);
    XGRAD_CHECK(target.dim() == 0, ShapeError,
                "{}: a 1-D input [C] expects a 0-D target, got target {} (input {})", op, to_string(target.sizes()),
                to_string(input.sizes()));
  } else {
    l.outer = input.size(0);
    l.classes = input.size(1);
    std::vector<int64_t> expected{input.size(0)};
    for (int64_t d = 2; d < input.dim(); ++d) {
      expected.push_back(input.size(d));
      l.inner *= input.size(d);
    }
    XGRAD_CHECK(target.sizes() == IntArrayRef(expected), ShapeError,
                "{}: expected target of shape {} for input {}, got {}", op, to_string(expected),
                to_string(input.sizes()), to_string(target.sizes()));
  }
  if (weight.defined()) {
    XGRAD_CHECK(weight.dim() == 1 && weight.size(0) == l.classes, ShapeError,
                "{}: weight should be a 1-D tensor with one element per class ({}), got {}", op, l.classes,
                to_string(weight.sizes()));
    XGRAD_CHECK(weight.dtype() == input.dtype(), TypeError, "{}: weight has dtype {} but input has dtype {}", op,
                dtype_name(weight.dtype()), dtype_name(input.dtype()));
  }
  return l;
}

// One op for both: `log_softmax` says whether `input` holds logits (cross_entropy) or
// log-probabilities (nll_loss).
//
// Numerics: log_softmax is (x - max) - log(sum(exp(x - max))) in double, never
// x - (max + log(sum)) (for max = 1e8 in float32 the log(sum) would round away). Backward takes
// the softmax from the saved logits as exp(x - max) / sum, not as exp of a rounded log-prob.
struct ClassLossOp : autograd::Function<ClassLossOp> {
  static std::string_view name() { return "NllLossBackward0"; }
  struct State {
    int64_t reduction;  // a Reduction
    int64_t ignore_index;
    double smoothing;
    bool log_softmax;     // cross_entropy (true) or nll_loss
    double weight_total;  // class weights of the counted targets, summed
    int64_t counted;      // targets not ignored
    std::vector<int64_t> input_sizes;
  };

  static Tensor forward(AutogradContext* ctx, const Tensor& input_, const Tensor& target_, const Tensor& weight_,
                        int64_t reduction, int64_t ignore_index, double smoothing, bool log_softmax) {
    const char* op = log_softmax ? "cross_entropy" : "nll_loss";
    const ClassLayout l = check_class_inputs(input_, target_, weight_, op);
    const Tensor input = input_.contiguous();
    const Tensor target = target_.contiguous();
    const Tensor weight = weight_.defined() ? weight_.contiguous() : Tensor();
    const int64_t C = l.classes, S = l.inner, rows = l.outer * l.inner;

    // Range check first, so no kernel ever reads out of bounds.
    const int64_t* tp = target.data_ptr<int64_t>();
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t t = tp[r];
      XGRAD_CHECK(t == ignore_index || (t >= 0 && t < C), IndexError,
                  "{}: target {} is out of bounds for {} classes (valid range [0, {}) or ignore_index {}), at "
                  "position {}",
                  op, t, C, C, ignore_index, r);
    }

    std::vector<int64_t> out_sizes = target.sizes().vec();
    Tensor per_sample = make_tensor(out_sizes, input.dtype(), "nll_loss");
    double weight_total = 0.0;
    int64_t counted = 0;  // targets not ignored
    double nll_sum = 0.0, smooth_sum = 0.0;
    detail::dispatch_floating(input.dtype(), op, [&]<typename T>() {
      const T* x = input.data_ptr<T>();
      const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
      T* out = per_sample.data_ptr<T>();
      const double eps = smoothing;
      for (int64_t n = 0; n < l.outer; ++n) {
        const int64_t base = n * C * S;
        for (int64_t s = 0; s < S; ++s) {
          const T* xr = x + base + s;
          const int64_t r = n * S + s;
          const int64_t t = tp[r];
          if (t == ignore_index) {
            out[r] = T(0);
            continue;
          }
          // logp(c) = (x[c] - mx) - lse; for nll_loss the input already is logp (mx = lse = 0).
          double mx = 0.0, lse = 0.0;
          if (log_softmax && C > 0) {
            mx = static_cast<double>(xr[0]);
            for (int64_t c = 1; c < C; ++c) mx = std::max(mx, static_cast<double>(xr[c * S]));
            // All -inf (or +inf) rows would give inf - inf; PyTorch yields NaN there too.
            double acc = 0.0;
            for (int64_t c = 0; c < C; ++c) acc += std::exp(static_cast<double>(xr[c * S]) - mx);
            lse = std::log(acc);
          }
          const auto logp = [&](int64_t c) { return (static_cast<double>(xr[c * S]) - mx) - lse; };
          const double wt = w ? static_cast<double>(w[t]) : 1.0;
          const double nll = -wt * logp(t);
          double smooth = 0.0;
          if (eps > 0.0) {
            for (int64_t c = 0; c < C; ++c) smooth -= (w ? static_cast<double>(w[c]) : 1.0) * logp(c);
          }
          weight_total += wt;
          counted += 1;
          nll_sum += nll;
          smooth_sum += smooth;
          out[r] = static_cast<T>((1.0 - eps) * nll + eps / static_cast<double>(C) * smooth);
        }
      }
    });

    // cross_entropy keeps the logits (as given: under create_graph backward differentiates
    // through them); nll_loss's gradient does not depend on its input.
    ctx->save_for_backward({target, weight, log_softmax ? input_ : Tensor()});
    ctx->emplace_state<State>(reduction, ignore_index, smoothing, log_softmax, weight_total, counted,
                              input.sizes().vec());

    if (reduction == kReduceNone) return per_sample;
    const double C_d = static_cast<double>(C);
    double value;
    if (reduction == kReduceSum) {
      value = (1.0 - smoothing) * nll_sum + smoothing / C_d * smooth_sum;
    } else {
      // PyTorch's weighted mean: the NLL part divides by the total weight of the counted
      // targets; the smoothing part by the same total with class weights, by the number of
      // counted targets without.
      const double smooth_div = weight.defined() ? weight_total : static_cast<double>(counted);
      value = (1.0 - smoothing) * (nll_sum / weight_total);
      if (smoothing > 0.0) value += smoothing / C_d * (smooth_sum / smooth_div);
    }
    return full({}, value, input.dtype());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const State& state = ctx->state<State>();
    const bool log_softmax = state.log_softmax;
    const char* op = log_softmax ? "cross_entropy" : "nll_loss";
    // As PyTorch: class weights get no gradient; say so rather than drop it silently.
    XGRAD_CHECK(!ctx->needs_input_grad(2), AutogradError,
                "{}: the derivative for 'weight' is not implemented; pass weight.detach()", op);
    if (!ctx->needs_input_grad(0)) return {Tensor(), Tensor(), Tensor()};
    const auto saved = ctx->get_saved_variables();
    const Tensor &target = saved[0], &weight = saved[1], &input = saved[2];
    const int64_t reduction = state.reduction;
    const int64_t ignore_index = state.ignore_index;
    const double eps = state.smoothing;
    const double weight_total = state.weight_total;
    const double counted = static_cast<double>(state.counted);
    const std::vector<int64_t>& sizes = state.input_sizes;

    const int64_t outer = sizes.size() == 1 ? 1 : sizes[0];
    const int64_t C = sizes.size() == 1 ? sizes[0] : sizes[1];
    const int64_t class_dim = sizes.size() == 1 ? 0 : 1;
    int64_t S = 1;
    for (size_t d = 2; d < sizes.size(); ++d) S *= sizes[d];

    // Under create_graph (GradMode on) the kernel computes the gradient w.r.t. the log-probs
    // for a unit upstream gradient, a constant, and the rest is built from differentiable ops
    // below. Otherwise it does everything in one pass.
    const bool composite = GradMode::is_enabled();
    const Tensor g = reduction == kReduceNone && !composite ? grads[0].contiguous() : grads[0];
    const ScalarType dtype = grads[0].dtype();
    const Tensor x = log_softmax && !composite ? input.contiguous() : Tensor();
    Tensor gx = zeros(sizes, dtype);
    const int64_t* tp = target.data_ptr<int64_t>();
    detail::dispatch_floating(dtype, op, [&]<typename T>() {
      const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
      const T* xp = x.defined() ? x.data_ptr<T>() : nullptr;
      T* gxp = gx.data_ptr<T>();
      double w_sum = 0.0;  // sum of class weights, for the smoothing term's row sum
      if (w)
        for (int64_t c = 0; c < C; ++c) w_sum += static_cast<double>(w[c]);
      else
        w_sum = static_cast<double>(C);
      const double g_scalar = composite || reduction == kReduceNone ? 1.0 : g.item<double>();
      double nll_scale = 1.0, smooth_scale = 1.0;
      if (reduction == kReduceMean) {
        nll_scale = 1.0 / weight_total;
        smooth_scale = w ? 1.0 / weight_total : 1.0 / counted;
      }
      const T* gp = reduction == kReduceNone && !composite ? g.data_ptr<T>() : nullptr;
      std::vector<double> e(static_cast<size_t>(xp ? C : 0));
      for (int64_t n = 0; n < outer; ++n) {
        for (int64_t s = 0; s < S; ++s) {
          const int64_t r = n * S + s;
          const int64_t t = tp[r];
          if (t == ignore_index) continue;
          const double gr = gp ? static_cast<double>(gp[r]) : g_scalar;
          // dL/dlogp[c] = -a_nll [c == t] - a_smooth * w[c]
          const double a_nll = (1.0 - eps) * (w ? static_cast<double>(w[t]) : 1.0) * gr * nll_scale;
          const double a_smooth = eps / static_cast<double>(C) * gr * smooth_scale;
          T* gr_row = gxp + n * C * S + s;
          if (!xp) {
            if (a_smooth != 0.0)
              for (int64_t c = 0; c < C; ++c) gr_row[c * S] = static_cast<T>(-a_smooth * (w ? static_cast<double>(w[c]) : 1.0));
            gr_row[t * S] = static_cast<T>(-a_nll - a_smooth * (w ? static_cast<double>(w[t]) : 1.0));
            continue;
          }
          // Through log_softmax: dx[c] = dlogp[c] - softmax[c] * sum(dlogp), with
          // softmax[c] = exp(x[c] - max) / sum.
          const T* xr = xp + n * C * S + s;
          double mx = static_cast<double>(xr[0]);
          for (int64_t c = 1; c < C; ++c) mx = std::max(mx, static_cast<double>(xr[c * S]));
          double sum = 0.0;
          for (int64_t c = 0; c < C; ++c) {
            e[static_cast<size_t>(c)] = std::exp(static_cast<double>(xr[c * S]) - mx);
            sum += e[static_cast<size_t>(c)];
          }
          const double total = -a_nll - a_smooth * w_sum;
          for (int64_t c = 0; c < C; ++c) {
            const double wc = w ? static_cast<double>(w[c]) : 1.0;
            double d = -a_smooth * wc - e[static_cast<size_t>(c)] / sum * total;
            if (c == t) d -= a_nll;
            gr_row[c * S] = static_cast<T>(d);
          }
        }
      }
    });
    if (!composite) return {gx, Tensor(), Tensor()};

    // create_graph: gx so far is dL/dlogp for a unit upstream gradient; scale it by the
    // (possibly differentiable) upstream gradient, then apply the log_softmax backward with a
    // softmax recomputed from the saved logits, so second derivatives are exact.
    Tensor ge = grads[0];
    if (reduction == kReduceNone && class_dim == 1) ge = ge.unsqueeze(1);
    Tensor dlogp = gx * ge;
    if (!log_softmax) return {dlogp, Tensor(), Tensor()};
    const Tensor p = input.softmax(class_dim);
    return {dlogp - p * dlogp.sum({class_dim}, true), Tensor(), Tensor()};
  }
};

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options) {
  return pointwise_loss<Pointwise::kMse>(input, target, options.reduction(), 0.0);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options) {
  // Composed of primitives (as PyTorch 1.13 does): the graph is Abs -> Mean/Sum.
  check_operand(input, "l1_loss", "input");
  check_operand(target, "l1_loss", "target");
  check_same_float_dtype(input, target, "l1_loss", "target");
  broadcast_shapes(input.sizes(), target.sizes(), "l1_loss");
  Tensor loss = (input - target).abs();
  switch (reduction_code(options.reduction())) {
    case kReduceMean: return loss.mean();
    case kReduceSum: return loss.sum();
    default: return loss;
  }
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options) {
  XGRAD_CHECK(options.beta() >= 0.0, ValueError, "smooth_l1_loss: beta must be non-negative, got {}", options.beta());
  return pointwise_loss<Pointwise::kSmoothL1>(input, target, options.reduction(), options.beta());
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options,
                      double beta) {
  return smooth_l1_loss(input, target, SmoothL1LossFuncOptions(options).beta(beta));
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BinaryCrossEntropyFuncOptions& options) {
  const char* op = "binary_cross_entropy";
  check_operand(input, op, "input");
  check_operand(target, op, "target");
  // PyTorch 1.13 refuses a target of another size (no broadcasting between input and target).
  XGRAD_CHECK(input.sizes() == target.sizes(), ShapeError,
              "{}: using a target size ({}) that is different to the input size ({}) is not supported; please "
              "ensure they have the same size",
              op, to_string(target.sizes()), to_string(input.sizes()));
  check_same_float_dtype(input, target, op, "target");
  {
    AutoGradMode no_grad(false);
    // The same test as PyTorch's kernel (0 <= x <= 1 fails for NaN too).
    const bool bad = (input.lt(0.0) + input.gt(1.0) + xgrad::isnan(input)).any().item<bool>();
    XGRAD_CHECK(!bad, ValueError, "{}: all elements of input should be between 0 and 1", op);
  }
  Tensor weight = options.weight();
  if (weight.defined()) {
    check_same_float_dtype(input, weight, op, "weight");
    const auto shape = broadcast_shapes(target.sizes(), weight.sizes(), op);
    XGRAD_CHECK(IntArrayRef(shape) == target.sizes(), ShapeError,
                "{}: weight of size {} does not broadcast to the target size {}", op, to_string(weight.sizes()),
                to_string(target.sizes()));
  }
  return pointwise_loss<Pointwise::kBce>(input, target, options.reduction(), 0.0, weight);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& options) {
  XGRAD_CHECK(options.delta() > 0.0, ValueError, "huber_loss: delta must be positive, got {}", options.delta());
  return pointwise_loss<Pointwise::kHuber>(input, target, options.reduction(), options.delta());
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options) {
  const char* op = "binary_cross_entropy_with_logits";
  check_operand(input, op, "input");
  check_operand(target, op, "target");
  // PyTorch requires identical shapes here (only weight and pos_weight broadcast).
  XGRAD_CHECK(input.sizes() == target.sizes(), ShapeError,
              "{}: target size {} must be the same as input size {}", op, to_string(target.sizes()),
              to_string(input.sizes()));
  const auto check_broadcast = [&](const Tensor& t, const char* what) {
    if (!t.defined()) return;
    const auto shape = broadcast_shapes(input.sizes(), t.sizes(), op);
    XGRAD_CHECK(IntArrayRef(shape) == input.sizes(), ShapeError, "{}: {} of size {} does not broadcast to input size {}",
                op, what, to_string(t.sizes()), to_string(input.sizes()));
  };
  check_broadcast(options.weight(), "weight");
  check_broadcast(options.pos_weight(), "pos_weight");
  return pointwise_loss<Pointwise::kBceLogits>(input, target, options.reduction(), 0.0, options.weight(),
                                               options.pos_weight());
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options) {
  return ClassLossOp::apply(input, target, options.weight(), reduction_code(options.reduction()),
                            options.ignore_index(), 0.0, false);
}

namespace {
// Class-probability targets (same shape as the input, floating point), as PyTorch 1.13:
// loss = -sum_c w_c * target_c * log_softmax(input)_c per sample; the mean divides by the
// number of samples. Composed of differentiable ops, so the target gets a gradient too.
Tensor cross_entropy_probabilities(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options) {
  const char* op = "cross_entropy";
  check_same_float_dtype(input, target, op, "target");
  XGRAD_CHECK(options.ignore_index() == -100, ValueError,
              "{}: ignore_index is not supported for floating point (class probability) targets, got {}", op,
              options.ignore_index());
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  const int64_t C = input.size(class_dim);
  Tensor tgt = target;
  const double ls = options.label_smoothing();
  if (ls > 0.0) tgt = tgt * (1.0 - ls) + ls / static_cast<double>(C);
  Tensor prod = input.log_softmax(class_dim) * tgt;
  if (options.weight().defined()) {
    const Tensor& w = options.weight();
    XGRAD_CHECK(w.dim() == 1 && w.size(0) == C, ShapeError,
                "{}: weight should be a 1-D tensor with one element per class ({}), got {}", op, C, to_string(w.sizes()));
    check_same_float_dtype(input, w, op, "weight");
    std::vector<int64_t> wshape(static_cast<size_t>(input.dim() - class_dim), 1);
    wshape[0] = C;
    prod = prod * w.view(wshape);
  }
  switch (reduction_code(options.reduction())) {
    case kReduceNone: return -prod.sum({class_dim});
    case kReduceSum: return -prod.sum();
    default: return -prod.sum() / static_cast<double>(input.numel() / std::max<int64_t>(C, 1));
  }
}
}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options) {
  XGRAD_CHECK(options.label_smoothing() >= 0.0 && options.label_smoothing() <= 1.0, ValueError,
              "cross_entropy: label_smoothing must be between 0.0 and 1.0, got {}", options.label_smoothing());
  if (input.defined() && target.defined() && target.is_floating_point() && input.dim() >= 1 &&
      target.sizes() == input.sizes())
    return cross_entropy_probabilities(input, target, options);
  return ClassLossOp::apply(input, target, options.weight(), reduction_code(options.reduction()),
                            options.ignore_index(), options.label_smoothing(), true);
}

}  // namespace xgrad::nn::functional
