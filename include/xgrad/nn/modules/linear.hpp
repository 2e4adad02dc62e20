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

/// Splits dimension `dim` of its input into `sizes` (the inverse of Flatten): an input
/// [B, 12] through `Unflatten(1, {3, 4})` gives [B, 3, 4], a view sharing the input's storage
/// (as PyTorch's Tensor.unflatten). One size may be -1 (inferred). The product of sizes must
/// equal input.size(dim) (ShapeError), dim must be in range (IndexError), sizes non-empty and
/// >= -1 (ValueError); an input whose strides do not allow the view is a ShapeError, as
/// Tensor::view. The named-dimension options are a ValueError in forward (xgrad has no named
/// tensors). Differentiable (a view). Repr `Unflatten(dim=1, unflattened_size={3, 4})`.
/// PyTorch: `nn.Unflatten`.
class UnflattenImpl : public Cloneable<UnflattenImpl> {
 public:
  explicit UnflattenImpl(UnflattenOptions options_);
  UnflattenImpl(int64_t dim, std::vector<int64_t> sizes) : UnflattenImpl(UnflattenOptions(dim, std::move(sizes))) {}
  UnflattenImpl(std::string dimname, UnflattenOptions::namedshape_t namedshape)
      : UnflattenImpl(UnflattenOptions(std::move(dimname), std::move(namedshape))) {}
  void reset() override {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  UnflattenOptions options;
};
XGRAD_MODULE(Unflatten);

/// Returns its input unchanged (the same tensor, not a copy), e.g. to stand in for a layer that
/// a variant of a model leaves out. PyTorch's `nn.Identity`; prints as `Identity()`.
class IdentityImpl : public Cloneable<IdentityImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input);
};
XGRAD_MODULE(Identity);

}  // namespace xgrad::nn
