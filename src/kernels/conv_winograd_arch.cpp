// Winograd F(2x2, 3x3) and F(2x2, 5x5) convolution (conv_winograd.hpp) for one instruction set:
// this file is compiled once per ISA (src/kernels/meson.build), so the transforms' vectors and
// the MR x NR product kernel use that ISA's width and flags.
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
#include <type_traits>
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

// Stride of one element's plane in U and V: the plane plus one cache line. With 64 channels a
// plane is a multiple of 4 KiB (U: 64 x 64 floats, V: panels of 64 x 48), so the 16 or 36
// planes' lines fell into the same L1 sets and evicted each other: writing U took 17 % of a
// 64 -> 64 5x5 forward on AVX-512 (Zen 5). Padded, that forward ran 6.3 -> 4.2 ms, its
// grad-input 6.1 -> 4.2 ms and ResNet's 3x3 64 -> 64 forward 6.7 -> 6.4 ms.
int64_t padded_plane(int64_t elements) { return elements + 16; }

// The two variants, by kernel size R: F(2x2, RxR) on alpha x alpha = (R + 1) x (R + 1) tiles,
// E = alpha^2 element-wise products per tile.
template <int R>
struct Variant {
  static_assert(R == 3 || R == 5, "Winograd F(2x2, 3x3) and F(2x2, 5x5) only");
  static constexpr int kAlpha = R + 1;
  static constexpr int kE = kAlpha * kAlpha;
  static constexpr int kHalf = kAlpha / 2;  // even (and odd) patch columns per tile
};

// The register tile of M_e = U_e V_e (tile_product below): MR output channels x NV vectors of
// tiles, 12 accumulators (as the packed GEMM's micro-kernel): 6 x 2, or 4 x 3 where it pads the
// output channels less (forward_dispatch).
template <int MR>
constexpr int kNVFor = MR == 6 ? 2 : 3;
template <class Arch, typename T, int MR>
constexpr int64_t tile_nr() {
  return kNVFor<MR> * static_cast<int64_t>(xsimd::batch<T, Arch>::size);
}

// G applied to one column (or row) k[0], k[st], ... of a kernel: alpha values.
// F(2, 3): G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
template <typename T>
inline void g_column(std::integral_constant<int, 3>, const T* k, int64_t st, T* out) {
  const T half = T(0.5);
  out[0] = k[0];
  out[1] = (k[0] + k[st] + k[2 * st]) * half;
  out[2] = (k[0] - k[st] + k[2 * st]) * half;
  out[3] = k[2 * st];
}
// F(2, 5), points 0, 1, -1, 2, -2, infinity: G = [1/4 0 0 0 0; -1/6 -1/6 -1/6 -1/6 -1/6;
// -1/6 1/6 -1/6 1/6 -1/6; 1/24 1/12 1/6 1/3 2/3; 1/24 -1/12 1/6 -1/3 2/3; 0 0 0 0 1]
// (row i: the kernel polynomial at point i over prod_{j != i} (p_i - p_j)). Divided, not
// multiplied by rounded reciprocals: one rounding less.
template <typename T>
inline void g_column(std::integral_constant<int, 5>, const T* k, int64_t st, T* out) {
  const T k0 = k[0], k1 = k[st], k2 = k[2 * st], k3 = k[3 * st], k4 = k[4 * st];
  const T even = k0 + k2 + k4, odd = k1 + k3;
  const T even4 = k0 + T(4) * k2 + T(16) * k4, odd4 = T(2) * k1 + T(8) * k3;
  out[0] = k0 * T(0.25);
  out[1] = -(even + odd) / T(6);
  out[2] = -(even - odd) / T(6);
  out[3] = (even4 + odd4) / T(24);
  out[4] = (even4 - odd4) / T(24);
  out[5] = k4;
}

