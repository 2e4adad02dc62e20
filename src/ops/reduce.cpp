// Reductions: sum, mean, max/min (all, along a dim with indices, amax/amin over dims), argmax/argmin.
//
// Results are deterministic: every reduction visits elements in one fixed order. float32 sums
// accumulate in double with eight independent partial sums, which is both accurate and fast
// (the partial sums break the add-latency chain).

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/strided.hpp"
#include "core/tensor_internal.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

namespace xgrad {

using autograd::variable_list;

namespace {

// Which dims a reduction removes, and the shapes around it.
// Inline storage: every reduction (a loss's sum or mean, each step) builds one.
struct Plan {
  DimVector in_sizes;
  DimVector keep_sizes;  // reduced dims set to 1
  DimVector out_sizes;   // keep_sizes, or without the reduced dims
  SmallVector<bool, 8> reduced;
  int64_t count = 1;  // elements folded into each output
};

Plan make_plan(const Tensor& x, IntArrayRef dims, bool keepdim, const char* op) {
  Plan p;
  p.in_sizes = x.sizes();
  const int64_t nd = x.dim();
  p.reduced.assign(static_cast<size_t>(nd), dims.empty());  // no dims = all dims, as PyTorch
  for (int64_t d : dims) {
    const int64_t w = detail::wrap_dim(d, nd, op);
    if (nd == 0) continue;
    XGRAD_CHECK(!p.reduced[static_cast<size_t>(w)], IndexError, "{}: dim {} appears multiple times in the list of dims",
                op, w);
    p.reduced[static_cast<size_t>(w)] = true;
  }
  for (int64_t d = 0; d < nd; ++d) {
    const auto s = p.in_sizes[static_cast<size_t>(d)];
    if (p.reduced[static_cast<size_t>(d)]) {
      p.count *= s;
      p.keep_sizes.push_back(1);
      if (keepdim) p.out_sizes.push_back(1);
    } else {
      p.keep_sizes.push_back(s);
      p.out_sizes.push_back(s);
    }
  }
  return p;
}

Plan plan_all(const Tensor& x) { return make_plan(x, {}, false, "reduce"); }

// Strides of the (contiguous, keep-shaped) accumulator seen from the input: 0 on reduced dims.
std::vector<int64_t> acc_strides(const Plan& p) {
  auto cs = contiguous_strides(p.keep_sizes);
  for (size_t d = 0; d < cs.size(); ++d)
    if (p.reduced[d]) cs[d] = 0;
  return cs;
}

// Sum of a strided row with eight partial sums (fixed order => deterministic).
template <typename Acc, typename T>
Acc row_sum(const T* x, int64_t n, int64_t stride) {
  Acc s[8] = {};
  int64_t i = 0;
  if (stride == 1) {
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) s[k] += static_cast<Acc>(x[i + k]);
  } else {
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) s[k] += static_cast<Acc>(x[(i + k) * stride]);
  }
  for (; i < n; ++i) s[0] += static_cast<Acc>(x[i * stride]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// Sums x over the plan's reduced dims into a tensor of out_sizes and dtype `out_type`.
Tensor sum_kernel(const Tensor& x, const Plan& p, ScalarType out_type, double scale = 1.0) {
  Tensor out = make_tensor(p.out_sizes, out_type);
  const int64_t nout = out.numel();
  detail::dispatch_all(x.dtype(), "sum", [&]<typename T>() {
    // Integer sums wrap around on overflow (as PyTorch) rather than hitting signed-overflow UB.
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
    using Signed = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    std::vector<Acc> acc(static_cast<size_t>(nout), Acc(0));
    const T* px = detail::typed_data<T>(x);
    if (nout == 1 && x.is_contiguous()) {
      acc[0] = row_sum<Acc>(px, x.numel(), 1);
    } else {
      const auto as = acc_strides(p);
      const auto& xs = x.impl()->strides;
      Acc* pa = acc.data();
      detail::for_each_row<2>(p.in_sizes, {as.data(), xs.data()}, [&](const auto& base, int64_t n, const auto& st) {
        Acc* a = pa + base[0];
        const T* r = px + base[1];
        if (st[0] == 0) {
          *a += row_sum<Acc>(r, n, st[1]);
        } else if (st[1] == 1) {
          for (int64_t i = 0; i < n; ++i) a[i] += static_cast<Acc>(r[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) a[i] += static_cast<Acc>(r[i * st[1]]);
        }
      });
    }
    detail::dispatch_std(out_type, "sum", [&]<typename R>() {
      R* o = detail::typed_data<R>(out);
      for (int64_t i = 0; i < nout; ++i) {
        if constexpr (std::is_floating_point_v<R>)
          o[i] = static_cast<R>(static_cast<double>(static_cast<Signed>(acc[static_cast<size_t>(i)])) * scale);
        else
          o[i] = static_cast<R>(static_cast<int64_t>(acc[static_cast<size_t>(i)]));
      }
    });
  });
  return out;
}

// Complex stays complex (and the kernel then refuses it by name) rather than becoming int64.
ScalarType sum_type(ScalarType t) { return is_floating_point(t) || is_complex(t) ? t : kInt64; }

// Gradient of a reduction: g (out_sizes) seen as keep_sizes and broadcast to the input.
Tensor expand_grad(const Tensor& g, IntArrayRef keep, IntArrayRef in) {
  // A full reduction's 0-d gradient expands as it is (expand adds the leading dimensions).
  if (g.dim() == 0) return g.expand(in);
  Tensor k = g.sizes() == keep ? g : g.reshape(keep);
  return k.expand(in);
}

// The sum and mean ops keep their reduction's Plan as their state: its sizes are what backward
// broadcasts the gradient through, and its count what mean divides by.
struct SumOp : autograd::Function<SumOp> {
  static std::string_view name() { return "SumBackward0"; }
  using State = Plan;
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    const Plan& p = ctx->emplace_state<State>(plan_all(x));
    return sum_kernel(x, p, sum_type(x.dtype()));
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Plan& p = ctx->state<State>();
    return {expand_grad(g[0], p.keep_sizes, p.in_sizes)};
  }
};

struct SumDimOp : autograd::Function<SumDimOp> {
  static std::string_view name() { return "SumBackward1"; }
  using State = Plan;
  static Tensor forward(AutogradContext* ctx, const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
    const Plan& p = ctx->emplace_state<State>(make_plan(x, dims, keepdim, "sum"));
    return sum_kernel(x, p, sum_type(x.dtype()));
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Plan& p = ctx->state<State>();
    return {expand_grad(g[0], p.keep_sizes, p.in_sizes)};
  }
};

struct MeanOp : autograd::Function<MeanOp> {
  static std::string_view name() { return "MeanBackward0"; }
  using State = Plan;
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    const Plan& p = ctx->emplace_state<State>(plan_all(x));
    return sum_kernel(x, p, x.dtype(), 1.0 / static_cast<double>(p.count));
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Plan& p = ctx->state<State>();
    return {expand_grad(g[0] / static_cast<double>(p.count), p.keep_sizes, p.in_sizes)};
  }
};

struct MeanDimOp : autograd::Function<MeanDimOp> {
  static std::string_view name() { return "MeanBackward1"; }
  using State = Plan;
  static Tensor forward(AutogradContext* ctx, const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
    const Plan& p = ctx->emplace_state<State>(make_plan(x, dims, keepdim, "mean"));
    return sum_kernel(x, p, x.dtype(), 1.0 / static_cast<double>(p.count));
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Plan& p = ctx->state<State>();
    return {expand_grad(g[0] / static_cast<double>(p.count), p.keep_sizes, p.in_sizes)};
  }
};

void check_mean_dtype(const Tensor& x) {
  XGRAD_CHECK(is_floating_point(x.dtype()), TypeError,
              "mean: could not infer output dtype; input dtype must be floating point, got {}", dtype_name(x.dtype()));
}

// ---- max / min ----------------------------------------------------------------------------------

// NaN wins (propagates), as PyTorch.
template <bool IsMax, typename T>
inline bool better(T v, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(best)) return false;
    if (std::isnan(v)) return true;
  }
  if constexpr (IsMax)
    return v > best;
  else
    return v < best;
}

