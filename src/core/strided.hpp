#pragma once
// N-d iteration over strided operands. Ops that accept arbitrary views (broadcast inputs have
// stride 0 on expanded dimensions) use this instead of materialising copies.

#include <xgrad/array_ref.hpp>
#include <xgrad/small_vector.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace xgrad::detail {

// Calls body(offsets, inner_count, inner_strides) once per innermost row: `offsets[k]` is the
// element offset of operand k at the row start, and the row has `inner_count` elements, operand
// k advancing by `inner_strides[k]`. Row-major order over `sizes`.
template <size_t N, typename Body>
void for_each_row(IntArrayRef sizes, const std::array<const int64_t*, N>& strides, Body&& body) {
  const int64_t ndim = static_cast<int64_t>(sizes.size());
  for (int64_t d = 0; d < ndim; ++d)
    if (sizes[d] == 0) return;
  std::array<int64_t, N> offsets{};
  std::array<int64_t, N> inner{};
  if (ndim == 0) {
    body(offsets, int64_t{1}, inner);
    return;
  }
  const int64_t last = ndim - 1;
  for (size_t k = 0; k < N; ++k) inner[k] = strides[k][last];
  const int64_t count = sizes[last];
  SmallVector<int64_t, 8> index(static_cast<size_t>(ndim), 0);
  while (true) {
    body(offsets, count, inner);
    int64_t d = last - 1;
    for (; d >= 0; --d) {
      ++index[d];
      for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
      if (index[d] < sizes[d]) break;
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * sizes[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// Calls f(offset_0, ..., offset_{N-1}) for every element in row-major order.
template <size_t N, typename F>
void for_each_element(IntArrayRef sizes, const std::array<const int64_t*, N>& strides, F&& f) {
  for_each_row<N>(sizes, strides, [&](const std::array<int64_t, N>& base, int64_t count,
                                      const std::array<int64_t, N>& step) {
    std::array<int64_t, N> off = base;
    for (int64_t i = 0; i < count; ++i) {
      f(off);
      for (size_t k = 0; k < N; ++k) off[k] += step[k];
    }
  });
}

}  // namespace xgrad::detail
