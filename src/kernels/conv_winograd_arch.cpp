// Winograd F(2x2, 3x3) convolution (conv_winograd.hpp) for one instruction set: this file is
// compiled once per ISA (src/kernels/meson.build), so the transforms' vectors and the 6 x NR
// product kernel use that ISA's width and flags.
#include "kernels/conv_winograd.hpp"

#include "kernels/isa.hpp"
#include "kernels/parallel.hpp"
#include "kernels/scratch.hpp"

#include <xgrad/error.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <vector>

namespace xgrad::kernels {
// Internal linkage, as gemm_impl.hpp: each ISA keeps its own copy.
namespace {
namespace winograd_detail {

// Bytes of V and M (the transformed input and the products) one block aims at, about a 1 MiB
// L2. Measured on ResNet's 64 -> 64 layer with the packed panels (4 tile rows = 112 tiles, 7
// whole panels): 512 KiB ran 13 % slower (56 tiles, a half-empty last panel), 2 MiB 4 % slower.
constexpr int64_t kBlockBytes = int64_t{1} << 20;

// Per-thread growable scratch (a block's V, M and row buffers), one per element type.
template <typename T>
T* scratch(size_t n) {
  thread_local Scratch<T> buf;
  return buf.get(n, "conv2d (winograd)");
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Height and width of the register tile of M_e = U_e V_e (tile_product below): 6 output
// channels x 2 vectors of tiles, 12 accumulators (as the packed GEMM's micro-kernel).
constexpr int kMR = 6;
constexpr int kNV = 2;
template <class Arch, typename T>
constexpr int64_t tile_nr() {
  return kNV * static_cast<int64_t>(xsimd::batch<T, Arch>::size);
}

// U, packed once per call in the layout tile_product streams: u[g][e][p][c][i] = (G g G^T)[e]
// for the kernel g = w[g*cog + p*kMR + i][c]; panels p of kMR output channels, the rows past
// cog are zeros.
template <typename T>
void transform_weights(const Conv2dShape& s, const T* w, T* u) {
  const int64_t cig = s.cin_g(), cog = s.cout_g(), cogp = round_up(cog, kMR);
  const T half = T(0.5);
  std::fill(u, u + s.groups * 16 * cogp * cig, T(0));
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t o = 0; o < cog; ++o)
      for (int64_t c = 0; c < cig; ++c) {
        const T* k = w + ((g * cog + o) * cig + c) * 9;
        T t[4][3];  // G g
        for (int j = 0; j < 3; ++j) {
          t[0][j] = k[j];
          t[1][j] = (k[j] + k[3 + j] + k[6 + j]) * half;
          t[2][j] = (k[j] - k[3 + j] + k[6 + j]) * half;
          t[3][j] = k[6 + j];
        }
        for (int i = 0; i < 4; ++i) {
          const T r[4] = {t[i][0], (t[i][0] + t[i][1] + t[i][2]) * half, (t[i][0] - t[i][1] + t[i][2]) * half,
                          t[i][2]};
          for (int j = 0; j < 4; ++j)
            u[(g * 16 + i * 4 + j) * cogp * cig + (o / kMR) * cig * kMR + c * kMR + o % kMR] = r[j];
        }
      }
}

// One kMR x NR tile of M_e: c[i][j] = sum_k pa[k][i] * pb[k][j] over the whole depth (one FMA
// chain per element, k ascending, whatever the block or thread), stored in full: M's buffer is
// padded to whole tiles.
template <class Arch, typename T>
inline void tile_product(int64_t depth, const T* __restrict pa, const T* __restrict pb, T* __restrict c,
                         int64_t ldc) {
  using B = xsimd::batch<T, Arch>;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  constexpr int64_t NR = kNV * W;
  B acc[kMR][kNV];
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) acc[i][v] = B(T(0));
  for (int64_t k = 0; k < depth; ++k) {
    B bv[kNV];
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) bv[v] = B::load_aligned(pb + v * W);
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const B av(pa[i]);
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[i][v] = xsimd::fma(av, bv[v], acc[i][v]);
    }
    pa += kMR;
    pb += NR;
  }
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) acc[i][v].store_aligned(c + i * ldc + v * W);
}

// B^T d B for the 4x4 patch whose rows r are (e[r], o[r], e1[r], o1[r]) (columns 0..3): V is a
// batch of tiles (vector code) or one tile (the scalar tail), with the same operations either way.
template <class V>
inline void input_math(const V* e, const V* o, const V* e1, const V* o1, V* out) {
  V a[4][4];
  for (int r = 0; r < 4; ++r) {  // d B along each row: (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    a[r][0] = e[r] - e1[r];
    a[r][1] = o[r] + e1[r];
    a[r][2] = e1[r] - o[r];
    a[r][3] = o[r] - o1[r];
  }
  for (int j = 0; j < 4; ++j) {  // B^T (.) down the columns: (a0 - a2, a1 + a2, a2 - a1, a1 - a3)
    out[j] = a[0][j] - a[2][j];
    out[4 + j] = a[1][j] + a[2][j];
    out[8 + j] = a[2][j] - a[1][j];
    out[12 + j] = a[1][j] - a[3][j];
  }
}

