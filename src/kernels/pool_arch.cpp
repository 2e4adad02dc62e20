// SIMD max / average pooling for one instruction set: this file is compiled once per ISA
// (src/kernels/meson.build) and instantiates PoolKernel for `isa_arch`.
//
// Vectorised across output columns. The input rows of a plane are rewritten as "phased" rows (as
// the windows reach them, so the input streams in while earlier rows are pooled): each input
// row, padded left and right (with -inf for max, 0 for avg), is split into `stride_w` phases,
// phase p holding padded columns p, p + S, p + 2S, ... (for S = 2 by vector even/odd splits).
// Then the input column read by kernel column j for output column ow, S*ow + j*dilation_w
// (padded), is element ow + (j*dilation_w)/S of phase (j*dilation_w)%S: a contiguous run in ow
// for any stride, so every window step is one unaligned vector load. Rows are clipped per output
// row (the same for every lane), columns need no clipping at all thanks to the padding. Each lane
// makes PyTorch's choice (first maximum, last NaN; see max_forward) and sums in PyTorch's order,
// so values and indices agree with the reference bit for bit.
//
// The average backward runs the same geometry in reverse: gradients are added into phased rows
// (one vector add per window step), then the phases are interleaved back into grad_input.
//
// The 2x2 / stride 2 pool without padding (LeNet, VGG, ResNet-style downsampling) has its own
// dense kernels: windows are disjoint, so each output vector comes from an even/odd split of two
// input rows (no phased copy), and both backwards write every grad_input element exactly once
// (no zero fill, no scatter). They keep the reference's scan and summation order: bit-identical.
// Rows narrower than one vector take the widest narrower ISA whose vector fits (narrower_arch).
#include "kernels/isa.hpp"
#include "kernels/pool.hpp"
#include "kernels/scratch.hpp"

#include <xsimd/xsimd.hpp>

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace xgrad::kernels {
// Internal linkage: each ISA's translation unit keeps its own copy (see gemm_impl.hpp).
namespace {
namespace pool_detail {

// Per-thread growable buffer of padded input rows, one per element type.
template <typename T>
T* row_scratch(size_t n) {
  thread_local Scratch<T> buf;
  return buf.get(n, "pooling");
}

// ---- even/odd split of 2L consecutive elements, and its inverse --------------------------------
// xsimd 8.1 has no cross-lane shuffle (its zip_lo/zip_hi work per 128-bit lane on AVX): one pair
// of intrinsics functions per instruction set, for the one `isa_arch` this file is compiled for.
// load_deinterleave: even[l] = p[2l], odd[l] = p[2l + 1]. store_interleave: the inverse.
// store_index: dst[l] = base + step*l + (int64_t)v[l] (v holds integers, |v| < 2^31).
// A translation unit also gets the helpers of every narrower ISA its flags allow: the dense 2x2
// kernels run rows narrower than one vector with a narrower one (see narrower_arch).
#if defined(XGRAD_ISA_AVX512F)
using FB16 = xsimd::batch<float, xsimd::avx512f>;
using DB8 = xsimd::batch<double, xsimd::avx512f>;
inline void load_deinterleave(const float* p, FB16& even, FB16& odd) {
  const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
  even = _mm512_permutex2var_ps(a, _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0), b);
  odd = _mm512_permutex2var_ps(a, _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1), b);
}
inline void store_interleave(float* p, const FB16& even, const FB16& odd) {
  const __m512 e = even, o = odd;
  _mm512_storeu_ps(p, _mm512_permutex2var_ps(
                          e, _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0), o));
  _mm512_storeu_ps(p + 16, _mm512_permutex2var_ps(
                               e, _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8), o));
}
inline void load_deinterleave(const double* p, DB8& even, DB8& odd) {
  const __m512d a = _mm512_loadu_pd(p), b = _mm512_loadu_pd(p + 8);
  even = _mm512_permutex2var_pd(a, _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), b);
  odd = _mm512_permutex2var_pd(a, _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1), b);
}
inline void store_interleave(double* p, const DB8& even, const DB8& odd) {
  const __m512d e = even, o = odd;
  _mm512_storeu_pd(p, _mm512_permutex2var_pd(e, _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0), o));
  _mm512_storeu_pd(p + 8, _mm512_permutex2var_pd(e, _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4), o));
}
// The zero-masked forms: GCC 12's plain ones start from an "undefined" register, which
// -Wmaybe-uninitialized reports.
inline void store_index(const FB16& v, int64_t base, int64_t step, int64_t* dst) {
  const __m512i i = _mm512_maskz_cvttps_epi32(0xFFFF, v);
  const __m512i b = _mm512_set_epi64(base + 7 * step, base + 6 * step, base + 5 * step, base + 4 * step,
                                    base + 3 * step, base + 2 * step, base + step, base);
  const __m512i b8 = _mm512_add_epi64(b, _mm512_set1_epi64(8 * step));
  const __m256i lo = _mm512_maskz_extracti64x4_epi64(0xF, i, 0), hi = _mm512_maskz_extracti64x4_epi64(0xF, i, 1);
  _mm512_storeu_si512(dst, _mm512_add_epi64(b, _mm512_maskz_cvtepi32_epi64(0xFF, lo)));
  _mm512_storeu_si512(dst + 8, _mm512_add_epi64(b8, _mm512_maskz_cvtepi32_epi64(0xFF, hi)));
}
inline void store_index(const DB8& v, int64_t base, int64_t step, int64_t* dst) {
  const __m512i b = _mm512_set_epi64(base + 7 * step, base + 6 * step, base + 5 * step, base + 4 * step,
                                    base + 3 * step, base + 2 * step, base + step, base);
  const __m256i i = _mm512_maskz_cvttpd_epi32(0xFF, v);
  _mm512_storeu_si512(dst, _mm512_add_epi64(b, _mm512_maskz_cvtepi32_epi64(0xFF, i)));
}
#endif
#if defined(XGRAD_ISA_AVX512F) || defined(XGRAD_ISA_AVX2)
using FB8 = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
using DB4 = xsimd::batch<double, xsimd::fma3<xsimd::avx2>>;
// The in-lane shuffles leave 64-bit blocks in order 0 2 1 3: one cross-lane permute fixes that.
inline void load_deinterleave(const float* p, FB8& even, FB8& odd) {
  const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
  even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
  odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}
