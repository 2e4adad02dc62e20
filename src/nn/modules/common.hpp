#pragma once
// Helpers shared by the module sources of src/nn/modules/: Python's spelling of values in
// extra_repr text, and PyTorch's default initialisation of Linear and Conv2d.

#include <xgrad/expanding_array.hpp>
#include <xgrad/nn/init.hpp>
#include <xgrad/tensor.hpp>

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

namespace xgrad::nn::detail {

// Python's repr of a float: shortest round-trip digits, always with a '.' ("0.5", "1.0").
inline std::string py_float(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// A 2-tuple as Python prints it: "(5, 5)".
template <typename T>
inline std::string py_tuple(const std::array<T, 2>& a) {
  return fmt::format("({}, {})", a[0], a[1]);
}

// A pooling size: PyTorch prints it as the user gave it; an int given to a LibTorch-style
// ExpandingArray cannot be told from a tuple of equal values, so equal values print as one int.
inline std::string py_size(const ExpandingArray<2>& a) {
  return a[0] == a[1] ? fmt::format("{}", a[0]) : py_tuple(*a);
}

inline std::string py_optional(const std::optional<int64_t>& v) { return v ? fmt::format("{}", *v) : "None"; }

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight (kaiming_uniform_ with a = sqrt(5)) and bias, as
// PyTorch's Linear and Conv2d reset_parameters.
inline void default_layer_init(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto [fan_in, fan_out] = init::_calculate_fan_in_and_fan_out(weight);
    (void)fan_out;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

}  // namespace xgrad::nn::detail
