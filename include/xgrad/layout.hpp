#pragma once
/// \file
/// `xgrad::Layout`, LibTorch's `c10::Layout`: how a tensor's elements are stored. Every xgrad
/// tensor is strided (sizes + strides over one storage), so `Tensor::layout()` is always
/// `kStrided`; the other LibTorch layouts (sparse COO/CSR, MKL-DNN) do not exist in xgrad.
///
///     if (x.layout() == xgrad::kStrided) { ... }   // always true

#include <cstdint>
#include <ostream>

namespace xgrad {

/// Only `Strided`: xgrad has no sparse or MKL-DNN tensors.
enum class Layout : int8_t { Strided };

/// LibTorch's name for the strided layout (`torch::kStrided`).
inline constexpr Layout kStrided = Layout::Strided;

/// `Strided`, as LibTorch prints it.
inline std::ostream& operator<<(std::ostream& os, Layout layout) {
  switch (layout) {
    case Layout::Strided: return os << "Strided";
  }
  return os << "Layout(" << static_cast<int>(layout) << ")";
}

}  // namespace xgrad
