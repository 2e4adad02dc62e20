// The implicit-GEMM convolution tiles (conv_tile.hpp) for one instruction set: this file is
// compiled once per ISA (src/kernels/meson.build).
#include "kernels/conv_tile.hpp"
#include "kernels/isa.hpp"
#include "kernels/transpose_arch.hpp"

#include <xsimd/xsimd.hpp>

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace xgrad::kernels {
// Internal linkage, for the same reason as gemm_impl.hpp: each ISA keeps its own copy.
namespace {
namespace conv_tile_detail {

constexpr int MR = kConvTileRows;


// acc[r][v] += sum over d in [d0, d1), in order, of rows[r][off[d]] * panel[d * NR + v * W ..]:
// the gather tile's depth loop (one FMA chain per accumulator).
template <class B, int NV, typename T>
[[gnu::always_inline]] inline void gather_depth(B (&acc)[MR][NV], const T* const (&rows)[MR], const int32_t* off,
                                                const T* panel, int64_t d0, int64_t d1) {
  constexpr int W = static_cast<int>(B::size);
  constexpr int NR = NV * W;
  const T* pb = panel + d0 * NR;
  for (int64_t d = d0; d < d1; ++d) {
    const int64_t o = off[d];
    B bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) bv[v] = B::load_aligned(pb + v * W);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const B av(rows[r][o]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
    }
    pb += NR;
  }
}

template <class Arch, typename T, int NV>
void gather(const GatherTileArgs<T>& a) {
  using B = xsimd::batch<T, Arch>;
  constexpr int W = static_cast<int>(B::size);
  constexpr int NR = NV * W;
  alignas(64) T tile[MR * NR];
  // A transposed store into consecutive positions (the forward's output planes) goes through a
  // chunk of KC rows and leaves it in W x W register transposes: column j of the chunk becomes
  // vector stores into output row j. Storing each tile's 6 x 16 values one float at a time
  // (a scalar load, add and store each) cost LeNet's conv2 forward about a sixth of its time.
  using Transpose = BlockTranspose<Arch, T>;
  constexpr int KC = 48;  // whole tiles (6 rows) and whole transposes (W = 4, 8 or 16 rows)
  static_assert(KC % MR == 0 && KC % W == 0);
  const bool chunked = Transpose::available && a.transpose_out && a.out_off == nullptr;
  alignas(64) T chunk[Transpose::available ? KC * NR : 1];
  const auto flush = [&](int64_t c0, int64_t c1) {
    const int64_t rows = c1 - c0;
    int64_t rb = 0;
    for (; rb + W <= rows; rb += W)
      for (int v = 0; v < NV; ++v) {
        const int64_t ncols = std::min<int64_t>(W, a.nr - v * W);
        if (ncols > 0)
          Transpose::run(chunk + rb * NR + v * W, NR, a.out + v * W * a.ldo + c0 + rb, a.ldo,
                         a.bias != nullptr ? a.bias + v * W : nullptr, ncols);
      }
    for (int64_t j = 0; j < a.nr; ++j) {
      const T b = a.bias != nullptr ? a.bias[j] : T(0);
      T* dst = a.out + j * a.ldo + c0;
      for (int64_t r = rb; r < rows; ++r) dst[r] = chunk[r * NR + j] + b;
    }
  };

  // A panel larger than a third of L1 (1x1 256 -> 64: 256 taps x 32 channels, 32 KiB; 3x3
  // 64 -> 128: 72 KiB) competes with the image lines for L1, or streams from L2, once per 6-row
  // tile. Through the chunk, the depth runs in blocks of KB taps (16 KiB of panel) over the
  // chunk's 8 tiles, the partial sums parked in the chunk between blocks: each panel block is
  // read once per 8 tiles. The chain of each accumulator is unchanged (the same FMAs in the same
  // order, stored and reloaded exactly), so the bits are the same. Zen 5, AVX-512, 1 thread:
  // the 1x1 forward 1.00-1.07 -> 0.92-0.98 ms; 24 KiB blocks gained less there and lost 3 % on
  // the stride-2 3x3, which 16 KiB blocks leave level within the noise (medians of five runs
  // 4.61 against 4.57 ms).
  constexpr int64_t KB = 16384 / (NR * static_cast<int64_t>(sizeof(T)));
  const int64_t nruns = a.run > 0 ? a.depth / a.run : 0;
  // (The one-vector halves tile below is never blocked: its panel is at most a third as wide.)
  const bool halves = NV == 1 && a.run_step == 1 && (a.run == 3 || a.run == 5) && a.depth % a.run == 0 &&
                      nruns % 2 == 0 && nruns > 0;
  if constexpr (Transpose::available) {
    if (chunked && !halves && a.depth > KB) {
      for (int64_t c0 = 0; c0 < a.m; c0 += KC) {
        const int64_t c1 = std::min<int64_t>(c0 + KC, a.m);
        for (int64_t d0 = 0; d0 < a.depth; d0 += KB) {
          const int64_t d1 = std::min<int64_t>(a.depth, d0 + KB);
          for (int64_t r0 = c0; r0 < c1; r0 += MR) {
            const int64_t mr = std::min<int64_t>(MR, a.m - r0);
            const T* rows[MR];
            for (int r = 0; r < MR; ++r) rows[r] = a.base + a.row_off[r0 + (r < mr ? r : 0)];
            T* part = chunk + (r0 - c0) * NR;  // this tile's rows of the chunk
            B acc[MR][NV];
#pragma GCC unroll 6
            for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
              for (int v = 0; v < NV; ++v) acc[r][v] = d0 == 0 ? B(T(0)) : B::load_aligned(part + r * NR + v * W);
            gather_depth<B, NV>(acc, rows, a.depth_off, a.panel, d0, d1);
#pragma GCC unroll 6
            for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
              for (int v = 0; v < NV; ++v) acc[r][v].store_aligned(part + r * NR + v * W);
          }
        }
        flush(c0, c1);
      }
      return;
    }
  }

  for (int64_t r0 = 0; r0 < a.m; r0 += MR) {
    const int64_t mr = std::min<int64_t>(MR, a.m - r0);
    // Rows past m repeat row 0 (valid addresses); their results are dropped.
    const T* rows[MR];
    for (int r = 0; r < MR; ++r) rows[r] = a.base + a.row_off[r0 + (r < mr ? r : 0)];

    B acc[MR][NV];
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = B(T(0));

    const T* pb = a.panel;
    const int32_t* off = a.depth_off;
    // A one-vector tile (16 output channels on AVX-512: LeNet's conv2) has 6 FMA chains, too
    // few to hide the FMA latency on two pipes, and loads, not FMAs, bound it (two per cycle on
    // a full-width AVX-512 EPYC: 8 per 6 FMAs with the offset loads). Where the depth is whole
    // runs of 3 or 5 consecutive offsets (a kernel row's taps), its first and second halves are
    // summed side by side into two sets of accumulators, added at the end, reading one offset
    // per run and unrolled over the run: 12 chains, 14 loads per 12 FMAs; LeNet's conv2 forward
    // 0.87-0.91 -> 0.77 ms. Each element still has one fixed order of operations (whatever the
    // rows, the tile or the thread).
    if (halves) {
      B acc2[MR];
#pragma GCC unroll 6
      for (int r = 0; r < MR; ++r) acc2[r] = B(T(0));
      const int64_t half = nruns / 2;
      auto run_pair = [&]<int RUN>(std::integral_constant<int, RUN>) {
        for (int64_t k = 0; k < half; ++k) {
          const int64_t d = k * RUN, d2 = (half + k) * RUN;
          const int64_t o = off[d], o2 = off[d2];
          const T* p = pb + d * NR;
          const T* p2 = pb + d2 * NR;
#pragma GCC unroll 8
          for (int t = 0; t < RUN; ++t) {
            const B b0 = B::load_aligned(p + t * NR), b1 = B::load_aligned(p2 + t * NR);
#pragma GCC unroll 6
            for (int r = 0; r < MR; ++r) {
              acc[r][0] = xsimd::fma(B(rows[r][o + t]), b0, acc[r][0]);
              acc2[r] = xsimd::fma(B(rows[r][o2 + t]), b1, acc2[r]);
            }
          }
        }
      };
      if (a.run == 5)
        run_pair(std::integral_constant<int, 5>{});
      else
        run_pair(std::integral_constant<int, 3>{});
#pragma GCC unroll 6
      for (int r = 0; r < MR; ++r) acc[r][0] += acc2[r];
    } else {
      gather_depth<B, NV>(acc, rows, off, pb, 0, a.depth);
    }

    if (!a.transpose_out) {
      if (mr == MR && a.nr == NR) {
#pragma GCC unroll 6
        for (int r = 0; r < MR; ++r) {
          T* dst = a.out + (r0 + r) * a.ldo;
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) {
            B res = acc[r][v];
            if (a.accumulate) res += B::load_unaligned(dst + v * W);
            res.store_unaligned(dst + v * W);
          }
        }
        continue;
      }
      for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) acc[r][v].store_aligned(tile + r * NR + v * W);
      for (int64_t r = 0; r < mr; ++r) {
        T* dst = a.out + (r0 + r) * a.ldo;
        const T* src = tile + r * NR;
        if (a.accumulate) {
          for (int64_t j = 0; j < a.nr; ++j) dst[j] += src[j];
        } else {
          for (int64_t j = 0; j < a.nr; ++j) dst[j] = src[j];
        }
      }
      continue;
    }

    if constexpr (Transpose::available) {
      if (chunked) {
        const int64_t c0 = r0 / KC * KC;
#pragma GCC unroll 6
        for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) acc[r][v].store_aligned(chunk + (r0 - c0 + r) * NR + v * W);
        if (r0 + MR >= a.m || (r0 + MR) % KC == 0) flush(c0, std::min<int64_t>(c0 + KC, a.m));
        continue;
      }
    }

    // Transposed store: column j of the tile is mr consecutive elements of output row j.
    for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) acc[r][v].store_aligned(tile + r * NR + v * W);
    if (a.out_off != nullptr) {
      const int32_t* oo = a.out_off + r0;
      for (int64_t j = 0; j < a.nr; ++j) {
        const T b = a.bias != nullptr ? a.bias[j] : T(0);
        T* dst = a.out + j * a.ldo;
        for (int64_t r = 0; r < mr; ++r) dst[oo[r]] = tile[r * NR + j] + b;
      }
      continue;
    }
    for (int64_t j = 0; j < a.nr; ++j) {
      const T b = a.bias != nullptr ? a.bias[j] : T(0);
      T* dst = a.out + j * a.ldo + r0;
      for (int64_t r = 0; r < mr; ++r) dst[r] = tile[r * NR + j] + b;
    }
  }
}

