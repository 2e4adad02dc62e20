#pragma once
// Winograd F(2x2, 3x3) and F(2x2, 5x5) convolution (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2015) for r x r (r = 3 or 5), stride-1, undilated
// convolutions: each 2x2 block of outputs of one channel pair takes alpha^2 multiplications
// (alpha = r + 1: 16 instead of 36, or 36 instead of 100).
//
//   U = G g G^T          per (output, input) channel: the r x r kernel g as an alpha x alpha matrix
//   V = B^T d B          per input channel and tile: the alpha x alpha input patch d (zeros outside the image)
//   M_e = U_e V_e        for each of the alpha^2 elements e: a GEMM [c_out x c_in] * [c_in x tiles]
//   y = A^T M A + bias   per output channel and tile: the 2x2 outputs (edge tiles write only the
//                        in-range ones)
//
// with, for F(2x2, 3x3) (points 0, 1, -1, infinity; rows of the transforms)
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
// and for F(2x2, 5x5) (points 0, 1, -1, 2, -2, infinity; tests/reference/winograd_f2x5.py
// derives them and checks the identity)
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G   = [1/4 0 0 0 0; -1/6 -1/6 -1/6 -1/6 -1/6; -1/6 1/6 -1/6 1/6 -1/6;
//          1/24 1/12 1/6 1/3 2/3; 1/24 -1/12 1/6 -1/3 2/3; 0 0 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 1]
//
// U is transformed once per call straight into panels of MR output channels (the register
// tile's height: 6, or 4 for a 5x5 kernel where that pads the output channels less). The tiles
// are processed in blocks of whole tile rows (2 output rows of one image), sized from the
// channel counts so that V and M of a block stay in L2; blocks are the parallel tasks. The input
// transform writes V straight into panels of NR tiles (2 or 3 vectors), and an MR x NR
// register-tiled kernel (12 accumulators) computes each tile of M_e over the whole depth c_in:
// no packing per product. Every element of M is one FMA chain over the channels in order, and
// a block's size depends only on the shape, so the result is bit-identical for every thread
// count (and whatever the register tile).
//
// 3x3: the transforms run over vectors of consecutive tiles of one tile row. 5x5 (made for
// LeNet's small images: 5 tiles per row against vectors of 8 or 16): the input transform runs
// over vectors of consecutive tiles of all the block's rows of an image, from 12 planes of
// even / odd input columns shifted by 0..2 tiles, and each MR x NR tile of M is computed for
// all 36 elements into L1 and output-transformed at once: with a depth of 6, M's round trip
// through L2 cost more than the products. Measured on LeNet's conv2 it is still ~10 % slower
// than the implicit GEMM (conv.cpp, winograd_pays), so only ConvAlgo::kWinograd takes it.
//
// Accuracy: the transforms add and subtract up to 9 (3x3) or 36 (5x5, with coefficients up to
// 5 in B and 16/24 in G) inputs, weights and products around the dot product, so the error is
// a few (3x3) or a few tens (5x5) of units in the last place of the magnitude
// sum_{c,i,j} |x| |w| (not of the result): larger than the direct sum's, inside float's use in
// training.
//
// Compiled once per ISA (conv_winograd_arch.cpp): the transforms are xsimd loops over vectors
// of consecutive tiles, with that ISA's flags.

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
