#pragma once
// Winograd F(2x2, 3x3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015) for 3x3, stride-1, undilated convolutions: each 2x2 block of outputs of one
// channel pair takes 16 multiplications instead of 36.
//
//   U = G g G^T          per (output, input) channel: the 3x3 kernel g as a 4x4 matrix
//   V = B^T d B          per input channel and tile: the 4x4 input patch d (zeros outside the image)
//   M_e = U_e V_e        for each of the 16 elements e: a GEMM [c_out x c_in] * [c_in x tiles]
//   y = A^T M A + bias   per output channel and tile: the 2x2 outputs (edge tiles write only the
//                        in-range ones)
//
// with (rows of the 4x4 transforms)
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
//
// U is transformed once per call straight into panels of 6 output channels (the register tile's
// height). The tiles are processed in blocks of whole tile rows (2 output rows of one image),
// sized from the channel counts so that V and M of a block stay in L2; blocks are the parallel
// tasks. The input transform writes V straight into panels of NR tiles (2 vectors), and a
// 6 x NR register-tiled kernel computes each tile of M_e over the whole depth c_in: no packing
// per product. Every element of M is one FMA chain over the channels in order, and a block's
// size depends only on the shape, so the result is bit-identical for every thread count.
//
// Accuracy: the transforms add and subtract up to 9 inputs (B), 9 weights (G, with exact halves)
// and 9 products (A) around the dot product, so the error is a few units in the last place of
// the magnitude sum_{c,i,j} |x| |w| (not of the result): a little larger than the direct sum's,
// far inside float's use in training.
//
// Compiled once per ISA (conv_winograd_arch.cpp): the transforms are xsimd loops over vectors
// of consecutive tiles of a tile row, with that ISA's flags.

#include "kernels/conv.hpp"

#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {

/// One forward convolution on the Winograd path. The shape must satisfy winograd_eligible().
template <typename T>
struct WinogradArgs {
  const Conv2dShape* shape = nullptr;
  const T* x = nullptr;     // [n, c_in, h, w]
  const T* w = nullptr;     // [c_out, c_in / groups, r, r], r = 3 or 5
  const T* bias = nullptr;  // [c_out] or null
  T* y = nullptr;           // [n, c_out, ho, wo], overwritten
};

/// Whether the Winograd path can compute this shape's forward pass: a 3x3 (5x5) kernel, stride
/// 1, dilation 1, padding 0..2 (0..4) on each side (the output size may be anything the contract
/// allows).
inline bool winograd_eligible(const Conv2dShape& s) {
  const int64_t r = s.kh;
  return (r == 3 || r == 5) && s.kw == r && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.ph >= 0 &&
         s.ph <= r - 1 && s.pw >= 0 && s.pw <= r - 1 && s.ho >= 1 && s.wo >= 1;
}

struct ConvWinogradKernel {
  template <class Arch, typename T>
  void operator()(Arch, const WinogradArgs<T>& args) const;
};

#define XGRAD_WINOGRAD_EXTERN(ARCH)                                                                            \
  extern template void ConvWinogradKernel::operator()<ARCH, float>(ARCH, const WinogradArgs<float>&) const;   \
  extern template void ConvWinogradKernel::operator()<ARCH, double>(ARCH, const WinogradArgs<double>&) const;
XGRAD_WINOGRAD_EXTERN(xsimd::sse2)
XGRAD_WINOGRAD_EXTERN(xsimd::fma3<xsimd::avx2>)
XGRAD_WINOGRAD_EXTERN(xsimd::avx512f)
#undef XGRAD_WINOGRAD_EXTERN

}  // namespace xgrad::kernels
