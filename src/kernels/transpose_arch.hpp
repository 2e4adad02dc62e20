#pragma once
// Register transposes of one vector-width square block, for the per-ISA kernel files: the conv
// gather tiles' transposed store and matrix transposes (conv_arch.cpp) and the batch-lane
// Winograd path's layout changes (conv_batch_winograd_arch.cpp); and pair interleaves (the
// stride-2 grad-input's column phases). Each specialization is compiled only in the file
// built for its ISA (XGRAD_ISA_*, src/kernels/meson.build).
//
// Internal linkage, as gemm_impl.hpp: each ISA keeps its own copy.

#include <xsimd/xsimd.hpp>

#include <immintrin.h>

#include <cstdint>

namespace xgrad::kernels {
namespace {

// Transposes of a W x W block (W = the vector width): rows `src[i * lds]` (i < W, W elements
// each, any alignment) become columns stored at `dst[j * ldd]` (j < ncols). `run` stores each
// plus bias[j] (0 without a bias, so every element is stored as `value + bias`, as the scalar
// rows of the gather store are); `copy` stores the values themselves (-0.0 stays -0.0). Only
// where a register transpose exists (`available`); other ISAs and double use scalar loops.
template <class Arch, typename T>
struct BlockTranspose {
  static constexpr bool available = false;
  static void run(const T*, int64_t, T*, int64_t, const T*, int64_t) {}
  static void copy(const T*, int64_t, T*, int64_t, int64_t) {}
};
// The two entry points of a register transpose `Impl::transpose<add_bias>`.
template <class Impl, typename T>
struct TransposeCalls {
  static constexpr bool available = true;
  static void run(const T* src, int64_t lds, T* dst, int64_t ldd, const T* bias, int64_t ncols) {
    Impl::template transpose<true>(src, lds, dst, ldd, bias, ncols);
  }
  static void copy(const T* src, int64_t lds, T* dst, int64_t ldd, int64_t ncols) {
    Impl::template transpose<false>(src, lds, dst, ldd, nullptr, ncols);
  }
};
// Each only in the file compiled for its ISA (the only one that instantiates it).
#if defined(XGRAD_ISA_AVX512F)
template <>
struct BlockTranspose<xsimd::avx512f, float> : TransposeCalls<BlockTranspose<xsimd::avx512f, float>, float> {
  // The all-lanes masked forms: GCC 12's unmasked ones pass an "undefined" register that
  // -Wmaybe-uninitialized reports; with a full mask the instruction is the same.
  static constexpr __mmask16 kAll16 = 0xFFFF;
  static constexpr __mmask8 kAll8 = 0xFF;
  template <bool kAddBias>
  static void transpose(const float* src, int64_t lds, float* dst, int64_t ldd, const float* bias, int64_t ncols) {
    __m512 r[16], t[16], u[16], c[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * lds);
    // Pairs of rows interleaved, then pairs of pairs: u[4g + k] holds, in 128-bit lane l,
    // column 4l + k of rows 4g .. 4g + 3.
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      t[2 * k] = _mm512_maskz_unpacklo_ps(kAll16, r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm512_maskz_unpackhi_ps(kAll16, r[2 * k], r[2 * k + 1]);
    }
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) {
      const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
      const __m512d p = _mm512_castps_pd(t[4 * g + 2]), q = _mm512_castps_pd(t[4 * g + 3]);
      u[4 * g] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(kAll8, a, p));
      u[4 * g + 1] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(kAll8, a, p));
      u[4 * g + 2] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(kAll8, b, q));
      u[4 * g + 3] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(kAll8, b, q));
    }
    // Column 4l + k gathers lane l of u[k], u[4 + k], u[8 + k], u[12 + k].
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      const __m512 x0 = _mm512_maskz_shuffle_f32x4(kAll16, u[k], u[4 + k], 0x44), x1 = _mm512_maskz_shuffle_f32x4(kAll16, u[k], u[4 + k], 0xEE);
      const __m512 y0 = _mm512_maskz_shuffle_f32x4(kAll16, u[8 + k], u[12 + k], 0x44),
                   y1 = _mm512_maskz_shuffle_f32x4(kAll16, u[8 + k], u[12 + k], 0xEE);
      c[k] = _mm512_maskz_shuffle_f32x4(kAll16, x0, y0, 0x88);
      c[4 + k] = _mm512_maskz_shuffle_f32x4(kAll16, x0, y0, 0xDD);
      c[8 + k] = _mm512_maskz_shuffle_f32x4(kAll16, x1, y1, 0x88);
      c[12 + k] = _mm512_maskz_shuffle_f32x4(kAll16, x1, y1, 0xDD);
    }
    for (int64_t j = 0; j < ncols; ++j)
      if constexpr (kAddBias)
        _mm512_storeu_ps(dst + j * ldd, _mm512_add_ps(c[j], _mm512_set1_ps(bias != nullptr ? bias[j] : 0.0f)));
      else
        _mm512_storeu_ps(dst + j * ldd, c[j]);
  }
};
#endif
#if defined(XGRAD_ISA_AVX2)
template <>
struct BlockTranspose<xsimd::fma3<xsimd::avx2>, float>
    : TransposeCalls<BlockTranspose<xsimd::fma3<xsimd::avx2>, float>, float> {
  template <bool kAddBias>
  static void transpose(const float* src, int64_t lds, float* dst, int64_t ldd, const float* bias, int64_t ncols) {
    __m256 r[8], t[8], u[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      t[2 * k] = _mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
#pragma GCC unroll 2
    for (int g = 0; g < 2; ++g) {
      const __m256d a = _mm256_castps_pd(t[4 * g]), b = _mm256_castps_pd(t[4 * g + 1]);
      const __m256d p = _mm256_castps_pd(t[4 * g + 2]), q = _mm256_castps_pd(t[4 * g + 3]);
      u[4 * g] = _mm256_castpd_ps(_mm256_unpacklo_pd(a, p));
      u[4 * g + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(a, p));
      u[4 * g + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(b, q));
      u[4 * g + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(b, q));
    }
    // Column 4l + k is lane l of u[k] and of u[4 + k].
    __m256 c[8];
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      c[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
      c[4 + k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
    }
    for (int64_t j = 0; j < ncols; ++j)
      if constexpr (kAddBias)
        _mm256_storeu_ps(dst + j * ldd, _mm256_add_ps(c[j], _mm256_set1_ps(bias != nullptr ? bias[j] : 0.0f)));
      else
        _mm256_storeu_ps(dst + j * ldd, c[j]);
  }
};
#endif

// Interleaves of two rows: out[2k] = even[k], out[2k + 1] = odd[k] for k < W (the vector
// width), where a register shuffle exists (`available`): the stride-2 grad-input's column
// phases merged into dX rows (conv_arch.cpp).
template <class Arch, typename T>
struct PairInterleave {
  static constexpr bool available = false;
  static void run(const T*, const T*, T*) {}
};
#if defined(XGRAD_ISA_AVX512F)
template <>
struct PairInterleave<xsimd::avx512f, float> {
  static constexpr bool available = true;
  static void run(const float* even, const float* odd, float* out) {
    constexpr __mmask16 kAll16 = 0xFFFF;  // the masked form, as BlockTranspose
    const __m512 e = _mm512_loadu_ps(even), o = _mm512_loadu_ps(odd);
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    _mm512_storeu_ps(out, _mm512_maskz_permutex2var_ps(kAll16, e, lo, o));
    _mm512_storeu_ps(out + 16, _mm512_maskz_permutex2var_ps(kAll16, e, hi, o));
  }
};
#endif
#if defined(XGRAD_ISA_AVX2)
template <>
struct PairInterleave<xsimd::fma3<xsimd::avx2>, float> {
  static constexpr bool available = true;
  static void run(const float* even, const float* odd, float* out) {
    const __m256 e = _mm256_loadu_ps(even), o = _mm256_loadu_ps(odd);
    const __m256 lo = _mm256_unpacklo_ps(e, o), hi = _mm256_unpackhi_ps(e, o);  // within 128-bit halves
    _mm256_storeu_ps(out, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(out + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
  }
};
#endif

}  // namespace
}  // namespace xgrad::kernels
