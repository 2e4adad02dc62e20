#pragma once
// Micro-kernels of the implicit-GEMM convolution: GEMM tiles whose image operand is read
// straight from a (padded) image through offset tables, so no im2col matrix is ever written.
// Each is compiled once per ISA (conv_arch.cpp) and picked at run time like the GEMM; the
// drivers in conv.cpp build the tables and packed panels and split the work over threads.
//
// Both kernels keep an MR x NR tile of accumulators in registers (MR = 6 rows, NR = nv vectors)
// and sum over the depth in an order fixed by the depth table (in order; a one-vector gather
// tile over whole runs sums the two halves of the depth into two chains, added at the end), so an output element's
// value does not depend on how the caller groups rows or columns into calls: any partition
// gives the same bits.

#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {

/// Rows gathered from an image, columns from a packed panel:
///
///     C[r, j] = sum_d base[row_off[r] + depth_off[d]] * panel[d * NR + j]   (r < m, j < nr)
///
/// Forward conv: rows are output positions (row_off = where the position's window starts),
/// depth the kernel taps (depth_off = tap offsets), columns output channels (panel = W^T).
/// Grad-weight: rows are taps, depth the positions, columns output channels (panel = dY^T).
/// NR = nv * (vector width of the arch); `panel` is 64-byte aligned, zero past column nr.
template <typename T>
struct GatherTileArgs {
  int64_t m = 0;
  int64_t depth = 0;
  const T* base = nullptr;
  const int32_t* row_off = nullptr;    // m entries
  const int32_t* depth_off = nullptr;  // depth entries
  /// depth_off comes in runs of `run` entries from d = 0 (the last may be shorter), entry t of a
  /// run at depth_off[first] + t * run_step (the forward: a kernel row's taps, run kw, step dw;
  /// grad-weight: 5 or 3 positions of an output row, step 1).
  /// A one-vector tile uses it for whole runs of 3 or 5 at step 1 (conv_arch.cpp); 1 = no runs.
  int64_t run = 1;
  int64_t run_step = 1;
  const T* panel = nullptr;            // depth x NR
  int nv = 1;
  int64_t nr = 0;  // valid columns, <= NR
  T* out = nullptr;
  int64_t ldo = 0;
  /// false: out[r * ldo + j] = C (or += C when `accumulate`);
  /// true:  out[j * ldo + r] = C + bias[j] (bias may be null), or out[j * ldo + out_off[r]]
  ///        when out_off (m entries) is given: rows scattered over the output plane.
  bool transpose_out = false;
  const int32_t* out_off = nullptr;
  bool accumulate = false;
  const T* bias = nullptr;
};

/// Stride-1 convolution over an "extended" output grid whose rows are as wide as the padded
/// image (wp), so output position q reads the image at q + tap offset: rows are output channels
/// (broadcast from a packed weight panel), columns are NR consecutive positions (vector loads).
///
///     C[o, q] = sum_d apack[o / 6][d * 6 + o % 6] * image[depth_off[d] + q]   (q in [q_begin, q_end))
///
/// and out[o * ldo + (q / wp) * wo + q % wp] = C[o, q] + bias[o] for q % wp < wo (the other
/// columns of the extended grid are not outputs and are dropped). `image` must be readable up
/// to max(depth_off) + q_end + NR.
template <typename T>
struct ShiftTileArgs {
  int64_t m = 0;
  int64_t depth = 0;
  const T* apack = nullptr;  // ceil(m / 6) panels of depth x 6
  const int32_t* depth_off = nullptr;
  const T* image = nullptr;
  int64_t q_begin = 0, q_end = 0;
  int64_t wp = 1, wo = 1;
  T* out = nullptr;
  int64_t ldo = 0;
  const T* bias = nullptr;  // per row, may be null
};

/// The adjoint of the shift tiles, for the grad-input of a stride-1 convolution: rows are kernel
/// taps (broadcast from a packed weight panel), columns NR consecutive positions of the
/// extended grid, the depth the output channels; each tile is added into the padded
/// grad-input image at the taps' offsets:
///
///     image[tap_off[d] + q] += sum_o apack[d / 6][o * 6 + d % 6] * grad[o * ldg + q]
///
/// for q in [q_begin, q_end) rounded up to whole tiles: `grad` rows hold zeros on the padding
/// columns of the grid and past q_end (up to ldg), so those lanes add zeros; `image` must be
/// writable up to max(tap_off) + ldg. Tiles are added in a fixed order (positions, then taps).
template <typename T>
struct ScatterTileArgs {
  int64_t taps = 0;
  int64_t depth = 0;
  const T* apack = nullptr;  // ceil(taps / 6) panels of depth x 6
  const int32_t* tap_off = nullptr;
  const T* grad = nullptr;
  int64_t ldg = 0;
  int64_t q_begin = 0, q_end = 0;
  T* image = nullptr;
};

