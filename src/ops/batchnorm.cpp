// Batch normalisation: argument checks, the per-channel coefficients and autograd. The passes
// over the data (statistics, normalisation, the backward reductions and grad_input) are in
// src/kernels/batchnorm*.cpp.
//
// Training and evaluation are two instantiations of one op (BatchNormOp<Training>), so the
// mode is part of the node's type and backward needs no saved flag: in training the mean and
// variance depend on the input and grad_input has PyTorch's two projection terms, in evaluation
// they are constants and grad_input is dy scaled per channel. Both save (input, weight, mean,
// invstd), the mean and 1/sqrt(var + eps) the forward normalised with.
#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/batchnorm.hpp>

#include "core/dispatch.hpp"
#include "kernels/batchnorm.hpp"

#include <cmath>
#include <vector>

namespace xgrad {
namespace {

// Everything of a call that is not a differentiable input.
struct BatchNormConfig {
  Tensor running_mean, running_var;  // eval: the statistics; training: updated when defined
  double momentum = 0.1;
  double eps = 1e-5;
};

kernels::BatchNormShape shape_of(const Tensor& x) {
  kernels::BatchNormShape s;
  s.n = x.size(0);
  s.c = x.size(1);
  s.l = 1;
  for (int64_t d = 2; d < x.dim(); ++d) s.l *= x.size(d);
  return s;
}

// A per-channel tensor's values (weight, running statistics), or `fallback` when undefined.
template <typename T>
std::vector<double> channel_values(const Tensor& t, int64_t c, double fallback) {
  if (!t.defined()) return std::vector<double>(static_cast<size_t>(c), fallback);
  const Tensor v = t.contiguous();
  const T* p = v.data_ptr<T>();
  return std::vector<double>(p, p + c);
}

template <typename T>
Tensor channel_tensor(const std::vector<double>& v, ScalarType dtype) {
  Tensor t = make_tensor({static_cast<int64_t>(v.size())}, dtype);
  T* p = t.data_ptr<T>();
  for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<T>(v[i]);
  return t;
}

template <bool Training>
struct BatchNormOp : autograd::Function<BatchNormOp<Training>> {
  static std::string_view name() { return "NativeBatchNormBackward0"; }