inline void store_interleave(float* p, const FB8& even, const FB8& odd) {
  const __m256 lo = _mm256_unpacklo_ps(even, odd), hi = _mm256_unpackhi_ps(even, odd);
  _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}
inline void load_deinterleave(const double* p, DB4& even, DB4& odd) {
  const __m256d a = _mm256_loadu_pd(p), b = _mm256_loadu_pd(p + 4);
  even = _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b), 0xD8);
  odd = _mm256_permute4x64_pd(_mm256_unpackhi_pd(a, b), 0xD8);
}
inline void store_interleave(double* p, const DB4& even, const DB4& odd) {
  const __m256d lo = _mm256_unpacklo_pd(even, odd), hi = _mm256_unpackhi_pd(even, odd);
  _mm256_storeu_pd(p, _mm256_permute2f128_pd(lo, hi, 0x20));
  _mm256_storeu_pd(p + 4, _mm256_permute2f128_pd(lo, hi, 0x31));
}
inline void store_index(const FB8& v, int64_t base, int64_t step, int64_t* dst) {
  const __m256i i = _mm256_cvttps_epi32(v);
  const __m256i b = _mm256_set_epi64x(base + 3 * step, base + 2 * step, base + step, base);
  const __m256i b4 = _mm256_add_epi64(b, _mm256_set1_epi64x(4 * step));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_add_epi64(b, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(i))));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 4),
                      _mm256_add_epi64(b4, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(i, 1))));
}
inline void store_index(const DB4& v, int64_t base, int64_t step, int64_t* dst) {
  const __m256i b = _mm256_set_epi64x(base + 3 * step, base + 2 * step, base + step, base);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_add_epi64(b, _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(v))));
}
#endif
// SSE2 is the x86-64 baseline: in every translation unit.
using FB4 = xsimd::batch<float, xsimd::sse2>;
using DB2 = xsimd::batch<double, xsimd::sse2>;
inline void load_deinterleave(const float* p, FB4& even, FB4& odd) {
  const __m128 a = _mm_loadu_ps(p), b = _mm_loadu_ps(p + 4);
  even = _mm_shuffle_ps(a, b, 0x88);
  odd = _mm_shuffle_ps(a, b, 0xDD);
}
inline void store_interleave(float* p, const FB4& even, const FB4& odd) {
  _mm_storeu_ps(p, _mm_unpacklo_ps(even, odd));
  _mm_storeu_ps(p + 4, _mm_unpackhi_ps(even, odd));
}
inline void load_deinterleave(const double* p, DB2& even, DB2& odd) {
  const __m128d a = _mm_loadu_pd(p), b = _mm_loadu_pd(p + 2);
  even = _mm_unpacklo_pd(a, b);
  odd = _mm_unpackhi_pd(a, b);
}
inline void store_interleave(double* p, const DB2& even, const DB2& odd) {
  _mm_storeu_pd(p, _mm_unpacklo_pd(even, odd));
  _mm_storeu_pd(p + 2, _mm_unpackhi_pd(even, odd));
}
// SSE2 has no 32 -> 64-bit sign extension: interleave with the sign words.
inline void store_index(const FB4& v, int64_t base, int64_t step, int64_t* dst) {
  const __m128i i = _mm_cvttps_epi32(v), sign = _mm_srai_epi32(i, 31);
  const __m128i b = _mm_set_epi64x(base + step, base), b2 = _mm_add_epi64(b, _mm_set1_epi64x(2 * step));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_add_epi64(b, _mm_unpacklo_epi32(i, sign)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 2), _mm_add_epi64(b2, _mm_unpackhi_epi32(i, sign)));
}
inline void store_index(const DB2& v, int64_t base, int64_t step, int64_t* dst) {
  const __m128i i = _mm_cvttpd_epi32(v), sign = _mm_srai_epi32(i, 31);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_add_epi64(_mm_set_epi64x(base + step, base), _mm_unpacklo_epi32(i, sign)));
}