// A^T M A + bias for the 4x4 products m: y = (y00, y01, y10, y11).
template <class V>
inline void output_math(const V* m, V bias, V* y) {
  V r0[4], r1[4];
  for (int j = 0; j < 4; ++j) {  // A^T M: rows (m0 + m1 + m2, m1 - m2 - m3)
    r0[j] = m[j] + m[4 + j] + m[8 + j];
    r1[j] = m[4 + j] - m[8 + j] - m[12 + j];
  }
  y[0] = r0[0] + r0[1] + r0[2] + bias;
  y[1] = r0[1] - r0[2] - r0[3] + bias;
  y[2] = r1[0] + r1[1] + r1[2] + bias;
  y[3] = r1[1] - r1[2] - r1[3] + bias;
}

// Tiles of a tile row rounded up to whole vectors: the transforms run whole vectors only (a
// scalar tail cost as much as the vectors on ResNet's 28 tiles per row); the extra lanes read
// zeros or stale values and write only slack that the GEMMs and the output never use.
template <class Arch, typename T>
int64_t padded_tiles(int64_t tw) {
  return round_up(tw, static_cast<int64_t>(xsimd::batch<T, Arch>::size));
}

// Row stride of the even / odd column buffers of input_tile_row: the padded row's tiles + 1,
// and a margin of one vector each side (zeros, read only by lanes that are not stored).
template <class Arch, typename T>
int64_t eo_stride(int64_t tw) {
  return padded_tiles<Arch, T>(tw) + 1 + 2 * static_cast<int64_t>(xsimd::batch<T, Arch>::size);
}

// V for one input channel c and one tile row, written straight into the packed panels
// v[e][panel][c][NR] (e-plane stride `plane`; block tile j in panel j / NR, lane j % NR): the
// tw tiles of the row are block tiles j0 .. j0 + tw - 1, and tile t is the 4x4 patch at input
// rows 2*ty - ph .. +3, columns 2*t - pw .. +3 (zeros outside the image). The vectors are
// aligned to the block's tiles, so each lies in one panel and is stored whole (no read-modify-
// write of V): a vector shared with the previous tile row of this channel takes that row's lanes
// from `carry` (16 vectors), and one shared with the next row (unless `last`) goes to `carry`
// instead of V. The last row's last vector writes junk (finite) lanes past the block's tiles.
// es[r] / os[r] are the even / odd columns of patch row r, padded_tiles + 1 each with a zero
// margin of one vector either side; with `reuse` (the previous call was this channel's previous
// tile row) rows 0, 1 are taken from its rows 2, 3 by rotating the pointers.
template <class Arch, typename T>
void input_tile_row(const Conv2dShape& s, const T* xc, int64_t ty, int64_t tw, int64_t j0, bool last, bool reuse,
                    int64_t c, int64_t cig, int64_t plane, T** __restrict es, T** __restrict os, T* __restrict carry,
                    T* __restrict v) {
  using B = xsimd::batch<T, Arch>;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  constexpr int64_t NR = tile_nr<Arch, T>();
  const int64_t twp = padded_tiles<Arch, T>(tw), n_eo = twp + 1;
  // Patch row m (m = 2k even, 2k + 1 odd) is x[ih][m - pw], zero outside [lo, hi).
  const int64_t lo = std::min<int64_t>(s.pw, 2 * n_eo), hi = std::clamp<int64_t>(s.pw + s.w, lo, 2 * n_eo);
  const int64_t klo = std::min((lo + 1) / 2, n_eo), khi = std::max(klo, hi / 2);  // both columns inside
  if (reuse) {  // the previous tile row's patch rows 2, 3 are this one's rows 0, 1
    std::swap(es[0], es[2]);
    std::swap(es[1], es[3]);
    std::swap(os[0], os[2]);
    std::swap(os[1], os[3]);
  }
  for (int r = reuse ? 2 : 0; r < 4; ++r) {
    const int64_t ih = 2 * ty - s.ph + r;
    T* __restrict e = es[r];
    T* __restrict o = os[r];
    if (ih < 0 || ih >= s.h) {
      std::fill(e, e + n_eo, T(0));
      std::fill(o, o + n_eo, T(0));
      continue;
    }
    // Split into even and odd columns: tile t reads even[t], odd[t], even[t+1], odd[t+1], so the
    // transform below runs on contiguous vectors of tiles.
    const T* xr = xc + ih * s.w;
    auto at = [&](int64_t m) { return m >= lo && m < hi ? xr[m - s.pw] : T(0); };
    for (int64_t k = 0; k < klo; ++k) {
      e[k] = at(2 * k);
      o[k] = at(2 * k + 1);
    }
    const T* __restrict src = xr + (2 * klo - s.pw);
    for (int64_t k = klo; k < khi; ++k) {
      e[k] = src[2 * (k - klo)];
      o[k] = src[2 * (k - klo) + 1];
    }
    for (int64_t k = khi; k < n_eo; ++k) {
      e[k] = at(2 * k);
      o[k] = at(2 * k + 1);
    }
  }
  alignas(64) T iota_lanes[W];
  for (int64_t k = 0; k < W; ++k) iota_lanes[k] = static_cast<T>(k);
  const B iota = B::load_aligned(iota_lanes);
  for (int64_t jv = j0 / W * W; jv < j0 + tw; jv += W) {
    const int64_t t = jv - j0;  // the vector's first tile in the row, -W < t < tw
    B e[4], o[4], e1[4], o1[4], out[16];
    for (int r = 0; r < 4; ++r) {
      const T* er = es[r] + t;
      const T* orow = os[r] + t;
      e[r] = B::load_unaligned(er);
      e1[r] = B::load_unaligned(er + 1);
      o[r] = B::load_unaligned(orow);
      o1[r] = B::load_unaligned(orow + 1);
    }
    input_math(e, o, e1, o1, out);
    if (t < 0) {  // lanes before j0 come from the previous row
      const auto mine = iota + B(static_cast<T>(t)) >= B(T(0));
      for (int k = 0; k < 16; ++k) out[k] = xsimd::select(mine, out[k], B::load_aligned(carry + k * W));
    }
    if (t + W > tw && !last) {
      for (int k = 0; k < 16; ++k) out[k].store_aligned(carry + k * W);
    } else {
      T* d = v + (jv / NR) * cig * NR + c * NR + jv % NR;
      for (int k = 0; k < 16; ++k) out[k].store_aligned(d + k * plane);
    }
  }
}

