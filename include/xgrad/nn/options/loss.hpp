#pragma once
/// \file
/// Options of the loss functions and loss modules, as LibTorch's `torch/nn/options/loss.h`.
/// Every loss takes a `reduction` (`xgrad::kNone`, `xgrad::kMean` (default) or `xgrad::kSum`);
/// the module options double as the functional options:
///
///     namespace F = xgrad::nn::functional;
///     auto l = F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().label_smoothing(0.1));
///     auto m = F::mse_loss(y_hat, y, F::MSELossFuncOptions(xgrad::kSum));

#include <xgrad/arg.hpp>
#include <xgrad/enum.hpp>
#include <xgrad/tensor.hpp>

#include <variant>

namespace xgrad::nn {

/// How a loss reduces its per-element values: `kNone` (keep them), `kMean` or `kSum`.
using loss_reduction_t = std::variant<enumtype::kNone, enumtype::kMean, enumtype::kSum>;

// The three constructors let `MSELossOptions(xgrad::kSum)` and `F::mse_loss(x, y, xgrad::kSum)`
// work, as in LibTorch.
#define XGRAD_LOSS_REDUCTION_CTORS(Options)                   \
  Options() = default;                                        \
  Options(enumtype::kNone r) : reduction_(r) {}  /* NOLINT */ \
  Options(enumtype::kMean r) : reduction_(r) {}  /* NOLINT */ \
  Options(enumtype::kSum r) : reduction_(r) {}   /* NOLINT */

/// `L1LossOptions(xgrad::kSum)`: mean absolute error `|input - target|`.
struct L1LossOptions {
  using reduction_t = loss_reduction_t;
  XGRAD_LOSS_REDUCTION_CTORS(L1LossOptions)
  XGRAD_ARG(reduction_t, reduction) = xgrad::kMean;
};
using L1LossFuncOptions = L1LossOptions;

/// `MSELossOptions(xgrad::kNone)`: squared error `(input - target)^2`.
struct MSELossOptions {
  using reduction_t = loss_reduction_t;
  XGRAD_LOSS_REDUCTION_CTORS(MSELossOptions)
  XGRAD_ARG(reduction_t, reduction) = xgrad::kMean;
};
using MSELossFuncOptions = MSELossOptions;

/// `SmoothL1LossOptions().beta(0.5)`: `0.5 d^2 / beta` where `|d| < beta`, else `|d| - beta/2`.
struct SmoothL1LossOptions {
  using reduction_t = loss_reduction_t;
  XGRAD_LOSS_REDUCTION_CTORS(SmoothL1LossOptions)
  XGRAD_ARG(reduction_t, reduction) = xgrad::kMean;
  /// Where the loss changes from quadratic to linear; must be >= 0.
  XGRAD_ARG(double, beta) = 1.0;
};
using SmoothL1LossFuncOptions = SmoothL1LossOptions;

/// `HuberLossOptions().delta(2.0)`: `0.5 d^2` where `|d| < delta`, else `delta (|d| - delta/2)`.
struct HuberLossOptions {
  using reduction_t = loss_reduction_t;
  XGRAD_LOSS_REDUCTION_CTORS(HuberLossOptions)
  XGRAD_ARG(reduction_t, reduction) = xgrad::kMean;
  /// Where the loss changes from quadratic to linear; must be > 0.
  XGRAD_ARG(double, delta) = 1.0;
};
using HuberLossFuncOptions = HuberLossOptions;

/// `NLLLossOptions().weight(w).ignore_index(0)`: negative log likelihood of log-probabilities.
struct NLLLossOptions {
  using reduction_t = loss_reduction_t;
  XGRAD_LOSS_REDUCTION_CTORS(NLLLossOptions)
  /// One weight per class (1-D, C elements); undefined means all ones.
  XGRAD_ARG(Tensor, weight) = {};
  /// Targets equal to this contribute nothing (and do not count in the mean).
  XGRAD_ARG(int64_t, ignore_index) = -100;
  XGRAD_ARG(reduction_t, reduction) = xgrad::kMean;
};
using NLLLossFuncOptions = NLLLossOptions;

/// `CrossEntropyLossOptions().label_smoothing(0.1)`: log-softmax of logits + NLL, fused.
struct CrossEntropyLossOptions {
  using reduction_t = loss_reduction_t;
  XGRAD_LOSS_REDUCTION_CTORS(CrossEntropyLossOptions)
  /// One weight per class (1-D, C elements); undefined means all ones.
  XGRAD_ARG(Tensor, weight) = {};
  /// Targets equal to this contribute nothing (and do not count in the mean).
  XGRAD_ARG(int64_t, ignore_index) = -100;
  XGRAD_ARG(reduction_t, reduction) = xgrad::kMean;
  /// In [0, 1]: mixes the one-hot target with the uniform distribution over classes.
  XGRAD_ARG(double, label_smoothing) = 0.0;
};
using CrossEntropyFuncOptions = CrossEntropyLossOptions;

/// `BCEWithLogitsLossOptions().pos_weight(pw)`: sigmoid + binary cross entropy, computed
/// stably from logits.
struct BCEWithLogitsLossOptions {
  using reduction_t = loss_reduction_t;
  XGRAD_LOSS_REDUCTION_CTORS(BCEWithLogitsLossOptions)
  /// Rescales each element's loss; broadcast to the input's shape.
  XGRAD_ARG(Tensor, weight) = {};
  XGRAD_ARG(reduction_t, reduction) = xgrad::kMean;
  /// Weight of the positive term, broadcast to the input (usually one per class, last dim).
  XGRAD_ARG(Tensor, pos_weight) = {};
};
using BinaryCrossEntropyWithLogitsFuncOptions = BCEWithLogitsLossOptions;

/// `BCELossOptions().weight(w).reduction(xgrad::kSum)` (or `BCELossOptions(xgrad::kNone)`):
/// binary cross entropy of probabilities. As LibTorch's `BCELossOptions`.
struct BCELossOptions {
  using reduction_t = loss_reduction_t;
  XGRAD_LOSS_REDUCTION_CTORS(BCELossOptions)
  /// Rescales each element's loss; broadcast to the target's shape.
  XGRAD_ARG(Tensor, weight) = {};
  XGRAD_ARG(reduction_t, reduction) = xgrad::kMean;
};
using BinaryCrossEntropyFuncOptions = BCELossOptions;

#undef XGRAD_LOSS_REDUCTION_CTORS

}  // namespace xgrad::nn

namespace xgrad::nn::functional {
using nn::BinaryCrossEntropyFuncOptions;
using nn::BinaryCrossEntropyWithLogitsFuncOptions;
using nn::CrossEntropyFuncOptions;
using nn::HuberLossFuncOptions;
using nn::L1LossFuncOptions;
using nn::MSELossFuncOptions;
using nn::NLLLossFuncOptions;
using nn::SmoothL1LossFuncOptions;
}  // namespace xgrad::nn::functional