// max/min over the plan's reduced dims (values only).
template <bool IsMax>
Tensor extreme_kernel(const Tensor& x, const Plan& p, const char* op) {
  XGRAD_CHECK(p.count > 0, ValueError,
              "{}: cannot reduce an empty tensor or over a dimension of size 0 (input sizes {})", op,
              to_string(x.sizes()));
  Tensor out = make_tensor(p.out_sizes, x.dtype());
  const int64_t nout = out.numel();
  detail::dispatch_all(x.dtype(), op, [&]<typename T>() {
    T* o = detail::typed_data<T>(out);
    std::vector<char> seen(static_cast<size_t>(nout), 0);
    const auto as = acc_strides(p);
    const auto& xs = x.impl()->strides;
    const T* px = detail::typed_data<T>(x);
    detail::for_each_row<2>(p.in_sizes, {as.data(), xs.data()}, [&](const auto& base, int64_t n, const auto& st) {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t oi = base[0] + i * st[0];
        const T v = px[base[1] + i * st[1]];
        if (!seen[static_cast<size_t>(oi)]) {
          o[oi] = v;
          seen[static_cast<size_t>(oi)] = 1;
        } else if (better<IsMax>(v, o[oi])) {
          o[oi] = v;
        }
      }
    });
  });
  return out;
}