// Horizontal layout shared by forward and backward.
struct Layout {
  int64_t S = 1;    // stride_w = number of phases
  int64_t OWr = 0;  // out_w rounded up to the vector width
  int64_t Q = 0;    // elements per phase row
  std::vector<int64_t> phase, qoff;  // per kernel column
};

Layout make_layout(const Pool2dShape& s, int64_t lanes, int64_t dilation_w) {
  Layout g;
  g.S = s.stride_w;
  g.OWr = (s.out_w + lanes - 1) / lanes * lanes;
  g.phase.resize(static_cast<size_t>(s.kernel_w));
  g.qoff.resize(static_cast<size_t>(s.kernel_w));
  for (int64_t j = 0; j < s.kernel_w; ++j) {
    g.phase[static_cast<size_t>(j)] = (j * dilation_w) % g.S;
    g.qoff[static_cast<size_t>(j)] = (j * dilation_w) / g.S;
  }
  g.Q = g.OWr + ((s.kernel_w - 1) * dilation_w) / g.S + 1;
  return g;
}

// Range [qa, qb) of phase p whose padded columns p + S*q fall inside the input.
inline void phase_range(int64_t p, int64_t S, int64_t pad, int64_t W, int64_t Q, int64_t& qa, int64_t& qb) {
  qa = pad > p ? (pad - p + S - 1) / S : 0;
  const int64_t end = W + pad - p;  // columns p + S*q < W + pad
  qb = end > 0 ? (end + S - 1) / S : 0;
  qa = std::min(qa, Q);
  qb = std::clamp(qb, qa, Q);
}

template <int64_t kS, typename T>
inline void gather_phase(const T* src, int64_t S, int64_t n, T* dst) {
  const int64_t step = kS > 0 ? kS : S;
  for (int64_t q = 0; q < n; ++q) dst[q] = src[q * step];
}
template <int64_t kS, typename T>
inline void scatter_phase(const T* src, int64_t S, int64_t n, T* dst) {
  const int64_t step = kS > 0 ? kS : S;
  for (int64_t q = 0; q < n; ++q) dst[q * step] = src[q];
}

// Input column c of a row lands in phase (c + pad) % S at q = (c + pad) / S. With S = 2, the even
// columns 2k go to phase pad % 2 at q = k + pad / 2, the odd ones to the other phase at
// q = k + (pad + 1) / 2: one vector split per 2L columns instead of a strided scalar copy.
template <class A, typename T>
int64_t split_row_stride2(const T* in, int64_t W, int64_t pad, const Layout& g, T* dst) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const int64_t kv = (W / 2) / L * L;
  T* even = dst + (pad % 2) * g.Q + pad / 2;
  T* odd = dst + ((pad + 1) % 2) * g.Q + (pad + 1) / 2;
  for (int64_t k = 0; k < kv; k += L) {
    B e, o;
    load_deinterleave(in + 2 * k, e, o);
    e.store_unaligned(even + k);
    o.store_unaligned(odd + k);
  }
  return 2 * kv;
}
template <class A, typename T>
int64_t merge_row_stride2(const T* src, int64_t W, int64_t pad, const Layout& g, T* out) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const int64_t kv = (W / 2) / L * L;
  const T* even = src + (pad % 2) * g.Q + pad / 2;
  const T* odd = src + ((pad + 1) % 2) * g.Q + (pad + 1) / 2;
  for (int64_t k = 0; k < kv; k += L) store_interleave(out + 2 * k, B::load_unaligned(even + k), B::load_unaligned(odd + k));
  return 2 * kv;
}

// First q of phase p (from qa) whose input column is at least `done`.
inline int64_t first_q_from(int64_t done, int64_t p, int64_t S, int64_t pad, int64_t qa) {
  return done > 0 ? std::max(qa, (done + pad - p + S - 1) / S) : qa;
}

// Writes the S phases of one padded input row into dst (S rows of Q elements).
template <class A, typename T>
void phase_row(const T* in, int64_t W, int64_t pad, const Layout& g, T pad_value, T* dst) {
  const int64_t done = g.S == 2 ? split_row_stride2<A>(in, W, pad, g, dst) : 0;
  for (int64_t p = 0; p < g.S; ++p) {
    T* d = dst + p * g.Q;
    int64_t qa, qb;
    phase_range(p, g.S, pad, W, g.Q, qa, qb);
    std::fill(d, d + qa, pad_value);
    const int64_t q0 = std::min(first_q_from(done, p, g.S, pad, qa), qb);
    const T* src = in + (p + g.S * q0 - pad);
    if (g.S == 1)
      gather_phase<1>(src, g.S, qb - q0, d + q0);
    else if (g.S == 2)
      gather_phase<2>(src, g.S, qb - q0, d + q0);
    else
      gather_phase<0>(src, g.S, qb - q0, d + q0);
    std::fill(d + qb, d + g.Q, pad_value);
  }
}

