// Finite-difference gradient check: the analytic Jacobian, one backward pass per output element,
// against central differences, one pair of forward passes per input element.

#include <xgrad/autograd/engine.hpp>
#include <xgrad/autograd/gradcheck.hpp>
#include <xgrad/autograd/grad_mode.hpp>

#include <cmath>

namespace xgrad::autograd {

namespace {

// Physical offset of the i-th element (row-major) of `t`.
int64_t element_offset(const Tensor& t, int64_t i) {
  int64_t off = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (i % t.size(d)) * t.stride(d);
    i /= t.size(d);
  }
  return off;
}

std::vector<double> flatten_outputs(const variable_list& outs) {
  std::vector<double> v;
  for (const auto& o : outs) {
    if (!o.defined() || !o.is_floating_point()) continue;
    auto part = o.to_vector<double>();
    v.insert(v.end(), part.begin(), part.end());
  }
  return v;
}

}  // namespace

bool gradcheck(const GradcheckFn& fn, const variable_list& inputs, const GradcheckOptions& opt) {
  // A zero, negative or non-finite step makes the central difference 0/0 or meaningless: say so
  // rather than report a Jacobian mismatch against a NaN.
  XGRAD_CHECK(std::isfinite(opt.eps_) && opt.eps_ > 0, ValueError, "gradcheck: eps must be positive and finite, got {}",
              opt.eps_);
  XGRAD_CHECK(std::isfinite(opt.atol_) && opt.atol_ >= 0 && std::isfinite(opt.rtol_) && opt.rtol_ >= 0, ValueError,
              "gradcheck: atol and rtol must be non-negative and finite, got atol {} and rtol {}", opt.atol_, opt.rtol_);
  std::vector<size_t> diff;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    XGRAD_CHECK(inputs[i].dtype() == kFloat64, TypeError,
                "gradcheck: input #{} is {}; finite differences need float64 inputs (use .to(xgrad::kFloat64))", i,
                dtype_name(inputs[i].dtype()));
    XGRAD_CHECK(inputs[i].is_leaf(), AutogradError, "gradcheck: input #{} must be a leaf tensor", i);
    diff.push_back(i);
  }
  XGRAD_CHECK(!diff.empty(), ValueError, "gradcheck: no input requires grad");

  variable_list outputs = fn(inputs);
  variable_list diff_inputs;
  for (size_t i : diff) diff_inputs.push_back(inputs[i]);

  auto fail = [&](std::string msg) {
    if (opt.raise_exception_) throw AutogradError(msg);
    return false;
  };

  // Analytic Jacobian rows: d out[o][j] / d inputs.
  std::vector<std::vector<std::vector<double>>> analytic(diff.size());  // [input][out_elem][in_elem]
  size_t out_elems = 0;
  for (const auto& o : outputs)
    if (o.defined() && o.is_floating_point()) out_elems += static_cast<size_t>(o.numel());
  for (size_t k = 0; k < diff.size(); ++k) analytic[k].resize(out_elems);
  size_t row = 0;
  for (const auto& o : outputs) {
    if (!o.defined() || !o.is_floating_point()) continue;
    for (int64_t j = 0; j < o.numel(); ++j, ++row) {
      for (size_t k = 0; k < diff.size(); ++k)
        analytic[k][row].assign(static_cast<size_t>(inputs[diff[k]].numel()), 0.0);
      if (!o.requires_grad()) continue;
      Tensor seed = zeros(o.sizes(), o.dtype());
      {
        NoGradGuard g;
        seed.view({-1}).narrow(0, j, 1).fill_(1.0);
      }
      auto grads = grad({o}, diff_inputs, {seed}, /*retain_graph=*/true, false, /*allow_unused=*/true);
      for (size_t k = 0; k < diff.size(); ++k)
        if (grads[k].defined()) analytic[k][row] = grads[k].to_vector<double>();
    }
  }

  // Numeric Jacobian columns, one input element at a time.
  NoGradGuard no_grad;
  for (size_t k = 0; k < diff.size(); ++k) {
    const Tensor& x = inputs[diff[k]];
    double* base = x.data_ptr<double>();
    for (int64_t e = 0; e < x.numel(); ++e) {
      double& v = base[element_offset(x, e)];
      const double orig = v;
      v = orig + opt.eps_;
      auto plus = flatten_outputs(fn(inputs));
      v = orig - opt.eps_;
      auto minus = flatten_outputs(fn(inputs));
      v = orig;
      for (size_t r = 0; r < out_elems; ++r) {
        const double numeric = (plus[r] - minus[r]) / (2 * opt.eps_);
        const double a = analytic[k][r][static_cast<size_t>(e)];
        if (!(std::abs(a - numeric) <= opt.atol_ + opt.rtol_ * std::abs(numeric))) {
          return fail(fmt::format(
              "gradcheck: Jacobian mismatch for input #{} (sizes {}), input element {}, output element {}: "
              "analytic {:.10g} vs numerical {:.10g} (atol {}, rtol {})",
              diff[k], to_string(x.sizes()), e, r, a, numeric, opt.atol_, opt.rtol_));
        }
      }
    }
  }
  return true;
}