// The 2x2 outputs of the tw tiles of one tile row for one output channel: A^T M A + bias from
// m[e * ldm + t] (readable up to padded_tiles(tw)), written into rows 2*ty and 2*ty + 1 (when
// inside the output) of yo. `tmp` holds 4 * padded_tiles(tw) elements.
template <class Arch, typename T>
void output_tile_row(const Conv2dShape& s, const T* __restrict m, int64_t ldm, int64_t ty, int64_t tw, T bias,
                     T* __restrict tmp, T* __restrict yo) {
  using B = xsimd::batch<T, Arch>;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  const int64_t twp = padded_tiles<Arch, T>(tw);
  T* __restrict y00 = tmp;
  T* __restrict y01 = tmp + twp;
  T* __restrict y10 = tmp + 2 * twp;
  T* __restrict y11 = tmp + 3 * twp;
  const B bv(bias);
  for (int64_t t = 0; t < twp; t += W) {
    B mm[16], y[4];
    for (int e = 0; e < 16; ++e) mm[e] = B::load_unaligned(m + e * ldm + t);
    output_math(mm, bv, y);
    y[0].store_unaligned(y00 + t);
    y[1].store_unaligned(y01 + t);
    y[2].store_unaligned(y10 + t);
    y[3].store_unaligned(y11 + t);
  }
  // Interleave into the output rows; an odd width drops the last tile's right column.
  const int64_t oh = 2 * ty, pairs = s.wo / 2;
  T* __restrict row0 = yo + oh * s.wo;
  for (int64_t k = 0; k < pairs; ++k) {
    row0[2 * k] = y00[k];
    row0[2 * k + 1] = y01[k];
  }
  if (s.wo % 2) row0[s.wo - 1] = y00[pairs];
  if (oh + 1 < s.ho) {
    T* __restrict row1 = yo + (oh + 1) * s.wo;
    for (int64_t k = 0; k < pairs; ++k) {
      row1[2 * k] = y10[k];
      row1[2 * k + 1] = y11[k];
    }
    if (s.wo % 2) row1[s.wo - 1] = y10[pairs];
  }
}

