// Loss modules: option checks, class weights kept as buffers (so they follow to(dtype)),
// forward through nn::functional.

#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/modules/loss.hpp>

namespace xgrad::nn {

// ---- losses -------------------------------------------------------------------------------------

L1LossImpl::L1LossImpl(L1LossOptions options_) : options(std::move(options_)) {}
void L1LossImpl::reset() {}
Tensor L1LossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::l1_loss(input, target, options);
}

MSELossImpl::MSELossImpl(MSELossOptions options_) : options(std::move(options_)) {}
void MSELossImpl::reset() {}
Tensor MSELossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::mse_loss(input, target, options);
}

SmoothL1LossImpl::SmoothL1LossImpl(SmoothL1LossOptions options_) : options(std::move(options_)) { reset(); }
void SmoothL1LossImpl::reset() {
  XGRAD_CHECK(options.beta() >= 0.0, ValueError, "SmoothL1Loss: beta must be non-negative, got {}", options.beta());
}
Tensor SmoothL1LossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::smooth_l1_loss(input, target, options);
}

HuberLossImpl::HuberLossImpl(HuberLossOptions options_) : options(std::move(options_)) { reset(); }
void HuberLossImpl::reset() {
  XGRAD_CHECK(options.delta() > 0.0, ValueError, "HuberLoss: delta must be positive, got {}", options.delta());
}
Tensor HuberLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::huber_loss(input, target, options);
}

NLLLossImpl::NLLLossImpl(NLLLossOptions options_) : options(std::move(options_)) { reset(); }
void NLLLossImpl::reset() {
  buffers_.clear();
  weight = register_buffer("weight", options.weight());
}
Tensor NLLLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::nll_loss(input, target, NLLLossOptions(options).weight(weight));
}

CrossEntropyLossImpl::CrossEntropyLossImpl(CrossEntropyLossOptions options_) : options(std::move(options_)) {
  reset();
}
void CrossEntropyLossImpl::reset() {
  XGRAD_CHECK(options.label_smoothing() >= 0.0 && options.label_smoothing() <= 1.0, ValueError,
              "CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got {}", options.label_smoothing());
  buffers_.clear();
  weight = register_buffer("weight", options.weight());
}
Tensor CrossEntropyLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::cross_entropy(input, target, CrossEntropyLossOptions(options).weight(weight));
}

BCEWithLogitsLossImpl::BCEWithLogitsLossImpl(BCEWithLogitsLossOptions options_) : options(std::move(options_)) {
  reset();
}
void BCEWithLogitsLossImpl::reset() {
  buffers_.clear();
  weight = register_buffer("weight", options.weight());
  pos_weight = register_buffer("pos_weight", options.pos_weight());
}
Tensor BCEWithLogitsLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy_with_logits(
      input, target, BCEWithLogitsLossOptions(options).weight(weight).pos_weight(pos_weight));
}

BCELossImpl::BCELossImpl(BCELossOptions options_) : options(std::move(options_)) { reset(); }
void BCELossImpl::reset() {
  buffers_.clear();
  weight = register_buffer("weight", options.weight());
}
Tensor BCELossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy(input, target, BCELossOptions(options).weight(weight));
}

}  // namespace xgrad::nn
