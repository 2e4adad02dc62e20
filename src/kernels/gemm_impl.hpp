#pragma once
// The packed, cache-blocked GEMM (BLIS structure), templated on the xsimd architecture.
// Included only by gemm_arch.cpp, which is compiled once per ISA with that ISA's flags.
//
//   for jc in steps of NC (columns of C)              B block: KC x NC, in L3
//     for pc in steps of KC (depth)                    pack B block into NR-wide panels
//       for ic in steps of MC (rows of C), parallel    pack A block (MC x KC) into MR-high panels, in L2
//         for jr, ir: micro-kernel MR x NR             one KC-long rank-1 update chain in registers
//
// The micro-kernel keeps an MR x NR tile of C in registers (6 x 16 floats on AVX2: 12 ymm
// accumulators), streaming one column of the A panel (broadcast) and one row of the B panel
// (two vectors) per step. Edge tiles compute into a padded local tile (packing pads with
// zeros), so odd sizes take the same arithmetic path as full tiles.

#include "kernels/gemm.hpp"
#include "kernels/parallel.hpp"
#include "kernels/scratch.hpp"

#include <xgrad/parallel.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>

namespace xgrad::kernels {
// Internal linkage: every ISA's translation unit gets its own copy of these helpers. With
// external linkage the linker would keep one copy of each inline function for the whole
// library, possibly the AVX-512 one, and run it on a CPU without AVX-512.
namespace {
namespace gemm_detail {

template <typename T, int MR>
void pack_a(const GemmArgs<T>& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* dst) {
  // dst: ceil(mc / MR) panels, each kc x MR (column p of the panel is MR consecutive values).
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t mr = std::min<int64_t>(MR, mc - ir);
    T* panel = dst + ir * kc;
    if (g.trans_a) {  // A stored k x m: row p holds op(A)(:, p) contiguously
      for (int64_t p = 0; p < kc; ++p) {
        const T* src = g.a + (p0 + p) * g.lda + i0 + ir;
        int64_t i = 0;
        for (; i < mr; ++i) panel[p * MR + i] = src[i];
        for (; i < MR; ++i) panel[p * MR + i] = T(0);
      }
    } else {
      int64_t i = 0;
      for (; i < mr; ++i) {
        const T* src = g.a + (i0 + ir + i) * g.lda + p0;
        for (int64_t p = 0; p < kc; ++p) panel[p * MR + i] = src[p];
      }
      for (; i < MR; ++i)
        for (int64_t p = 0; p < kc; ++p) panel[p * MR + i] = T(0);
    }
  }
}

template <typename T, int NR>
void pack_b_panel(const GemmArgs<T>& g, int64_t p0, int64_t kc, int64_t j0, int64_t nr, T* panel) {
  // panel: kc x NR, row p holds op(B)(p0 + p, j0 .. j0 + NR).
  if (!g.trans_b) {
    for (int64_t p = 0; p < kc; ++p) {
      const T* src = g.b + (p0 + p) * g.ldb + j0;
      if (nr == NR) {
        std::memcpy(panel + p * NR, src, sizeof(T) * NR);
      } else {
        int64_t j = 0;
        for (; j < nr; ++j) panel[p * NR + j] = src[j];
        for (; j < NR; ++j) panel[p * NR + j] = T(0);
      }
    }
  } else {  // B stored n x k: op(B)(p, j) = b[j * ldb + p]
    int64_t j = 0;
    for (; j < nr; ++j) {
      const T* src = g.b + (j0 + j) * g.ldb + p0;
      for (int64_t p = 0; p < kc; ++p) panel[p * NR + j] = src[p];
    }
    for (; j < NR; ++j)
      for (int64_t p = 0; p < kc; ++p) panel[p * NR + j] = T(0);
  }
}

// C tile (MR x NR at c, row stride ldc) = alpha * acc + beta * C + bias.
// bias_row: MR values (one per row) or null; bias_col: NR values (one per column) or null.
template <class Arch, typename T, int MR, int NV>
inline void store_tile(const xsimd::batch<T, Arch> (&acc)[MR][NV], T* c, int64_t ldc, T alpha, T beta,
                       const T* bias_row, const T* bias_col) {
  using B = xsimd::batch<T, Arch>;
  constexpr int W = static_cast<int>(B::size);
  const B va(alpha);
  const B vb(beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      B r = acc[i][v] * va;
      T* dst = c + i * ldc + v * W;
      if (beta != T(0)) r = xsimd::fma(vb, B::load_unaligned(dst), r);
      if (bias_row != nullptr) r += B(bias_row[i]);
      if (bias_col != nullptr) r += B::load_unaligned(bias_col + v * W);
      r.store_unaligned(dst);
    }
  }
}

// One MR x NR tile: acc = sum_p a_panel(:, p) * b_panel(p, :), then the epilogue.
template <class Arch, typename T, int MR, int NV>
inline void micro_kernel(int64_t kc, const T* __restrict pa, const T* __restrict pb, T* c, int64_t ldc, int64_t mr,
                         int64_t nr, T alpha, T beta, const T* bias_row, const T* bias_col) {
  using B = xsimd::batch<T, Arch>;
  constexpr int W = static_cast<int>(B::size);
  constexpr int NR = NV * W;
  B acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = B(T(0));

  for (int64_t p = 0; p < kc; ++p) {
    B bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = B::load_aligned(pb + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const B av(pa[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = xsimd::fma(av, bv[v], acc[i][v]);
    }
    pa += MR;
    pb += NR;
  }

  if (mr == MR && nr == NR) {
    store_tile<Arch, T, MR, NV>(acc, c, ldc, alpha, beta, bias_row, bias_col);
    return;
  }
  // Edge tile: run the same epilogue on a padded copy, then write back the valid part.
  alignas(64) T tile[MR * NR];
  alignas(64) T brow[MR];
  alignas(64) T bcol[NR];
  if (beta != T(0)) {
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t j = 0; j < nr; ++j) tile[i * NR + j] = c[i * ldc + j];
  }
  if (bias_row != nullptr)
    for (int64_t i = 0; i < MR; ++i) brow[i] = i < mr ? bias_row[i] : T(0);
  if (bias_col != nullptr)
    for (int64_t j = 0; j < NR; ++j) bcol[j] = j < nr ? bias_col[j] : T(0);
  if (beta != T(0)) {
    for (int64_t i = 0; i < MR; ++i)
      for (int64_t j = 0; j < NR; ++j)
        if (i >= mr || j >= nr) tile[i * NR + j] = T(0);
  }
  store_tile<Arch, T, MR, NV>(acc, tile, NR, alpha, beta, bias_row ? brow : nullptr, bias_col ? bcol : nullptr);
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) c[i * ldc + j] = tile[i * NR + j];
}

// Degenerate products (k == 0 or alpha == 0): C = beta * C + bias.
template <typename T>
void scale_and_bias(const GemmArgs<T>& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      T v = g.beta == T(0) ? T(0) : g.beta * g.c[i * g.ldc + j];
      if (g.bias != nullptr && g.bias_kind == Bias::kPerRow) v += g.bias[i];
      if (g.bias != nullptr && g.bias_kind == Bias::kPerCol) v += g.bias[j];
      g.c[i * g.ldc + j] = v;
    }
  }
}

