#pragma once
// Helpers shared by factories.cpp and random.cpp; not part of the public API.

#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"

#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

namespace xgrad::detail {

// Dtype for a `_like` factory: the options' dtype when one was given, else the source's.
ScalarType resolve_like_dtype(const Tensor& x, const std::optional<TensorOptions>& options);
// Applies options.requires_grad() to a freshly made leaf (TypeError for non-floating dtypes).
Tensor finish_factory(Tensor t, TensorOptions options);
void check_sizes_nonnegative(IntArrayRef sizes, const char* op);

// Converts a user-supplied scalar to element type T, refusing values T cannot represent (a NaN
// or 1e30 into int64, 1e300 into float32) instead of invoking undefined behaviour.
// The C++ name of an element type, as c10's conversion messages say it ("type float").
template <typename T>
constexpr const char* c_type_name() {
  if constexpr (std::is_same_v<T, float>) return "float";
  else if constexpr (std::is_same_v<T, double>) return "double";
  else if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_same_v<T, int64_t>) return "int64_t";
  else if constexpr (std::is_same_v<T, int32_t>) return "int32_t";
  else if constexpr (std::is_same_v<T, int16_t>) return "int16_t";
  else if constexpr (std::is_same_v<T, int8_t>) return "int8_t";
  else if constexpr (std::is_same_v<T, uint8_t>) return "uint8_t";
  else return "complex";
}

template <typename T, typename S>
T convert_scalar(S v, const char* op) {
  if constexpr (is_complex_element_v<T>) {
    // Into a complex element: a complex value rounds part by part, a real one gets imaginary 0.
    if constexpr (is_complex_element_v<S>)
      return static_cast<T>(v);
    else
      return T(convert_scalar<typename T::value_type>(v, op), 0);
  } else if constexpr (is_complex_element_v<S>) {
    // A complex value is a real one only when its imaginary part is 0 (c10's checked_convert
    // counts anything else as an overflow).
    XGRAD_CHECK(v.imag() == 0, ValueError,
                "{}: value cannot be converted to type {} without overflow: ({}, {}) has a nonzero imaginary part "
                "(give a complex dtype, e.g. xgrad::kComplexFloat)",
                op, c_type_name<T>(), v.real(), v.imag());
    return convert_scalar<T>(static_cast<double>(v.real()), op);
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != S(0);
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<T>) {
    // Truncates toward zero; NaN, infinities and values outside T are refused (the cast would be
    // undefined behaviour; PyTorch refuses them too: "value cannot be converted ... without overflow").
    XGRAD_CHECK(fits_after_trunc<T>(static_cast<double>(v)), ValueError,
                "{}: value {} cannot be converted to {} without overflow", op, v, dtype_name(scalar_type_of<T>()));
    return static_cast<T>(v);
  } else if constexpr (std::is_integral_v<S> && std::is_integral_v<T> && !std::is_same_v<S, T>) {
    XGRAD_CHECK(std::in_range<T>(v), ValueError, "{}: value {} cannot be converted to {} without overflow", op, v,
                dtype_name(scalar_type_of<T>()));
    return static_cast<T>(v);
  } else if constexpr (std::is_same_v<S, double> && std::is_same_v<T, float>) {
    XGRAD_CHECK(!std::isfinite(v) || std::abs(v) <= static_cast<double>(std::numeric_limits<float>::max()),
                ValueError, "{}: value {} cannot be converted to float32 without overflow", op, v);
    return static_cast<T>(v);
  } else {
    return static_cast<T>(v);
  }
}

}  // namespace xgrad::detail
