// nn::functional::dropout. The mask is PyTorch's: on the CPU, F.dropout fills a tensor like the
// input with bernoulli_(1 - p) and divides it by (1 - p) in the input's dtype, so after the same
// manual_seed xgrad drops the same elements and scales by the same value.

#include <xgrad/autograd/function.hpp>
#include <xgrad/profiler.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/dropout.hpp>

#include "core/dispatch.hpp"
#include "core/tensor_internal.hpp"

#include <string_view>

namespace xgrad::nn::functional {

namespace {

using autograd::variable_list;

// bernoulli(1 - p) / (1 - p) in the dtype of `input`, of `input`'s sizes or of `sizes` when
// given (feature dropout: one draw per channel); p == 1 gives zeros without drawing, as PyTorch
// multiplies by a zero there.
Tensor dropout_mask(const Tensor& input, double p, std::optional<std::vector<int64_t>> sizes = std::nullopt) {
  NoGradGuard no_grad;
  if (p >= 1.0) return sizes ? zeros(*sizes, input.dtype()) : zeros_like(input);
  Tensor mask = sizes ? empty(*sizes, input.dtype()) : empty_like(input);
  mask.bernoulli_(1.0 - p);
  detail::dispatch_floating(input.dtype(), "dropout", [&]<typename T>() {
    T* m = mask.data_ptr<T>();
    const T keep = static_cast<T>(1.0 - p);
    for (int64_t i = 0; i < mask.numel(); ++i) m[i] = m[i] / keep;
  });
  return mask;
}

// y = x * mask; backward multiplies by the same mask (PyTorch's graph is a MulBackward0 too).
struct DropoutOp : autograd::Function<DropoutOp> {
  static std::string_view name() { return "MulBackward0"; }

  static Tensor forward(AutogradContext* ctx, const Tensor& input, double p,
                        std::optional<std::vector<int64_t>> mask_sizes) {
    Tensor mask = dropout_mask(input, p, std::move(mask_sizes));
    ctx->save_for_backward({mask});
    return input * mask;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (!ctx->needs_input_grad(0)) return {Tensor()};
    return {grads[0] * ctx->get_saved_variables()[0]};
  }
};

}  // namespace

Tensor dropout(const Tensor& input, const DropoutFuncOptions& options) {
  XGRAD_CHECK(input.defined(), ValueError, "dropout: input is an undefined tensor");
  const double p = options.p();
  XGRAD_CHECK(p >= 0.0 && p <= 1.0, ValueError, "dropout: probability has to be between 0 and 1, but got {}", p);
  if (!options.training()) return input;
  XGRAD_CHECK(input.is_floating_point(), TypeError, "dropout: expected a floating-point input, got {}",
              dtype_name(input.dtype()));
  // As PyTorch: nothing to drop returns the input itself and draws no random numbers.
  if (p == 0.0 || input.numel() == 0) return input;
  // xgrad records no in-place ops in the graph: on a tensor that is part of one, `inplace`
  // falls back to the out-of-place op (same values; the input is left unchanged).
  if (detail::writes_in_place(options.inplace(), input)) {
    XGRAD_RECORD_FUNCTION("dropout_", {input});  // the in-place path is no Function: record it here
    // The input is written, so it must not be an expanded view whose elements share memory.
    detail::check_no_internal_overlap(input, "dropout");
    const Tensor mask = dropout_mask(input, p);
    Tensor self = input;
    self.mul_(mask);
    return self;
  }
  return DropoutOp::apply(input, p, std::nullopt);
}

Tensor dropout2d(const Tensor& input, const Dropout2dFuncOptions& options) {
  XGRAD_CHECK(input.defined(), ValueError, "dropout2d: input is an undefined tensor");
  const double p = options.p();
  XGRAD_CHECK(p >= 0.0 && p <= 1.0, ValueError, "dropout2d: probability has to be between 0 and 1, but got {}", p);
  // LibTorch 1.13 reads anything but 4 dims as one unbatched sample (it unsqueezes dim 0), and
  // feature dropout needs a batch and a channel dim after that.
  const bool batched = input.dim() == 4;
  XGRAD_CHECK(input.dim() >= 1, ShapeError,
              "dropout2d: feature dropout requires at least 2 dimensions in the input (a 0-dim tensor was given; "
              "expected [N, C, H, W] or [C, H, W])");
  if (!options.training()) return input;
  XGRAD_CHECK(input.is_floating_point(), TypeError, "dropout2d: expected a floating-point input, got {}",
              dtype_name(input.dtype()));
  if (p == 0.0 || input.numel() == 0) return input;
  // The noise is [N, C, 1, ...] of the (unsqueezed) input, as PyTorch's make_feature_noise; for
  // an unbatched input its leading 1 is dropped again so it broadcasts against the input itself.
  std::vector<int64_t> noise;
  if (batched) noise = {input.size(0), input.size(1)};
  else noise = {1, input.size(0)};
  const int64_t full_dims = batched ? input.dim() : input.dim() + 1;
  noise.resize(static_cast<size_t>(full_dims), 1);
  if (!batched) noise.erase(noise.begin());
  if (detail::writes_in_place(options.inplace(), input)) {
    XGRAD_RECORD_FUNCTION("dropout2d_", {input});
    detail::check_no_internal_overlap(input, "dropout2d");
    const Tensor mask = dropout_mask(input, p, noise);
    Tensor self = input;
    self.mul_(mask);
    return self;
  }
  return DropoutOp::apply(input, p, noise);
}

}  // namespace xgrad::nn::functional
