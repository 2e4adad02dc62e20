#pragma once
/// \file
/// Gradient clipping, as LibTorch's `torch::nn::utils::clip_grad_norm_` / `clip_grad_value_`
/// (PyTorch 1.13's `torch.nn.utils`). Call them between `backward()` and the optimizer step:
///
///     loss.backward();
///     double norm = xgrad::nn::utils::clip_grad_norm_(model->parameters(), /*max_norm=*/1.0);
///     optimizer.step();
///
/// Parameters without a gradient are skipped. Gradients are changed in place (every handle to
/// them sees the change).

#include <xgrad/tensor.hpp>

#include <initializer_list>
#include <vector>

namespace xgrad::nn::utils {

/// Scales the gradients of `parameters` so that their total norm is at most `max_norm`, and
/// returns the total norm before clipping (a double, as LibTorch 1.13).
///
/// As PyTorch 1.13: the total norm is the `norm_type`-norm of the per-parameter gradient norms
/// (the norm of all gradients concatenated); `norm_type = INFINITY` gives the largest absolute
/// value. Every gradient is multiplied by `clip_coef = min(max_norm / (total_norm + 1e-6), 1)`,
/// computed in the gradients' dtype (so an unclipped gradient is multiplied by exactly 1). The
/// norms are summed in double in one fixed order, the same for any thread count, and rounded to
/// the gradients' dtype as PyTorch's norm tensors are. No gradient at all: returns 0.
///
/// Errors: ValueError for `norm_type` not > 0 (PyTorch's 0-"norm" and negative orders are not
/// supported), for a negative or NaN `max_norm`; with `error_if_nonfinite`, ValueError with
/// PyTorch's message when the total norm is NaN or infinite (the gradients are left unchanged).
/// Without it, a non-finite norm scales the gradients by 0 or NaN, as PyTorch does.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
/// `clip_grad_norm_({w, b}, 1.0)`.
double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
/// The gradient of a single tensor.
double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient element of `parameters` into [-clip_value, clip_value], in place.
/// ValueError for a negative or NaN `clip_value` (PyTorch would silently set every element to
/// the negative bound).
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);

}  // namespace xgrad::nn::utils
