// Conv2d: argument checks at construction, PyTorch's default initialisation, forward through
// nn::functional::conv2d and PyTorch's extra_repr text.

#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/modules/conv.hpp>

#include "nn/modules/common.hpp"

#include <fmt/format.h>

namespace xgrad::nn {

using namespace detail;

// ---- Conv2d -------------------------------------------------------------------------------------

Conv2dImpl::Conv2dImpl(Conv2dOptions options_) : options(std::move(options_)) { reset(); }

void Conv2dImpl::reset() {
  const auto& o = options;
  XGRAD_CHECK(o.in_channels() > 0, ValueError, "Conv2d: in_channels must be positive, got {}", o.in_channels());
  XGRAD_CHECK(o.out_channels() > 0, ValueError, "Conv2d: out_channels must be positive, got {}", o.out_channels());
  XGRAD_CHECK(o.groups() > 0, ValueError, "Conv2d: groups must be a positive integer, got {}", o.groups());
  XGRAD_CHECK(o.in_channels() % o.groups() == 0, ValueError,
              "Conv2d: in_channels ({}) must be divisible by groups ({})", o.in_channels(), o.groups());
  XGRAD_CHECK(o.out_channels() % o.groups() == 0, ValueError,
              "Conv2d: out_channels ({}) must be divisible by groups ({})", o.out_channels(), o.groups());
  for (size_t i = 0; i < 2; ++i) {
    XGRAD_CHECK(o.kernel_size()[i] > 0, ValueError, "Conv2d: kernel_size must be positive, got {}",
                py_tuple(*o.kernel_size()));
    XGRAD_CHECK(o.stride()[i] > 0, ValueError, "Conv2d: stride must be positive, got {}", py_tuple(*o.stride()));
    XGRAD_CHECK(o.dilation()[i] > 0, ValueError, "Conv2d: dilation must be positive, got {}",
                py_tuple(*o.dilation()));
  }
  if (const auto* pad = std::get_if<ExpandingArray<2>>(&o.padding())) {
    XGRAD_CHECK((*pad)[0] >= 0 && (*pad)[1] >= 0, ValueError, "Conv2d: padding must be non-negative, got {}",
                py_tuple(**pad));
  } else if (std::holds_alternative<enumtype::kSame>(o.padding())) {
    XGRAD_CHECK(o.stride()[0] == 1 && o.stride()[1] == 1, ValueError,
                "Conv2d: padding='same' is not supported for strided convolutions (stride {})", py_tuple(*o.stride()));
  }
  XGRAD_CHECK(std::holds_alternative<enumtype::kZeros>(o.padding_mode()), ValueError,
              "Conv2d: padding_mode {} is not supported; only kZeros is implemented",
              enumtype::get_enum_name(o.padding_mode()));
  parameters_.clear();  // reset() may run again (re-creates the parameters)
  weight = register_parameter("weight", empty({o.out_channels(), o.in_channels() / o.groups(), o.kernel_size()[0],
                                               o.kernel_size()[1]}));
  if (o.bias()) bias = register_parameter("bias", empty({o.out_channels()}));
  reset_parameters();
}

void Conv2dImpl::reset_parameters() { default_layer_init(weight, bias); }

Tensor Conv2dImpl::forward(const Tensor& input) {
  return functional::conv2d(input, weight,
                            functional::Conv2dFuncOptions()
                                .bias(bias)
                                .stride(options.stride())
                                .padding(options.padding())
                                .dilation(options.dilation())
                                .groups(options.groups()));
}

std::string Conv2dImpl::extra_repr() const {
  const auto& o = options;
  std::string s = fmt::format("{}, {}, kernel_size={}, stride={}", o.in_channels(), o.out_channels(),
                              py_tuple(*o.kernel_size()), py_tuple(*o.stride()));
  if (const auto* pad = std::get_if<ExpandingArray<2>>(&o.padding())) {
    if ((*pad)[0] != 0 || (*pad)[1] != 0) s += fmt::format(", padding={}", py_tuple(**pad));
  } else {
    s += std::holds_alternative<enumtype::kSame>(o.padding()) ? ", padding=same" : ", padding=valid";
  }
  if (o.dilation()[0] != 1 || o.dilation()[1] != 1) s += fmt::format(", dilation={}", py_tuple(*o.dilation()));
  if (o.groups() != 1) s += fmt::format(", groups={}", o.groups());
  if (!o.bias()) s += ", bias=False";
  return s;
}

}  // namespace xgrad::nn