// Interleaves the phases of one padded gradient row back into an input row (padding dropped).
template <class A, typename T>
void unphase_row(const T* src, int64_t W, int64_t pad, const Layout& g, T* out) {
  const int64_t done = g.S == 2 ? merge_row_stride2<A>(src, W, pad, g, out) : 0;
  for (int64_t p = 0; p < g.S; ++p) {
    const T* s = src + p * g.Q;
    int64_t qa, qb;
    phase_range(p, g.S, pad, W, g.Q, qa, qb);
    const int64_t q0 = std::min(first_q_from(done, p, g.S, pad, qa), qb);
    T* dst = out + (p + g.S * q0 - pad);
    if (g.S == 1)
      scatter_phase<1>(s + q0, g.S, qb - q0, dst);
    else if (g.S == 2)
      scatter_phase<2>(s + q0, g.S, qb - q0, dst);
    else
      scatter_phase<0>(s + q0, g.S, qb - q0, dst);
  }
}

template <class A, typename T>
xsimd::batch<T, A> lane_iota() {
  using B = xsimd::batch<T, A>;
  alignas(64) T v[B::size];
  for (size_t l = 0; l < B::size; ++l) v[l] = static_cast<T>(l);
  return B::load_aligned(v);
}

// The scan of a window, take = v > best || isnan(v), picks the last NaN or else the first maximum:
// an associative choice, so each window row is scanned on its own (the rows' dependency chains
// overlap in the CPU) and the row winners are then merged in row order with the same rule. A
// row all -inf (or padding) never wins the merge, exactly as its elements never win the scan.
// KW is the kernel width when fixed at compile time (the common 2 and 3), else 0.
template <class A, typename T, bool WantIdx, int64_t KW>
void max_forward(const PoolArgs<T>& a) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  constexpr int64_t kMaxKW = 16;  // max_forward_any sends wider kernels to the scalar scan
  const Pool2dShape& s = a.shape;
  const int64_t kw = KW > 0 ? KW : s.kernel_w;
  const Layout g = make_layout(s, L, s.dilation_w);
  const int64_t row_elems = g.S * g.Q;
  T* buf = row_scratch<T>(static_cast<size_t>(s.in_h * row_elems + 2 * g.OWr));
  T* tmp_val = buf + s.in_h * row_elems;
  T* tmp_idx = tmp_val + g.OWr;
  constexpr bool want_idx = WantIdx;
  const T ninf = -std::numeric_limits<T>::infinity();
  const B lane_cols = lane_iota<A, T>() * B(static_cast<T>(g.S));
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  // Per kernel column: offset in the phased row, and column term of the input index.
  int64_t joff[kMaxKW];
  T jcol[kMaxKW];
  for (int64_t j = 0; j < kw; ++j) {
    joff[j] = g.phase[static_cast<size_t>(j)] * g.Q + g.qoff[static_cast<size_t>(j)];
    jcol[j] = static_cast<T>(j * s.dilation_w - s.pad_w);
  }

  for (int64_t p = a.plane_begin; p < a.plane_end; ++p) {
    const T* in = a.input + p * in_plane;
    T* out = a.output + p * out_plane;
    int64_t* idx = want_idx ? a.indices + p * out_plane : nullptr;
    int64_t phased = 0;  // input rows [0, phased) are in buf
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const int64_t h0 = oh * s.stride_h - s.pad_h;
      // Phase the rows as the windows reach them: the input streams in while the previous
      // rows are pooled, instead of one memory-bound pass then one compute-bound pass.
      for (const int64_t need = std::min(s.in_h, h0 + (s.kernel_h - 1) * s.dilation_h + 1); phased < need; ++phased)
        phase_row<A>(in + phased * s.in_w, s.in_w, s.pad_w, g, ninf, buf + phased * row_elems);
      for (int64_t ow0 = 0; ow0 < g.OWr; ow0 += L) {
        B best(ninf);
        B best_idx(T(-1));
        const B cols = lane_cols + B(static_cast<T>(g.S * ow0));
        for (int64_t i = 0; i < s.kernel_h; ++i) {
          const int64_t ih = h0 + i * s.dilation_h;
          if (ih < 0 || ih >= s.in_h) continue;
          const T* row = buf + ih * row_elems + ow0;
          B rb = B::load_unaligned(row + joff[0]);
          B rj(jcol[0]);
          for (int64_t j = 1; j < kw; ++j) {
            const B v = B::load_unaligned(row + joff[j]);
            const auto take = (v > rb) | xsimd::isnan(v);
            rb = xsimd::select(take, v, rb);
            if constexpr (want_idx) rj = xsimd::select(take, B(jcol[j]), rj);
          }
          const auto take = (rb > best) | xsimd::isnan(rb);
          best = xsimd::select(take, rb, best);
          if constexpr (want_idx) best_idx = xsimd::select(take, rj + (cols + B(static_cast<T>(ih * s.in_w))), best_idx);
        }
        T* orow = out + oh * s.out_w;
        const int64_t n = std::min(L, s.out_w - ow0);
        if (n == L) {
          best.store_unaligned(orow + ow0);
        } else {
          best.store_unaligned(tmp_val);
          std::copy(tmp_val, tmp_val + n, orow + ow0);
        }
        if constexpr (want_idx) {
          int64_t* irow = idx + oh * s.out_w + ow0;
          // Lanes still at -1 saw nothing beat -inf: PyTorch reports the window's first
          // in-range position there (rare: all -inf, or a window inside the padding).
          const bool fixup = xsimd::any(best_idx < B(T(0)));
          if (n == L) {
            store_index(best_idx, 0, 0, irow);
          } else {
            best_idx.store_unaligned(tmp_idx);
            for (int64_t l = 0; l < n; ++l) irow[l] = static_cast<int64_t>(tmp_idx[l]);
          }
          if (fixup) {
            for (int64_t l = 0; l < n; ++l) {
              if (irow[l] >= 0) continue;
              int64_t hs = h0, ws = (ow0 + l) * s.stride_w - s.pad_w;
              while (hs < 0) hs += s.dilation_h;
              while (ws < 0) ws += s.dilation_w;
              irow[l] = hs * s.in_w + ws;
            }
          }
        }
      }
    }
  }
}

