// Statistics over dims: std, var (and std_mean / var_mean), the vector p-norm, logsumexp; and
// the running sum cumsum.
//
// The reductions move the reduced dims last (a permuted contiguous copy), so each output element
// reduces one contiguous row of `count` elements; rows accumulate in double, in one fixed order
// (deterministic). Every backward is written with differentiable ops and recomputes the op's
// output from the saved input when a graph is being recorded (create_graph), so second
// derivatives are exact.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/normalization.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/tensor_internal.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

namespace xgrad {

using autograd::variable_list;

namespace {


// Which dims a reduction folds, and the shapes around it. An empty `dims` means every dim.
struct Reduction {
  std::vector<int64_t> dims;        // wrapped, ascending
  std::vector<int64_t> keep_sizes;  // reduced dims set to 1
  std::vector<int64_t> out_sizes;   // keep_sizes, or without the reduced dims
  std::vector<int64_t> perm;        // kept dims, then reduced dims
  int64_t count = 1;                // elements folded into each output
  int64_t rows = 1;                 // number of outputs
};

Reduction make_reduction(const Tensor& x, IntArrayRef dims, bool keepdim, const char* op) {
  Reduction r;
  const int64_t nd = x.dim();
  std::vector<bool> reduced(static_cast<size_t>(nd), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = detail::wrap_dim(d, nd, op);
    if (nd == 0) continue;
    XGRAD_CHECK(!reduced[static_cast<size_t>(w)], IndexError,
                "{}: dim {} appears multiple times in the list of dims {}", op, w, to_string(dims));
    reduced[static_cast<size_t>(w)] = true;
  }
  for (int64_t d = 0; d < nd; ++d) {
    const int64_t s = x.size(d);
    if (reduced[static_cast<size_t>(d)]) {
      r.dims.push_back(d);
      r.count *= s;
      r.keep_sizes.push_back(1);
      if (keepdim) r.out_sizes.push_back(1);
    } else {
      r.perm.push_back(d);
      r.rows *= s;
      r.keep_sizes.push_back(s);
      r.out_sizes.push_back(s);
    }
  }
  for (int64_t d : r.dims) r.perm.push_back(d);
  return r;
}

// x laid out as [rows, count], contiguous (a copy unless x already is in that order).
Tensor as_rows(const Tensor& x, const Reduction& r) {
  if (x.dim() == 0) return x.contiguous();
  return x.permute(r.perm).contiguous();
}

void check_floating(const Tensor& x, const char* op, const char* what) {
  XGRAD_CHECK(is_floating_point(x.dtype()), TypeError, "{}: {}, got {}", op, what, dtype_name(x.dtype()));
}

Tensor keep_shaped(const Tensor& t, const std::vector<int64_t>& keep) {
  return t.sizes() == IntArrayRef(keep) ? t : t.reshape(keep);
}

// A constant (no graph) sign of x in x's dtype.
Tensor sign_const(const Tensor& x) {
  AutoGradMode guard(false);
  return (x > 0.0).to(x.dtype()) - (x < 0.0).to(x.dtype());
}

// ---- std / var ------------------------------------------------------------------------------------

// Per row: mean and sum of squared deviations (two passes in double: no cancellation).
void moments(const Tensor& x, const Reduction& r, double divisor, bool take_sqrt, Tensor& out, Tensor& mean) {
  const Tensor rows = as_rows(x, r);
  out = make_tensor(r.out_sizes, x.dtype(), take_sqrt ? "std" : "var");
  mean = make_tensor(r.out_sizes, x.dtype(), "mean");
  detail::dispatch_floating(x.dtype(), take_sqrt ? "std" : "var", [&]<typename T>() {
    const T* p = detail::typed_data<T>(rows);
    T* o = detail::typed_data<T>(out);
    T* m = detail::typed_data<T>(mean);
    const int64_t n = r.count;
    for (int64_t i = 0; i < r.rows; ++i) {
      const T* row = p + i * n;
      double s = 0.0;
      for (int64_t k = 0; k < n; ++k) s += static_cast<double>(row[k]);
      const double mu = s / static_cast<double>(n);
      double ss = 0.0;
      for (int64_t k = 0; k < n; ++k) {
        const double dv = static_cast<double>(row[k]) - mu;
        ss += dv * dv;
      }
      const double v = ss / divisor;
      o[i] = static_cast<T>(take_sqrt ? std::sqrt(v) : v);
      m[i] = static_cast<T>(mu);
    }
  });
}

// N - correction, floored at 0 as PyTorch (0 gives inf or NaN results, as there).
double dof(int64_t count, int64_t correction) {
  return std::max(0.0, static_cast<double>(count) - static_cast<double>(correction));
}

// d var / dx contracted with g (keep-shaped): 2 (x - mean) g / (N - correction).
Tensor var_backward(const Tensor& g_keep, const Tensor& x, const Reduction& r, int64_t correction) {
  const Tensor centered = x - x.mean(r.dims, true);
  return g_keep * centered * (2.0 / dof(r.count, correction));
}

// d std / dx: the var gradient of g / (2 std), taken as 0 where std is 0 (as PyTorch).
Tensor std_backward(const Tensor& g_keep, const Tensor& x, const Tensor& std_keep, const Reduction& r,
                    int64_t correction) {
  Tensor zero;
  {
    AutoGradMode guard(false);
    zero = std_keep == 0.0;
  }
  const Tensor gv = (g_keep / (2.0 * std_keep)).masked_fill(zero, 0.0);
  return var_backward(gv, x, r, correction);
}

// What var/std and var_mean/std_mean keep for backward besides x and the result.
struct MomentState {
  std::vector<int64_t> dims;  // the reduced dims, wrapped
  int64_t correction;
};

// Forward of var/std (IsStd) and of var_mean/std_mean: saves x and the result, returns both
// moments.
template <bool IsStd>
std::pair<Tensor, Tensor> moment_forward(AutogradContext* ctx, const Tensor& x, std::vector<int64_t> dims,
                                         int64_t correction, bool keepdim, const char* op) {
  const Reduction r = make_reduction(x, dims, keepdim, op);
  Tensor out, mean;
  moments(x, r, dof(r.count, correction), IsStd, out, mean);
  ctx->save_for_backward({x, out});
  ctx->emplace_state<MomentState>(MomentState{r.dims, correction});
  return {out, mean};
}

// The gradient of var or std (IsStd) for an incoming gradient g of the reduced shape; `out` is the
// saved forward result. Under create_graph, std is recomputed with the graph so that its own
// gradient flows into the second derivative.
template <bool IsStd>
Tensor moment_backward(const Tensor& g, const Tensor& x, const Tensor& out, const Reduction& r, int64_t correction) {
  const Tensor gk = keep_shaped(g, r.keep_sizes);
  if constexpr (IsStd) {
    const bool graph = GradMode::is_enabled() && x.requires_grad();
    const Tensor sd = graph ? xgrad::std(x, r.dims, std::optional<int64_t>(correction), true)
                            : keep_shaped(out, r.keep_sizes);
    return std_backward(gk, x, sd, r, correction);
  } else {
    return var_backward(gk, x, r, correction);
  }
}

template <bool IsStd>
struct VarOp : autograd::Function<VarOp<IsStd>> {
  static std::string_view name() { return IsStd ? "StdBackward0" : "VarBackward0"; }
  using State = MomentState;
  static Tensor forward(AutogradContext* ctx, const Tensor& x, std::vector<int64_t> dims, int64_t correction,
                        bool keepdim) {
    return moment_forward<IsStd>(ctx, x, std::move(dims), correction, keepdim, IsStd ? "std" : "var").first;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const auto s = ctx->get_saved_variables();
    const State& st = ctx->state<State>();
    const Reduction r = make_reduction(s[0], st.dims, true, IsStd ? "std" : "var");
    return {moment_backward<IsStd>(g[0], s[0], s[1], r, st.correction)};
  }
};

template <bool IsStd>
struct VarMeanOp : autograd::Function<VarMeanOp<IsStd>> {
  static std::string_view name() { return IsStd ? "StdMeanBackward0" : "VarMeanBackward0"; }
  using State = MomentState;
  static variable_list forward(AutogradContext* ctx, const Tensor& x, std::vector<int64_t> dims, int64_t correction,
                               bool keepdim) {
    auto [out, mean] =
        moment_forward<IsStd>(ctx, x, std::move(dims), correction, keepdim, IsStd ? "std_mean" : "var_mean");
    return {out, mean};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const auto s = ctx->get_saved_variables();
    const Tensor& x = s[0];
    const State& st = ctx->state<State>();
    const Reduction r = make_reduction(x, st.dims, true, IsStd ? "std_mean" : "var_mean");
    Tensor gx;
    if (g[0].defined()) gx = moment_backward<IsStd>(g[0], x, s[1], r, st.correction);
    if (g[1].defined()) {
      const Tensor gm = (keep_shaped(g[1], r.keep_sizes) / static_cast<double>(r.count)).expand(x.sizes());
      gx = gx.defined() ? gx + gm : gm;
    }
    return {gx};
  }
};

int64_t correction_of(std::optional<int64_t> correction) { return correction.value_or(1); }

template <bool IsStd>
Tensor var_impl(const Tensor& x, IntArrayRef dims, int64_t correction, bool keepdim) {
  const char* op = IsStd ? "std" : "var";
  detail::check_defined(x, op);
  check_floating(x, op, "std and var only support floating-point dtypes");
  return VarOp<IsStd>::apply(x, dims.vec(), correction, keepdim);
}

template <bool IsStd>
std::tuple<Tensor, Tensor> var_mean_impl(const Tensor& x, IntArrayRef dims, int64_t correction, bool keepdim) {
  const char* op = IsStd ? "std_mean" : "var_mean";
  detail::check_defined(x, op);
  check_floating(x, op, "std and var only support floating-point dtypes");
  auto out = VarMeanOp<IsStd>::apply(x, dims.vec(), correction, keepdim);
  return {out[0], out[1]};
}

// ---- norm -----------------------------------------------------------------------------------------

Tensor norm_kernel(const Tensor& x, const Reduction& r, double p) {
  const Tensor rows = as_rows(x, r);
  Tensor out = make_tensor(r.out_sizes, x.dtype(), "norm");
  detail::dispatch_floating(x.dtype(), "norm", [&]<typename T>() {
    const T* px = detail::typed_data<T>(rows);
    T* o = detail::typed_data<T>(out);
    const int64_t n = r.count;
    for (int64_t i = 0; i < r.rows; ++i) {
      const T* row = px + i * n;
      double acc;
      if (std::isinf(p)) {
        // max |x| (min |x| for -inf); NaN propagates. An empty row gives 0 for inf (as PyTorch)
        // and inf for -inf (checked by the caller).
        acc = p > 0 ? 0.0 : std::numeric_limits<double>::infinity();
        for (int64_t k = 0; k < n; ++k) {
          const double a = std::abs(static_cast<double>(row[k]));
          if (std::isnan(a) || std::isnan(acc))
            acc = std::numeric_limits<double>::quiet_NaN();
          else
            acc = p > 0 ? std::max(acc, a) : std::min(acc, a);
        }
      } else if (p == 0) {
        acc = 0.0;
        for (int64_t k = 0; k < n; ++k) acc += row[k] != T(0) ? 1.0 : 0.0;
      } else if (p == 1) {
        acc = 0.0;
        for (int64_t k = 0; k < n; ++k) acc += std::abs(static_cast<double>(row[k]));
      } else if (p == 2) {
        acc = 0.0;
        for (int64_t k = 0; k < n; ++k) acc += static_cast<double>(row[k]) * static_cast<double>(row[k]);
        acc = std::sqrt(acc);
      } else {
        acc = 0.0;
        for (int64_t k = 0; k < n; ++k) acc += std::pow(std::abs(static_cast<double>(row[k])), p);
        acc = std::pow(acc, 1.0 / p);
      }
      o[i] = static_cast<T>(acc);
    }
  });
  return out;
}

// d norm_p / dx contracted with g (keep-shaped), as PyTorch's norm_backward: 0 where the norm is 0.
Tensor norm_backward(const Tensor& gk, const Tensor& x, const Tensor& nk, const Reduction& r, double p) {
  if (p == 0) return zeros_like(x);
  if (p == 1) return gk * sign_const(x);
  Tensor zero;
  {
    AutoGradMode guard(false);
    zero = nk == 0.0;
  }
  if (p == 2) return x * (gk / nk).masked_fill(zero, 0.0);
  if (std::isinf(p)) {
    // Ties (and NaN entries) share the gradient equally, as PyTorch.
    Tensor share;
    {
      AutoGradMode guard(false);
      const Tensor ax = x.abs();
      const Tensor mask = (ax == nk).to(x.dtype()) + isnan(ax).to(x.dtype());
      share = sign_const(x) * mask / mask.sum(r.dims, true);
    }
    return gk * share;
  }
  const Tensor scale = (gk / nk.pow(p - 1.0)).masked_fill(zero, 0.0);
  if (p < 2) return sign_const(x) * x.abs().pow(p - 1.0) * scale;
  return x * x.abs().pow(p - 2.0) * scale;
}

template <bool WithDim>
struct NormOp : autograd::Function<NormOp<WithDim>> {
  static std::string_view name() { return WithDim ? "NormBackward1" : "NormBackward0"; }
  struct State {
    double p;
    std::vector<int64_t> dims;  // the reduced dims, wrapped
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double p, std::vector<int64_t> dims, bool keepdim) {
    const Reduction r = make_reduction(x, dims, keepdim, "norm");
    XGRAD_CHECK(!(std::isinf(p) && p < 0 && r.count == 0), ValueError,
                "norm: cannot take the -inf norm over an empty dimension (input sizes {})", to_string(x.sizes()));
    Tensor out = norm_kernel(x, r, p);
    ctx->save_for_backward({x, out});
    ctx->emplace_state<State>(State{p, r.dims});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const auto s = ctx->get_saved_variables();
    const Tensor& x = s[0];
    const double p = ctx->state<State>().p;
    const Reduction r = make_reduction(x, ctx->state<State>().dims, true, "norm");
    const bool graph = GradMode::is_enabled() && x.requires_grad();
    const Tensor nk = graph ? xgrad::norm(x, p, r.dims, true) : keep_shaped(s[1], r.keep_sizes);
    return {norm_backward(keep_shaped(g[0], r.keep_sizes), x, nk, r, p)};
  }
};

void check_norm_input(const Tensor& x) {
  detail::check_defined(x, "norm");
  check_floating(x, "norm", "input dtype should be floating point");
}

// ---- logsumexp ------------------------------------------------------------------------------------

Tensor logsumexp_kernel(const Tensor& x, const Reduction& r) {
  const Tensor rows = as_rows(x, r);
  Tensor out = make_tensor(r.out_sizes, x.dtype(), "logsumexp");
  detail::dispatch_floating(x.dtype(), "logsumexp", [&]<typename T>() {
    const T* px = detail::typed_data<T>(rows);
    T* o = detail::typed_data<T>(out);
    const int64_t n = r.count;
    for (int64_t i = 0; i < r.rows; ++i) {
      const T* row = px + i * n;
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < n; ++k) m = std::max(m, static_cast<double>(row[k]));
      // An infinite maximum is not subtracted (inf - inf would be NaN): the sum then gives
      // inf or 0 by itself, as PyTorch.
      const double shift = std::isinf(m) ? 0.0 : m;
      double s = 0.0;
      bool nan = false;
      for (int64_t k = 0; k < n; ++k) {
        const double v = static_cast<double>(row[k]);
        nan = nan || std::isnan(v);
        s += std::exp(v - shift);
      }
      o[i] = static_cast<T>(nan ? std::numeric_limits<double>::quiet_NaN() : std::log(s) + shift);
    }
  });
  return out;
}

struct LogsumexpOp : autograd::Function<LogsumexpOp> {
  static std::string_view name() { return "LogsumexpBackward0"; }
  using State = std::vector<int64_t>;  // the reduced dims, wrapped
  static Tensor forward(AutogradContext* ctx, const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
    const Reduction r = make_reduction(x, dims, keepdim, "logsumexp");
    Tensor out = logsumexp_kernel(x, r);
    ctx->save_for_backward({x, out});
    ctx->emplace_state<State>(r.dims);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const auto s = ctx->get_saved_variables();
    const Tensor& x = s[0];
    const Reduction r = make_reduction(x, ctx->state<State>(), true, "logsumexp");
    const bool graph = GradMode::is_enabled() && x.requires_grad();
    const Tensor lk = graph ? xgrad::logsumexp(x, r.dims, true) : keep_shaped(s[1], r.keep_sizes);
    return {keep_shaped(g[0], r.keep_sizes) * (x - lk).exp()};
  }
};

// ---- cumsum ---------------------------------------------------------------------------------------

// Running sum of contiguous x along d, forwards or (reverse) from the end.
Tensor cumsum_kernel(const Tensor& x, int64_t d, bool reverse) {
  const Tensor c = x.contiguous();
  Tensor out = make_tensor(x.sizes(), x.dtype(), "cumsum");
  const int64_t nd = x.dim();
  const int64_t n = nd == 0 ? 1 : x.size(d);
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < nd; ++k) {
    if (k < d) outer *= x.size(k);
    if (k > d) inner *= x.size(k);
  }
  if (out.numel() == 0) return out;
  detail::dispatch_all(x.dtype(), "cumsum", [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      XGRAD_THROW(TypeError, "cumsum: bool input must be converted first");  // the caller converts
    } else {
      // float sums in double (as PyTorch's CPU accumulate type); int64 wraps around as PyTorch.
      using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
      const T* px = detail::typed_data<T>(c);
      T* po = detail::typed_data<T>(out);
      std::vector<Acc> acc(static_cast<size_t>(inner));
      for (int64_t o = 0; o < outer; ++o) {
        std::fill(acc.begin(), acc.end(), Acc(0));
        for (int64_t step = 0; step < n; ++step) {
          const int64_t k = reverse ? n - 1 - step : step;
          const T* xr = px + (o * n + k) * inner;
          T* orow = po + (o * n + k) * inner;
          for (int64_t i = 0; i < inner; ++i) {
            acc[static_cast<size_t>(i)] += static_cast<Acc>(xr[i]);
            if constexpr (std::is_floating_point_v<T>)
              orow[i] = static_cast<T>(acc[static_cast<size_t>(i)]);
            else
              orow[i] = static_cast<T>(static_cast<int64_t>(acc[static_cast<size_t>(i)]));
          }
        }
      }
    }
  });
  return out;
}

