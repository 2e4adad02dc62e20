#pragma once
/// \file
/// `ExpandingArray<N>`: a size option given either as one value (`3`, expanded to `{3, 3}`) or
/// as exactly N values (`{3, 2}`), as in LibTorch's module options.

#include <xgrad/error.hpp>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace xgrad {

template <size_t N, typename T = int64_t>
class ExpandingArray {
 public:
  ExpandingArray(T single) { values_.fill(single); }  // NOLINT
  ExpandingArray(std::initializer_list<T> list) {     // NOLINT
    XGRAD_CHECK(list.size() == N, ValueError, "ExpandingArray: expected {} values, got {}", N,
                list.size());
    std::copy(list.begin(), list.end(), values_.begin());
  }
  ExpandingArray(const std::vector<T>& v) {  // NOLINT
    XGRAD_CHECK(v.size() == N, ValueError, "ExpandingArray: expected {} values, got {}", N,
                v.size());
    std::copy(v.begin(), v.end(), values_.begin());
  }
  ExpandingArray(const std::array<T, N>& a) : values_(a) {}  // NOLINT

  std::array<T, N>& operator*() { return values_; }
  const std::array<T, N>& operator*() const { return values_; }
  std::array<T, N>* operator->() { return &values_; }
  const std::array<T, N>* operator->() const { return &values_; }
  const T& operator[](size_t i) const { return values_[i]; }
  T& operator[](size_t i) { return values_[i]; }
  operator std::vector<T>() const { return std::vector<T>(values_.begin(), values_.end()); }
  static constexpr size_t size() { return N; }

  bool operator==(const ExpandingArray&) const = default;

 private:
  std::array<T, N> values_{};
};

}  // namespace xgrad