template <class Arch, typename T>
void shift(const ShiftTileArgs<T>& a) {
  using B = xsimd::batch<T, Arch>;
  constexpr int W = static_cast<int>(B::size);
  constexpr int NV = 2;
  constexpr int NR = NV * W;
  alignas(64) T tile[MR * NR];

  for (int64_t o0 = 0; o0 < a.m; o0 += MR) {
    const int64_t mr = std::min<int64_t>(MR, a.m - o0);
    const T* panel = a.apack + (o0 / MR) * a.depth * MR;
    T brow[MR];
    for (int r = 0; r < MR; ++r) brow[r] = a.bias != nullptr && r < mr ? a.bias[o0 + r] : T(0);

    for (int64_t q = a.q_begin; q < a.q_end; q += NR) {
      B acc[MR][NV];
#pragma GCC unroll 6
      for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[r][v] = B(T(0));

      const T* img = a.image + q;
      const T* pa = panel;
      const int32_t* off = a.depth_off;
      for (int64_t d = 0; d < a.depth; ++d) {
        const T* src = img + off[d];
        B bv[NV];
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) bv[v] = B::load_unaligned(src + v * W);
#pragma GCC unroll 6
        for (int r = 0; r < MR; ++r) {
          const B av(pa[r]);
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
        }
        pa += MR;
      }

      // Where the NR positions fall in the output: one row's valid columns (the common case for
      // wide images) or across the end of a row (then copy segment by segment).
      const int64_t q_stop = std::min<int64_t>(q + NR, a.q_end);
      const int64_t oh = q / a.wp, ow = q % a.wp;
      if (q_stop - q == NR && ow + NR <= a.wo) {
        for (int64_t r = 0; r < mr; ++r) {
          T* dst = a.out + (o0 + r) * a.ldo + oh * a.wo + ow;
          const B b(brow[r]);
          for (int v = 0; v < NV; ++v) (acc[r][v] + b).store_unaligned(dst + v * W);
        }
        continue;
      }
      for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) acc[r][v].store_aligned(tile + r * NR + v * W);
      for (int64_t qq = q; qq < q_stop;) {
        const int64_t row = qq / a.wp, col = qq % a.wp;
        if (col >= a.wo) {  // padding columns of the extended grid
          qq = (row + 1) * a.wp;
          continue;
        }
        const int64_t seg_end = std::min(q_stop, row * a.wp + a.wo);
        for (int64_t r = 0; r < mr; ++r) {
          T* dst = a.out + (o0 + r) * a.ldo + row * a.wo + col;
          const T* src = tile + r * NR + (qq - q);
          for (int64_t e = 0; e < seg_end - qq; ++e) dst[e] = src[e] + brow[r];
        }
        qq = seg_end;
      }
    }
  }
}

