// BatchNorm1d / BatchNorm2d: parameters and buffers in PyTorch's order, the running-statistics
// bookkeeping of PyTorch's _BatchNorm.forward (num_batches_tracked, the cumulative average for
// momentum=None), the rank checks of each subclass, and PyTorch's extra_repr.
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/batchnorm.hpp>
#include <xgrad/nn/modules/batchnorm.hpp>

#include <fmt/format.h>

namespace xgrad::nn {

BatchNormImplBase::BatchNormImplBase(std::string name, const BatchNormOptions& options_)
    : Module(std::move(name)), options(options_) {
  XGRAD_CHECK(options.num_features() > 0, ValueError, "{}: num_features must be positive, got {}", short_name(),
              options.num_features());
  XGRAD_CHECK(options.eps() >= 0, ValueError, "{}: eps must be non-negative, got {}", short_name(), options.eps());
  if (options.momentum())
    XGRAD_CHECK(*options.momentum() >= 0.0 && *options.momentum() <= 1.0, ValueError,
                "{}: momentum must lie in [0, 1] (or be std::nullopt for a cumulative average), got {}", short_name(),
                *options.momentum());
  reset();
}

void BatchNormImplBase::reset() {
  // reset() may run again: it re-creates everything.
  parameters_.clear();
  buffers_.clear();
  weight = bias = running_mean = running_var = num_batches_tracked = Tensor();
  const int64_t c = options.num_features();
  if (options.affine()) {
    weight = register_parameter("weight", empty({c}));
    bias = register_parameter("bias", empty({c}));
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", empty({c}));
    running_var = register_buffer("running_var", empty({c}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
  reset_parameters();
}

void BatchNormImplBase::reset_running_stats() {
  if (!options.track_running_stats()) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

void BatchNormImplBase::reset_parameters() {
  reset_running_stats();
  if (!options.affine()) return;
  NoGradGuard no_grad;
  weight.fill_(1);
  bias.zero_();
}

Tensor BatchNormImplBase::forward(const Tensor& input) {
  XGRAD_CHECK(input.defined(), ValueError, "{}: input is an undefined tensor", short_name());
  check_input_dim(input);
  XGRAD_CHECK(input.size(1) == options.num_features(), ShapeError,
              "{}: expected input with {} channels (dim 1), got input of size {} with {} channels", short_name(),
              options.num_features(), to_string(input.sizes()), input.size(1));
  const bool use_batch_stats = is_training() || !options.track_running_stats();
  if (use_batch_stats) {
    int64_t per_channel = input.size(0);
    for (int64_t d = 2; d < input.dim(); ++d) per_channel *= input.size(d);
    XGRAD_CHECK(per_channel > 1, ValueError, "{}: Expected more than 1 value per channel when training, got input size {}",
                short_name(), to_string(input.sizes()));
  }
  // PyTorch's _BatchNorm.forward: count the batch, then momentum None means the cumulative
  // average 1 / num_batches_tracked.
  double factor = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats()) {
    {
      NoGradGuard no_grad;
      num_batches_tracked.add_(1);  // an int64 buffer: an integral Scalar (1.0 would be float32)
    }
    if (!options.momentum()) factor = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
  }
  // Running statistics are read in eval() and updated in training; without tracking there are
  // none and batch statistics are used in both modes.
  const bool pass_running = options.track_running_stats();
  return functional::batch_norm(input, pass_running ? running_mean : Tensor(), pass_running ? running_var : Tensor(),
                                functional::BatchNormFuncOptions()
                                    .weight(weight)
                                    .bias(bias)
                                    .training(use_batch_stats)
                                    .momentum(factor)
                                    .eps(options.eps()));
}

std::string BatchNormImplBase::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", options.num_features(),
                     options.eps(), options.momentum() ? fmt::format("{}", *options.momentum()) : "None",
                     py_bool(options.affine()), py_bool(options.track_running_stats()));
}

BatchNorm1dImpl::BatchNorm1dImpl(const BatchNormOptions& options_) : Cloneable("BatchNorm1d", options_) {}

void BatchNorm1dImpl::check_input_dim(const Tensor& input) const {
  XGRAD_CHECK(input.dim() == 2 || input.dim() == 3, ShapeError,
              "BatchNorm1d: expected 2D or 3D input (got {}D input of size {})", input.dim(), to_string(input.sizes()));
}

BatchNorm2dImpl::BatchNorm2dImpl(const BatchNormOptions& options_) : Cloneable("BatchNorm2d", options_) {}

void BatchNorm2dImpl::check_input_dim(const Tensor& input) const {
  XGRAD_CHECK(input.dim() == 4, ShapeError, "BatchNorm2d: expected 4D input (got {}D input of size {})", input.dim(),
              to_string(input.sizes()));
}

}  // namespace xgrad::nn
