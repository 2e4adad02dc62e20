#pragma once
/// \file
/// Activations under `nn::functional`, forwarding to the Tensor operations:
///
///     auto h = F::relu(x);
///     auto p = F::softmax(logits, F::SoftmaxFuncOptions(1));
///     auto lp = F::log_softmax(logits, 1);

#include <xgrad/nn/options/activation.hpp>
#include <xgrad/tensor.hpp>

#include <string>

namespace xgrad {

// The ATen-level forms (as `torch::leaky_relu`, `torch::elu_`, ...). All take float32/float64
// (any other dtype is a TypeError naming the op; hardtanh also clamps integral tensors, as
// PyTorch), work elementwise on any shape and are differentiable, with double backward.
// The in-place `_` forms throw AutogradError on a tensor that requires grad with grad mode on,
// and ShapeError on an expanded view whose elements share memory.

/// x for x > 0, negative_slope * x otherwise. Node LeakyReluBackward0.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// In-place leaky_relu (`torch::leaky_relu_`).
Tensor& leaky_relu_(Tensor& self, double negative_slope = 0.01);
/// x for x > 0, alpha * (exp(x) - 1) otherwise. Node EluBackward0.
Tensor elu(const Tensor& x, double alpha = 1.0);
/// In-place elu (`torch::elu_`).
Tensor& elu_(Tensor& self, double alpha = 1.0);
/// x * Phi(x) (approximate "none") or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) ("tanh");
/// any other `approximate` is a ValueError. Node GeluBackward0 (its create_graph gradient records
/// GeluBackwardBackward0 for "none").
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
/// x * sigmoid(x). Node SiluBackward0.
Tensor silu(const Tensor& x);
/// log(1 + exp(beta x)) / beta, x where beta x > threshold. Node SoftplusBackward0.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
/// log(sigmoid(x)), stable for large |x|. Node LogSigmoidBackward0.
Tensor log_sigmoid(const Tensor& x);
/// x clamped to [min_val, max_val]; the gradient is zero outside the open interval. Node
/// HardtanhBackward0.
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
/// In-place hardtanh (`torch::hardtanh_`).
Tensor& hardtanh_(Tensor& self, double min_val = -1.0, double max_val = 1.0);

}  // namespace xgrad

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

// The activations below take float32/float64 input of any shape (other dtypes: TypeError naming
// the op) and return the same shape. `inplace(true)` writes into `input` and returns it, unless
// input requires grad with grad mode on: then the out-of-place op runs, as relu.

/// x for x > 0, negative_slope * x otherwise (`F::leaky_relu`).
Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options = {});
/// x for x > 0, alpha * (exp(x) - 1) otherwise (`F::elu`).
Tensor elu(Tensor input, const ELUFuncOptions& options = {});
/// x * Phi(x), or its tanh approximation with `approximate("tanh")`; another string is a
/// ValueError (`F::gelu`).
Tensor gelu(const Tensor& input, const GELUFuncOptions& options = {});
/// x * sigmoid(x) (`F::silu`).
Tensor silu(const Tensor& input);
/// log(1 + exp(beta x)) / beta, and x where beta x > threshold (`F::softplus`).
Tensor softplus(const Tensor& input, const SoftplusFuncOptions& options = {});
/// log(sigmoid(x)), computed as -softplus(-x) so it is finite and exact for large |x|
/// (`F::logsigmoid`).
Tensor logsigmoid(const Tensor& input);
/// x clamped to [min_val, max_val] (`F::hardtanh`); integral input is clamped too.
Tensor hardtanh(Tensor input, const HardtanhFuncOptions& options = {});
/// min(max(x, 0), 6) elementwise, any shape; float32/float64 keep their dtype and integral
/// tensors are clamped too (as hardtanh, which it is: grad_fn HardtanhBackward0, gradient 1
/// strictly inside (0, 6), differentiable twice). `F::relu6(x, true)` or
/// `ReLU6FuncOptions().inplace(true)` writes into x and returns it, unless x requires grad with
/// grad mode on (then a new tensor, as relu). PyTorch: `F.relu6` / LibTorch `F::relu6`.
Tensor relu6(Tensor input, const ReLU6FuncOptions& options = {});

}  // namespace xgrad::nn::functional
