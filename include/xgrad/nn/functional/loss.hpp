#pragma once
/// \file
/// Loss functions under `nn::functional`, as in LibTorch. Each takes its options struct, whose
/// `reduction` is `xgrad::kMean` (default), `xgrad::kSum` or `xgrad::kNone`:
///
///     namespace F = xgrad::nn::functional;
///     auto l = F::cross_entropy(logits, labels);                        // labels: kInt64 [N]
///     auto m = F::mse_loss(y_hat, y, F::MSELossFuncOptions(xgrad::kSum));
///     auto b = F::binary_cross_entropy_with_logits(z, t, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(pw));
///
/// Elementwise losses broadcast `input` and `target` as PyTorch does; the class losses take
/// input [N, C] (or [C], or [N, C, d1, ...]) and int64 targets [N] (or [], or [N, d1, ...]).
///
/// Every loss supports double backward: under `create_graph = true` its gradient is built from
/// differentiable ops (second derivatives as PyTorch's, e.g. 0 at the kinks of smooth L1 and
/// Huber); without it one fused pass computes the gradient. Class weights, `weight` and
/// `pos_weight` get no gradient, as in PyTorch: backward throws AutogradError if one requires
/// grad.

#include <xgrad/nn/options/loss.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad::nn::functional {

/// (input - target)^2, reduced. grad_fn "MseLossBackward0".
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options = {});
/// |input - target|, reduced.
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options = {});
/// Quadratic below `beta`, linear above (divided by beta). grad_fn "SmoothL1LossBackward0".
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options = {});
/// LibTorch 1.13's overload with a trailing beta: `F::smooth_l1_loss(x, t, xgrad::kMean, 0.5)`.
/// `beta` replaces options.beta(); the reduction comes from options. beta < 0 is a ValueError.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options, double beta);
/// Quadratic below `delta`, linear above (scaled by delta). grad_fn "HuberLossBackward0".
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& options = {});
/// -weight[t] * input[t] per sample for log-probabilities `input`; the mean divides by the sum
/// of the weights of the non-ignored targets. grad_fn "NllLossBackward0".
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options = {});
/// nll_loss(log_softmax(input, 1), target), fused into one numerically stable pass, with
/// optional label smoothing. grad_fn "NllLossBackward0". log_softmax is taken as
/// (x - max) - log(sum(exp(x - max))), so shifting all logits of a sample by a constant that
/// the dtype represents exactly (1e8 in float64) leaves loss and gradient unchanged; the
/// gradient uses the softmax of the logits, exp(x - max) / sum. A floating-point `target` of the
/// input's shape holds class probabilities instead (PyTorch 1.13): the loss is
/// -sum_c weight_c target_c log_softmax(input)_c per sample, and target gets a gradient too.
/// Errors: IndexError for a class index outside [0, C) (unless ignore_index), TypeError for
/// floating-point targets of the class-index shape, ShapeError for mismatched shapes.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options = {});
/// Binary cross entropy of sigmoid(input) against `target` (same shape, probabilities in
/// [0, 1]), computed from the logits without overflow and exact in both tails:
/// weight * (pos_weight * t * softplus(-x) + (1 - t) * softplus(x)), gradient
/// weight * ((1 - t) * sigmoid(x) - pos_weight * t * sigmoid(-x)) (sigmoid(x) - t for unit
/// weights), each term to full relative precision (loss 1.8e-35 at x = -80, t = 0; gradient
/// -4.1e-8 at x = 17, t = 1). PyTorch 1.13 loses these tails: its float32 loss is 3.6e-7 at
/// x = -15 (exact 3.06e-7) and 0 from x = -17 down, its float32 gradient at x = 17, t = 1 is 0.
/// grad_fn
/// "BinaryCrossEntropyWithLogitsBackward0".
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options = {});
/// -weight * (target * log(input) + (1 - target) * log(1 - input)) for probabilities `input`,
/// each log clamped to >= -100 as PyTorch (so input 0 or 1 gives a finite loss, at most 100 *
/// weight), then reduced. input and target: the same sizes (else ShapeError) and the same
/// float32/float64 dtype (TypeError); weight broadcasts to them. An input element outside
/// [0, 1] (or NaN) is a ValueError. grad_fn "BinaryCrossEntropyBackward0": the input gets
/// weight * (input - target) / max(input * (1 - input), 1e-12) and the target
/// -weight * logit(input), as PyTorch 1.13; differentiable twice. PyTorch:
/// `F.binary_cross_entropy`.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyFuncOptions& options = {});

}  // namespace xgrad::nn::functional