  static Tensor forward(AutogradContext* ctx, const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const BatchNormConfig& cfg) {
    const Tensor x = input.contiguous();
    const kernels::BatchNormShape s = shape_of(x);
    const auto c = static_cast<size_t>(s.c);
    Tensor y = make_tensor(x.sizes(), x.dtype(), "batch_norm"), save_mean, save_invstd;
    detail::dispatch_floating(x.dtype(), "batch_norm", [&]<typename T>() {
      std::vector<double> mean(c), var(c);
      if constexpr (Training) {
        kernels::batch_norm_collect_stats(s, x.data_ptr<T>(), mean.data(), var.data());
        if (cfg.running_mean.defined()) {
          // PyTorch's update, the variance unbiased: n/(n-1) times the biased one.
          const double m = cfg.momentum, count = static_cast<double>(s.n * s.l);
          auto rm = channel_values<T>(cfg.running_mean, s.c, 0.0);
          auto rv = channel_values<T>(cfg.running_var, s.c, 1.0);
          for (size_t i = 0; i < c; ++i) {
            rm[i] = m * mean[i] + (1 - m) * rm[i];
            rv[i] = m * var[i] * count / (count - 1) + (1 - m) * rv[i];
          }
          // In place (and version-bumped) through the caller's handles: the module's buffers.
          Tensor running_mean = cfg.running_mean, running_var = cfg.running_var;
          running_mean.copy_(channel_tensor<T>(rm, x.dtype()));
          running_var.copy_(channel_tensor<T>(rv, x.dtype()));
        }
      } else {
        mean = channel_values<T>(cfg.running_mean, s.c, 0.0);
        var = channel_values<T>(cfg.running_var, s.c, 1.0);
      }
      // y = (x - mean) * invstd * w + b = x * scale + shift, the coefficients in double.
      const auto w = channel_values<T>(weight, s.c, 1.0);
      const auto b = channel_values<T>(bias, s.c, 0.0);
      std::vector<double> invstd(c), scale(c), shift(c);
      for (size_t i = 0; i < c; ++i) {
        invstd[i] = 1.0 / std::sqrt(var[i] + cfg.eps);
        scale[i] = invstd[i] * w[i];
        shift[i] = b[i] - mean[i] * scale[i];
      }
      const Tensor scale_t = channel_tensor<T>(scale, x.dtype()), shift_t = channel_tensor<T>(shift, x.dtype());
      kernels::batch_norm_transform(s, x.data_ptr<T>(), scale_t.data_ptr<T>(), shift_t.data_ptr<T>(),
                                    y.data_ptr<T>());
      save_mean = channel_tensor<T>(mean, x.dtype());
      save_invstd = channel_tensor<T>(invstd, x.dtype());
    });
    ctx->save_for_backward({x, weight, save_mean, save_invstd});
    return y;
  }

  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const Tensor& x = saved[0];
    const Tensor& weight = saved[1];
    const Tensor& save_mean = saved[2];
    const Tensor& save_invstd = saved[3];
    const Tensor& grad_out = grads[0];
    // Under create_graph the gradients would need a graph of their own; the kernels make none,
    // so a second derivative would silently be zero. Refuse whenever a gradient depends on
    // something differentiable: dy, or the input / weight (asked through needs_input_grad, not
    // the saved tensors: a strided input is saved as its graph-free contiguous copy). Only
    // grad_bias = sum(dy) of a constant dy is safe.
    XGRAD_CHECK(!(GradMode::is_enabled() &&
                  (grad_out.requires_grad() || ctx->needs_input_grad(0) || ctx->needs_input_grad(1))),
                AutogradError,
                "batch_norm: double backward is not supported yet (backward was called with create_graph=true "
                "through a batch_norm of input size {}); call backward without create_graph",
                to_string(x.sizes()));
    const bool need_dx = ctx->needs_input_grad(0), need_dw = ctx->needs_input_grad(1),
               need_db = ctx->needs_input_grad(2);
    Tensor dx, dw, db;
    if (!need_dx && !need_dw && !need_db) return {dx, dw, db};

    const Tensor dy = grad_out.contiguous();
    const kernels::BatchNormShape s = shape_of(x);
    const auto c = static_cast<size_t>(s.c);
    detail::dispatch_floating(x.dtype(), "batch_norm_backward", [&]<typename T>() {
      const auto mean = channel_values<T>(save_mean, s.c, 0.0);
      const auto invstd = channel_values<T>(save_invstd, s.c, 1.0);
      // sum(dy) for grad_bias and the training grad_input; sum(dy * (x - mean)) for grad_weight
      // and the training grad_input. Only the sums someone needs are taken.
      const bool need_xmu = need_dw || (Training && need_dx);
      const bool need_reduce = need_db || need_xmu;
      std::vector<double> sum_dy(c), sum_dy_xmu(c);
      if (need_reduce)
        kernels::batch_norm_backward_reduce(s, dy.data_ptr<T>(), need_xmu ? x.data_ptr<T>() : nullptr,
                                            save_mean.data_ptr<T>(), sum_dy.data(), sum_dy_xmu.data());
      if (need_db) db = channel_tensor<T>(sum_dy, x.dtype());
      if (need_dw) {
        std::vector<double> gw(c);
        for (size_t i = 0; i < c; ++i) gw[i] = sum_dy_xmu[i] * invstd[i];
        dw = channel_tensor<T>(gw, x.dtype());
      }
      if (!need_dx) return;
      const auto w = channel_values<T>(weight, s.c, 1.0);
      std::vector<double> scale(c), mean_dy(c), proj(c);
      const double count = static_cast<double>(s.n * s.l);
      for (size_t i = 0; i < c; ++i) {
        scale[i] = invstd[i] * w[i];
        // dx = w * invstd * (dy - mean(dy) - (x - mean) * invstd^2 * mean(dy * (x - mean))).
        mean_dy[i] = sum_dy[i] / count;
        proj[i] = sum_dy_xmu[i] / count * invstd[i] * invstd[i];
      }
      const Tensor scale_t = channel_tensor<T>(scale, x.dtype());
      dx = make_tensor(x.sizes(), x.dtype(), "batch_norm backward");
      if constexpr (Training) {
        const Tensor mean_dy_t = channel_tensor<T>(mean_dy, x.dtype()), proj_t = channel_tensor<T>(proj, x.dtype());
        kernels::batch_norm_backward_input(s, dy.data_ptr<T>(), x.data_ptr<T>(), save_mean.data_ptr<T>(),
                                           mean_dy_t.data_ptr<T>(), proj_t.data_ptr<T>(), scale_t.data_ptr<T>(),
                                           dx.data_ptr<T>());
      } else {
        kernels::batch_norm_backward_input(s, dy.data_ptr<T>(), static_cast<const T*>(nullptr),
                                           static_cast<const T*>(nullptr), static_cast<const T*>(nullptr),
                                           static_cast<const T*>(nullptr), scale_t.data_ptr<T>(),
                                           dx.data_ptr<T>());
      }
    });
    return {dx, dw, db};
  }
};

// A per-channel argument: C elements, input's dtype.
void check_channel_tensor(const Tensor& t, const char* what, const Tensor& input) {
  if (!t.defined()) return;
  const int64_t c = input.size(1);
  XGRAD_CHECK(t.numel() == c, ShapeError,
              "batch_norm: {} should contain {} elements (the channels of input size {}), not {} (size {})", what, c,
              to_string(input.sizes()), t.numel(), to_string(t.sizes()));
  XGRAD_CHECK(t.dtype() == input.dtype(), TypeError, "batch_norm: {} has dtype {} but input has dtype {}", what,
              dtype_name(t.dtype()), dtype_name(input.dtype()));
}

}  // namespace

