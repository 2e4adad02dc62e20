// Batch-lane Winograd F(2, 5) convolution (conv_batch_winograd.hpp) for one instruction set:
// this file is compiled once per ISA (src/kernels/meson.build), so a vector holds that ISA's
// number of images.
#include "kernels/conv_batch_winograd.hpp"

#include "kernels/isa.hpp"
#include "kernels/parallel.hpp"
#include "kernels/scratch.hpp"
#include "kernels/transpose_arch.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <type_traits>
#include <vector>

namespace xgrad::kernels {
// Internal linkage, as gemm_impl.hpp: each ISA keeps its own copy.
namespace {
namespace batch_winograd_detail {

constexpr int kE = 6;   // transformed values per tile of 2 outputs (alpha = 2 + 5 - 1)
// Vectors of tiles per register tile, at most: 5 for 4 (AVX-512) or 2 (16-register ISAs) output
// channels (LeNet's 10-wide rows are 5 tiles), 7 for 3 channels (the 14-wide rows of conv2's
// grad-input: one 3 x 7 tile, 21 chains, instead of a 3 x 5 and a 3 x 2 with too few chains
// to hide the FMA latency). A row of more tiles is split into near-equal register tiles.
template <int MO>
constexpr int kMaxTB = MO == 3 ? 7 : 5;
constexpr int kMT = 7;  // the products' buffer holds this many vectors per channel and element

template <typename T>
T* scratch(size_t n) {
  thread_local Scratch<T> buf;
  return buf.get(n, "conv2d (batch winograd)");
}

// U[e][ob][d][MO] = (G w[o][c][i][:])[e] for o = ob * MO + lane, d = c * kh + i; output
// channels past c_out are zeros. Computed in double and rounded once.
template <int MO, typename T>
std::vector<T> transform_weights(const Conv2dShape& s, const T* w) {
  const int64_t depth = s.c_in * s.kh, nob = (s.c_out + MO - 1) / MO;
  std::vector<T> u(static_cast<size_t>(kE * nob * depth * MO), T(0));
  for (int64_t o = 0; o < s.c_out; ++o)
    for (int64_t d = 0; d < depth; ++d) {
      const T* g = w + (o * depth + d) * 5;
      const double g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
      const double ue[kE] = {g0 / 4,
                             -(g0 + g1 + g2 + g3 + g4) / 6,
                             -(g0 - g1 + g2 - g3 + g4) / 6,
                             g0 / 24 + g1 / 12 + g2 / 6 + g3 / 3 + 2 * g4 / 3,
                             g0 / 24 - g1 / 12 + g2 / 6 - g3 / 3 + 2 * g4 / 3,
                             g4};
      for (int e = 0; e < kE; ++e)
        u[static_cast<size_t>(((e * nob + o / MO) * depth + d) * MO + o % MO)] = static_cast<T>(ue[e]);
    }
  return u;
}

// dst[p * W + i] = src[i * len + p] for the group's nb images (i < nb), 0 in the lanes past them.
template <class Arch, typename T>
void to_lanes(const T* src, int64_t len, int64_t nb, T* dst) {
  constexpr int64_t W = xsimd::batch<T, Arch>::size;
  using Tr = BlockTranspose<Arch, T>;
  int64_t p0 = 0;
  if constexpr (Tr::available)
    if (nb == W)
      for (; p0 + W <= len; p0 += W) Tr::copy(src + p0, len, dst + p0 * W, W, W);
  for (int64_t p = p0; p < len; ++p)
    for (int64_t i = 0; i < W; ++i) dst[p * W + i] = i < nb ? src[i * len + p] : T(0);
}

// dst[i * len + p] = src[p * W + i] for i < nb.
template <class Arch, typename T>
void from_lanes(const T* src, int64_t len, int64_t nb, T* dst) {
  constexpr int64_t W = xsimd::batch<T, Arch>::size;
  using Tr = BlockTranspose<Arch, T>;
  int64_t p0 = 0;
  if constexpr (Tr::available)
    for (; p0 + W <= len; p0 += W) Tr::copy(src + p0 * W, W, dst + p0, len, nb);
  for (int64_t p = p0; p < len; ++p)
    for (int64_t i = 0; i < nb; ++i) dst[i * len + p] = src[p * W + i];
}

// M_e for MO output channels x TB vectors of tiles, summed over the depth (input channels,
// then kernel rows) in order, then the output transform into yt. Kernel rows that fall on the
// zero padding above or below the image (input row oy + i - ph outside [0, h)) are skipped:
// they would add products of zeros (for the transposed convolution of a grad-input, its
// 4-row border).
template <class Arch, typename T, int MO, int TB>
void product_tile(const Conv2dShape& s, const T* u, const T* v, int64_t oy, int64_t ob, int64_t tb0,
                  const T* bias, T* mb, T* yt) {
  using B = xsimd::batch<T, Arch>;
  constexpr int64_t W = B::size;
  const int64_t tiles = (s.wo + 1) / 2, depth = s.c_in * s.kh;
  const int64_t nob = (s.c_out + MO - 1) / MO;
  const int64_t vrow = kE * tiles * W;  // elements per (channel, row) of V
  const int64_t i0 = std::max<int64_t>(0, s.ph - oy), i1 = std::min<int64_t>(s.kh, s.ph + s.h - oy);
  const int64_t c_end = i1 > i0 ? s.c_in : 0;  // a row wholly in the padding: bias only
  for (int e = 0; e < kE; ++e) {
    B acc[MO][TB];
#pragma GCC unroll 4
    for (int o = 0; o < MO; ++o)
#pragma GCC unroll 7
      for (int t = 0; t < TB; ++t) acc[o][t] = B(T(0));
    const T* ue = u + (e * nob + ob) * depth * MO;
    for (int64_t c = 0; c < c_end; ++c) {
      const T* vp = v + (c * s.h + oy + i0 - s.ph) * vrow + (e * tiles + tb0) * W;
      const T* uc = ue + (c * s.kh + i0) * MO;
      for (int64_t i = i0; i < i1; ++i, vp += vrow, uc += MO) {
        B x[TB];
#pragma GCC unroll 7
        for (int t = 0; t < TB; ++t) x[t] = B::load_aligned(vp + t * W);
#pragma GCC unroll 4
        for (int o = 0; o < MO; ++o) {
          const B b(uc[o]);
#pragma GCC unroll 7
          for (int t = 0; t < TB; ++t) acc[o][t] = xsimd::fma(b, x[t], acc[o][t]);
        }
      }
    }
#pragma GCC unroll 4
    for (int o = 0; o < MO; ++o)
#pragma GCC unroll 7
      for (int t = 0; t < TB; ++t) acc[o][t].store_aligned(mb + ((e * MO + o) * kMT + t) * W);
  }
  for (int o = 0; o < MO; ++o) {
    const int64_t oc = ob * MO + o;
    if (oc >= s.c_out) break;
    const B b(bias != nullptr ? bias[oc] : T(0));
    T* row = yt + (oc * s.ho + oy) * s.wo * W;
    for (int t = 0; t < TB; ++t) {
      const T* m = mb + (o * kMT + t) * W;
      constexpr int64_t es = MO * kMT * W;  // from one e to the next in mb
      const B m0 = B::load_aligned(m), m1 = B::load_aligned(m + es), m2 = B::load_aligned(m + 2 * es);
      const B m3 = B::load_aligned(m + 3 * es), m4 = B::load_aligned(m + 4 * es), m5 = B::load_aligned(m + 5 * es);
      const int64_t x = 2 * (tb0 + t);
      (m0 + m1 + m2 + m3 + m4 + b).store_aligned(row + x * W);
      if (x + 1 < s.wo) ((m1 - m2) + T(2) * (m3 - m4) + m5 + b).store_aligned(row + (x + 1) * W);
    }
  }
}

template <class Arch, typename T, int MO>
void run_group(const BatchWinogradArgs<T>& a, const T* u, int64_t n0, int64_t nb) {
  using B = xsimd::batch<T, Arch>;
  constexpr int64_t W = B::size;
  const Conv2dShape& s = *a.shape;
  const int64_t tiles = (s.wo + 1) / 2, wp = 2 * tiles + 4;
  const int64_t lin = s.c_in * s.h * s.w, lout = s.c_out * s.ho * s.wo;
  const int64_t nob = (s.c_out + MO - 1) / MO;
  // Every piece starts a whole number of vectors into the 64-byte aligned scratch; an input
  // whose rows need no column padding is transposed straight into xt, without the flat copy
  // (batch_winograd_scratch).
  const bool unpadded = batch_winograd_unpadded(s);
  T* xt = scratch<T>(static_cast<size_t>(batch_winograd_scratch(s, W)));
  T* flat = xt + s.c_in * s.h * wp * W;
  T* v = flat + (unpadded ? 0 : lin * W);
  T* yt = v + s.c_in * s.h * kE * tiles * W;
  T* mb = yt + lout * W;

  // 1. The group's input in lanes, each of its rows padded with zeros to wp columns (rows of
  // padding are never stored: the products skip them).
  to_lanes<Arch>(a.x + n0 * lin, lin, nb, unpadded ? xt : flat);
  if (!unpadded) {
    // Columns [x0, x1) come from the image, the others are zeros (each written once).
    const int64_t x0 = std::min<int64_t>(s.pw, wp), x1 = std::max<int64_t>(x0, std::min<int64_t>(wp, s.pw + s.w));
    for (int64_t cr = 0; cr < s.c_in * s.h; ++cr) {
      T* dst = xt + cr * wp * W;
      std::fill(dst, dst + x0 * W, T(0));
      if (x1 > x0) std::memcpy(dst + x0 * W, flat + cr * s.w * W, static_cast<size_t>((x1 - x0) * W) * sizeof(T));
      std::fill(dst + x1 * W, dst + wp * W, T(0));
    }
  }

  // 2. Input transform along each row, B^T in shared differences:
  //    e1, e2 = (d4 - 4 d2) +- (d3 - 4 d1);  e3, e4 = (d4 - d2) +- 2 (d3 - d1).
  for (int64_t cr = 0; cr < s.c_in * s.h; ++cr) {
    const T* xr = xt + cr * wp * W;
    T* vr = v + cr * kE * tiles * W;
    for (int64_t t = 0; t < tiles; ++t) {
      const T* d = xr + 2 * t * W;
      const B d0 = B::load_aligned(d), d1 = B::load_aligned(d + W), d2 = B::load_aligned(d + 2 * W);
      const B d3 = B::load_aligned(d + 3 * W), d4 = B::load_aligned(d + 4 * W), d5 = B::load_aligned(d + 5 * W);
      const B four(T(4)), five(T(5)), two(T(2));
      const B p = xsimd::fnma(four, d2, d4), q = xsimd::fnma(four, d1, d3);
      const B r = d4 - d2, w2 = two * (d3 - d1);
      xsimd::fma(four, d0, xsimd::fnma(five, d2, d4)).store_aligned(vr + (0 * tiles + t) * W);
      (p + q).store_aligned(vr + (1 * tiles + t) * W);
      (p - q).store_aligned(vr + (2 * tiles + t) * W);
      (r + w2).store_aligned(vr + (3 * tiles + t) * W);
      (r - w2).store_aligned(vr + (4 * tiles + t) * W);
      xsimd::fma(four, d1, xsimd::fnma(five, d3, d5)).store_aligned(vr + (5 * tiles + t) * W);
    }
  }

  // 3 + 4. Products and output transform, output row by row, each row's tiles in `blocks`
  // register tiles of near-equal width.
  constexpr int64_t max_tb = kMaxTB<MO>;
  const int64_t blocks = (tiles + max_tb - 1) / max_tb;
  for (int64_t oy = 0; oy < s.ho; ++oy)
    for (int64_t ob = 0; ob < nob; ++ob)
      for (int64_t b = 0, tb0 = 0; b < blocks; ++b) {
        // tb <= ceil(tiles / blocks) <= max_tb: the cases past max_tb are never taken.
        const int64_t tb = tiles / blocks + (b < tiles % blocks ? 1 : 0);
        assert(tb >= 1 && tb <= max_tb);
        switch (tb) {
          case 7: if constexpr (max_tb >= 7) product_tile<Arch, T, MO, 7>(s, u, v, oy, ob, tb0, a.bias, mb, yt); break;
          case 6: if constexpr (max_tb >= 6) product_tile<Arch, T, MO, 6>(s, u, v, oy, ob, tb0, a.bias, mb, yt); break;
          case 5: product_tile<Arch, T, MO, 5>(s, u, v, oy, ob, tb0, a.bias, mb, yt); break;
          case 4: product_tile<Arch, T, MO, 4>(s, u, v, oy, ob, tb0, a.bias, mb, yt); break;
          case 3: product_tile<Arch, T, MO, 3>(s, u, v, oy, ob, tb0, a.bias, mb, yt); break;
          case 2: product_tile<Arch, T, MO, 2>(s, u, v, oy, ob, tb0, a.bias, mb, yt); break;
          default: product_tile<Arch, T, MO, 1>(s, u, v, oy, ob, tb0, a.bias, mb, yt); break;
        }
        tb0 += tb;
      }

  // 5. Back to NCHW.
  from_lanes<Arch>(yt, lout, nb, a.y + n0 * lout);
}

template <class Arch, typename T, int MO>
void forward_with(const BatchWinogradArgs<T>& a) {
  constexpr int64_t W = xsimd::batch<T, Arch>::size;
  const Conv2dShape& s = *a.shape;
  const std::vector<T> u = transform_weights<MO>(s, a.w);
  const int64_t groups = (s.n + W - 1) / W;
  parallel_for(groups, [&](int64_t g) { run_group<Arch, T, MO>(a, u.data(), g * W, std::min<int64_t>(W, s.n - g * W)); });
}

// The register tile's height, from the output channels: with AVX-512's 32 registers 4, or 3
// where that pads the channels less (LeNet's conv1 and conv2's grad-input: 6, not 8); 2 with the 16
// registers of AVX2 and SSE2 (4 x 5 spilled there).
template <class Arch, typename T>
void forward(const BatchWinogradArgs<T>& a) {
  if constexpr (std::is_same_v<Arch, xsimd::avx512f>) {
    const int64_t c = a.shape->c_out;
    if ((c + 2) / 3 * 3 < (c + 3) / 4 * 4) return forward_with<Arch, T, 3>(a);
    return forward_with<Arch, T, 4>(a);
  } else {
    return forward_with<Arch, T, 2>(a);
  }
}

}  // namespace batch_winograd_detail
}  // namespace

template <class Arch, typename T>
void ConvBatchWinogradKernel::operator()(Arch, const BatchWinogradArgs<T>& args) const {
  batch_winograd_detail::forward<Arch, T>(args);
}

template void ConvBatchWinogradKernel::operator()<isa_arch, float>(isa_arch, const BatchWinogradArgs<float>&) const;
template void ConvBatchWinogradKernel::operator()<isa_arch, double>(isa_arch, const BatchWinogradArgs<double>&) const;

}  // namespace xgrad::kernels