/// Grad-weight of a stride-1 convolution with few output channels, as dot products along the
/// extended grid (vectors over positions, summed across lanes at the end):
///
///     out[o * ldo + d] (+)= sum_q grad[o * ldg + q] * image[tap_off[d] + q]   (q < q_len)
///
/// q_len is a multiple of the vector width; `grad` rows hold zeros on the grid's padding
/// columns and past the last position; `image` must be readable up to max(tap_off) + q_len.
template <typename T>
struct DotTileArgs {
  int64_t m = 0;     // output channels
  int64_t taps = 0;
  const T* grad = nullptr;
  int64_t ldg = 0;
  int64_t q_len = 0;
  const T* image = nullptr;
  const int32_t* tap_off = nullptr;
  T* out = nullptr;
  int64_t ldo = 0;
  bool accumulate = false;
};

/// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols (the matrices must not overlap).
template <typename T>
struct TransposeArgs {
  const T* src = nullptr;
  int64_t lds = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  T* dst = nullptr;
  int64_t ldd = 0;
};

/// out[2k] = even[k], out[2k + 1] = odd[k] for k < pairs, then out[2 * pairs] = even[pairs]
/// when odd_width (the arrays must not overlap).
template <typename T>
struct InterleaveArgs {
  const T* even = nullptr;
  const T* odd = nullptr;
  int64_t pairs = 0;
  bool odd_width = false;
  T* out = nullptr;
};

inline constexpr int kConvTileRows = 6;

struct ConvGatherKernel {
  template <class Arch, typename T>
  void operator()(Arch, const GatherTileArgs<T>& args) const;
};
struct ConvShiftKernel {
  template <class Arch, typename T>
  void operator()(Arch, const ShiftTileArgs<T>& args) const;
};
struct ConvScatterKernel {
  template <class Arch, typename T>
  void operator()(Arch, const ScatterTileArgs<T>& args) const;
};
struct ConvDotKernel {
  template <class Arch, typename T>
  void operator()(Arch, const DotTileArgs<T>& args) const;
};
/// A matrix transpose: the ISA's register transposes of vector-width square blocks where it has
/// them (float on AVX2 and AVX-512), scalar loops elsewhere and at the edges.
struct ConvTransposeKernel {
  template <class Arch, typename T>
  void operator()(Arch, const TransposeArgs<T>& args) const;
};
/// A row from its even and odd columns: the ISA's register shuffles where it has them (float
/// on AVX2 and AVX-512), a scalar loop elsewhere and at the end.
struct ConvInterleaveKernel {
  template <class Arch, typename T>
  void operator()(Arch, const InterleaveArgs<T>& args) const;
};
/// Elements of T per vector on Arch (the drivers size NR from it).
struct ConvVectorWidth {
  template <class Arch, typename T>
  int64_t operator()(Arch, const T*) const;
};

#define XGRAD_CONV_TILE_EXTERN(ARCH)                                                                      \
  extern template void ConvGatherKernel::operator()<ARCH, float>(ARCH, const GatherTileArgs<float>&) const;   \
  extern template void ConvGatherKernel::operator()<ARCH, double>(ARCH, const GatherTileArgs<double>&) const; \
  extern template void ConvShiftKernel::operator()<ARCH, float>(ARCH, const ShiftTileArgs<float>&) const;     \
  extern template void ConvShiftKernel::operator()<ARCH, double>(ARCH, const ShiftTileArgs<double>&) const;   \
  extern template void ConvScatterKernel::operator()<ARCH, float>(ARCH, const ScatterTileArgs<float>&) const; \
  extern template void ConvScatterKernel::operator()<ARCH, double>(ARCH, const ScatterTileArgs<double>&) const; \
  extern template void ConvDotKernel::operator()<ARCH, float>(ARCH, const DotTileArgs<float>&) const;       \
  extern template void ConvDotKernel::operator()<ARCH, double>(ARCH, const DotTileArgs<double>&) const;     \
  extern template void ConvTransposeKernel::operator()<ARCH, float>(ARCH, const TransposeArgs<float>&) const; \
  extern template void ConvTransposeKernel::operator()<ARCH, double>(ARCH, const TransposeArgs<double>&) const; \
  extern template void ConvInterleaveKernel::operator()<ARCH, float>(ARCH, const InterleaveArgs<float>&) const; \
  extern template void ConvInterleaveKernel::operator()<ARCH, double>(ARCH, const InterleaveArgs<double>&) const; \
  extern template int64_t ConvVectorWidth::operator()<ARCH, float>(ARCH, const float*) const;               \
  extern template int64_t ConvVectorWidth::operator()<ARCH, double>(ARCH, const double*) const;
XGRAD_CONV_TILE_EXTERN(xsimd::sse2)
XGRAD_CONV_TILE_EXTERN(xsimd::fma3<xsimd::avx2>)
XGRAD_CONV_TILE_EXTERN(xsimd::avx512f)
#undef XGRAD_CONV_TILE_EXTERN

}  // namespace xgrad::kernels