template <class A, typename T, bool WantIdx>
void max_forward_any(const PoolArgs<T>& a) {
  switch (a.shape.kernel_w) {
    case 2: max_forward<A, T, WantIdx, 2>(a); break;
    case 3: max_forward<A, T, WantIdx, 3>(a); break;
    default:
      if (a.shape.kernel_w <= 16)
        max_forward<A, T, WantIdx, 0>(a);
      else  // wider than the per-column tables: rare enough for the scalar scan
        reference::max_pool2d_forward(a.shape, a.input, a.output, a.indices, a.plane_begin, a.plane_end);
      break;
  }
}

// Divisor of output column ow's window, split as (row factor) * (column factor).
inline int64_t avg_extent(int64_t o, int64_t stride, int64_t pad, int64_t k, int64_t n, bool count_include_pad) {
  int64_t a0 = o * stride - pad;
  int64_t a1 = std::min(a0 + k, n + pad);
  if (count_include_pad) return a1 - a0;
  a0 = std::max<int64_t>(a0, 0);
  a1 = std::min(a1, n);
  return a1 - a0;
}

template <class A, typename T>
void avg_forward(const PoolArgs<T>& a) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const Pool2dShape& s = a.shape;
  const Layout g = make_layout(s, L, 1);
  const int64_t row_elems = g.S * g.Q;
  T* buf = row_scratch<T>(static_cast<size_t>(s.in_h * row_elems + 2 * g.OWr));
  T* col_div = buf + s.in_h * row_elems;
  T* tmp_val = col_div + g.OWr;
  for (int64_t ow = 0; ow < g.OWr; ++ow)
    col_div[ow] = ow < s.out_w ? static_cast<T>(avg_extent(ow, s.stride_w, s.pad_w, s.kernel_w, s.in_w, a.count_include_pad))
                               : T(1);
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;

  for (int64_t p = a.plane_begin; p < a.plane_end; ++p) {
    const T* in = a.input + p * in_plane;
    T* out = a.output + p * out_plane;
    int64_t phased = 0;  // input rows [0, phased) are in buf (see max_forward)
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const int64_t h0 = oh * s.stride_h - s.pad_h;
      const int64_t hs = std::max<int64_t>(h0, 0), he = std::min(h0 + s.kernel_h, s.in_h);
      for (; phased < he; ++phased) phase_row<A>(in + phased * s.in_w, s.in_w, s.pad_w, g, T(0), buf + phased * row_elems);
      const T row_div = static_cast<T>(avg_extent(oh, s.stride_h, s.pad_h, s.kernel_h, s.in_h, a.count_include_pad));
      for (int64_t ow0 = 0; ow0 < g.OWr; ow0 += L) {
        B acc(T(0));
        for (int64_t ih = hs; ih < he; ++ih) {
          const T* row = buf + ih * row_elems + ow0;
          for (int64_t j = 0; j < s.kernel_w; ++j) {
            const auto ju = static_cast<size_t>(j);
            acc += B::load_unaligned(row + g.phase[ju] * g.Q + g.qoff[ju]);
          }
        }
        const B div = a.divisor_override != 0 ? B(static_cast<T>(a.divisor_override))
                                             : B(row_div) * B::load_unaligned(col_div + ow0);
        const B res = acc / div;
        T* orow = out + oh * s.out_w;
        const int64_t n = std::min(L, s.out_w - ow0);
        if (n == L) {
          res.store_unaligned(orow + ow0);
        } else {
          res.store_unaligned(tmp_val);
          std::copy(tmp_val, tmp_val + n, orow + ow0);
        }
      }
    }
  }
}