// The gradient of a running sum is the running sum from the other end; both directions are this
// one node, so any order of derivative works.
struct CumsumOp : autograd::Function<CumsumOp> {
  static std::string_view name() { return "CumsumBackward0"; }
  struct State {
    int64_t dim;
    bool reverse;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, int64_t dim, bool reverse) {
    ctx->emplace_state<State>(State{dim, reverse});
    return cumsum_kernel(x, dim, reverse);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const State& st = ctx->state<State>();
    return {CumsumOp::apply(g[0], st.dim, !st.reverse)};
  }
};

}  // namespace

// ---- public ---------------------------------------------------------------------------------------

Tensor std(const Tensor& x, IntArrayRef dim, bool unbiased, bool keepdim) {
  return var_impl<true>(x, dim, unbiased ? 1 : 0, keepdim);
}
Tensor std(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction, bool keepdim) {
  return var_impl<true>(x, dim, correction_of(correction), keepdim);
}
Tensor var(const Tensor& x, IntArrayRef dim, bool unbiased, bool keepdim) {
  return var_impl<false>(x, dim, unbiased ? 1 : 0, keepdim);
}
Tensor var(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction, bool keepdim) {
  return var_impl<false>(x, dim, correction_of(correction), keepdim);
}
std::tuple<Tensor, Tensor> std_mean(const Tensor& x, IntArrayRef dim, bool unbiased, bool keepdim) {
  return var_mean_impl<true>(x, dim, unbiased ? 1 : 0, keepdim);
}
std::tuple<Tensor, Tensor> std_mean(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction,
                                    bool keepdim) {
  return var_mean_impl<true>(x, dim, correction_of(correction), keepdim);
}
std::tuple<Tensor, Tensor> var_mean(const Tensor& x, IntArrayRef dim, bool unbiased, bool keepdim) {
  return var_mean_impl<false>(x, dim, unbiased ? 1 : 0, keepdim);
}
std::tuple<Tensor, Tensor> var_mean(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction,
                                    bool keepdim) {
  return var_mean_impl<false>(x, dim, correction_of(correction), keepdim);
}
Tensor std(const Tensor& x) { return var_impl<true>(x, {}, 1, false); }
Tensor var(const Tensor& x) { return var_impl<false>(x, {}, 1, false); }
std::tuple<Tensor, Tensor> std_mean(const Tensor& x) { return var_mean_impl<true>(x, {}, 1, false); }
std::tuple<Tensor, Tensor> var_mean(const Tensor& x) { return var_mean_impl<false>(x, {}, 1, false); }
Tensor Tensor::std(IntArrayRef dim, bool unbiased, bool keepdim) const {
  return xgrad::std(*this, dim, unbiased, keepdim);
}
Tensor Tensor::std(IntArrayRef dim, std::optional<int64_t> correction, bool keepdim) const {
  return xgrad::std(*this, dim, correction, keepdim);
}
Tensor Tensor::var(IntArrayRef dim, bool unbiased, bool keepdim) const {
  return xgrad::var(*this, dim, unbiased, keepdim);
}
Tensor Tensor::var(IntArrayRef dim, std::optional<int64_t> correction, bool keepdim) const {
  return xgrad::var(*this, dim, correction, keepdim);
}

