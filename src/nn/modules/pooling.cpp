// Pooling modules: argument checks at construction, forward through nn::functional, PyTorch's
// extra_repr text.

#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/modules/pooling.hpp>

#include "nn/modules/common.hpp"

#include <fmt/format.h>

namespace xgrad::nn {

using namespace detail;

// ---- pooling ------------------------------------------------------------------------------------

MaxPool2dImpl::MaxPool2dImpl(const MaxPool2dOptions& options_) : options(options_) { reset(); }

void MaxPool2dImpl::reset() {
  for (size_t i = 0; i < 2; ++i) {
    XGRAD_CHECK(options.kernel_size()[i] > 0, ValueError, "MaxPool2d: kernel_size must be positive, got {}",
                py_tuple(*options.kernel_size()));
    XGRAD_CHECK(options.stride()[i] > 0, ValueError, "MaxPool2d: stride must be positive, got {}",
                py_tuple(*options.stride()));
    XGRAD_CHECK(options.dilation()[i] > 0, ValueError, "MaxPool2d: dilation must be positive, got {}",
                py_tuple(*options.dilation()));
    XGRAD_CHECK(options.padding()[i] >= 0, ValueError, "MaxPool2d: padding must be non-negative, got {}",
                py_tuple(*options.padding()));
  }
}

Tensor MaxPool2dImpl::forward(const Tensor& input) { return functional::max_pool2d(input, options); }

std::tuple<Tensor, Tensor> MaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool2d_with_indices(input, options);
}

std::string MaxPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}", py_size(options.kernel_size()),
                     py_size(options.stride()), py_size(options.padding()), py_size(options.dilation()),
                     py_bool(options.ceil_mode()));
}

AvgPool2dImpl::AvgPool2dImpl(const AvgPool2dOptions& options_) : options(options_) { reset(); }

void AvgPool2dImpl::reset() {
  for (size_t i = 0; i < 2; ++i) {
    XGRAD_CHECK(options.kernel_size()[i] > 0, ValueError, "AvgPool2d: kernel_size must be positive, got {}",
                py_tuple(*options.kernel_size()));
    XGRAD_CHECK(options.stride()[i] > 0, ValueError, "AvgPool2d: stride must be positive, got {}",
                py_tuple(*options.stride()));
    XGRAD_CHECK(options.padding()[i] >= 0 && options.padding()[i] * 2 <= options.kernel_size()[i], ValueError,
                "AvgPool2d: padding should be non-negative and at most half of kernel_size, got padding {} for "
                "kernel_size {}",
                py_tuple(*options.padding()), py_tuple(*options.kernel_size()));
  }
  XGRAD_CHECK(!options.divisor_override() || *options.divisor_override() != 0, ValueError,
              "AvgPool2d: divisor_override must not be zero");
}

Tensor AvgPool2dImpl::forward(const Tensor& input) { return functional::avg_pool2d(input, options); }

std::string AvgPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", py_size(options.kernel_size()),
                     py_size(options.stride()), py_size(options.padding()));
}

AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options_) : options(options_) {
  reset();
}

void AdaptiveAvgPool2dImpl::reset() {
  for (size_t i = 0; i < 2; ++i) {
    const auto& v = options.output_size()[i];
    XGRAD_CHECK(!v || *v >= 0, ValueError, "AdaptiveAvgPool2d: output_size must be non-negative, got {}", *v);
  }
}

Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) { return functional::adaptive_avg_pool2d(input, options); }

std::string AdaptiveAvgPool2dImpl::extra_repr() const {
  // Printed as a tuple, the common spelling (`AdaptiveAvgPool2d((1, 1))`); see py_size.
  const auto& o = options.output_size();
  return fmt::format("output_size=({}, {})", py_optional(o[0]), py_optional(o[1]));
}

AdaptiveMaxPool2dImpl::AdaptiveMaxPool2dImpl(const AdaptiveMaxPool2dOptions& options_) : options(options_) {
  reset();
}

void AdaptiveMaxPool2dImpl::reset() {
  for (size_t i = 0; i < 2; ++i) {
    const auto& v = options.output_size()[i];
    XGRAD_CHECK(!v || *v >= 0, ValueError, "AdaptiveMaxPool2d: output_size must be non-negative, got {}", *v);
  }
}

Tensor AdaptiveMaxPool2dImpl::forward(const Tensor& input) { return functional::adaptive_max_pool2d(input, options); }

std::tuple<Tensor, Tensor> AdaptiveMaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return functional::adaptive_max_pool2d_with_indices(input, options);
}

std::string AdaptiveMaxPool2dImpl::extra_repr() const {
  const auto& o = options.output_size();
  return fmt::format("output_size=({}, {})", py_optional(o[0]), py_optional(o[1]));
}

}  // namespace xgrad::nn
