#pragma once
/// \file
/// Activation modules, as in LibTorch:
///
///     xgrad::nn::Sequential net(xgrad::nn::Linear(4, 8), xgrad::nn::ReLU(), xgrad::nn::Linear(8, 3),
///                               xgrad::nn::Softmax(1));

#include <xgrad/nn/module.hpp>
#include <xgrad/nn/options/activation.hpp>

namespace xgrad::nn {

/// max(x, 0).
class ReLUImpl : public Module {
 public:
  explicit ReLUImpl(const ReLUOptions& options = {}) : options(options) {}
  void reset() {}
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  ReLUOptions options;
};
XGRAD_MODULE(ReLU);

/// 1 / (1 + exp(-x)).
class SigmoidImpl : public Module {
 public:
  void reset() {}
  Tensor forward(const Tensor& input);
};
XGRAD_MODULE(Sigmoid);

/// tanh(x).
class TanhImpl : public Module {
 public:
  void reset() {}
  Tensor forward(const Tensor& input);
};
XGRAD_MODULE(Tanh);

/// Softmax along `dim`.
class SoftmaxImpl : public Module {
 public:
  explicit SoftmaxImpl(int64_t dim) : options(dim) {}
  explicit SoftmaxImpl(const SoftmaxOptions& options) : options(options) {}
  void reset() {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  SoftmaxOptions options;
};
XGRAD_MODULE(Softmax);

/// Log-softmax along `dim`.
class LogSoftmaxImpl : public Module {
 public:
  explicit LogSoftmaxImpl(int64_t dim) : options(dim) {}
  explicit LogSoftmaxImpl(const LogSoftmaxOptions& options) : options(options) {}
  void reset() {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  LogSoftmaxOptions options;
};
XGRAD_MODULE(LogSoftmax);

}  // namespace xgrad::nn
