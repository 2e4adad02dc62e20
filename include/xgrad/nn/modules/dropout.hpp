#pragma once
/// \file
/// `nn::Dropout`, as in LibTorch: active in training mode, the identity after `eval()`.
///
///     xgrad::nn::Dropout drop(0.5);
///     auto y = drop(x);      // about half the elements zeroed, the rest doubled
///     drop->eval();
///     auto z = drop(x);      // x unchanged

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/options/dropout.hpp>

namespace xgrad::nn {

class DropoutImpl : public Cloneable<DropoutImpl> {
 public:
  explicit DropoutImpl(const DropoutOptions& options = {});
  void reset() override;
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  DropoutOptions options;
};
XGRAD_MODULE(Dropout);

/// Channel-wise dropout (`F::dropout2d`): in training mode each channel of an [N, C, H, W] input
/// (or of an unbatched [C, H, W] one) is zeroed with probability p and the others scaled by
/// 1/(1-p); the identity after `eval()`. Constructing with p outside [0, 1] is a ValueError
/// naming Dropout2d and p. Repr `Dropout2d(p=0.5, inplace=False)`. PyTorch: `nn.Dropout2d`.
class Dropout2dImpl : public Cloneable<Dropout2dImpl> {
 public:
  explicit Dropout2dImpl(const Dropout2dOptions& options = {});
  void reset() override;
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  Dropout2dOptions options;
};
XGRAD_MODULE(Dropout2d);

}  // namespace xgrad::nn