template <class A, typename T>
void avg_backward(const PoolArgs<T>& a) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const Pool2dShape& s = a.shape;
  const Layout g = make_layout(s, L, 1);
  const int64_t row_elems = g.S * g.Q;
  T* buf = row_scratch<T>(static_cast<size_t>(s.in_h * row_elems + 2 * g.OWr));
  T* col_div = buf + s.in_h * row_elems;
  T* grow = col_div + g.OWr;
  for (int64_t ow = 0; ow < g.OWr; ++ow)
    col_div[ow] = ow < s.out_w ? static_cast<T>(avg_extent(ow, s.stride_w, s.pad_w, s.kernel_w, s.in_w, a.count_include_pad))
                               : T(1);
  std::fill(grow + s.out_w, grow + g.OWr, T(0));
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;

  for (int64_t p = a.plane_begin; p < a.plane_end; ++p) {
    const T* gout = a.input + p * out_plane;
    T* gin = a.output + p * in_plane;
    std::fill(buf, buf + s.in_h * row_elems, T(0));
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const int64_t h0 = oh * s.stride_h - s.pad_h;
      const int64_t hs = std::max<int64_t>(h0, 0), he = std::min(h0 + s.kernel_h, s.in_h);
      const T row_div = static_cast<T>(avg_extent(oh, s.stride_h, s.pad_h, s.kernel_h, s.in_h, a.count_include_pad));
      std::copy(gout + oh * s.out_w, gout + (oh + 1) * s.out_w, grow);
      for (int64_t ow0 = 0; ow0 < g.OWr; ow0 += L) {
        const B div = a.divisor_override != 0 ? B(static_cast<T>(a.divisor_override))
                                             : B(row_div) * B::load_unaligned(col_div + ow0);
        const B gv = B::load_unaligned(grow + ow0) / div;
        for (int64_t ih = hs; ih < he; ++ih) {
          T* row = buf + ih * row_elems + ow0;
          for (int64_t j = 0; j < s.kernel_w; ++j) {
            const auto ju = static_cast<size_t>(j);
            T* d = row + g.phase[ju] * g.Q + g.qoff[ju];
            (B::load_unaligned(d) + gv).store_unaligned(d);
          }
        }
      }
    }
    for (int64_t ih = 0; ih < s.in_h; ++ih) unphase_row<A>(buf + ih * row_elems, s.in_w, s.pad_w, g, gin + ih * s.in_w);
  }
}


// ---- 2x2 windows, stride 2, no padding or dilation: dense kernels ------------------------------

// The dense kernels take every output column in vectors of L (the last one overlapping the one
// before when L does not divide out_w: outputs are independent, so computing some twice is
// harmless), and need windows that lie wholly inside the input (no ceil-mode remainder). Offsets
// inside a window are kept as T lanes (exact while in_w < 2^23), plane indices as int32.
template <int64_t L>
bool dense_2x2(const Pool2dShape& s) {
  return s.kernel_h == 2 && s.kernel_w == 2 && s.stride_h == 2 && s.stride_w == 2 && s.pad_h == 0 && s.pad_w == 0 &&
         s.dilation_h == 1 && s.dilation_w == 1 && s.out_w >= L && s.out_h >= 1 && 2 * s.out_w <= s.in_w &&
         2 * s.out_h <= s.in_h && s.in_w < (int64_t{1} << 23) &&
         s.in_h * s.in_w < (int64_t{1} << 31);
}

// Max forward. The reference scans (r0c0, r0c1, r1c0, r1c1) from -inf with
// take = v > best || isnan(v); starting from r0c0 instead is the same (-inf there leaves both the
// value and the first in-range position, which is r0c0).
template <class A, typename T, bool WantIdx>
void max_forward_2x2(const PoolArgs<T>& a) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const Pool2dShape& s = a.shape;
  const int64_t W = s.in_w, OW = s.out_w;
  const int64_t in_plane = s.in_h * W, out_plane = s.out_h * OW;
  const B c1(T(1)), cW(static_cast<T>(W)), cW1(static_cast<T>(W + 1));
  for (int64_t p = a.plane_begin; p < a.plane_end; ++p) {
    const T* in = a.input + p * in_plane;
    T* out = a.output + p * out_plane;
    int64_t* idx = WantIdx ? a.indices + p * out_plane : nullptr;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const T* r0 = in + 2 * oh * W;
      const T* r1 = r0 + W;
      for (int64_t ow0 = 0; ow0 < OW; ow0 += L) {
        const int64_t o = std::min(ow0, OW - L);
        B v00, v01, v10, v11;
        load_deinterleave(r0 + 2 * o, v00, v01);
        load_deinterleave(r1 + 2 * o, v10, v11);
        B best = v00, off(T(0));
        auto take = (v01 > best) | xsimd::isnan(v01);
        best = xsimd::select(take, v01, best);
        if constexpr (WantIdx) off = xsimd::select(take, c1, off);
        take = (v10 > best) | xsimd::isnan(v10);
        best = xsimd::select(take, v10, best);
        if constexpr (WantIdx) off = xsimd::select(take, cW, off);
        take = (v11 > best) | xsimd::isnan(v11);
        best = xsimd::select(take, v11, best);
        if constexpr (WantIdx) off = xsimd::select(take, cW1, off);
        best.store_unaligned(out + oh * OW + o);
        if constexpr (WantIdx) store_index(off, 2 * oh * W + 2 * o, 2, idx + oh * OW + o);
      }
    }
  }
}