template <class Arch, typename T>
void scatter(const ScatterTileArgs<T>& a) {
  using B = xsimd::batch<T, Arch>;
  constexpr int W = static_cast<int>(B::size);
  constexpr int NV = 2;
  constexpr int NR = NV * W;

  for (int64_t q = a.q_begin; q < a.q_end; q += NR) {
    const T* g = a.grad + q;
    for (int64_t t0 = 0; t0 < a.taps; t0 += MR) {
      const int64_t mr = std::min<int64_t>(MR, a.taps - t0);
      B acc[MR][NV];
#pragma GCC unroll 6
      for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[r][v] = B(T(0));
      const T* pa = a.apack + (t0 / MR) * a.depth * MR;
      const T* src = g;
      for (int64_t o = 0; o < a.depth; ++o) {
        B bv[NV];
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) bv[v] = B::load_unaligned(src + v * W);
#pragma GCC unroll 6
        for (int r = 0; r < MR; ++r) {
          const B av(pa[r]);
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
        }
        pa += MR;
        src += a.ldg;
      }
      if (mr == MR) {  // constant indices keep the accumulators in registers
#pragma GCC unroll 6
        for (int r = 0; r < MR; ++r) {
          T* dst = a.image + a.tap_off[t0 + r] + q;
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) (B::load_unaligned(dst + v * W) + acc[r][v]).store_unaligned(dst + v * W);
        }
        continue;
      }
      for (int64_t r = 0; r < mr; ++r) {
        T* dst = a.image + a.tap_off[t0 + r] + q;
        for (int v = 0; v < NV; ++v) (B::load_unaligned(dst + v * W) + acc[r][v]).store_unaligned(dst + v * W);
      }
    }
  }
}