namespace nn::functional {

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options) {
  XGRAD_CHECK(input.defined(), ValueError, "batch_norm: input is an undefined tensor");
  XGRAD_CHECK(input.dim() >= 2, ShapeError,
              "batch_norm: expected input of at least 2 dimensions (N, C, ...), got {}-D input of size {}",
              input.dim(), to_string(input.sizes()));
  XGRAD_CHECK(input.is_floating_point(), TypeError,
              "batch_norm: expected a floating-point input (float32 or float64), got {}", dtype_name(input.dtype()));
  check_channel_tensor(options.weight(), "weight", input);
  check_channel_tensor(options.bias(), "bias", input);
  check_channel_tensor(running_mean, "running_mean", input);
  check_channel_tensor(running_var, "running_var", input);
  XGRAD_CHECK(options.eps() >= 0, ValueError, "batch_norm: eps must be non-negative, got {}", options.eps());
  XGRAD_CHECK(running_mean.defined() == running_var.defined(), ValueError,
              "batch_norm: running_mean and running_var must both be given or both be undefined (running_mean {}, "
              "running_var {})",
              running_mean.defined() ? "given" : "undefined", running_var.defined() ? "given" : "undefined");

  BatchNormConfig cfg;
  cfg.running_mean = running_mean;
  cfg.running_var = running_var;
  cfg.eps = options.eps();
  if (!options.training()) {
    XGRAD_CHECK(running_mean.defined(), ValueError,
                "batch_norm: evaluation (training=false) normalises with running_mean and running_var, but they are "
                "undefined; pass them or use training(true)");
    return BatchNormOp<false>::apply(input, options.weight(), options.bias(), cfg);
  }
  int64_t per_channel = input.size(0);
  for (int64_t d = 2; d < input.dim(); ++d) per_channel *= input.size(d);
  XGRAD_CHECK(per_channel > 1, ValueError,
              "batch_norm: Expected more than 1 value per channel when training, got input size {}",
              to_string(input.sizes()));
  if (running_mean.defined()) {
    XGRAD_CHECK(options.momentum().has_value(), ValueError,
                "batch_norm: momentum is None but the running statistics are to be updated; give a momentum (the "
                "modules turn None into 1/num_batches_tracked)");
    const double m = *options.momentum();
    XGRAD_CHECK(m >= 0.0 && m <= 1.0, ValueError, "batch_norm: momentum must lie in [0, 1], got {}", m);
    cfg.momentum = m;
  }
  return BatchNormOp<true>::apply(input, options.weight(), options.bias(), cfg);
}

}  // namespace nn::functional
}  // namespace xgrad