// Gradient of a value reduction (max(), amax): split evenly among the elements equal to the result.
Tensor tie_split_grad(const Tensor& g, const Tensor& x, const Tensor& result, IntArrayRef keep,
                      const SmallVector<bool, 8>& reduced) {
  Tensor mask;
  {
    AutoGradMode guard(false);
    const Tensor r = result.sizes() == IntArrayRef(keep) ? result : result.reshape(keep);
    // NaN results take their gradient from the NaN inputs (x == NaN is never true).
    mask = (x == r).to(g.dtype()) + isnan(x).mul(isnan(r)).to(g.dtype());
    std::vector<int64_t> dims;
    for (size_t d = 0; d < reduced.size(); ++d)
      if (reduced[d]) dims.push_back(static_cast<int64_t>(d));
    const Tensor count = dims.empty() && x.dim() > 0 ? mask : mask.sum(dims, true);
    mask = mask / count;
  }
  const Tensor gk = g.sizes() == IntArrayRef(keep) ? g : g.reshape(keep);
  return gk * mask;
}

template <bool IsMax>
struct ExtremeAllOp : autograd::Function<ExtremeAllOp<IsMax>> {
  static std::string_view name() { return IsMax ? "MaxBackward1" : "MinBackward1"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor r = extreme_kernel<IsMax>(x, plan_all(x), IsMax ? "max" : "min");
    ctx->save_for_backward({x, r});
    return r;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    const Plan p = plan_all(s[0]);
    return {tie_split_grad(g[0], s[0], s[1], p.keep_sizes, p.reduced)};
  }
};

template <bool IsMax>
struct AmaxOp : autograd::Function<AmaxOp<IsMax>> {
  static std::string_view name() { return IsMax ? "AmaxBackward0" : "AminBackward0"; }
  using State = Plan;  // backward splits the gradient over the reduced dims' ties
  static Tensor forward(AutogradContext* ctx, const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
    const char* op = IsMax ? "amax" : "amin";
    const Plan& p = ctx->emplace_state<State>(make_plan(x, dims, keepdim, op));
    XGRAD_CHECK(p.count > 0, ValueError, "{}: cannot reduce over a dimension of size 0 (input sizes {})", op,
                to_string(x.sizes()));
    Tensor r = extreme_kernel<IsMax>(x, p, op);
    ctx->save_for_backward({x, r});
    return r;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    const Plan& p = ctx->state<State>();
    return {tie_split_grad(g[0], s[0], s[1], p.keep_sizes, p.reduced)};
  }
};