// Rows and columns no window covers (floor mode on an odd size) get no gradient.
template <typename T>
inline void zero_uncovered(const Pool2dShape& s, T* gin) {
  const int64_t W = s.in_w;
  if (2 * s.out_w < W)
    for (int64_t ih = 0; ih < 2 * s.out_h; ++ih) std::fill(gin + ih * W + 2 * s.out_w, gin + (ih + 1) * W, T(0));
  std::fill(gin + 2 * s.out_h * W, gin + s.in_h * W, T(0));
}

// For the L saved indices at irow (outputs whose windows start at base + 2*l): bit masks (all
// ones or all zeros per lane) of "index = window start + offset" for the offsets 0, 1, W, W + 1,
// and whether every index is one of these (false for an index outside its window). In int lanes
// as wide as T: float lanes take the low and high halves of the int64 indices apart (x86 is
// little-endian), the high half must be 0 as the plane has fewer than 2^31 elements.
template <class A, typename T>
bool window_masks(const int64_t* irow, int64_t base, int64_t W, xsimd::batch<T, A>& m00, xsimd::batch<T, A>& m01,
                  xsimd::batch<T, A>& m10, xsimd::batch<T, A>& m11) {
  using B = xsimd::batch<T, A>;
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  using IB = xsimd::batch<I, A>;
  static_assert(IB::size == B::size);
  IB rel;
  auto valid = IB(I(0)) == IB(I(0));
  if constexpr (sizeof(T) == 4) {
    B lo, hi;
    load_deinterleave(reinterpret_cast<const float*>(irow), lo, hi);
    rel = xsimd::bitwise_cast<IB>(lo);
    valid = xsimd::bitwise_cast<IB>(hi) == IB(I(0));
  } else {
    rel = IB::load_unaligned(irow);
  }
  const IB iota = lane_iota<A, I>();
  rel -= IB(static_cast<I>(base)) + (iota + iota);
  const auto e00 = rel == IB(I(0)), e01 = rel == IB(I(1)), e10 = rel == IB(static_cast<I>(W)),
             e11 = rel == IB(static_cast<I>(W + 1));
  if (!xsimd::all(valid & (e00 | e01 | e10 | e11))) return false;
  m00 = xsimd::bitwise_cast<B>(xsimd::bitwise_cast(e00));
  m01 = xsimd::bitwise_cast<B>(xsimd::bitwise_cast(e01));
  m10 = xsimd::bitwise_cast<B>(xsimd::bitwise_cast(e10));
  m11 = xsimd::bitwise_cast<B>(xsimd::bitwise_cast(e11));
  return true;
}

// Max backward: each input element is in one window at most, so grad_input = 0 + grad_output
// where the saved index points at it, else 0 (the reference's zero fill and `+=`, in one store).
// Indices the forward cannot have produced (outside their window) send the plane to the scalar
// scatter, which handles anything.
template <class A, typename T>
void max_backward_2x2(const PoolArgs<T>& a) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const Pool2dShape& s = a.shape;
  const int64_t W = s.in_w, OW = s.out_w;
  const int64_t in_plane = s.in_h * W, out_plane = s.out_h * OW;
  const B zero(T(0));
  for (int64_t p = a.plane_begin; p < a.plane_end; ++p) {
    const T* gout = a.input + p * out_plane;
    const int64_t* idx = a.saved_indices + p * out_plane;
    T* gin = a.output + p * in_plane;
    bool ok = true;
    for (int64_t oh = 0; oh < s.out_h && ok; ++oh) {
      T* g0 = gin + 2 * oh * W;
      T* g1 = g0 + W;
      for (int64_t ow0 = 0; ow0 < OW; ow0 += L) {
        const int64_t o = std::min(ow0, OW - L);
        const int64_t* irow = idx + oh * OW + o;
        const int64_t base = 2 * oh * W + 2 * o;
        B m00, m01, m10, m11;
        if (!window_masks<A>(irow, base, W, m00, m01, m10, m11)) {
          ok = false;
          break;
        }
        const B g = zero + B::load_unaligned(gout + oh * OW + o);
        store_interleave(g0 + 2 * o, g & m00, g & m01);
        store_interleave(g1 + 2 * o, g & m10, g & m11);
      }
    }
    if (ok)
      zero_uncovered(s, gin);
    else
      reference::max_pool2d_backward(s, a.input, a.saved_indices, a.output, p, p + 1);
  }
}

