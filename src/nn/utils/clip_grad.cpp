// Gradient clipping (PyTorch 1.13's torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
//
// The norms are reduced here rather than through the ops layer so that the order of every sum is
// fixed by this file: per parameter, eight interleaved partial sums in double, combined in one
// fixed tree, serially. The result is the same for any thread count and as accurate as a float32
// norm can be; it is then rounded to the gradient's dtype, as PyTorch's norm tensors are, and the
// clip coefficient is computed in that dtype with PyTorch's sequence of operations.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/utils/clip_grad.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace xgrad::nn::utils {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The p-norm (p > 0 or +inf) of n values read through `at(i)`, in double.
template <typename Get>
double norm_of(int64_t n, double p, Get&& at) {
  if (std::isinf(p)) {
    double m = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const double a = std::abs(at(i));
      if (std::isnan(a)) return kNaN;  // max propagates NaN, as torch.max
      m = std::max(m, a);
    }
    return m;
  }
  const auto term = [p](double v) { return p == 1.0 ? std::abs(v) : p == 2.0 ? v * v : std::pow(std::abs(v), p); };
  double acc[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += term(at(i + k));
  for (int k = 0; i < n; ++i, ++k) acc[k] += term(at(i));
  const double sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  return p == 1.0 ? sum : p == 2.0 ? std::sqrt(sum) : std::pow(sum, 1.0 / p);
}

// ||g||_p rounded to g's dtype.
double grad_norm(const Tensor& grad, double p) {
  const Tensor g = grad.contiguous();
  if (g.dtype() == kFloat64) {
    const double* x = g.data_ptr<double>();
    return norm_of(g.numel(), p, [x](int64_t i) { return x[i]; });
  }
  XGRAD_CHECK(g.dtype() == kFloat32, TypeError, "clip_grad_norm_: gradients must be float32 or float64, got {}",
              dtype_name(g.dtype()));
  const float* x = g.data_ptr<float>();
  return static_cast<float>(norm_of(g.numel(), p, [x](int64_t i) { return static_cast<double>(x[i]); }));
}

std::vector<Tensor> grads_of(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const auto& p : parameters)
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

// PyTorch: clip_coef = max_norm / (total_norm + 1e-6), i.e. reciprocal(total + 1e-6) * max_norm in
// the norm's dtype, then clamp(max=1) (NaN stays NaN).
template <typename T>
double clip_coefficient(double total_norm, double max_norm) {
  const T coef = (T(1) / (static_cast<T>(total_norm) + static_cast<T>(1e-6))) * static_cast<T>(max_norm);
  return std::isnan(coef) ? kNaN : static_cast<double>(std::min(coef, T(1)));
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  XGRAD_CHECK(norm_type > 0.0, ValueError,
              "clip_grad_norm_: norm_type must be positive (or INFINITY for the max norm), got {}", norm_type);
  XGRAD_CHECK(max_norm >= 0.0, ValueError, "clip_grad_norm_: max_norm must be non-negative, got {}", max_norm);
  const std::vector<Tensor> grads = grads_of(parameters);
  if (grads.empty()) return 0.0;

  // Per-parameter norms in their gradient's dtype, then the norm of those (torch.stack promotes
  // to float64 if any gradient is float64).
  bool any_double = false;
  std::vector<double> norms;
  norms.reserve(grads.size());
  for (const auto& g : grads) {
    norms.push_back(grad_norm(g, norm_type));
    any_double = any_double || g.dtype() == kFloat64;
  }
  double total = norm_of(static_cast<int64_t>(norms.size()), norm_type, [&norms](int64_t i) { return norms[i]; });
  if (!any_double) total = static_cast<float>(total);

  XGRAD_CHECK(!error_if_nonfinite || std::isfinite(total), ValueError,
              "The total norm of order {} for gradients from `parameters` is non-finite, so it cannot be clipped. "
              "To disable this error and scale the gradients by the non-finite norm anyway, set "
              "`error_if_nonfinite=false`",
              norm_type);

  const double coef = any_double ? clip_coefficient<double>(total, max_norm) : clip_coefficient<float>(total, max_norm);
  NoGradGuard no_grad;
  for (const auto& g : grads) {
    Tensor d = g.detach();  // shares the gradient's storage
    d.mul_(coef);
  }
  return total;
}

double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>(parameters), max_norm, norm_type, error_if_nonfinite);
}

double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  XGRAD_CHECK(clip_value >= 0.0, ValueError, "clip_grad_value_: clip_value must be non-negative, got {}",
              clip_value);
  NoGradGuard no_grad;
  for (const auto& g : grads_of(parameters)) {
    Tensor d = g.detach();
    d.clamp_(-clip_value, clip_value);
  }
}

void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value) {
  clip_grad_value_(std::vector<Tensor>(parameters), clip_value);
}

void clip_grad_value_(const Tensor& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

}  // namespace xgrad::nn::utils
