#pragma once
// Overflow-checked arithmetic for sizes, strides, offsets and byte counts. Every computation of
// such a quantity from user input goes through these helpers: a product or sum that does not fit
// in int64 is a ValueError naming the op, never a wrapped value that later under-allocates or
// indexes out of bounds.

#include <xgrad/array_ref.hpp>
#include <xgrad/error.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

namespace xgrad::detail {

// a * b, or ValueError "op: <what> overflows int64 (a * b)".
inline int64_t checked_mul(int64_t a, int64_t b, const char* op, const char* what = "size") {
  int64_t r = 0;
  XGRAD_CHECK(!__builtin_mul_overflow(a, b, &r), ValueError, "{}: {} overflows int64 ({} * {})", op, what, a, b);
  return r;
}

// a + b, or ValueError naming the op.
inline int64_t checked_add(int64_t a, int64_t b, const char* op, const char* what = "size") {
  int64_t r = 0;
  XGRAD_CHECK(!__builtin_add_overflow(a, b, &r), ValueError, "{}: {} overflows int64 ({} + {})", op, what, a, b);
  return r;
}

// a - b, or ValueError naming the op.
inline int64_t checked_sub(int64_t a, int64_t b, const char* op, const char* what = "size") {
  int64_t r = 0;
  XGRAD_CHECK(!__builtin_sub_overflow(a, b, &r), ValueError, "{}: {} overflows int64 ({} - {})", op, what, a, b);
  return r;
}

// "[a, b, c]" (local copy: this header does not depend on tensor.hpp).
inline std::string sizes_str(IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  return s + "]";
}

// Number of elements of `sizes`: every size non-negative and the product of ALL sizes (not only
// up to the first zero) in int64, since the contiguous strides of an empty tensor are the
// products of the sizes after each dimension and must not wrap either.
inline int64_t checked_numel(IntArrayRef sizes, const char* op) {
  int64_t n = 1;
  int64_t nonzero = 1;  // product of the sizes with zeros counted as 1 (the largest stride)
  for (auto s : sizes) {
    XGRAD_CHECK(s >= 0, ValueError, "{}: negative size {} in {}", op, s, sizes_str(sizes));
    const int64_t f = s == 0 ? 1 : s;
    XGRAD_CHECK(!__builtin_mul_overflow(nonzero, f, &nonzero), ValueError,
                "{}: sizes {} are too large (the product of the sizes overflows int64)", op, sizes_str(sizes));
    n = s == 0 ? 0 : n * s;  // |n| <= nonzero, cannot overflow
  }
  return n;
}

// numel * element_size as a byte count that a pointer difference can hold, or ValueError.
inline size_t checked_nbytes(int64_t numel, size_t element_size, IntArrayRef sizes, const char* op) {
  int64_t bytes = 0;
  XGRAD_CHECK(numel >= 0 && !__builtin_mul_overflow(numel, static_cast<int64_t>(element_size), &bytes), ValueError,
              "{}: sizes {} need more than 2^63 bytes ({} elements of {} bytes)", op, sizes_str(sizes), numel,
              element_size);
  return static_cast<size_t>(bytes);
}

}  // namespace xgrad::detail
