#pragma once
/// \file
/// `IntArrayRef`: a non-owning view of sizes, accepting `{2, 3}`, a `std::vector<int64_t>` or a
/// single integer, as LibTorch's `c10::IntArrayRef` does.

#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <vector>

namespace xgrad {

template <typename T>
class ArrayRef {
 public:
  constexpr ArrayRef() = default;
  constexpr ArrayRef(const T& one) : data_(&one), size_(1) {}  // NOLINT: implicit like LibTorch
  constexpr ArrayRef(const T* data, size_t size) : data_(data), size_(size) {}
  ArrayRef(const std::vector<T>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
  // Like LibTorch's ArrayRef: valid for the full-expression the braced list appears in.
  // -Winit-list-lifetime is GCC's own warning; clang does not know it (and does not warn here).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  constexpr ArrayRef(std::initializer_list<T> il)  // NOLINT
      : data_(il.begin()), size_(il.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  constexpr const T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const T* begin() const { return data_; }
  constexpr const T* end() const { return data_ + size_; }
  constexpr const T& operator[](size_t i) const { return data_[i]; }
  constexpr const T& front() const { return data_[0]; }
  constexpr const T& back() const { return data_[size_ - 1]; }
  std::vector<T> vec() const { return std::vector<T>(begin(), end()); }

  friend bool operator==(ArrayRef a, ArrayRef b) {
    if (a.size_ != b.size_) return false;
    for (size_t i = 0; i < a.size_; ++i)
      if (!(a.data_[i] == b.data_[i])) return false;
    return true;
  }
  friend bool operator==(ArrayRef a, const std::vector<T>& b) { return a == ArrayRef(b); }

 private:
  const T* data_ = nullptr;
  size_t size_ = 0;
};

using IntArrayRef = ArrayRef<int64_t>;

/// An optional ArrayRef: LibTorch's `c10::OptionalArrayRef<T>`, and what its
/// `c10::optional<ArrayRef<T>>` parameters are (LibTorch specialises that optional so that a
/// braced list converts to it, which `std::optional` cannot do). Empty by default or from
/// `xgrad::nullopt`; otherwise a non-owning view of a braced list (`{x, y}`, valid for the
/// full-expression it appears in, as ArrayRef's), a `std::vector<T>`, an ArrayRef, or the
/// contents of a `std::optional` of either.
template <typename T>
class OptionalArrayRef {
 public:
  constexpr OptionalArrayRef() = default;
  constexpr OptionalArrayRef(std::nullopt_t) {}                              // NOLINT: implicit
  constexpr OptionalArrayRef(ArrayRef<T> value) : value_(value) {}          // NOLINT
  OptionalArrayRef(const std::vector<T>& value) : value_(ArrayRef<T>(value)) {}  // NOLINT
  constexpr OptionalArrayRef(std::initializer_list<T> il) : value_(ArrayRef<T>(il)) {}  // NOLINT
  constexpr OptionalArrayRef(const std::optional<ArrayRef<T>>& value) : value_(value) {}  // NOLINT
  OptionalArrayRef(const std::optional<std::vector<T>>& value) {  // NOLINT
    if (value) value_ = ArrayRef<T>(*value);
  }

  constexpr bool has_value() const { return value_.has_value(); }
  constexpr explicit operator bool() const { return has_value(); }
  /// The list; std::bad_optional_access when empty.
  constexpr ArrayRef<T> value() const { return value_.value(); }
  constexpr ArrayRef<T> operator*() const { return *value_; }
  constexpr const ArrayRef<T>* operator->() const { return &*value_; }
  constexpr ArrayRef<T> value_or(ArrayRef<T> fallback) const { return value_.value_or(fallback); }

 private:
  std::optional<ArrayRef<T>> value_;
};

/// Formats sizes as PyTorch prints `tensor.shape`'s contents: `[2, 3]`.
std::string to_string(IntArrayRef sizes);

inline std::ostream& operator<<(std::ostream& os, IntArrayRef sizes) { return os << to_string(sizes); }

}  // namespace xgrad

template <>
struct fmt::formatter<xgrad::IntArrayRef> : fmt::formatter<std::string> {
  template <typename Ctx>
  auto format(xgrad::IntArrayRef s, Ctx& ctx) const {
    return fmt::formatter<std::string>::format(xgrad::to_string(s), ctx);
  }
};