// (values, indices) of max/min along one dim; first occurrence wins ties, NaN counts as extreme.
template <bool IsMax>
std::pair<Tensor, Tensor> extreme_dim_kernel(const Tensor& x, int64_t dim, bool keepdim, const char* op) {
  const int64_t nd = x.dim();
  const int64_t d = detail::wrap_dim(dim, nd, op);
  const Plan p = make_plan(x, {d}, keepdim, op);
  const int64_t n = nd == 0 ? 1 : x.size(d);
  XGRAD_CHECK(n > 0, IndexError, "{}: expected reduction dim {} to have non-zero size (input sizes {})", op, d,
              to_string(x.sizes()));
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < nd; ++k) {
    if (k < d) outer *= x.size(k);
    if (k > d) inner *= x.size(k);
  }
  Tensor values = make_tensor(p.out_sizes, x.dtype());
  Tensor indices = make_tensor(p.out_sizes, kInt64);
  const Tensor c = x.contiguous();
  detail::dispatch_all(x.dtype(), op, [&]<typename T>() {
    const T* px = detail::typed_data<T>(c);
    T* pv = detail::typed_data<T>(values);
    int64_t* pi = detail::typed_data<int64_t>(indices);
    if (inner == 1) {
      // Reducing the last dim: one scan per row.
      for (int64_t o = 0; o < outer; ++o) {
        const T* row = px + o * n;
        T best = row[0];
        int64_t at = 0;
        for (int64_t k = 1; k < n; ++k)
          if (better<IsMax>(row[k], best)) {
            best = row[k];
            at = k;
          }
        pv[o] = best;
        pi[o] = at;
      }
      return;
    }
    for (int64_t o = 0; o < outer; ++o) {
      const T* base = px + o * n * inner;
      T* v = pv + o * inner;
      int64_t* id = pi + o * inner;
      for (int64_t i = 0; i < inner; ++i) {
        v[i] = base[i];
        id[i] = 0;
      }
      for (int64_t k = 1; k < n; ++k) {
        const T* row = base + k * inner;
        for (int64_t i = 0; i < inner; ++i) {
          if (better<IsMax>(row[i], v[i])) {
            v[i] = row[i];
            id[i] = k;
          }
        }
      }
    }
  });
  return {values, indices};
}

// One-hot mask (input sizes, dtype t): 1 where the index along `dim` equals `indices` (keep sizes).
Tensor index_mask(IntArrayRef in_sizes, int64_t dim, const Tensor& indices_keep, ScalarType t) {
  Tensor mask = zeros(in_sizes, t);
  const int64_t nd = static_cast<int64_t>(in_sizes.size());
  int64_t outer = 1, inner = 1, n = nd == 0 ? 1 : in_sizes[static_cast<size_t>(dim)];
  for (int64_t k = 0; k < nd; ++k) {
    if (k < dim) outer *= in_sizes[static_cast<size_t>(k)];
    if (k > dim) inner *= in_sizes[static_cast<size_t>(k)];
  }
  const Tensor idx = indices_keep.contiguous();
  const int64_t* pi = detail::typed_data<int64_t>(idx);
  detail::dispatch_floating(t, "max", [&]<typename T>() {
    T* pm = detail::typed_data<T>(mask);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) pm[(o * n + pi[o * inner + i]) * inner + i] = T(1);
  });
  return mask;
}

template <bool IsMax>
struct ExtremeDimOp : autograd::Function<ExtremeDimOp<IsMax>> {
  static std::string_view name() { return IsMax ? "MaxBackward0" : "MinBackward0"; }
  struct State {
    std::vector<int64_t> input_sizes;
    int64_t dim;                      // wrapped
    std::vector<int64_t> keep_sizes;  // input_sizes with `dim` set to 1
  };
  static variable_list forward(AutogradContext* ctx, const Tensor& x, int64_t dim, bool keepdim) {
    const char* op = IsMax ? "max" : "min";
    auto [values, indices] = extreme_dim_kernel<IsMax>(x, dim, keepdim, op);
    const int64_t d = detail::wrap_dim(dim, x.dim(), op);
    ctx->save_for_backward({indices});
    ctx->emplace_state<State>(x.sizes().vec(), d, make_plan(x, {d}, true, op).keep_sizes.vec());
    ctx->mark_non_differentiable({indices});
    return {values, indices};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor idx = ctx->get_saved_variables()[0];
    const State& s = ctx->state<State>();
    const auto& keep = s.keep_sizes;
    const auto& in = s.input_sizes;
    const int64_t d = s.dim;
    const Tensor ik = idx.sizes() == IntArrayRef(keep) ? idx : idx.reshape(keep);
    const Tensor mask = index_mask(in, d, ik, g[0].dtype());
    const Tensor gk = g[0].sizes() == IntArrayRef(keep) ? g[0] : g[0].reshape(keep);
    return {gk * mask};
  }
};

