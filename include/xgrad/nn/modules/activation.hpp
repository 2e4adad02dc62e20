#pragma once
/// \file
/// Activation modules, as in LibTorch:
///
///     xgrad::nn::Sequential net(xgrad::nn::Linear(4, 8), xgrad::nn::ReLU(), xgrad::nn::Linear(8, 3),
///                               xgrad::nn::Softmax(1));

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/options/activation.hpp>

namespace xgrad::nn {

/// max(x, 0).
class ReLUImpl : public Cloneable<ReLUImpl> {
 public:
  explicit ReLUImpl(const ReLUOptions& options = {}) : options(options) {}
  void reset() override {}
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  ReLUOptions options;
};
XGRAD_MODULE(ReLU);

/// 1 / (1 + exp(-x)).
class SigmoidImpl : public Cloneable<SigmoidImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input);
};
XGRAD_MODULE(Sigmoid);

/// tanh(x).
class TanhImpl : public Cloneable<TanhImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input);
};
XGRAD_MODULE(Tanh);

/// Softmax along `dim`.
class SoftmaxImpl : public Cloneable<SoftmaxImpl> {
 public:
  explicit SoftmaxImpl(int64_t dim) : options(dim) {}
  explicit SoftmaxImpl(const SoftmaxOptions& options) : options(options) {}
  void reset() override {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  SoftmaxOptions options;
};
XGRAD_MODULE(Softmax);

/// Log-softmax along `dim`.
class LogSoftmaxImpl : public Cloneable<LogSoftmaxImpl> {
 public:
  explicit LogSoftmaxImpl(int64_t dim) : options(dim) {}
  explicit LogSoftmaxImpl(const LogSoftmaxOptions& options) : options(options) {}
  void reset() override {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  LogSoftmaxOptions options;
};
XGRAD_MODULE(LogSoftmax);

/// x for x > 0, negative_slope * x otherwise. Repr `LeakyReLU(negative_slope=0.01)`.
class LeakyReLUImpl : public Cloneable<LeakyReLUImpl> {
 public:
  explicit LeakyReLUImpl(const LeakyReLUOptions& options = {}) : options(options) {}
  void reset() override {}
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  LeakyReLUOptions options;
};
XGRAD_MODULE(LeakyReLU);

/// x for x > 0, alpha * (exp(x) - 1) otherwise. Repr `ELU(alpha=1.0)`.
class ELUImpl : public Cloneable<ELUImpl> {
 public:
  explicit ELUImpl(const ELUOptions& options = {}) : options(options) {}
  void reset() override {}
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  ELUOptions options;
};
XGRAD_MODULE(ELU);

/// x * Phi(x) or its tanh approximation. Repr `GELU(approximate='none')`. An `approximate`
/// other than "none"/"tanh" is a ValueError when forward runs, as PyTorch.
class GELUImpl : public Cloneable<GELUImpl> {
 public:
  explicit GELUImpl(GELUOptions options = {}) : options(std::move(options)) {}
  void reset() override {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  GELUOptions options;
};
XGRAD_MODULE(GELU);

/// x * sigmoid(x). Repr `SiLU()`.
class SiLUImpl : public Cloneable<SiLUImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input);
};
XGRAD_MODULE(SiLU);

/// log(1 + exp(beta x)) / beta, x where beta x > threshold. Repr `Softplus(beta=1, threshold=20)`
/// (values print without a trailing ".0", as PyTorch's integer defaults).
class SoftplusImpl : public Cloneable<SoftplusImpl> {
 public:
  explicit SoftplusImpl(const SoftplusOptions& options = {}) : options(options) {}
  void reset() override {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  SoftplusOptions options;
};
XGRAD_MODULE(Softplus);

/// x clamped to [min_val, max_val]. Repr `Hardtanh(min_val=-1.0, max_val=1.0)`. max_val <=
/// min_val is a ValueError at construction, as LibTorch.
class HardtanhImpl : public Cloneable<HardtanhImpl> {
 public:
  explicit HardtanhImpl(const HardtanhOptions& options = {});
  void reset() override;
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  HardtanhOptions options;
};
XGRAD_MODULE(Hardtanh);

/// min(max(x, 0), 6) (`F::relu6`), any shape. `ReLU6(true)` works in place. Repr `ReLU6()` or
/// `ReLU6(inplace=True)`. PyTorch: `nn.ReLU6`.
class ReLU6Impl : public Cloneable<ReLU6Impl> {
 public:
  explicit ReLU6Impl(const ReLU6Options& options = {}) : options(options) {}
  void reset() override {}
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  ReLU6Options options;
};
XGRAD_MODULE(ReLU6);

/// log(sigmoid(x)). Repr `LogSigmoid()`.
class LogSigmoidImpl : public Cloneable<LogSigmoidImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input);
};
XGRAD_MODULE(LogSigmoid);

}  // namespace xgrad::nn
