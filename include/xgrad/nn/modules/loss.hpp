#pragma once
/// \file
/// Loss modules, as in LibTorch; `forward(input, target)` calls the functional loss:
///
///     xgrad::nn::CrossEntropyLoss loss_fn;
///     auto l = loss_fn(logits, labels);
///     xgrad::nn::MSELoss mse(xgrad::nn::MSELossOptions(xgrad::kSum));

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/options/loss.hpp>

namespace xgrad::nn {

#define XGRAD_LOSS_MODULE_(Name, Options)                              \
  class Name##Impl : public Cloneable<Name##Impl> {                    \
   public:                                                             \
    explicit Name##Impl(Options options = {});                         \
    void reset() override;                                             \
    Tensor forward(const Tensor& input, const Tensor& target);         \
    Options options;                                                   \
  };                                                                   \
  XGRAD_MODULE(Name)

/// Mean absolute error.
XGRAD_LOSS_MODULE_(L1Loss, L1LossOptions);
/// Mean squared error.
XGRAD_LOSS_MODULE_(MSELoss, MSELossOptions);
/// Smooth L1 (`beta`).
XGRAD_LOSS_MODULE_(SmoothL1Loss, SmoothL1LossOptions);
/// Huber (`delta`).
XGRAD_LOSS_MODULE_(HuberLoss, HuberLossOptions);

#undef XGRAD_LOSS_MODULE_

/// Negative log likelihood of log-probabilities; `weight` is registered as a buffer.
class NLLLossImpl : public Cloneable<NLLLossImpl> {
 public:
  explicit NLLLossImpl(NLLLossOptions options = {});
  void reset() override;
  Tensor forward(const Tensor& input, const Tensor& target);
  NLLLossOptions options;
  Tensor weight;
};
XGRAD_MODULE(NLLLoss);

/// Log-softmax + NLL on logits; `weight` is registered as a buffer.
class CrossEntropyLossImpl : public Cloneable<CrossEntropyLossImpl> {
 public:
  explicit CrossEntropyLossImpl(CrossEntropyLossOptions options = {});
  void reset() override;
  Tensor forward(const Tensor& input, const Tensor& target);
  CrossEntropyLossOptions options;
  Tensor weight;
};
XGRAD_MODULE(CrossEntropyLoss);

/// Sigmoid + binary cross entropy on logits; `weight` and `pos_weight` are buffers.
class BCEWithLogitsLossImpl : public Cloneable<BCEWithLogitsLossImpl> {
 public:
  explicit BCEWithLogitsLossImpl(BCEWithLogitsLossOptions options = {});
  void reset() override;
  Tensor forward(const Tensor& input, const Tensor& target);
  BCEWithLogitsLossOptions options;
  Tensor weight;
  Tensor pos_weight;
};
XGRAD_MODULE(BCEWithLogitsLoss);

/// Binary cross entropy of probabilities (`F::binary_cross_entropy`); `weight` is a buffer.
/// forward(input, target) as the functional: same sizes, float32/float64, input in [0, 1].
/// PyTorch: `nn.BCELoss`.
class BCELossImpl : public Cloneable<BCELossImpl> {
 public:
  explicit BCELossImpl(BCELossOptions options = {});
  void reset() override;
  Tensor forward(const Tensor& input, const Tensor& target);
  BCELossOptions options;
  Tensor weight;
};
XGRAD_MODULE(BCELoss);

}  // namespace xgrad::nn