// U, packed once per call in the layout tile_product streams: u[g][e][p][c][i] = (G g G^T)[e]
// for the kernel g = w[g*cog + p*MR + i][c]; panels p of MR output channels, the rows past
// cog are zeros.
template <int R, int MR, typename T>
void transform_weights(const Conv2dShape& s, const T* w, T* u) {
  constexpr int A = Variant<R>::kAlpha, E = Variant<R>::kE;
  const int64_t cig = s.cin_g(), cog = s.cout_g(), cogp = round_up(cog, MR);
  // One task per panel of MR output channels (its rows past cog are zeros), so no two threads
  // write one cache line: serially this took ~0.6 ms of a 64 -> 64 5x5 call, the other thread
  // idle.
  const int64_t panels = cogp / MR;
  parallel_for(s.groups * panels, [&](int64_t task) {
    const int64_t g = task / panels, p = task % panels;
    const int64_t uplane = padded_plane(cogp * cig);
    T* up = u + g * E * uplane + p * cig * MR;  // element e, channel c, row i at e * uplane + c * MR + i
    // Channel outer, row inner: each element's plane is then written in order, a cache line
    // filled by consecutive kernels (row outer wrote 16 bytes apart and came back 4 times:
    // 17 % of a 64 -> 64 5x5 forward on AVX-512, the stores waiting).
    for (int64_t c = 0; c < cig; ++c)
      for (int64_t i = 0; i < MR; ++i) {
        const int64_t o = p * MR + i;
        T* dst = up + c * MR + i;
        if (o >= cog) {
          for (int e = 0; e < E; ++e) dst[e * uplane] = T(0);
          continue;
        }
        const T* k = w + ((g * cog + o) * cig + c) * R * R;
        T t[R][A];  // (G g)^T: t[j] = G applied to kernel column j
        for (int j = 0; j < R; ++j) g_column(std::integral_constant<int, R>{}, k + j, R, t[j]);
        for (int a = 0; a < A; ++a) {
          T col[R], r[A];
          for (int j = 0; j < R; ++j) col[j] = t[j][a];
          g_column(std::integral_constant<int, R>{}, col, 1, r);
          for (int j = 0; j < A; ++j) dst[(a * A + j) * uplane] = r[j];
        }
      }
  });
}