Tensor norm(const Tensor& x, double p) {
  check_norm_input(x);
  return NormOp<false>::apply(x, p, std::vector<int64_t>{}, false);
}
Tensor norm(const Tensor& x, std::optional<double> p, IntArrayRef dim, bool keepdim) {
  check_norm_input(x);
  return NormOp<true>::apply(x, p.value_or(2.0), dim.vec(), keepdim);
}
Tensor Tensor::norm(double p) const { return xgrad::norm(*this, p); }
Tensor Tensor::norm(std::optional<double> p, IntArrayRef dim, bool keepdim) const {
  return xgrad::norm(*this, p, dim, keepdim);
}

Tensor logsumexp(const Tensor& x, IntArrayRef dim, bool keepdim) {
  detail::check_defined(x, "logsumexp");
  // Integral inputs are computed in float32, as PyTorch.
  const Tensor in = is_floating_point(x.dtype()) ? x : x.to(kFloat32);
  return LogsumexpOp::apply(in, dim.vec(), keepdim);
}
Tensor Tensor::logsumexp(IntArrayRef dim, bool keepdim) const { return xgrad::logsumexp(*this, dim, keepdim); }

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  detail::check_defined(x, "cumsum");
  const int64_t d = detail::wrap_dim(dim, x.dim(), "cumsum");
  ScalarType t = dtype.value_or(x.dtype());
  if (!dtype && is_integral(t, true)) t = kInt64;  // as PyTorch: integral sums are int64
  XGRAD_CHECK(t != kBool, TypeError, "cumsum: dtype bool is not supported for the result; use int64");
  const Tensor in = x.dtype() == t ? x : x.to(t);
  return CumsumOp::apply(in, d, false);
}
Tensor Tensor::cumsum(int64_t dim, std::optional<ScalarType> dtype) const { return xgrad::cumsum(*this, dim, dtype); }

