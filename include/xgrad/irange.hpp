#pragma once
/// \file
/// `xgrad::irange`, LibTorch's `c10::irange`: an integer range for range-based for loops.
///
///     for (const auto i : xgrad::irange(x.size(0))) { ... }      // 0, 1, ..., n-1
///     for (const auto i : xgrad::irange(2, 5)) { ... }           // 2, 3, 4
///
/// The values have the type of `end` (of the common type of `begin` and `end`); an `end` at or
/// below `begin` gives an empty range, never a wrap-around.

#include <cstddef>
#include <iterator>
#include <type_traits>

namespace xgrad {
namespace detail {
template <typename I>
class IntegerRange {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = I;
    using difference_type = std::ptrdiff_t;
    using pointer = const I*;
    using reference = I;
    iterator() = default;
    explicit iterator(I v) : v_(v) {}
    I operator*() const { return v_; }
    iterator& operator++() { ++v_; return *this; }
    iterator operator++(int) { auto c = *this; ++v_; return c; }
    bool operator==(const iterator& o) const { return v_ == o.v_; }
    bool operator!=(const iterator& o) const { return v_ != o.v_; }

   private:
    I v_{};
  };
  IntegerRange(I begin, I end) : begin_(begin), end_(end < begin ? begin : end) {}
  iterator begin() const { return iterator(begin_); }
  iterator end() const { return iterator(end_); }
  bool empty() const { return begin_ == end_; }

 private:
  I begin_, end_;
};
}  // namespace detail

/// The integers begin, begin+1, ..., end-1 (empty when end <= begin).
template <typename Integer1, typename Integer2,
          typename = std::enable_if_t<std::is_integral_v<Integer1> && std::is_integral_v<Integer2>>>
detail::IntegerRange<Integer2> irange(Integer1 begin, Integer2 end) {
  return {static_cast<Integer2>(begin), end};
}

/// The integers 0, 1, ..., end-1 (empty when end <= 0).
template <typename Integer, typename = std::enable_if_t<std::is_integral_v<Integer>>>
detail::IntegerRange<Integer> irange(Integer end) {
  return {Integer{}, end};
}
}  // namespace xgrad
