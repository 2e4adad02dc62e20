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

// bernoulli(1 - p) / (1 - p) in the dtype of `input`; p == 1 gives zeros without drawing, as
// PyTorch multiplies by a zero there.
Tensor dropout_mask(const Tensor& input, double p) {
  NoGradGuard no_grad;
  if (p >= 1.0) return zeros_like(input);
  Tensor mask = empty_like(input);
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

  static Tensor forward(AutogradContext* ctx, const Tensor& input, double p) {
    Tensor mask = dropout_mask(input, p);
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
  return DropoutOp::apply(input, p);
}

}  // namespace xgrad::nn::functional