template <bool IsMax>
Tensor arg_extreme(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  const char* op = IsMax ? "argmax" : "argmin";
  detail::check_defined(x, op);
  AutoGradMode guard(false);
  if (dim) return extreme_dim_kernel<IsMax>(x, *dim, keepdim, op).second;
  XGRAD_CHECK(x.numel() > 0, ValueError, "{}: expected a non-empty tensor (input sizes {})", op, to_string(x.sizes()));
  const Tensor c = x.contiguous();
  const Tensor flat = make_view(c, {x.numel()}, {1}, c.storage_offset());
  Tensor r = extreme_dim_kernel<IsMax>(flat, 0, false, op).second;
  if (keepdim) {
    std::vector<int64_t> ones(static_cast<size_t>(x.dim()), 1);
    r = make_view(r, ones, contiguous_strides(ones), 0);
  }
  return r;
}

}  // namespace

// ---- public ---------------------------------------------------------------------------------------

Tensor sum(const Tensor& x) {
  detail::check_defined(x, "sum");
  return SumOp::apply(x);
}
Tensor sum(const Tensor& x, IntArrayRef dims, bool keepdim) {
  detail::check_defined(x, "sum");
  return SumDimOp::apply(x, dims.vec(), keepdim);
}
Tensor mean(const Tensor& x) {
  detail::check_defined(x, "mean");
  check_mean_dtype(x);
  return MeanOp::apply(x);
}
Tensor mean(const Tensor& x, IntArrayRef dims, bool keepdim) {
  detail::check_defined(x, "mean");
  check_mean_dtype(x);
  return MeanDimOp::apply(x, dims.vec(), keepdim);
}
Tensor Tensor::sum() const { return xgrad::sum(*this); }
Tensor Tensor::sum(IntArrayRef dims, bool keepdim) const { return xgrad::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return xgrad::mean(*this); }
Tensor Tensor::mean(IntArrayRef dims, bool keepdim) const { return xgrad::mean(*this, dims, keepdim); }

Tensor max(const Tensor& x) {
  detail::check_defined(x, "max");
  return ExtremeAllOp<true>::apply(x);
}
Tensor min(const Tensor& x) {
  detail::check_defined(x, "min");
  return ExtremeAllOp<false>::apply(x);
}
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  detail::check_defined(x, "max");
  auto r = ExtremeDimOp<true>::apply(x, dim, keepdim);
  return {r[0], r[1]};
}
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  detail::check_defined(x, "min");
  auto r = ExtremeDimOp<false>::apply(x, dim, keepdim);
  return {r[0], r[1]};
}
Tensor amax(const Tensor& x, IntArrayRef dims, bool keepdim) {
  detail::check_defined(x, "amax");
  return AmaxOp<true>::apply(x, dims.vec(), keepdim);
}
Tensor amin(const Tensor& x, IntArrayRef dims, bool keepdim) {
  detail::check_defined(x, "amin");
  return AmaxOp<false>::apply(x, dims.vec(), keepdim);
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return arg_extreme<true>(x, dim, keepdim); }
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return arg_extreme<false>(x, dim, keepdim); }

Tensor Tensor::max() const { return xgrad::max(*this); }
Tensor Tensor::min() const { return xgrad::min(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return xgrad::max(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return xgrad::min(*this, dim, keepdim); }
Tensor Tensor::amax(IntArrayRef dims, bool keepdim) const { return xgrad::amax(*this, dims, keepdim); }
Tensor Tensor::amin(IntArrayRef dims, bool keepdim) const { return xgrad::amin(*this, dims, keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return xgrad::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const { return xgrad::argmin(*this, dim, keepdim); }

}  // namespace xgrad