template <class Arch, typename T>
void dot(const DotTileArgs<T>& a) {
  using B = xsimd::batch<T, Arch>;
  constexpr int W = static_cast<int>(B::size);
  constexpr int MO = 3, MT = 4;  // 12 accumulators; 3 grad vectors and 1 image vector live
  alignas(64) T lanes[W];

  for (int64_t o0 = 0; o0 < a.m; o0 += MO) {
    const int64_t mo = std::min<int64_t>(MO, a.m - o0);
    const T* g[MO];
    for (int i = 0; i < MO; ++i) g[i] = a.grad + (o0 + (i < mo ? i : 0)) * a.ldg;
    for (int64_t t0 = 0; t0 < a.taps; t0 += MT) {
      const int64_t mt = std::min<int64_t>(MT, a.taps - t0);
      const T* x[MT];
      for (int t = 0; t < MT; ++t) x[t] = a.image + a.tap_off[t0 + (t < mt ? t : 0)];
      B acc[MO][MT];
#pragma GCC unroll 3
      for (int i = 0; i < MO; ++i)
#pragma GCC unroll 4
        for (int t = 0; t < MT; ++t) acc[i][t] = B(T(0));
      for (int64_t q = 0; q < a.q_len; q += W) {
        B gv[MO];
#pragma GCC unroll 3
        for (int i = 0; i < MO; ++i) gv[i] = B::load_unaligned(g[i] + q);
#pragma GCC unroll 4
        for (int t = 0; t < MT; ++t) {
          const B xv = B::load_unaligned(x[t] + q);
#pragma GCC unroll 3
          for (int i = 0; i < MO; ++i) acc[i][t] = xsimd::fma(gv[i], xv, acc[i][t]);
        }
      }
      for (int64_t i = 0; i < mo; ++i)
        for (int64_t t = 0; t < mt; ++t) {
          acc[i][t].store_aligned(lanes);
          T sum = lanes[0];
          for (int l = 1; l < W; ++l) sum += lanes[l];
          T& dst = a.out[(o0 + i) * a.ldo + t0 + t];
          dst = a.accumulate ? dst + sum : sum;
        }
    }
  }
}

}  // namespace conv_tile_detail
}  // namespace

template <class Arch, typename T>
void ConvGatherKernel::operator()(Arch, const GatherTileArgs<T>& args) const {
  if (args.nv == 1) {
    conv_tile_detail::gather<Arch, T, 1>(args);
  } else {
    conv_tile_detail::gather<Arch, T, 2>(args);
  }
}

template <class Arch, typename T>
void ConvShiftKernel::operator()(Arch, const ShiftTileArgs<T>& args) const {
  conv_tile_detail::shift<Arch, T>(args);
}