template <class Arch, typename T>
void winograd_forward(const WinogradArgs<T>& a) {
  constexpr int64_t NR = tile_nr<Arch, T>();
  const Conv2dShape& s = *a.shape;
  const int64_t cig = s.cin_g(), cog = s.cout_g(), cogp = round_up(cog, kMR);
  const int64_t th = (s.ho + 1) / 2, tw = (s.wo + 1) / 2;
  const int64_t total_rows = s.n * th;
  if (total_rows == 0 || s.c_out == 0) return;

  // U is transformed and packed once per call; the blocks only read it.
  std::vector<T, xsimd::aligned_allocator<T, 64>> u(static_cast<size_t>(s.groups * 16 * cogp * cig));
  transform_weights(s, a.w, u.data());

  // Whole tile rows per block, from the shape only (never the thread count).
  const int64_t tile_bytes = 16 * (cig + cog) * static_cast<int64_t>(sizeof(T));
  const int64_t rows_per_block = std::clamp<int64_t>(kBlockBytes / tile_bytes / tw, 1, total_rows);
  const int64_t blocks = (total_rows + rows_per_block - 1) / rows_per_block;
  const int64_t twp = padded_tiles<Arch, T>(tw);
  // V: packed panels of NR tiles, [16][panels][cig][NR]. M: [16][cogp][ldm], rows of whole
  // tiles plus slack for the last tile row's padded vectors in the output transform.
  const int64_t panels = (rows_per_block * tw + NR - 1) / NR;
  const int64_t v_plane = panels * cig * NR;
  const int64_t ldm = round_up(std::max(panels * NR, rows_per_block * tw + twp - tw), 16);
  const int64_t v_size = round_up(16 * v_plane, 16), m_size = 16 * cogp * ldm;
  const int64_t eo_size = round_up(4 * eo_stride<Arch, T>(tw), 16);
  const int64_t out_size = round_up(4 * twp, 16), carry_size = 16 * 16;

  parallel_for(blocks, [&](int64_t b) {
    const int64_t r0 = b * rows_per_block, r1 = std::min(total_rows, r0 + rows_per_block);
    const int64_t nt = (r1 - r0) * tw, np = (nt + NR - 1) / NR;
    T* v = scratch<T>(static_cast<size_t>(v_size + m_size + 2 * eo_size + out_size + carry_size));
    T* m = v + v_size;
    T* even = m + m_size;
    T* odd = even + eo_size;
    T* tmp = odd + eo_size;
    T* carry = tmp + out_size;
    std::fill(even, even + 2 * eo_size, T(0));  // the margins input_tile_row reads
    const int64_t ld = eo_stride<Arch, T>(tw), W = static_cast<int64_t>(xsimd::batch<T, Arch>::size);
    T* es[4] = {even + W, even + ld + W, even + 2 * ld + W, even + 3 * ld + W};
    T* os[4] = {odd + W, odd + ld + W, odd + 2 * ld + W, odd + 3 * ld + W};
    // The lanes of the last panel past nt are never written by the transform: zeros, so the
    // products there (junk columns of M nobody reads) stay finite and fast.
    if (nt % NR != 0)
      for (int e = 0; e < 16; ++e)
        for (int64_t c = 0; c < cig; ++c) {
          T* p = v + e * v_plane + (np - 1) * cig * NR + c * NR;
          std::fill(p + nt % NR, p + NR, T(0));
        }
    for (int64_t g = 0; g < s.groups; ++g) {
      // Channel by channel, its tile rows in order (the carry and the patch rows pass between them).
      for (int64_t c = 0; c < cig; ++c)
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t n = r / th, ty = r % th;
          input_tile_row<Arch>(s, a.x + (n * s.c_in + g * cig + c) * s.h * s.w, ty, tw, (r - r0) * tw, r + 1 == r1,
                               r > r0 && ty > 0, c, cig, v_plane, es, os, carry, v);
        }
      // M_e = U_e V_e, tile by tile: a panel of V (cig x NR) stays in L1 while the panels of
      // U_e pass over it.
      for (int e = 0; e < 16; ++e) {
        const T* ue = u.data() + (g * 16 + e) * cogp * cig;
        const T* ve = v + e * v_plane;
        T* me = m + e * cogp * ldm;
        for (int64_t jp = 0; jp < np; ++jp)
          for (int64_t op = 0; op < cogp; op += kMR)
            tile_product<Arch>(cig, ue + op * cig, ve + jp * cig * NR, me + op * ldm + jp * NR, ldm);
      }
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t n = r / th, ty = r % th;
        for (int64_t o = 0; o < cog; ++o) {
          const int64_t oc = g * cog + o;
          output_tile_row<Arch>(s, m + o * ldm + (r - r0) * tw, cogp * ldm, ty, tw, a.bias ? a.bias[oc] : T(0), tmp,
                                a.y + (n * s.c_out + oc) * s.ho * s.wo);
        }
      }
    }
  });
}

}  // namespace winograd_detail
}  // namespace

template <class Arch, typename T>
void ConvWinogradKernel::operator()(Arch, const WinogradArgs<T>& args) const {
  winograd_detail::winograd_forward<Arch, T>(args);
}

template void ConvWinogradKernel::operator()<isa_arch, float>(isa_arch, const WinogradArgs<float>&) const;
template void ConvWinogradKernel::operator()<isa_arch, double>(isa_arch, const WinogradArgs<double>&) const;

}  // namespace xgrad::kernels