// ---- nn::functional::normalize (LibTorch names, issue 9) ------------------------------------------

namespace nn::functional {

Tensor normalize(const Tensor& input, NormalizeFuncOptions options) {
  detail::check_defined(input, "normalize");
  XGRAD_CHECK(is_floating_point(input.dtype()), TypeError, "normalize: expected a float32 or float64 input, got {}",
              dtype_name(input.dtype()));
  const int64_t nd = std::max<int64_t>(input.dim(), 1);
  XGRAD_CHECK(options.dim() >= -nd && options.dim() < nd, IndexError,
              "normalize: dimension out of range (expected to be in range of [{}, {}], but got {})", -nd, nd - 1,
              options.dim());
  // As PyTorch: the norm kept as a size-1 dim, floored at eps so a zero slice divides by eps
  // (and stays 0) instead of giving NaN. A 0-dim input is its own slice.
  const Tensor norm = input.dim() == 0 ? input.unsqueeze(0).norm(options.p(), {0}, false)
                                       : input.norm(options.p(), {options.dim()}, true);
  const Tensor result = input / norm.clamp_min(options.eps());
  if (!options.out()) return result;
  Tensor out = *options.out();
  detail::check_defined(out, "normalize");
  XGRAD_CHECK(!(GradMode::is_enabled() && (input.requires_grad() || out.requires_grad())), AutogradError,
              "normalize: the out tensor is written in place, which autograd does not support; call it under "
              "NoGradGuard or leave out(...) unset");
  if (out.sizes() != result.sizes()) out.resize_(result.sizes());
  out.copy_(result);
  return out;
}

}  // namespace nn::functional

}  // namespace xgrad