// One MR x NR tile of M_e: c[i][j] = sum_k pa[k][i] * pb[k][j] over the whole depth (one FMA
// chain per element, k ascending, whatever the block, thread or register tile), stored in full:
// M's buffer is padded to whole tiles.
template <class Arch, int MR, typename T>
inline void tile_product(int64_t depth, const T* __restrict pa, const T* __restrict pb, T* __restrict c,
                         int64_t ldc) {
  using B = xsimd::batch<T, Arch>;
  constexpr int NV = kNVFor<MR>;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  constexpr int64_t NR = NV * W;
  B acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = B(T(0));
  for (int64_t k = 0; k < depth; ++k) {
    B bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = B::load_aligned(pb + v * W);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const B av(pa[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = xsimd::fma(av, bv[v], acc[i][v]);
    }
    pa += MR;
    pb += NR;
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v].store_aligned(c + i * ldc + v * W);
}

// B^T d B for the 4x4 patch d[r][col] of F(2, 3): V is a batch of tiles, out[i * 4 + j].
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
template <class V>
inline void input_math(std::integral_constant<int, 3>, const V (*d)[4], V* out) {
  V a[4][4];
  for (int r = 0; r < 4; ++r) {  // d B along each row: (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    a[r][0] = d[r][0] - d[r][2];
    a[r][1] = d[r][1] + d[r][2];
    a[r][2] = d[r][2] - d[r][1];
    a[r][3] = d[r][1] - d[r][3];
  }
  for (int j = 0; j < 4; ++j) {  // B^T (.) down the columns: (a0 - a2, a1 + a2, a2 - a1, a1 - a3)
    out[j] = a[0][j] - a[2][j];
    out[4 + j] = a[1][j] + a[2][j];
    out[8 + j] = a[2][j] - a[1][j];
    out[12 + j] = a[1][j] - a[3][j];
  }
}
// F(2, 5): B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
// 0 4 0 -5 0 1] (row i: the coefficients of prod_{j != i} (x - p_j), the last of prod_j (x - p_j)),
// applied to one row or column d0 .. d5 of the 6x6 patch, results at o[0], o[st], ...
// (input_segment applies it along the rows, then down the columns).
template <class V>
inline void b6(V d0, V d1, V d2, V d3, V d4, V d5, V* o, int st) {
  using S = typename V::value_type;
  const V four(S(4)), two(S(2));
  const V d42 = d4 - d2, d31 = d3 - d1;
  o[0] = four * (d0 - d2) + d42;
  o[st] = (d3 + d4) - four * (d1 + d2);
  o[2 * st] = (d4 - d3) + four * (d1 - d2);
  o[3 * st] = d42 + two * d31;
  o[4 * st] = d42 - two * d31;
  o[5 * st] = (d5 - d3) - four * d31;
}

// A^T M A + bias for the 4x4 products m of F(2, 3): y = (y00, y01, y10, y11).
// A^T = [1 1 1 0; 0 1 -1 -1].
template <class V>
inline void output_math(std::integral_constant<int, 3>, const V* m, V bias, V* y) {
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
// F(2, 5): A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 1] on one column (row) m0 .. m5 of the 6x6
// products (product_and_output applies it down the columns, then along the two rows).
template <class V>
inline void a6(V m0, V m1, V m2, V m3, V m4, V m5, V& y0, V& y1) {
  y0 = m0 + (m1 + m2) + (m3 + m4);
  y1 = (m1 - m2) + V(typename V::value_type(2)) * (m3 - m4) + m5;
}

// Tiles of a tile row rounded up to whole vectors: the transforms run whole vectors only (a
// scalar tail cost as much as the vectors on ResNet's 28 tiles per row); the extra lanes read
// zeros or stale values and write only slack that the GEMMs and the output never use.
template <class Arch, typename T>
int64_t padded_tiles(int64_t tw) {
  return round_up(tw, static_cast<int64_t>(xsimd::batch<T, Arch>::size));
}

// Row stride of the even / odd column buffers of input_tile_row: the padded row's tiles +
// alpha/2 - 1, and a margin of one vector each side (zeros, read only by lanes not stored).
template <int R, class Arch, typename T>
int64_t eo_stride(int64_t tw) {
  return padded_tiles<Arch, T>(tw) + Variant<R>::kHalf - 1 + 2 * static_cast<int64_t>(xsimd::batch<T, Arch>::size);
}

// One input row xr split into its even and odd columns of the zero-padded row: e[k] = padded
// column 2k, o[k] = 2k + 1, for k < n_eo, where padded column m is xr[m - pw] inside [lo, hi)
// and zero outside; [klo, khi) are the k whose two columns are both inside (copied without
// the bounds test).
template <typename T>
void split_even_odd(const T* xr, int64_t pw, int64_t lo, int64_t hi, int64_t klo, int64_t khi, int64_t n_eo,
                    T* __restrict e, T* __restrict o) {
  auto at = [&](int64_t m) { return m >= lo && m < hi ? xr[m - pw] : T(0); };
  for (int64_t k = 0; k < klo; ++k) {
    e[k] = at(2 * k);
    o[k] = at(2 * k + 1);
  }
  const T* __restrict src = xr + (2 * klo - pw);
  for (int64_t k = klo; k < khi; ++k) {
    e[k] = src[2 * (k - klo)];
    o[k] = src[2 * (k - klo) + 1];
  }
  for (int64_t k = khi; k < n_eo; ++k) {
    e[k] = at(2 * k);
    o[k] = at(2 * k + 1);
  }
}

// V for one input channel c and one tile row, written straight into the packed panels
// v[e][panel][c][NR] (e-plane stride `plane`; block tile j in panel j / NR, lane j % NR): the
// tw tiles of the row are block tiles j0 .. j0 + tw - 1, and tile t is the alpha x alpha patch
// at input rows 2*ty - ph .., columns 2*t - pw .. (zeros outside the image). The vectors are
// aligned to the block's tiles, so each lies in one panel and is stored whole (no read-modify-
// write of V): a vector shared with the previous tile row of this channel takes that row's lanes
// from `carry` (E vectors), and one shared with the next row (unless `last`) goes to `carry`
// instead of V. The last row's last vector writes junk (finite) lanes past the block's tiles.
// es[r] / os[r] are the even / odd columns of patch row r, padded_tiles + alpha/2 - 1 each with
// a zero margin of one vector either side; tile t reads even[t], odd[t], even[t+1], ... With
// `reuse` (the previous call was this channel's previous tile row) rows 0 .. alpha - 3 are
// taken from its rows 2 .. alpha - 1 by rotating the pointers.
template <int R, int MR, class Arch, typename T>
void input_tile_row(const Conv2dShape& s, const T* xc, int64_t ty, int64_t tw, int64_t j0, bool last, bool reuse,
                    int64_t c, int64_t cig, int64_t plane, T** __restrict es, T** __restrict os, T* __restrict carry,
                    T* __restrict v) {
  using B = xsimd::batch<T, Arch>;
  constexpr int A = Variant<R>::kAlpha, E = Variant<R>::kE, H = Variant<R>::kHalf;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  constexpr int64_t NR = tile_nr<Arch, T, MR>();
  const int64_t twp = padded_tiles<Arch, T>(tw), n_eo = twp + H - 1;
  // Patch row m (m = 2k even, 2k + 1 odd) is x[ih][m - pw], zero outside [lo, hi).
  const int64_t lo = std::min<int64_t>(s.pw, 2 * n_eo), hi = std::clamp<int64_t>(s.pw + s.w, lo, 2 * n_eo);
  const int64_t klo = std::min((lo + 1) / 2, n_eo), khi = std::max(klo, hi / 2);  // both columns inside
  if (reuse) {  // the previous tile row's patch rows 2 .. are this one's rows 0 ..
    std::rotate(es, es + 2, es + A);
    std::rotate(os, os + 2, os + A);
  }
  for (int r = reuse ? A - 2 : 0; r < A; ++r) {
    const int64_t ih = 2 * ty - s.ph + r;
    T* __restrict e = es[r];
    T* __restrict o = os[r];
    if (ih < 0 || ih >= s.h) {
      std::fill(e, e + n_eo, T(0));
      std::fill(o, o + n_eo, T(0));
      continue;
    }
    // Split into even and odd columns, so the transform below runs on contiguous vectors of tiles.
    split_even_odd(xc + ih * s.w, s.pw, lo, hi, klo, khi, n_eo, e, o);
  }
  alignas(64) T iota_lanes[W];
  for (int64_t k = 0; k < W; ++k) iota_lanes[k] = static_cast<T>(k);
  const B iota = B::load_aligned(iota_lanes);
  for (int64_t jv = j0 / W * W; jv < j0 + tw; jv += W) {
    const int64_t t = jv - j0;  // the vector's first tile in the row, -W < t < tw
    B d[A][A], out[E];
    for (int r = 0; r < A; ++r)
      for (int q = 0; q < H; ++q) {
        d[r][2 * q] = B::load_unaligned(es[r] + t + q);
        d[r][2 * q + 1] = B::load_unaligned(os[r] + t + q);
      }
    input_math(std::integral_constant<int, R>{}, d, out);
    if (t < 0) {  // lanes before j0 come from the previous row
      const auto mine = iota + B(static_cast<T>(t)) >= B(T(0));
      for (int k = 0; k < E; ++k) out[k] = xsimd::select(mine, out[k], B::load_aligned(carry + k * W));
    }
    if (t + W > tw && !last) {
      for (int k = 0; k < E; ++k) out[k].store_aligned(carry + k * W);
    } else {
      T* dst = v + (jv / NR) * cig * NR + c * NR + jv % NR;
      for (int k = 0; k < E; ++k) out[k].store_aligned(dst + k * plane);
    }
  }
}

// The 2x2 outputs of the tw tiles of one tile row for one output channel: A^T M A + bias from
// m[e * ldm + t] (readable up to padded_tiles(tw)), written into rows 2*ty and 2*ty + 1 (when
// inside the output) of yo. `tmp` holds 4 * padded_tiles(tw) elements.
template <int R, class Arch, typename T>
void output_tile_row(const Conv2dShape& s, const T* __restrict m, int64_t ldm, int64_t ty, int64_t tw, T bias,
                     T* __restrict tmp, T* __restrict yo) {
  using B = xsimd::batch<T, Arch>;
  constexpr int E = Variant<R>::kE;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  const int64_t twp = padded_tiles<Arch, T>(tw);
  T* __restrict y00 = tmp;
  T* __restrict y01 = tmp + twp;
  T* __restrict y10 = tmp + 2 * twp;
  T* __restrict y11 = tmp + 3 * twp;
  const B bv(bias);
  for (int64_t t = 0; t < twp; t += W) {
    B mm[E], y[4];
    for (int e = 0; e < E; ++e) mm[e] = B::load_unaligned(m + e * ldm + t);
    output_math(std::integral_constant<int, R>{}, mm, bv, y);
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

// F(2x2, 5x5) on small images (LeNet: 5 tiles per row against vectors of 8 or 16): the
// transforms run over vectors of consecutive tiles of a whole image segment (the block's tile
// rows of one image) instead of one tile row, so no vector is computed once per row it touches.
// The input is first copied into 12 planes q[rp][cp][b][k * tw + tx] = x[2 * (ty0 + k) + rp -
// ph][2 * (tx + b) + cp - pw] (zeros outside the image; rp, cp the row / column parity, b the
// tile shift): patch element (r, 2b + cp) of tile j (row ty0 + j / tw) is then
// q[r % 2][cp][b][j + (r / 2) * tw], one unaligned vector load per element.
// Length of one of input_segment's planes for `rows` tile rows: the rows + 2 shifted rows, and a
// margin of one vector each side (zeros or stale finite values, read only by lanes not stored).
template <class Arch, typename T>
int64_t segment_plane(int64_t rows, int64_t tw) {
  const int64_t W = static_cast<int64_t>(xsimd::batch<T, Arch>::size);
  return round_up((rows + 2) * tw, W) + 3 * W;
}

// Length of input_segment's even / odd row buffer for `rows` tile rows: 2 * (rows + 2) input
// rows of 2 x (tw + 2) columns, each read up to 2 + round_up(tw, W) (stale finite values past
// tw + 2, never stored).
template <class Arch, typename T>
int64_t segment_eo(int64_t rows, int64_t tw) {
  const int64_t W = static_cast<int64_t>(xsimd::batch<T, Arch>::size);
  return round_up(4 * (rows + 2) * (tw + 2 + 2 * W), 16);
}

// V for one input channel c and the `rows` tile rows ty0 .. of one image, block tiles j0 ..
// j0 + rows * tw - 1; `carry`, `last` and the junk lanes as input_tile_row. q: 12 planes of
// qlen = segment_plane(the most rows of a segment) each, the data starting one vector in;
// eo_buf: segment_eo(the same rows) elements.
template <int MR, class Arch, typename T>
void input_segment(const Conv2dShape& s, const T* xc, int64_t ty0, int64_t rows, int64_t tw, int64_t j0, bool last,
                   int64_t c, int64_t cig, int64_t plane, T* __restrict q, int64_t qlen, T* __restrict eo_buf,
                   T* __restrict carry, T* __restrict v) {
  using B = xsimd::batch<T, Arch>;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  constexpr int64_t NR = tile_nr<Arch, T, MR>();
  auto qp = [&](int rp, int cp, int b) { return q + ((rp * 2 + cp) * 3 + b) * qlen + W; };
  // Each input row ih is split once into its even and odd columns eo[0][m] = x[ih][2m - pw],
  // eo[1][m] = x[ih][2m + 1 - pw] (m < tw + 2), then copied 3 times (b = 0, 1, 2) in whole
  // vectors: a copy's spill past tw is overwritten by the next row (or lands in the margin).
  // All rows are split before any is copied, and all copied before any tile is transformed:
  // a vector load spanning several recent stores would wait for them to reach the cache.
  const int64_t n_eo = tw + 2, n_copy = round_up(tw, W), ld_eo = n_eo + 2 * W;
  const int64_t lo = std::min<int64_t>(s.pw, 2 * n_eo), hi = std::clamp<int64_t>(s.pw + s.w, lo, 2 * n_eo);
  const int64_t klo = std::min((lo + 1) / 2, n_eo), khi = std::max(klo, hi / 2);  // both columns inside
  for (int64_t k = 0; k < rows + 2; ++k)
    for (int rp = 0; rp < 2; ++rp) {
      const int64_t ih = 2 * (ty0 + k) + rp - s.ph;
      T* __restrict e = eo_buf + (k * 2 + rp) * 2 * ld_eo;
      T* __restrict o = e + ld_eo;
      if (ih < 0 || ih >= s.h) {
        std::fill(e, e + n_eo, T(0));
        std::fill(o, o + n_eo, T(0));
        continue;
      }
      split_even_odd(xc + ih * s.w, s.pw, lo, hi, klo, khi, n_eo, e, o);
    }
  for (int64_t k = 0; k < rows + 2; ++k)
    for (int rp = 0; rp < 2; ++rp)
      for (int cp = 0; cp < 2; ++cp) {
        const T* __restrict src = eo_buf + ((k * 2 + rp) * 2 + cp) * ld_eo;
        for (int b = 0; b < 3; ++b) {
          T* __restrict d = qp(rp, cp, b) + k * tw;
          // The first vector outside the loop: GCC would otherwise call memcpy for a few lanes.
          B::load_unaligned(src + b).store_unaligned(d);
          for (int64_t t = W; t < n_copy; t += W) B::load_unaligned(src + b + t).store_unaligned(d + t);
        }
      }
  alignas(64) T iota_lanes[W];
  for (int64_t k = 0; k < W; ++k) iota_lanes[k] = static_cast<T>(k);
  const B iota = B::load_aligned(iota_lanes);
  const int64_t nt = rows * tw;
  for (int64_t jv = j0 / W * W; jv < j0 + nt; jv += W) {
    const int64_t t = jv - j0;  // the vector's first tile in the segment, -W < t < nt
    // B^T d B: b6 along each row as it is loaded, then down each column, each result stored as
    // it is made (fewer vectors live at once than the whole patch and V tile).
    B a[6][6];
    for (int r = 0; r < 6; ++r) {
      const int64_t off = t + (r / 2) * tw;
      b6(B::load_unaligned(qp(r % 2, 0, 0) + off), B::load_unaligned(qp(r % 2, 1, 0) + off),
         B::load_unaligned(qp(r % 2, 0, 1) + off), B::load_unaligned(qp(r % 2, 1, 1) + off),
         B::load_unaligned(qp(r % 2, 0, 2) + off), B::load_unaligned(qp(r % 2, 1, 2) + off), a[r], 1);
    }
    const bool head = t < 0, to_carry = t + W > nt && !last;
    // Lanes before j0 come from the previous segment.
    const auto mine = iota + B(static_cast<T>(t)) >= B(T(0));
    T* dst = v + (jv / NR) * cig * NR + c * NR + jv % NR;
    for (int j = 0; j < 6; ++j) {
      B col[6];
      b6(a[0][j], a[1][j], a[2][j], a[3][j], a[4][j], a[5][j], col, 1);
      for (int i = 0; i < 6; ++i) {
        const int k = i * 6 + j;
        B val = col[i];
        if (head) val = xsimd::select(mine, val, B::load_aligned(carry + k * W));
        if (to_carry)
          val.store_aligned(carry + k * W);
        else
          val.store_aligned(dst + k * plane);
      }
    }
  }
}

// F(2x2, 5x5), with a depth (input channels) too small to pay for M's round trip through L2
// (LeNet: 6, against 16 for the 36 x 16 products of a tile): M_e = U_e V_e and the output
// transform fused per panel of NR tiles and MR output channels, M staying in L1 (msm: 36 x MR x
// NR). The 2x2 outputs of output channel o and block tile j go to tmp[(k * cog + o) * ldt + j]
// (k: y00, y01, y10, y11), bias added.
template <int MR, class Arch, typename T>
void product_and_output(int64_t cig, int64_t cog, int64_t np, int64_t nt, const T* __restrict u, const T* __restrict v,
                        int64_t v_plane, const T* bias, T* __restrict msm, T* __restrict tmp, int64_t ldt) {
  using B = xsimd::batch<T, Arch>;
  constexpr int E = 36, NV = kNVFor<MR>;
  constexpr int64_t W = static_cast<int64_t>(B::size), NR = tile_nr<Arch, T, MR>();
  const int64_t cogp = round_up(cog, MR);
  for (int64_t jp = 0; jp < np; ++jp)
    for (int64_t op = 0; op < cogp; op += MR) {
      for (int e = 0; e < E; ++e)
        tile_product<Arch, MR>(cig, u + e * padded_plane(cogp * cig) + op * cig, v + e * v_plane + jp * cig * NR, msm + e * MR * NR,
                               NR);
      for (int64_t i = 0; i < MR && op + i < cog; ++i) {
        const B bv(bias ? bias[op + i] : T(0));
        for (int nv = 0; nv < NV && jp * NR + nv * W < nt; ++nv) {
          // A^T M A: a6 down each column as it is loaded, then along the two rows.
          const T* mi = msm + i * NR + nv * W;
          auto ld = [&](int e) { return B::load_aligned(mi + e * MR * NR); };
          B r0[6], r1[6], yv[4];
          for (int j = 0; j < 6; ++j) a6(ld(j), ld(6 + j), ld(12 + j), ld(18 + j), ld(24 + j), ld(30 + j), r0[j], r1[j]);
          a6(r0[0], r0[1], r0[2], r0[3], r0[4], r0[5], yv[0], yv[1]);
          a6(r1[0], r1[1], r1[2], r1[3], r1[4], r1[5], yv[2], yv[3]);
          for (int k = 0; k < 4; ++k) (yv[k] + bv).store_aligned(tmp + (k * cog + op + i) * ldt + jp * NR + nv * W);
        }
      }
    }
}

// Interleaves one output channel's 2x2 outputs of a block (y00 at tmp[j], y01, y10, y11 at
// tmp[k * ldt + j]) into the output rows of the block's tile rows r0 .. r1 - 1 (image r / th).
template <typename T>
void output_block(const Conv2dShape& s, int64_t r0, int64_t r1, int64_t th, int64_t tw, int64_t oc,
                  const T* __restrict tmp, int64_t ldt, T* __restrict y) {
  const int64_t pairs = s.wo / 2;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / th, ty = r % th, oh = 2 * ty;
    const T* __restrict y00 = tmp + (r - r0) * tw;
    const T* __restrict y01 = y00 + ldt;
    const T* __restrict y10 = y00 + 2 * ldt;
    const T* __restrict y11 = y00 + 3 * ldt;
    T* __restrict row0 = y + ((n * s.c_out + oc) * s.ho + oh) * s.wo;
    for (int64_t k = 0; k < pairs; ++k) {
      row0[2 * k] = y00[k];
      row0[2 * k + 1] = y01[k];
    }
    if (s.wo % 2) row0[s.wo - 1] = y00[pairs];
    if (oh + 1 < s.ho) {
      T* __restrict row1 = row0 + s.wo;
      for (int64_t k = 0; k < pairs; ++k) {
        row1[2 * k] = y10[k];
        row1[2 * k + 1] = y11[k];
      }
      if (s.wo % 2) row1[s.wo - 1] = y10[pairs];
    }
  }
}

// Tile rows per block: about `base` (V and M in L2), moved within [3/4, 2] of it to the count
// that leaves the least of the block's last panel of NR tiles empty (ties: nearest base). The
// products run whole panels, so an empty part is wasted work: 5x5 64 -> 64 on 28x28 (14 tiles
// a row, 4 rows a block) filled 56 of 96 columns with AVX-512's 48-tile panels (forward 10.0
// ms, now 7.4), ResNet's 3x3 (28 tiles a row) 112 of 128 with 32-tile panels (12.7 ms; 8 rows,
// 2 MiB, fill 7 panels: 11.6). With AVX2 both kept or found an exact fit.
int64_t block_rows(int64_t base, int64_t tw, int64_t nr, int64_t total_rows) {
  base = std::clamp<int64_t>(base, 1, total_rows);
  const int64_t lo = std::max<int64_t>(1, base * 3 / 4), hi = std::min(total_rows, std::max(base, base * 2));
  int64_t best = base;
  auto waste = [&](int64_t r) {  // the empty fraction of the block's panels
    const int64_t tiles = r * tw;
    return static_cast<double>(round_up(tiles, nr) - tiles) / static_cast<double>(tiles);
  };
  for (int64_t r = lo; r <= hi; ++r) {
    const double w = waste(r), wb = waste(best);
    if (w < wb - 1e-12 || (w <= wb + 1e-12 && std::abs(r - base) < std::abs(best - base))) best = r;
  }
  return best;
}

template <int R, int MR, class Arch, typename T>
void winograd_forward(const WinogradArgs<T>& a) {
  constexpr int A = Variant<R>::kAlpha, E = Variant<R>::kE;
  constexpr int64_t NR = tile_nr<Arch, T, MR>();
  const Conv2dShape& s = *a.shape;
  const int64_t cig = s.cin_g(), cog = s.cout_g(), cogp = round_up(cog, MR);
  const int64_t th = (s.ho + 1) / 2, tw = (s.wo + 1) / 2;
  const int64_t total_rows = s.n * th;
  if (total_rows == 0 || s.c_out == 0) return;

  // U is transformed and packed once per call; the blocks only read it.
  const int64_t uplane = padded_plane(cogp * cig);
  std::vector<T, xsimd::aligned_allocator<T, 64>> u(static_cast<size_t>(s.groups * E * uplane));
  transform_weights<R, MR>(s, a.w, u.data());

  // Whole tile rows per block, from the shape only (never the thread count).
  const int64_t tile_bytes = E * (cig + cog) * static_cast<int64_t>(sizeof(T));
  const int64_t rows_per_block = block_rows(kBlockBytes / tile_bytes / tw, tw, NR, total_rows);
  const int64_t blocks = (total_rows + rows_per_block - 1) / rows_per_block;
  const int64_t twp = padded_tiles<Arch, T>(tw);
  // V: packed panels of NR tiles, [E][panels][cig][NR]. M (3x3 only): [E][cogp][ldm], rows of
  // whole tiles plus slack for the last tile row's padded vectors in the output transform.
  const int64_t panels = (rows_per_block * tw + NR - 1) / NR;
  const int64_t v_plane = padded_plane(panels * cig * NR);
  const int64_t ldm = round_up(std::max(panels * NR, rows_per_block * tw + twp - tw), 16);
  const int64_t v_size = round_up(E * v_plane, 16), m_size = R == 5 ? 0 : E * cogp * ldm;  // 5x5: no M (fused)
  const int64_t eo_size = R == 5 ? 0 : round_up(A * eo_stride<R, Arch, T>(tw), 16);
  const int64_t W = static_cast<int64_t>(xsimd::batch<T, Arch>::size);
  // F(2x2, 5x5): the input planes and row buffer of input_segment; 4 output planes per output
  // channel and the L1 tile of M for product_and_output.
  const int64_t qlen = R == 5 ? segment_plane<Arch, T>(std::min(rows_per_block, th), tw) : 0;
  const int64_t ldt = round_up(panels * NR, W);
  const int64_t q_size = round_up(12 * qlen, 16) + (R == 5 ? segment_eo<Arch, T>(std::min(rows_per_block, th), tw) : 0);
  const int64_t out_size = R == 5 ? 4 * cog * ldt + E * MR * NR : round_up(4 * twp, 16), carry_size = E * 16;

  parallel_for(blocks, [&](int64_t b) {
    const int64_t r0 = b * rows_per_block, r1 = std::min(total_rows, r0 + rows_per_block);
    const int64_t nt = (r1 - r0) * tw, np = (nt + NR - 1) / NR;
    T* v = scratch<T>(static_cast<size_t>(v_size + m_size + 2 * eo_size + out_size + carry_size + q_size));
    T* m = v + v_size;
    T* even = m + m_size;
    T* odd = even + eo_size;
    T* tmp = odd + eo_size;
    T* carry = tmp + out_size;
    T* q = carry + carry_size;
    std::fill(even, even + 2 * eo_size, T(0));  // the margins input_tile_row reads
    std::fill(q, q + q_size, T(0));             // and input_segment's
    const int64_t ld = eo_stride<R, Arch, T>(tw);
    T* es[A];
    T* os[A];
    for (int r = 0; r < A; ++r) {
      es[r] = even + r * ld + W;
      os[r] = odd + r * ld + W;
    }
    // The lanes of the last panel past nt are never written by the transform: zeros, so the
    // products there (junk columns of M nobody reads) stay finite and fast.
    if (nt % NR != 0)
      for (int e = 0; e < E; ++e)
        for (int64_t c = 0; c < cig; ++c) {
          T* p = v + e * v_plane + (np - 1) * cig * NR + c * NR;
          std::fill(p + nt % NR, p + NR, T(0));
        }
    for (int64_t g = 0; g < s.groups; ++g) {
      // Channel by channel, its tile rows in order (the carry and the patch rows pass between them).
      for (int64_t c = 0; c < cig; ++c) {
        if constexpr (R == 5) {
          // Image by image (the block's rows of each).
          for (int64_t r = r0; r < r1;) {
            const int64_t n = r / th, ty = r % th, rows = std::min(r1, (n + 1) * th) - r;
            input_segment<MR, Arch>(s, a.x + (n * s.c_in + g * cig + c) * s.h * s.w, ty, rows, tw, (r - r0) * tw,
                                    r + rows == r1, c, cig, v_plane, q, qlen, q + round_up(12 * qlen, 16), carry, v);
            r += rows;
          }
        } else {
          for (int64_t r = r0; r < r1; ++r) {
            const int64_t n = r / th, ty = r % th;
            input_tile_row<R, MR, Arch>(s, a.x + (n * s.c_in + g * cig + c) * s.h * s.w, ty, tw, (r - r0) * tw,
                                        r + 1 == r1, r > r0 && ty > 0, c, cig, v_plane, es, os, carry, v);
          }
        }
      }
      if constexpr (R == 5) {
        const T* bias = a.bias ? a.bias + g * cog : nullptr;
        T* msm = tmp + 4 * cog * ldt;
        product_and_output<MR, Arch>(cig, cog, np, nt, u.data() + g * E * uplane, v, v_plane, bias, msm, tmp, ldt);
        for (int64_t o = 0; o < cog; ++o)
          output_block(s, r0, r1, th, tw, g * cog + o, tmp + o * ldt, cog * ldt, a.y);
      } else {
        // M_e = U_e V_e, tile by tile: a panel of V (cig x NR) stays in L1 while the panels of
        // U_e pass over it.
        for (int e = 0; e < E; ++e) {
          const T* ue = u.data() + (g * E + e) * uplane;
          const T* ve = v + e * v_plane;
          T* me = m + e * cogp * ldm;
          for (int64_t jp = 0; jp < np; ++jp)
            for (int64_t op = 0; op < cogp; op += MR)
              tile_product<Arch, MR>(cig, ue + op * cig, ve + jp * cig * NR, me + op * ldm + jp * NR, ldm);
        }
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t n = r / th, ty = r % th;
          for (int64_t o = 0; o < cog; ++o) {
            const int64_t oc = g * cog + o;
            output_tile_row<R, Arch>(s, m + o * ldm + (r - r0) * tw, cogp * ldm, ty, tw, a.bias ? a.bias[oc] : T(0),
                                     tmp, a.y + (n * s.c_out + oc) * s.ho * s.wo);
          }
        }
      }
    }
  });
}

// F(2x2, 3x3) keeps the 6 x 2 register tile; F(2x2, 5x5) takes 4 x 3 where it pads the output
// channels less (LeNet's conv2: 16 channels, 16 rows instead of 18).
template <class Arch, typename T>
void forward_dispatch(const WinogradArgs<T>& a) {
  const Conv2dShape& s = *a.shape;
  if (s.kh == 3) return winograd_forward<3, 6, Arch>(a);
  const int64_t cog = s.cout_g();
  if (round_up(cog, 4) < round_up(cog, 6)) return winograd_forward<5, 4, Arch>(a);
  return winograd_forward<5, 6, Arch>(a);
}

}  // namespace winograd_detail
}  // namespace

template <class Arch, typename T>
void ConvWinogradKernel::operator()(Arch, const WinogradArgs<T>& args) const {
  winograd_detail::forward_dispatch<Arch, T>(args);
}

template void ConvWinogradKernel::operator()<isa_arch, float>(isa_arch, const WinogradArgs<float>&) const;
template void ConvWinogradKernel::operator()<isa_arch, double>(isa_arch, const WinogradArgs<double>&) const;

}  // namespace xgrad::kernels
