#pragma once
// Helpers shared by factories.cpp and random.cpp; not part of the public API.

#include <xgrad/tensor.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

namespace xgrad::detail {

// Dtype for a `_like` factory: the options' dtype when one was given, else the source's.
ScalarType resolve_like_dtype(const Tensor& x, const std::optional<TensorOptions>& options);
// Applies options.requires_grad() to a freshly made leaf (TypeError for non-floating dtypes).
Tensor finish_factory(Tensor t, TensorOptions options);
void check_sizes_nonnegative(IntArrayRef sizes, const char* op);

// Converts a user-supplied scalar to element type T, refusing values T cannot represent (a NaN
// or 1e30 into int64, 1e300 into float32) instead of invoking undefined behaviour.
template <typename T, typename S>
T convert_scalar(S v, const char* op) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != S(0);
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<T>) {
    // 2^63 is exactly representable; int64 covers [-2^63, 2^63).
    XGRAD_CHECK(std::isfinite(v) && v >= -9223372036854775808.0 && v < 9223372036854775808.0, ValueError,
                "{}: value {} cannot be converted to int64 without overflow", op, v);
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
