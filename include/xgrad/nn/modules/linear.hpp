#pragma once
/// \file
/// `nn::Linear`, `nn::Flatten` and `nn::Identity`, as in LibTorch:
///
///     xgrad::nn::Linear fc(400, 120);                  // or LinearOptions(400, 120).bias(false)
///     auto y = fc(xgrad::randn({8, 400}));            // [8, 120]
///     fc->weight;                                      // [120, 400], requires grad
///     std::cout << *fc;   // Linear(in_features=400, out_features=120, bias=True)

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/options/linear.hpp>

namespace xgrad::nn {

/// y = x W^T + b. Weight [out, in] and bias [out] start as PyTorch's: U(-1/sqrt(in), 1/sqrt(in)).
class LinearImpl : public Cloneable<LinearImpl> {
 public:
  LinearImpl(int64_t in_features, int64_t out_features) : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options);

  /// Re-creates and re-initialises the parameters.
  void reset() override;
  /// Draws new initial values (PyTorch's reset_parameters).
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  LinearOptions options;
  Tensor weight;
  /// Undefined when `options.bias()` is false.
  Tensor bias;
};
XGRAD_MODULE(Linear);

/// Merges dimensions start_dim..end_dim (default 1..-1: everything but the batch).
class FlattenImpl : public Cloneable<FlattenImpl> {
 public:
  explicit FlattenImpl(const FlattenOptions& options = {});
  void reset() override {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  FlattenOptions options;
};
XGRAD_MODULE(Flatten);

/// Returns its input unchanged (the same tensor, not a copy), e.g. to stand in for a layer that
/// a variant of a model leaves out. PyTorch's `nn.Identity`; prints as `Identity()`.
class IdentityImpl : public Cloneable<IdentityImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input);
};
XGRAD_MODULE(Identity);

}  // namespace xgrad::nn