template <class Arch, typename T>
void gemm(const GemmArgs<T>& g) {
  using B = xsimd::batch<T, Arch>;
  constexpr int MR = 6;
  constexpr int NV = 2;
  constexpr int NR = NV * static_cast<int>(B::size);
  static_assert(kGemmMC % MR == 0 && kGemmNC % NR == 0);

  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0 || g.alpha == T(0)) {
    scale_and_bias(g);
    return;
  }

  const int64_t nc_max = std::min<int64_t>(kGemmNC, (g.n + NR - 1) / NR * NR);
  const int64_t kc_max = std::min<int64_t>(kGemmKC, g.k);
  thread_local Scratch<T> b_scratch;
  T* bpack = b_scratch.get(static_cast<size_t>(nc_max * kc_max), "gemm");

  for (int64_t jc = 0; jc < g.n; jc += kGemmNC) {
    const int64_t nc = std::min<int64_t>(kGemmNC, g.n - jc);
    const int64_t n_panels = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < g.k; pc += kGemmKC) {
      const int64_t kc = std::min<int64_t>(kGemmKC, g.k - pc);
      // The first depth block applies the caller's beta and the bias; later ones accumulate.
      const T beta = pc == 0 ? g.beta : T(1);
      const bool with_bias = pc == 0 && g.bias != nullptr && g.bias_kind != Bias::kNone;

      // Pack B in groups of panels (disjoint writes).
      constexpr int64_t kPanelsPerTask = 16;
      parallel_for((n_panels + kPanelsPerTask - 1) / kPanelsPerTask, [&](int64_t t) {
        const int64_t first = t * kPanelsPerTask;
        const int64_t last = std::min(n_panels, first + kPanelsPerTask);
        for (int64_t jp = first; jp < last; ++jp) {
          const int64_t j0 = jp * NR;
          pack_b_panel<T, NR>(g, pc, kc, jc + j0, std::min<int64_t>(NR, nc - j0), bpack + jp * NR * kc);
        }
      });

      // Row blocks of C. When there are fewer row blocks than threads, also split columns;
      // either way an element of C sees the same operations, so the split cannot change bits.
      // A serial call (one thread, or inside another parallel task, e.g. Winograd's blocks)
      // does not split: every split packs the A block again.
      const int64_t m_blocks = (g.m + kGemmMC - 1) / kGemmMC;
      const int64_t n_split = m_blocks >= 4 || in_parallel_region() || xgrad::get_num_threads() <= 1 ? 1 : std::min<int64_t>(4, n_panels);
      const int64_t panels_per_split = (n_panels + n_split - 1) / n_split;
      parallel_for(m_blocks * n_split, [&](int64_t task) {
        const int64_t ib = task / n_split;
        const int64_t js = task % n_split;
        const int64_t ic = ib * kGemmMC;
        const int64_t mc = std::min<int64_t>(kGemmMC, g.m - ic);
        const int64_t jp_begin = js * panels_per_split;
        const int64_t jp_end = std::min(n_panels, jp_begin + panels_per_split);
        if (jp_begin >= jp_end) return;
        thread_local Scratch<T> a_scratch;
        T* apack = a_scratch.get(static_cast<size_t>((kGemmMC + MR) * kGemmKC), "gemm");
        pack_a<T, MR>(g, ic, mc, pc, kc, apack);
        for (int64_t jp = jp_begin; jp < jp_end; ++jp) {
          const int64_t j0 = jp * NR;
          const int64_t nr = std::min<int64_t>(NR, nc - j0);
          const T* pb = bpack + jp * NR * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min<int64_t>(MR, mc - ir);
            const int64_t row = ic + ir;
            const int64_t col = jc + j0;
            const T* bias_row = with_bias && g.bias_kind == Bias::kPerRow ? g.bias + row : nullptr;
            const T* bias_col = with_bias && g.bias_kind == Bias::kPerCol ? g.bias + col : nullptr;
            micro_kernel<Arch, T, MR, NV>(kc, apack + ir * kc, pb, g.c + row * g.ldc + col, g.ldc, mr, nr, g.alpha,
                                          beta, bias_row, bias_col);
          }
        }
      });
    }
  }
}

}  // namespace gemm_detail
}  // namespace

template <class Arch>
double FmaPeakKernel::operator()(Arch, int64_t iterations) const {
  using B = xsimd::batch<float, Arch>;
  constexpr int kChains = 12;
  B acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = B(0.001f * static_cast<float>(i));
  const B a(0.9999f), b(0.0001f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = xsimd::fma(acc[i], a, b);
  }
  // Keep the result alive so the loop is not removed.
  B sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum += acc[i];
  // (xsimd 8.1's hadd for avx512f needs AVX512-DQ, so reduce through memory.)
  alignas(64) float lanes[B::size];
  sum.store_aligned(lanes);
  volatile float sink = lanes[0];
  (void)sink;
  return 2.0 * kChains * static_cast<double>(B::size) * static_cast<double>(iterations);
}

template <class Arch, typename T>
void GemmKernel::operator()(Arch, const GemmArgs<T>& args) const {
  gemm_detail::gemm<Arch, T>(args);
}

}  // namespace xgrad::kernels
