#pragma once
/// \file
/// Tag constants for enum-like options, as LibTorch's `torch::kMean`, `torch::kZeros`, ...
/// Each `xgrad::kX` is an object of its own empty type `xgrad::enumtype::kX`, so an option can
/// be a `std::variant` of the tags it accepts and a wrong tag fails to compile:
///
///     auto loss = F::mse_loss(x, y, F::MSELossFuncOptions(xgrad::kSum));
///     std::string s = xgrad::enumtype::get_enum_name(loss_options.reduction());   // "kSum"

#include <string>
#include <variant>

#define XGRAD_ENUM_DECLARE(name)                                   \
  namespace xgrad {                                                \
  namespace enumtype {                                             \
  struct k##name {                                                 \
    constexpr k##name() = default;                                 \
    friend constexpr bool operator==(k##name, k##name) { return true; } \
  };                                                               \
  inline std::string enum_name(k##name) { return "k" #name; }      \
  }                                                                \
  inline constexpr enumtype::k##name k##name{};                    \
  }

XGRAD_ENUM_DECLARE(None)
XGRAD_ENUM_DECLARE(Mean)
XGRAD_ENUM_DECLARE(Sum)
XGRAD_ENUM_DECLARE(Zeros)
XGRAD_ENUM_DECLARE(Reflect)
XGRAD_ENUM_DECLARE(Replicate)
XGRAD_ENUM_DECLARE(Circular)
XGRAD_ENUM_DECLARE(Valid)
XGRAD_ENUM_DECLARE(Same)
XGRAD_ENUM_DECLARE(FanIn)
XGRAD_ENUM_DECLARE(FanOut)
XGRAD_ENUM_DECLARE(Linear)
XGRAD_ENUM_DECLARE(Conv1D)
XGRAD_ENUM_DECLARE(Conv2D)
XGRAD_ENUM_DECLARE(Conv3D)
XGRAD_ENUM_DECLARE(ConvTranspose1D)
XGRAD_ENUM_DECLARE(ConvTranspose2D)
XGRAD_ENUM_DECLARE(ConvTranspose3D)
XGRAD_ENUM_DECLARE(Sigmoid)
XGRAD_ENUM_DECLARE(Tanh)
XGRAD_ENUM_DECLARE(ReLU)
XGRAD_ENUM_DECLARE(LeakyReLU)

namespace xgrad::enumtype {

/// The tag's name ("kMean") held by an enum variant option.
template <typename... Tags>
std::string get_enum_name(const std::variant<Tags...>& v) {
  return std::visit([](auto tag) { return enum_name(tag); }, v);
}

}  // namespace xgrad::enumtype