bool gradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
               const GradcheckOptions& options) {
  return gradcheck(GradcheckFn([&](const variable_list& in) { return variable_list{fn(in)}; }), inputs, options);
}

bool gradgradcheck(const GradcheckFn& fn, const variable_list& inputs, const variable_list& grad_outputs,
                   const GradcheckOptions& options) {
  std::vector<size_t> diff;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    XGRAD_CHECK(inputs[i].dtype() == kFloat64, TypeError,
                "gradgradcheck: input #{} is {}; finite differences need float64 inputs (use .to(xgrad::kFloat64))",
                i, dtype_name(inputs[i].dtype()));
    XGRAD_CHECK(inputs[i].is_leaf(), AutogradError, "gradgradcheck: input #{} must be a leaf tensor", i);
    diff.push_back(i);
  }
  XGRAD_CHECK(!diff.empty(), ValueError, "gradgradcheck: no input requires grad");

  // The output gradients v: given, or drawn once (fixed for every evaluation below).
  variable_list v = grad_outputs;
  if (v.empty()) {
    variable_list outs;
    {
      NoGradGuard no_grad;
      outs = fn(inputs);
    }
    for (const auto& o : outs)
      if (o.defined() && o.is_floating_point()) v.push_back(randn(o.sizes(), kFloat64).requires_grad_());
  }
  for (size_t i = 0; i < v.size(); ++i) {
    XGRAD_CHECK(v[i].defined() && v[i].dtype() == kFloat64, TypeError,
                "gradgradcheck: grad_outputs[{}] must be a defined float64 tensor", i);
  }

  const size_t n_in = inputs.size();
  variable_list all = inputs;
  all.insert(all.end(), v.begin(), v.end());
  // (inputs, v) -> d<v, fn(inputs)>/d inputs, recorded so that its own gradient can be taken.
  // gradcheck evaluates it under NoGradGuard for the finite differences: grad mode is switched
  // back on inside, since the first gradient needs a graph to differentiate.
  GradcheckFn first_grad = [&](const variable_list& in) {
    AutoGradMode enable(true);
    variable_list x(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n_in));
    variable_list gv(in.begin() + static_cast<std::ptrdiff_t>(n_in), in.end());
    variable_list outs = fn(x), used, used_v;
    size_t k = 0;
    for (const auto& o : outs) {
      if (!o.defined() || !o.is_floating_point()) continue;
      XGRAD_CHECK(k < gv.size(), ValueError, "gradgradcheck: fn has more floating-point outputs than grad_outputs ({})",
                  gv.size());
      if (o.requires_grad()) {
        used.push_back(o);
        used_v.push_back(gv[k]);
      }
      ++k;
    }
    variable_list wrt;
    for (size_t i : diff) wrt.push_back(x[i]);
    if (used.empty()) return variable_list{};
    return grad(used, wrt, used_v, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
  };
  return gradcheck(first_grad, all, options);
}

bool gradgradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
                   const variable_list& grad_outputs, const GradcheckOptions& options) {
  return gradgradcheck(GradcheckFn([&](const variable_list& in) { return variable_list{fn(in)}; }), inputs,
                       grad_outputs, options);
}

}  // namespace xgrad::autograd
