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

}  // namespace xgrad::nn
