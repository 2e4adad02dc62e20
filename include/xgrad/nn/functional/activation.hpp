#pragma once
/// \file
/// Activations under `nn::functional`, forwarding to the Tensor operations:
///
///     auto h = F::relu(x);
///     auto p = F::softmax(logits, F::SoftmaxFuncOptions(1));
///     auto lp = F::log_softmax(logits, 1);

#include <xgrad/nn/options/activation.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad::nn::functional {

/// max(x, 0). `inplace(true)` writes into `input` unless it requires grad with grad mode on
/// (then a new tensor is returned, as dropout does).
Tensor relu(const Tensor& input, const ReLUFuncOptions& options = {});
/// 1 / (1 + exp(-x)).
Tensor sigmoid(const Tensor& input);
/// Hyperbolic tangent.
Tensor tanh(const Tensor& input);
/// exp(x) / sum(exp(x)) along `options.dim()`.
Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options);
/// log(softmax(x)) along `options.dim()`, computed stably.
Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options);

}  // namespace xgrad::nn::functional