template <class Arch, typename T>
void ConvScatterKernel::operator()(Arch, const ScatterTileArgs<T>& args) const {
  conv_tile_detail::scatter<Arch, T>(args);
}

template <class Arch, typename T>
void ConvDotKernel::operator()(Arch, const DotTileArgs<T>& args) const {
  conv_tile_detail::dot<Arch, T>(args);
}

template <class Arch, typename T>
void ConvTransposeKernel::operator()(Arch, const TransposeArgs<T>& a) const {
  using Transpose = BlockTranspose<Arch, T>;
  constexpr int64_t W = static_cast<int64_t>(xsimd::batch<T, Arch>::size);
  auto scalar = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = c0; c < c1; ++c) a.dst[c * a.ldd + r] = a.src[r * a.lds + c];
  };
  int64_t r0 = 0;
  if constexpr (Transpose::available) {
    for (; r0 + W <= a.rows; r0 += W) {
      int64_t c0 = 0;
      for (; c0 + W <= a.cols; c0 += W)
        Transpose::copy(a.src + r0 * a.lds + c0, a.lds, a.dst + c0 * a.ldd + r0, a.ldd, W);
      scalar(r0, r0 + W, c0, a.cols);
    }
  }
  // The rest in 16 x 16 blocks, so that the strided side stays in L1.
  constexpr int64_t kB = 16;
  for (int64_t b0 = r0; b0 < a.rows; b0 += kB)
    for (int64_t c0 = 0; c0 < a.cols; c0 += kB) scalar(b0, std::min(a.rows, b0 + kB), c0, std::min(a.cols, c0 + kB));
}

template <class Arch, typename T>
void ConvInterleaveKernel::operator()(Arch, const InterleaveArgs<T>& a) const {
  using P = PairInterleave<Arch, T>;
  constexpr int64_t W = static_cast<int64_t>(xsimd::batch<T, Arch>::size);
  int64_t k = 0;
  if constexpr (P::available) {
    if (a.pairs >= W) {
      for (; k + W <= a.pairs; k += W) P::run(a.even + k, a.odd + k, a.out + 2 * k);
      // The tail as one more vector over the last W pairs, rewriting some with the same values
      // (a 28-pair row of the stride-2 grad-input: 12 scalar pairs cost more than the vector).
      if (k < a.pairs) P::run(a.even + a.pairs - W, a.odd + a.pairs - W, a.out + 2 * (a.pairs - W));
      k = a.pairs;
    }
  }
  for (; k < a.pairs; ++k) {
    a.out[2 * k] = a.even[k];
    a.out[2 * k + 1] = a.odd[k];
  }
  if (a.odd_width) a.out[2 * a.pairs] = a.even[a.pairs];
}

template <class Arch, typename T>
int64_t ConvVectorWidth::operator()(Arch, const T*) const {
  return static_cast<int64_t>(xsimd::batch<T, Arch>::size);
}

template void ConvGatherKernel::operator()<isa_arch, float>(isa_arch, const GatherTileArgs<float>&) const;
template void ConvGatherKernel::operator()<isa_arch, double>(isa_arch, const GatherTileArgs<double>&) const;
template void ConvShiftKernel::operator()<isa_arch, float>(isa_arch, const ShiftTileArgs<float>&) const;
template void ConvShiftKernel::operator()<isa_arch, double>(isa_arch, const ShiftTileArgs<double>&) const;
template void ConvScatterKernel::operator()<isa_arch, float>(isa_arch, const ScatterTileArgs<float>&) const;
template void ConvScatterKernel::operator()<isa_arch, double>(isa_arch, const ScatterTileArgs<double>&) const;
template void ConvDotKernel::operator()<isa_arch, float>(isa_arch, const DotTileArgs<float>&) const;
template void ConvDotKernel::operator()<isa_arch, double>(isa_arch, const DotTileArgs<double>&) const;
template void ConvTransposeKernel::operator()<isa_arch, float>(isa_arch, const TransposeArgs<float>&) const;
template void ConvTransposeKernel::operator()<isa_arch, double>(isa_arch, const TransposeArgs<double>&) const;
template void ConvInterleaveKernel::operator()<isa_arch, float>(isa_arch, const InterleaveArgs<float>&) const;
template void ConvInterleaveKernel::operator()<isa_arch, double>(isa_arch, const InterleaveArgs<double>&) const;
template int64_t ConvVectorWidth::operator()<isa_arch, float>(isa_arch, const float*) const;
template int64_t ConvVectorWidth::operator()<isa_arch, double>(isa_arch, const double*) const;

}  // namespace xgrad::kernels