// Average forward: ((0 + r0c0) + r0c1 + r1c0) + r1c1, then / divisor, the reference's order. The
// window is whole and unpadded: the divisor is 4 unless overridden.
template <class A, typename T>
void avg_forward_2x2(const PoolArgs<T>& a) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const Pool2dShape& s = a.shape;
  const int64_t W = s.in_w, OW = s.out_w;
  const int64_t in_plane = s.in_h * W, out_plane = s.out_h * OW;
  const B div(static_cast<T>(a.divisor_override != 0 ? a.divisor_override : 4));
  for (int64_t p = a.plane_begin; p < a.plane_end; ++p) {
    const T* in = a.input + p * in_plane;
    T* out = a.output + p * out_plane;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const T* r0 = in + 2 * oh * W;
      const T* r1 = r0 + W;
      for (int64_t ow0 = 0; ow0 < OW; ow0 += L) {
        const int64_t o = std::min(ow0, OW - L);
        B v00, v01, v10, v11;
        load_deinterleave(r0 + 2 * o, v00, v01);
        load_deinterleave(r1 + 2 * o, v10, v11);
        const B sum = (((B(T(0)) + v00) + v01) + v10) + v11;
        (sum / div).store_unaligned(out + oh * OW + o);
      }
    }
  }
}

// Average backward: each input element gets 0 + grad_output / divisor of its one window.
template <class A, typename T>
void avg_backward_2x2(const PoolArgs<T>& a) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const Pool2dShape& s = a.shape;
  const int64_t W = s.in_w, OW = s.out_w;
  const int64_t in_plane = s.in_h * W, out_plane = s.out_h * OW;
  const B div(static_cast<T>(a.divisor_override != 0 ? a.divisor_override : 4));
  for (int64_t p = a.plane_begin; p < a.plane_end; ++p) {
    const T* gout = a.input + p * out_plane;
    T* gin = a.output + p * in_plane;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      T* g0 = gin + 2 * oh * W;
      for (int64_t ow0 = 0; ow0 < OW; ow0 += L) {
        const int64_t o = std::min(ow0, OW - L);
        const B g = B(T(0)) + B::load_unaligned(gout + oh * OW + o) / div;
        store_interleave(g0 + 2 * o, g, g);
        store_interleave(g0 + W + 2 * o, g, g);
      }
    }
    zero_uncovered(s, gin);
  }
}

}  // namespace pool_detail
}  // namespace

namespace {
namespace pool_detail {

// The next narrower arch whose helpers this translation unit has (void for SSE2). A row of
// out_w outputs narrower than a vector of A runs the dense 2x2 kernels with the widest arch
// whose vector fits it (14-wide rows, LeNet's first pool: 8 lanes plus an overlapping 8 instead
// of AVX-512's phased path; 5-wide: 4 lanes plus 4): the same per-lane arithmetic, so the same
// bits, for every width.
template <class A>
struct narrower_arch {
  using type = void;
};
#if defined(XGRAD_ISA_AVX512F)
template <>
struct narrower_arch<xsimd::avx512f> {
  using type = xsimd::fma3<xsimd::avx2>;
};
#endif
#if defined(XGRAD_ISA_AVX512F) || defined(XGRAD_ISA_AVX2)
template <>
struct narrower_arch<xsimd::fma3<xsimd::avx2>> {
  using type = xsimd::sse2;
};
#endif

// Runs args with the dense 2x2 kernels of A or of a narrower arch; false when no width fits.
template <class A, typename T>
bool run_dense(const PoolArgs<T>& args) {
  if (dense_2x2<static_cast<int64_t>(xsimd::batch<T, A>::size)>(args.shape)) {
    switch (args.op) {
      case PoolOp::kMaxForward:
        if (args.indices != nullptr)
          max_forward_2x2<A, T, true>(args);
        else
          max_forward_2x2<A, T, false>(args);
        return true;
      case PoolOp::kMaxBackward:
        max_backward_2x2<A, T>(args);
        return true;
      case PoolOp::kAvgForward:
        avg_forward_2x2<A, T>(args);
        return true;
      case PoolOp::kAvgBackward:
        avg_backward_2x2<A, T>(args);
        return true;
    }
  }
  using N = typename narrower_arch<A>::type;
  if constexpr (!std::is_void_v<N>)
    return run_dense<N, T>(args);
  else
    return false;
}

}  // namespace pool_detail
}  // namespace

template <class Arch, typename T>
void PoolKernel::operator()(Arch, const PoolArgs<T>& args) const {
  if (pool_detail::run_dense<Arch, T>(args)) return;
  switch (args.op) {
    case PoolOp::kMaxForward:
      if (args.indices != nullptr)
        pool_detail::max_forward_any<Arch, T, true>(args);
      else
        pool_detail::max_forward_any<Arch, T, false>(args);
      break;
    case PoolOp::kMaxBackward:
      reference::max_pool2d_backward(args.shape, args.input, args.saved_indices, args.output, args.plane_begin,
                                     args.plane_end);
      break;
    case PoolOp::kAvgForward:
      pool_detail::avg_forward<Arch, T>(args);
      break;
    case PoolOp::kAvgBackward:
      pool_detail::avg_backward<Arch, T>(args);
      break;
  }
}

template void PoolKernel::operator()<isa_arch, float>(isa_arch, const PoolArgs<float>&) const;
template void PoolKernel::operator()<isa_arch, double>(isa_arch, const PoolArgs<double>&) const;

}  // namespace xgrad::kernels
