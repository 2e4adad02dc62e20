#pragma once
// Batch-lane Winograd F(2, 5) convolution: the forward pass of a stride-1, undilated convolution
// with a kernel 5 wide (any height), for batches of small images with few channels (LeNet's
// conv2: [256, 6, 14, 14] -> 16 channels, 5x5).
//
// Every vector holds one value of W images (W = the vector width: 16 floats on AVX-512), so no
// lane is wasted on a 10-wide output row and every load feeds several FMAs. Along each kernel
// row the 1-D Winograd F(2, 5) (Lavin & Gray 2015; the same points 0, 1, -1, 2, -2, infinity as
// conv_winograd.hpp) gives 2 outputs from 6 products instead of 10; the kernel rows and the
// input channels are summed directly. Per group of W images:
//
//   1. transpose the group's input into lanes, Xt[c][row][col][W], its rows zero-padded to
//      2 tiles + 4 columns (rows of padding are not stored);
//   2. V[c][row][e][t] = sum_j B^T[e][j] Xt[c][row][2t + j]        (e < 6, t < tiles = ceil(wo / 2))
//      with B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
//                  0 4 0 -5 0 1];
//   3. M_e[o][oy][t] = sum_{c, i} U[o][c][i][e] V[c][oy + i - ph][e][t],  U[o][c][i] = G w[o][c][i][:]
//      over the kernel rows i that reach the image (those on the zero padding add nothing),
//      with G = [1/4 0 0 0 0; -1/6 x5; -1/6 1/6 -1/6 1/6 -1/6; 1/24 1/12 1/6 1/3 2/3;
//                1/24 -1/12 1/6 -1/3 2/3; 0 0 0 0 1],
//      in 4 x 5 register tiles with AVX-512's 32 registers (4 output channels x 5 vectors of
//      tiles: 9 loads per 20 FMAs; 3 x 7 where that pads the channels less), 2 x 5 with the 16
//      of AVX2 and SSE2, a wider row in near-equal register tiles;
//   4. y[o][oy][2t] = M_0 + M_1 + M_2 + M_3 + M_4 + bias, y[o][oy][2t + 1] = M_1 - M_2 +
//      2 (M_3 - M_4) + M_5 + bias (A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 1]), in lanes;
//   5. transpose the lanes back into NCHW.
//
// The multiplications drop from 10 to 6 per pair of outputs and kernel row; the transforms are
// whole-vector adds (no shuffles). A group is one parallel task, and on this path every image's
// arithmetic is the same whatever its group, lane, the batch size or the thread count (a short
// last group holds zero lanes), so the result is bit-identical for any thread count.
//
// Accuracy: the 1-D transforms add up to 6 terms with coefficients up to 5 (B) and 2/3 (G), so
// the error is bounded by the transformed terms, several times sum |x| |w|: measured up to 9
// units in the last place of that magnitude where many kernel rows and channels reach an output,
// 49 where only one or two rows do (the 2-D F(2x2, 5x5) reached 34), inside float's use in
// training.

#include "kernels/conv.hpp"

#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {

/// One forward convolution on the batch-lane Winograd path. The shape must satisfy
/// batch_winograd_eligible().
template <typename T>
struct BatchWinogradArgs {
  const Conv2dShape* shape = nullptr;
  const T* x = nullptr;     // [n, c_in, h, w]
  const T* w = nullptr;     // [c_out, c_in, kh, 5]
  const T* bias = nullptr;  // [c_out] or null
  T* y = nullptr;           // [n, c_out, ho, wo], overwritten
};

/// Whether the batch-lane path can compute this shape's forward pass: a kernel 5 wide, stride 1,
/// dilation 1, one group, any padding and output size the contract allows.
inline bool batch_winograd_eligible(const Conv2dShape& s) {
  return s.kw == 5 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.groups == 1 && s.ph >= 0 &&
         s.pw >= 0 && s.ho >= 1 && s.wo >= 1 && s.n >= 1;
}

/// Whether the input in lanes (c_in x h x wp, wp = 2 ceil(wo / 2) + 4 columns, zero-padded) has
/// the input's own rows, so the group's images are transposed straight into it.
inline bool batch_winograd_unpadded(const Conv2dShape& s) {
  const int64_t tiles = (s.wo + 1) / 2;
  return s.pw == 0 && 2 * tiles + 4 == s.w;
}

/// Elements of per-thread scratch one group of `width` images needs: the padded input, its
/// unpadded transpose (unless batch_winograd_unpadded), V, the output in lanes and one register
/// tile's products (sized for 4 channels and 7 vectors, more than any tile has). The auto rule keeps it within L2.
inline int64_t batch_winograd_scratch(const Conv2dShape& s, int64_t width) {
  const int64_t tiles = (s.wo + 1) / 2, wp = 2 * tiles + 4;
  const int64_t xt = s.c_in * s.h * wp, flat = batch_winograd_unpadded(s) ? 0 : s.c_in * s.h * s.w;
  const int64_t v = s.c_in * s.h * 6 * tiles, yt = s.c_out * s.ho * s.wo, m = 6 * 4 * 7;
  return (xt + flat + v + yt + m) * width;
}

struct ConvBatchWinogradKernel {
  template <class Arch, typename T>
  void operator()(Arch, const BatchWinogradArgs<T>& args) const;
};

#define XGRAD_BATCH_WINOGRAD_EXTERN(ARCH)                                                                      \
  extern template void ConvBatchWinogradKernel::operator()<ARCH, float>(ARCH, const BatchWinogradArgs<float>&) \
      const;                                                                                                   \
  extern template void ConvBatchWinogradKernel::operator()<ARCH, double>(ARCH,                                 \
                                                                         const BatchWinogradArgs<double>&) const;
XGRAD_BATCH_WINOGRAD_EXTERN(xsimd::sse2)
XGRAD_BATCH_WINOGRAD_EXTERN(xsimd::fma3<xsimd::avx2>)
XGRAD_BATCH_WINOGRAD_EXTERN(xsimd::avx512f)
#undef XGRAD_BATCH_WINOGRAD_EXTERN

}  // namespace xgrad::kernels
