#pragma once
/// \file
/// `xgrad::Scalar`: one number that remembers whether it is floating, integral or boolean, as
/// LibTorch's `c10::Scalar` (`at::Scalar`, `torch::Scalar`).
///
/// Every arithmetic type converts to it implicitly, so tensor methods take plain numbers:
///
///     auto i = xgrad::tensor({1, 2, 3});      // int64
///     i.mul(2);                               // int64: an integral Scalar keeps integer math
///     i * 2.5;                                // float32: a floating Scalar promotes (PyTorch)
///     xgrad::Scalar s = x.sum().item();       // untyped item()
///     double d = s.toDouble();
///
/// The kind of a Scalar (not its value) decides type promotion, as in PyTorch: a Scalar takes
/// part like a 0-dim "wrapped number", so it changes the result dtype only when its category
/// (bool < integral < floating) is higher than the tensor's, and then gives that category's
/// default dtype (bool, int64, float32).

#include <xgrad/dtype.hpp>
#include <xgrad/error.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <type_traits>
#include <utility>

namespace xgrad {

class Scalar {
 public:
  /// `Scalar()` is the integer 0, as in LibTorch.
  Scalar() = default;
  /// From bool: a boolean Scalar (`isBoolean()`).
  template <typename T, std::enable_if_t<std::is_same_v<T, bool>, int> = 0>
  Scalar(T v) : kind_(ScalarType::Bool), i_(v ? 1 : 0) {}  // NOLINT: implicit like c10::Scalar
  /// From any integer type: an integral Scalar holding an int64. An unsigned value above
  /// INT64_MAX is a ValueError.
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Scalar(T v) : kind_(ScalarType::Long), i_(to_int64(v)) {}  // NOLINT
  /// From float or double: a floating Scalar holding a double.
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Scalar(T v) : kind_(ScalarType::Double), d_(static_cast<double>(v)) {}  // NOLINT

  /// The kind: kDouble, kLong or kBool (c10::Scalar::type()).
  ScalarType type() const { return kind_; }
  bool isFloatingPoint() const { return kind_ == ScalarType::Double; }
  /// Integral; with `includeBool` a boolean counts too (c10::Scalar::isIntegral(bool)).
  bool isIntegral(bool includeBool) const { return kind_ == ScalarType::Long || (includeBool && isBoolean()); }
  bool isBoolean() const { return kind_ == ScalarType::Bool; }
  /// Always false: xgrad has no complex numbers (kept for code written against c10::Scalar).
  bool isComplex() const { return false; }

  /// The value as double (an int64 above 2^53 rounds, as c10).
  double toDouble() const { return isFloatingPoint() ? d_ : static_cast<double>(i_); }
  /// The value as float; a finite value outside float's range is a ValueError (c10 throws too).
  float toFloat() const {
    const double v = toDouble();
    XGRAD_CHECK(!std::isfinite(v) || std::abs(v) <= static_cast<double>(std::numeric_limits<float>::max()),
                ValueError, "Scalar::toFloat: value {} cannot be converted to type float without overflow", v);
    return static_cast<float>(v);
  }
  /// The value as int64, truncating a floating value toward zero; NaN, infinity or a value
  /// outside int64 is a ValueError.
  int64_t toLong() const { return isFloatingPoint() ? checked_trunc<int64_t>(d_, "toLong", "int64_t") : i_; }
  /// The value as int32 (truncating); a value outside int32 is a ValueError.
  int32_t toInt() const {
    if (isFloatingPoint()) return checked_trunc<int32_t>(d_, "toInt", "int32_t");
    XGRAD_CHECK(std::in_range<int32_t>(i_), ValueError,
                "Scalar::toInt: value {} cannot be converted to type int32_t without overflow", i_);
    return static_cast<int32_t>(i_);
  }
  /// Nonzero is true.
  bool toBool() const { return isFloatingPoint() ? d_ != 0.0 : i_ != 0; }
  /// `to<double>()`, `to<float>()`, `to<int64_t>()`, `to<int>()`, `to<bool>()`.
  template <typename T>
  T to() const;

  /// Negation keeps the kind; negating a boolean is a TypeError.
  Scalar operator-() const {
    XGRAD_CHECK(!isBoolean(), TypeError, "Scalar: negation of a boolean Scalar is not supported");
    if (isFloatingPoint()) return Scalar(-d_);
    return Scalar(static_cast<int64_t>(uint64_t{0} - static_cast<uint64_t>(i_)));
  }
  /// Whether the value equals `num`; a boolean Scalar equals only a bool (as c10::Scalar::equal).
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  bool equal(T num) const {
    if constexpr (std::is_same_v<T, bool>)
      return isBoolean() && (i_ != 0) == num;
    else if (isBoolean())
      return false;
    else if (isFloatingPoint())
      return d_ == static_cast<double>(num);
    else if constexpr (std::is_floating_point_v<T>)
      return static_cast<double>(i_) == static_cast<double>(num);
    else
      return std::cmp_equal(i_, num);
  }

 private:
  template <typename T>
  static int64_t to_int64(T v) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t))
      XGRAD_CHECK(std::in_range<int64_t>(v), ValueError, "Scalar: value {} does not fit int64", v);
    return static_cast<int64_t>(v);
  }
  template <typename I>
  static I checked_trunc(double v, const char* fn, const char* type_name) {
    // Both bounds as exact doubles: [min, max + 1) of I.
    const double lo = static_cast<double>(std::numeric_limits<I>::min());
    const double hi = -lo;
    XGRAD_CHECK(std::isfinite(v) && std::trunc(v) >= lo && std::trunc(v) < hi, ValueError,
                "Scalar::{}: value {} cannot be converted to type {} without overflow", fn, v, type_name);
    return static_cast<I>(v);
  }

  ScalarType kind_ = ScalarType::Long;
  double d_ = 0.0;
  int64_t i_ = 0;
};

template <>
inline double Scalar::to<double>() const { return toDouble(); }
template <>
inline float Scalar::to<float>() const { return toFloat(); }
template <>
inline int64_t Scalar::to<int64_t>() const { return toLong(); }
template <>
inline int32_t Scalar::to<int32_t>() const { return toInt(); }
template <>
inline bool Scalar::to<bool>() const { return toBool(); }

/// Prints as LibTorch: a floating value as a double (`2.5`), an integral one as an integer
/// (`3`), a boolean as `true` / `false`.
inline std::ostream& operator<<(std::ostream& os, const Scalar& s) {
  if (s.isFloatingPoint()) return os << s.toDouble();
  if (s.isBoolean()) return os << (s.toBool() ? "true" : "false");
  return os << s.toLong();
}

}  // namespace xgrad
