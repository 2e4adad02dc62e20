#pragma once
/// \file
/// `nn::functional::batch_norm`, as in LibTorch:
///
///     namespace F = xgrad::nn::functional;
///     auto rm = xgrad::zeros({C}), rv = xgrad::ones({C});
///     auto y = F::batch_norm(x, rm, rv, F::BatchNormFuncOptions().weight(w).bias(b).training(true));
///     // y: x normalised per channel with the batch's mean and variance; rm and rv updated.

#include <xgrad/nn/options/batchnorm.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad::nn::functional {

/// Batch normalisation over dim 1 of `input` (N, C, *), float32 or float64:
/// `y = (x - mean) / sqrt(var + eps) * weight + bias`, per channel.
///
/// - `training(true)`: mean and biased variance of the batch (over N and all dims after C).
///   When `running_mean` / `running_var` are defined they are updated in place (no graph):
///   `running_mean = (1 - momentum) * running_mean + momentum * mean`, likewise `running_var`
///   with the *unbiased* batch variance. Undefined running tensors are allowed.
/// - `training(false)`: mean and variance are `running_mean` and `running_var` (required).
///
/// `weight` and `bias` are optional (C elements each). The result has input's shape and a
/// grad_fn "NativeBatchNormBackward0" giving gradients to input, weight and bias (running
/// statistics get none). Double backward (create_graph=true) throws AutogradError.
///
/// Throws ShapeError when input has fewer than 2 dims or a per-channel tensor does not have C
/// elements; ValueError when training with one value (or none) per channel ("Expected more than
/// 1 value per channel when training, got input size [1, 3]"), when evaluating without running
/// statistics, or when running statistics would be updated with `momentum(std::nullopt)`;
/// TypeError for a non-floating input or a per-channel tensor of another dtype. PyTorch:
/// `torch.nn.functional.batch_norm`.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});

}  // namespace xgrad::nn::functional
