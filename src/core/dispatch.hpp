#pragma once
// Runtime dtype -> compile-time element type. Ops write one templated lambda:
//   dispatch_floating(x.dtype(), "exp", [&]<typename T>() { ... T ... });
//
// dispatch_all covers every storage dtype (8 instantiations of the lambda); dispatch_std covers
// the four original ones (float32, float64, int64, bool) for ops whose other integer inputs are
// converted to int64 first, so that they do not pay for 8 instantiations. The named-only dtypes
// (float16, bfloat16) have no storage and throw TypeError in every dispatcher; the complex
// dtypes are stored but only dispatch_storage lets them through (the others throw TypeError).

#include <xgrad/dtype.hpp>
#include <xgrad/error.hpp>

#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

namespace xgrad::detail {

// Throws TypeError for a dtype xgrad names but cannot store or compute with.
[[noreturn]] void throw_unsupported_dtype(ScalarType t, const char* op);

// A signed or unsigned integer element type other than bool.
template <typename T>
inline constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// Whether the floating value v, truncated toward zero, is a value of the integer type D (false for
// NaN and infinities), so that static_cast<D>(v) is defined.
template <typename D>
constexpr bool fits_after_trunc(double v) {
  constexpr double lo = static_cast<double>(std::numeric_limits<D>::min());
  // max + 1 is a power of two, exact in double (int64's max rounds up to it).
  constexpr double hi = static_cast<double>(std::numeric_limits<D>::max()) + (sizeof(D) < 8 ? 1.0 : 0.0);
  if constexpr (sizeof(D) < 8)
    return v > lo - 1.0 && v < hi;  // -128.5 truncates to -128
  else
    return v >= lo && v < hi;  // no double lies strictly between -2^63 - 1 and -2^63
}

template <typename F>
decltype(auto) dispatch_floating(ScalarType t, const char* op, F&& f) {
  switch (t) {
    case ScalarType::Float: return f.template operator()<float>();
    case ScalarType::Double: return f.template operator()<double>();
    default: break;
  }
  if (!is_supported(t)) throw_unsupported_dtype(t, op);
  XGRAD_THROW(TypeError, "{}: expected a floating-point tensor (float32 or float64), got {}", op, dtype_name(t));
}

template <typename F>
decltype(auto) dispatch_all(ScalarType t, const char* op, F&& f) {
  switch (t) {
    case ScalarType::Float: return f.template operator()<float>();
    case ScalarType::Double: return f.template operator()<double>();
    case ScalarType::Long: return f.template operator()<int64_t>();
    case ScalarType::Int: return f.template operator()<int32_t>();
    case ScalarType::Short: return f.template operator()<int16_t>();
    case ScalarType::Char: return f.template operator()<int8_t>();
    case ScalarType::Byte: return f.template operator()<uint8_t>();
    case ScalarType::Bool: return f.template operator()<bool>();
    default: break;
  }
  throw_unsupported_dtype(t, op);
}

// Every stored dtype: dispatch_all's eight and the two complex types (xgrad::complex<float>,
// <double>). Only for the few ops that handle complex tensors (creation, conversion, printing,
// comparison); 10 instantiations of the lambda.
template <typename F>
decltype(auto) dispatch_storage(ScalarType t, const char* op, F&& f) {
  if (t == ScalarType::ComplexFloat) return f.template operator()<complex<float>>();
  if (t == ScalarType::ComplexDouble) return f.template operator()<complex<double>>();
  return dispatch_all(t, op, std::forward<F>(f));
}

template <typename T>
inline constexpr bool is_complex_element_v = std::is_same_v<T, complex<float>> || std::is_same_v<T, complex<double>>;

// float32, float64, int64 and bool only; other integer dtypes throw TypeError naming `op`
// (callers convert them to int64 before dispatching).
template <typename F>
decltype(auto) dispatch_std(ScalarType t, const char* op, F&& f) {
  switch (t) {
    case ScalarType::Float: return f.template operator()<float>();
    case ScalarType::Double: return f.template operator()<double>();
    case ScalarType::Long: return f.template operator()<int64_t>();
    case ScalarType::Bool: return f.template operator()<bool>();
    default: break;
  }
  if (!is_supported(t)) throw_unsupported_dtype(t, op);
  XGRAD_THROW(TypeError, "{}: not implemented for {} tensors (convert with .to(xgrad::kInt64) first)", op,
              dtype_name(t));
}

}  // namespace xgrad::detail
