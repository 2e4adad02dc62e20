// Convolution drivers (conv.hpp): path choice, padded images, offset tables and threads for the
// implicit-GEMM tiles (conv_tile.hpp); im2col / col2im with the packed GEMM; the direct path.
#include "kernels/conv.hpp"

#include "kernels/conv_tile.hpp"
#include "kernels/conv_batch_winograd.hpp"
#include "kernels/conv_winograd.hpp"

#include "kernels/gemm.hpp"
#include "kernels/isa.hpp"
#include "kernels/parallel.hpp"
#include "kernels/scratch.hpp"

#include <xgrad/error.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <vector>

namespace xgrad::kernels {
namespace {

// The stride-2 grad-input's phase planes (phase_gather_backward_input), beside the padded
// dY image the same task keeps in scratch().
template <typename T>
T* phase_scratch(size_t n) {
  thread_local Scratch<T> buf;
  return buf.get(n, "conv2d backward (phase planes)");
}

// Per-thread growable scratch (im2col columns, padded images), one per element type.
template <typename T>
T* scratch(size_t n) {
  thread_local Scratch<T> buf;
  return buf.get(n, "conv2d");
}

// Output columns [lo, hi) whose input column ow*stride + off lies inside [0, w).
inline void valid_range(int64_t off, int64_t stride, int64_t w, int64_t wo, int64_t& lo, int64_t& hi) {
  // smallest ow with ow*stride + off >= 0, and first ow with ow*stride + off >= w
  // Ceiling divisions written as (a - 1) / b + 1: `a + stride - 1` would overflow for a stride
  // near INT64_MAX (and gave an empty output row). -off and w - off fit: conv2d_shape checks
  // that the padded input size fits int64.
  lo = off >= 0 ? 0 : (-off - 1) / stride + 1;
  hi = w - off <= 0 ? 0 : (w - off - 1) / stride + 1;
  lo = std::min(lo, wo);
  hi = std::clamp(hi, lo, wo);
}

constexpr double kDirectMacs = 16384;

// Sum of p[0..n) in 16 interleaved partial sums combined in a fixed order: independent chains the
// compiler can keep in vector registers, where one running sum would wait on every add.
template <typename T>
T sum_in_lanes(const T* p, int64_t n) {
  constexpr int64_t L = 16;
  T lanes[L] = {};
  int64_t e = 0;
  for (; e + L <= n; e += L)
    for (int64_t j = 0; j < L; ++j) lanes[j] += p[e + j];
  for (int64_t j = 0; e < n; ++e, ++j) lanes[j] += p[e];
  for (int64_t width = L / 2; width > 0; width /= 2)
    for (int64_t j = 0; j < width; ++j) lanes[j] += lanes[j + width];
  return lanes[0];
}

}  // namespace

bool conv2d_use_direct(const Conv2dShape& s) { return s.macs() <= kDirectMacs; }

template <typename T>
void im2col(const Conv2dShape& s, const T* x, int64_t g, T* col) {
  const int64_t hw_out = s.ho * s.wo;
  const T* xg = x + g * s.cin_g() * s.h * s.w;
  for (int64_t c = 0; c < s.cin_g(); ++c) {
    const T* xc = xg + c * s.h * s.w;
    for (int64_t i = 0; i < s.kh; ++i) {
      for (int64_t j = 0; j < s.kw; ++j) {
        T* row = col + ((c * s.kh + i) * s.kw + j) * hw_out;
        const int64_t off_w = j * s.dw - s.pw;
        int64_t lo, hi;
        valid_range(off_w, s.sw, s.w, s.wo, lo, hi);
        for (int64_t oh = 0; oh < s.ho; ++oh) {
          T* out = row + oh * s.wo;
          const int64_t ih = oh * s.sh - s.ph + i * s.dh;
          if (ih < 0 || ih >= s.h) {
            for (int64_t ow = 0; ow < s.wo; ++ow) out[ow] = T(0);
            continue;
          }
          const T* in = xc + ih * s.w + off_w;
          // Plain loops rather than memcpy/fill: rows are short (LeNet: 10 values), so a
          // library call per row would cost more than the copy.
          for (int64_t ow = 0; ow < lo; ++ow) out[ow] = T(0);
          if (s.sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) out[ow] = in[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) out[ow] = in[ow * s.sw];
          }
          for (int64_t ow = hi; ow < s.wo; ++ow) out[ow] = T(0);
        }
      }
    }
  }
}

template <typename T>
void col2im_add(const Conv2dShape& s, const T* col, int64_t g, T* gx) {
  const int64_t hw_out = s.ho * s.wo;
  T* xg = gx + g * s.cin_g() * s.h * s.w;
  for (int64_t c = 0; c < s.cin_g(); ++c) {
    T* xc = xg + c * s.h * s.w;
    for (int64_t i = 0; i < s.kh; ++i) {
      for (int64_t j = 0; j < s.kw; ++j) {
        const T* row = col + ((c * s.kh + i) * s.kw + j) * hw_out;
        const int64_t off_w = j * s.dw - s.pw;
        int64_t lo, hi;
        valid_range(off_w, s.sw, s.w, s.wo, lo, hi);
        for (int64_t oh = 0; oh < s.ho; ++oh) {
          const int64_t ih = oh * s.sh - s.ph + i * s.dh;
          if (ih < 0 || ih >= s.h) continue;
          const T* src = row + oh * s.wo;
          T* dst = xc + ih * s.w + off_w;
          if (s.sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * s.sw] += src[ow];
          }
        }
      }
    }
  }
}

namespace {

// ---- direct path: loop nests for problems too small for packing to pay off --------------------

template <typename T>
void direct_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t o = 0; o < s.c_out; ++o) {
      const int64_t g = o / s.cout_g();
      T* yp = y + (n * s.c_out + o) * s.ho * s.wo;
      std::fill(yp, yp + s.ho * s.wo, bias ? bias[o] : T(0));
      for (int64_t c = 0; c < s.cin_g(); ++c) {
        const T* xc = x + (n * s.c_in + g * s.cin_g() + c) * s.h * s.w;
        for (int64_t i = 0; i < s.kh; ++i)
          for (int64_t j = 0; j < s.kw; ++j) {
            const T wv = w[((o * s.cin_g() + c) * s.kh + i) * s.kw + j];
            const int64_t off_w = j * s.dw - s.pw;
            int64_t lo, hi;
            valid_range(off_w, s.sw, s.w, s.wo, lo, hi);
            for (int64_t oh = 0; oh < s.ho; ++oh) {
              const int64_t ih = oh * s.sh - s.ph + i * s.dh;
              if (ih < 0 || ih >= s.h) continue;
              const T* in = xc + ih * s.w + off_w;
              T* out = yp + oh * s.wo;
              for (int64_t ow = lo; ow < hi; ++ow) out[ow] += wv * in[ow * s.sw];
            }
          }
      }
    }
  }
}

template <typename T>
void direct_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx) {
  std::fill(gx, gx + s.n * s.c_in * s.h * s.w, T(0));
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t o = 0; o < s.c_out; ++o) {
      const int64_t g = o / s.cout_g();
      const T* gp = gy + (n * s.c_out + o) * s.ho * s.wo;
      for (int64_t c = 0; c < s.cin_g(); ++c) {
        T* xc = gx + (n * s.c_in + g * s.cin_g() + c) * s.h * s.w;
        for (int64_t i = 0; i < s.kh; ++i)
          for (int64_t j = 0; j < s.kw; ++j) {
            const T wv = w[((o * s.cin_g() + c) * s.kh + i) * s.kw + j];
            const int64_t off_w = j * s.dw - s.pw;
            int64_t lo, hi;
            valid_range(off_w, s.sw, s.w, s.wo, lo, hi);
            for (int64_t oh = 0; oh < s.ho; ++oh) {
              const int64_t ih = oh * s.sh - s.ph + i * s.dh;
              if (ih < 0 || ih >= s.h) continue;
              T* in = xc + ih * s.w + off_w;
              const T* out = gp + oh * s.wo;
              for (int64_t ow = lo; ow < hi; ++ow) in[ow * s.sw] += wv * out[ow];
            }
          }
      }
    }
  }
}

template <typename T>
void direct_backward_weight(const Conv2dShape& s, const T* x, const T* gy, T* gw) {
  for (int64_t o = 0; o < s.c_out; ++o) {
    const int64_t g = o / s.cout_g();
    for (int64_t c = 0; c < s.cin_g(); ++c)
      for (int64_t i = 0; i < s.kh; ++i)
        for (int64_t j = 0; j < s.kw; ++j) {
          const int64_t off_w = j * s.dw - s.pw;
          int64_t lo, hi;
          valid_range(off_w, s.sw, s.w, s.wo, lo, hi);
          T acc = 0;
          for (int64_t n = 0; n < s.n; ++n) {
            const T* xc = x + (n * s.c_in + g * s.cin_g() + c) * s.h * s.w;
            const T* gp = gy + (n * s.c_out + o) * s.ho * s.wo;
            for (int64_t oh = 0; oh < s.ho; ++oh) {
              const int64_t ih = oh * s.sh - s.ph + i * s.dh;
              if (ih < 0 || ih >= s.h) continue;
              const T* in = xc + ih * s.w + off_w;
              const T* out = gp + oh * s.wo;
              for (int64_t ow = lo; ow < hi; ++ow) acc += in[ow * s.sw] * out[ow];
            }
          }
          gw[((o * s.cin_g() + c) * s.kh + i) * s.kw + j] = acc;
        }
  }
}

}  // namespace

namespace {

// ---- im2col + GEMM path ------------------------------------------------------------------------

template <typename T>
void im2col_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  const int64_t hw_in = s.h * s.w, hw_out = s.ho * s.wo, kg = s.k_g(), cog = s.cout_g();
  const bool pointwise = s.pointwise();
  // One task per image; with a single image the GEMM itself spreads over the threads.
  parallel_for(s.n, [&](int64_t n) {
    const T* xn = x + n * s.c_in * hw_in;
    T* yn = y + n * s.c_out * hw_out;
    T* col = pointwise ? nullptr : scratch<T>(static_cast<size_t>(kg * hw_out));
    for (int64_t g = 0; g < s.groups; ++g) {
      const T* b = xn + g * s.cin_g() * hw_in;
      if (!pointwise) {
        im2col(s, xn, g, col);
        b = col;
      }
      gemm(false, false, cog, hw_out, kg, T(1), w + g * cog * kg, kg, b, hw_out, T(0), yn + g * cog * hw_out, hw_out,
           bias ? bias + g * cog : nullptr, bias ? Bias::kPerRow : Bias::kNone);
    }
  });
}

template <typename T>
void im2col_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx) {
  const int64_t hw_in = s.h * s.w, hw_out = s.ho * s.wo, kg = s.k_g(), cog = s.cout_g();
  const bool pointwise = s.pointwise();
  parallel_for(s.n, [&](int64_t n) {
    const T* gyn = gy + n * s.c_out * hw_out;
    T* gxn = gx + n * s.c_in * hw_in;
    if (pointwise) {
      for (int64_t g = 0; g < s.groups; ++g)
        gemm(true, false, s.cin_g(), hw_out, cog, T(1), w + g * cog * kg, kg, gyn + g * cog * hw_out, hw_out, T(0),
             gxn + g * s.cin_g() * hw_in, hw_in);
      return;
    }
    std::fill(gxn, gxn + s.c_in * hw_in, T(0));
    T* col = scratch<T>(static_cast<size_t>(kg * hw_out));
    for (int64_t g = 0; g < s.groups; ++g) {
      // dcol = W_g^T dY_g, then scatter-add the columns back onto the image.
      gemm(true, false, kg, hw_out, cog, T(1), w + g * cog * kg, kg, gyn + g * cog * hw_out, hw_out, T(0), col,
           hw_out);
      col2im_add(s, col, g, gxn);
    }
  });
}

// out[e] = first[e] + rest[0][e] + rest[1][e] + ... in chunk order, so the bits do not depend on
// how the elements are split; blocks of elements are the tasks, so the reduction of the im2col,
// dot and gather grad-weight partials no longer runs on one thread. `out` may be `first`.
template <typename T>
void add_chunks(const T* first, const T* rest, int64_t nrest, int64_t size, T* out) {
  constexpr int64_t kBlock = 4096;
  parallel_for((size + kBlock - 1) / kBlock, [&](int64_t b) {
    const int64_t e0 = b * kBlock, e1 = std::min(size, e0 + kBlock);
    if (out != first) std::copy(first + e0, first + e1, out + e0);
    for (int64_t ch = 0; ch < nrest; ++ch) {
      const T* p = rest + ch * size;
      for (int64_t e = e0; e < e1; ++e) out[e] += p[e];
    }
  });
}

// Grad-weight over fixed chunks of the batch: chunk c sums its images in order into its own
// partial, then the partials are added in chunk order. Neither depends on the thread count.
template <typename T>
void im2col_backward_weight(const Conv2dShape& s, const T* x, const T* gy, T* gw) {
  const int64_t hw_in = s.h * s.w, hw_out = s.ho * s.wo, kg = s.k_g(), cog = s.cout_g();
  const int64_t chunks = std::min<int64_t>(s.n, kWeightChunks);
  const int64_t wsize = s.c_out * kg;
  std::vector<T> partial_store(static_cast<size_t>((chunks - 1) * wsize));
  const bool pointwise = s.pointwise();
  parallel_for(chunks, [&](int64_t ch) {
    const int64_t n0 = ch * s.n / chunks, n1 = (ch + 1) * s.n / chunks;
    T* dst = ch == 0 ? gw : partial_store.data() + (ch - 1) * wsize;
    T* col = pointwise ? nullptr : scratch<T>(static_cast<size_t>(kg * hw_out));
    for (int64_t n = n0; n < n1; ++n) {
      const T* xn = x + n * s.c_in * hw_in;
      const T* gyn = gy + n * s.c_out * hw_out;
      for (int64_t g = 0; g < s.groups; ++g) {
        const T* b = xn + g * s.cin_g() * hw_in;
        if (!pointwise) {
          im2col(s, xn, g, col);
          b = col;
        }
        // dW_g += dY_g col^T
        gemm(false, true, cog, kg, hw_out, T(1), gyn + g * cog * hw_out, hw_out, b, hw_out, n == n0 ? T(0) : T(1),
             dst + g * cog * kg, kg);
      }
    }
  });
  add_chunks(gw, partial_store.data(), chunks - 1, wsize, gw);
}

// ---- implicit GEMM path (conv_tile.hpp) ---------------------------------------------------------

// A 64-byte aligned buffer owned by one call.
template <typename T>
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t n)
      : data_(n == 0 ? nullptr : static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(64)))) {}
  T* get() const { return data_.get(); }

 private:
  struct Free {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  std::unique_ptr<T[], Free> data_;
};

// The tile kernels of one instruction set.
template <typename T>
struct TileKernels {
  void (*gather)(const GatherTileArgs<T>&);
  void (*shift)(const ShiftTileArgs<T>&);
  void (*scatter)(const ScatterTileArgs<T>&);
  void (*dot)(const DotTileArgs<T>&);
  void (*winograd)(const WinogradArgs<T>&);
  void (*batch_winograd)(const BatchWinogradArgs<T>&);
  void (*transpose)(const TransposeArgs<T>&);
  void (*interleave)(const InterleaveArgs<T>&);
  int64_t width;  // elements per vector
};

template <class Arch, typename T>
TileKernels<T> tile_kernels_for() {
  return {[](const GatherTileArgs<T>& a) { ConvGatherKernel{}(Arch{}, a); },
          [](const ShiftTileArgs<T>& a) { ConvShiftKernel{}(Arch{}, a); },
          [](const ScatterTileArgs<T>& a) { ConvScatterKernel{}(Arch{}, a); },
          [](const DotTileArgs<T>& a) { ConvDotKernel{}(Arch{}, a); },
          [](const WinogradArgs<T>& a) { ConvWinogradKernel{}(Arch{}, a); },
          [](const BatchWinogradArgs<T>& a) { ConvBatchWinogradKernel{}(Arch{}, a); },
          [](const TransposeArgs<T>& a) { ConvTransposeKernel{}(Arch{}, a); },
          [](const InterleaveArgs<T>& a) { ConvInterleaveKernel{}(Arch{}, a); },
          ConvVectorWidth{}(Arch{}, static_cast<const T*>(nullptr))};
}

template <typename T>
TileKernels<T> tile_kernels(KernelIsa isa) {
  // Probed once: cpuid may trap to the hypervisor, a microsecond the chapter's 1x2 convolution
  // would pay on every call.
  static const auto avail = xsimd::available_architectures();
  if (isa == KernelIsa::kBest) {
    // kernel_isa(): the fastest the CPU has, or the one XGRAD_ISA forces.
    const Isa best = kernel_isa();
    isa = best == Isa::kAvx512f ? KernelIsa::kAvx512f : best == Isa::kAvx2 ? KernelIsa::kAvx2 : KernelIsa::kSse2;
  }
  switch (isa) {
    case KernelIsa::kAvx512f:
      XGRAD_CHECK(avail.avx512f, ValueError, "conv2d kernels: AVX-512F was requested but this CPU does not support it");
      return tile_kernels_for<xsimd::avx512f, T>();
    case KernelIsa::kAvx2:
      XGRAD_CHECK(avail.fma3_avx2, ValueError, "conv2d kernels: AVX2+FMA was requested but this CPU does not support it");
      return tile_kernels_for<xsimd::fma3<xsimd::avx2>, T>();
    default:
      return tile_kernels_for<xsimd::sse2, T>();
  }
}

// Extent of the padded image the implicit path reads: exactly the rows/columns the windows
// cover, with the padding materialised as zeros.
struct PaddedGeometry {
  int64_t hp, wp;
  int64_t plane() const { return hp * wp; }
};

PaddedGeometry padded_geometry(const Conv2dShape& s) {
  return {(s.ho - 1) * s.sh + (s.kh - 1) * s.dh + 1, (s.wo - 1) * s.sw + (s.kw - 1) * s.dw + 1};
}

// Slack after the last padded image: shift tiles read up to one tile width past the end.
constexpr int64_t kPadSlack = 64;

// The offset tables are int32: the path is used only when a padded image fits.
bool implicit_fits(const Conv2dShape& s) {
  const auto g = padded_geometry(s);
  return static_cast<double>(s.c_in) * static_cast<double>(g.plane()) + kPadSlack < 2.0e9;
}

// Channels [c, h, w] -> [c, hp, wp] with `top` rows and `left` columns of zeros before the
// image (negative: rows/columns cropped) and zeros after it.
template <typename T>
void pad_image(const T* src, int64_t c, int64_t h, int64_t w, int64_t top, int64_t left, PaddedGeometry g, T* dst) {
  const int64_t lo = std::clamp<int64_t>(left, 0, g.wp);
  const int64_t hi = std::clamp<int64_t>(left + w, lo, g.wp);
  for (int64_t ch = 0; ch < c; ++ch) {
    const T* sc = src + ch * h * w;
    T* dc = dst + ch * g.plane();
    for (int64_t i = 0; i < g.hp; ++i) {
      T* d = dc + i * g.wp;
      const int64_t si = i - top;
      if (si < 0 || si >= h) {
        std::fill(d, d + g.wp, T(0));
        continue;
      }
      std::fill(d, d + lo, T(0));
      std::copy(sc + si * w + (lo - left), sc + si * w + (hi - left), d + lo);
      std::fill(d + hi, d + g.wp, T(0));
    }
  }
}

// Offset of every tap (c, i, j) of one group in the padded image, in weight order.
std::vector<int32_t> tap_offsets(const Conv2dShape& s, PaddedGeometry g) {
  std::vector<int32_t> taps(static_cast<size_t>(s.k_g()));
  for (int64_t c = 0; c < s.cin_g(); ++c)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j)
        taps[static_cast<size_t>((c * s.kh + i) * s.kw + j)] =
            static_cast<int32_t>(c * g.plane() + i * s.dh * g.wp + j * s.dw);
  return taps;
}

// Offset of every output position's window in the padded image.
std::vector<int32_t> position_offsets(const Conv2dShape& s, PaddedGeometry g) {
  std::vector<int32_t> pos(static_cast<size_t>(s.ho * s.wo));
  for (int64_t oh = 0; oh < s.ho; ++oh)
    for (int64_t ow = 0; ow < s.wo; ++ow)
      pos[static_cast<size_t>(oh * s.wo + ow)] = static_cast<int32_t>(oh * s.sh * g.wp + ow * s.sw);
  return pos;
}

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Positions of the extended grid of a stride-1 convolution (rows as wide as the padded image),
// up to the last real output.
int64_t extended_grid_size(const Conv2dShape& s, PaddedGeometry g) { return (s.ho - 1) * g.wp + s.wo; }

// dY of one image laid out on the extended grid, `ld` elements per channel: zeros on the grid's
// padding columns and past its last position, so tiles reading them add nothing.
template <typename T>
void spread_to_grid(const Conv2dShape& s, PaddedGeometry g, const T* gy_image, int64_t ld, T* dst) {
  for (int64_t o = 0; o < s.c_out; ++o) {
    T* row = dst + o * ld;
    std::fill(row, row + ld, T(0));
    for (int64_t oh = 0; oh < s.ho; ++oh)
      std::copy(gy_image + (o * s.ho + oh) * s.wo, gy_image + (o * s.ho + oh + 1) * s.wo, row + oh * g.wp);
  }
}

// Where a task finds its padded image: the input itself (no padding needed), a copy the task
// makes when it owns whole images (it is then still in cache for the tiles), or a copy of the
// batch made up front when tasks split images.
template <typename T>
class PaddedImages {
 public:
  PaddedImages(const Conv2dShape& s, const T* x, PaddedGeometry g, bool whole_image_tasks, int64_t slack)
      : s_(s), x_(x), g_(g), in_place_(slack == 0 && s.ph == 0 && s.pw == 0 && g.hp == s.h && g.wp == s.w),
        per_task_(!in_place_ && whole_image_tasks), stride_(round_up(s.c_in * g.plane() + slack, 16)) {
    if (in_place_ || per_task_) return;
    batch_ = AlignedBuffer<T>(static_cast<size_t>(s.n * stride_));
    parallel_for(s.n, [&](int64_t n) { fill(n, batch_.get() + n * stride_); });
  }
  // The padded image n; per-task copies live in the calling thread's scratch until its next call.
  const T* image(int64_t n) const {
    if (in_place_) return x_ + n * s_.c_in * s_.h * s_.w;
    if (!per_task_) return batch_.get() + n * stride_;
    T* dst = scratch<T>(static_cast<size_t>(stride_));
    fill(n, dst);
    return dst;
  }

 private:
  void fill(int64_t n, T* dst) const {
    pad_image(x_ + n * s_.c_in * s_.h * s_.w, s_.c_in, s_.h, s_.w, s_.ph, s_.pw, g_, dst);
    std::fill(dst + s_.c_in * g_.plane(), dst + stride_, T(0));
  }
  const Conv2dShape& s_;
  const T* x_;
  PaddedGeometry g_;
  bool in_place_, per_task_;
  int64_t stride_;
  AlignedBuffer<T> batch_{0};
};

// Positions per task when a batch is too small to give every thread whole images. Fixed by
// the shape, never by the thread count.
constexpr int64_t kPositionsPerTask = 1536;
constexpr int64_t kImagesForWholeTasks = 4;

// The weights cut into panels of `width` output channels, taps first:
// panel (g, b)[d][j] = w[g*cog + b*width + j][d], zero past the group's channels. Gather tiles
// read them as W^T columns, shift tiles as broadcast rows.
template <typename T>
AlignedBuffer<T> channel_panels(const Conv2dShape& s, const T* w, int64_t width) {
  const int64_t kg = s.k_g(), cog = s.cout_g();
  const int64_t blocks = (cog + width - 1) / width;
  AlignedBuffer<T> panels(static_cast<size_t>(s.groups * blocks * kg * width));
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t b = 0; b < blocks; ++b) {
      T* p = panels.get() + (g * blocks + b) * kg * width;
      for (int64_t d = 0; d < kg; ++d)
        for (int64_t j = 0; j < width; ++j) {
          const int64_t o = b * width + j;
          p[d * width + j] = o < cog ? w[(g * cog + o) * kg + d] : T(0);
        }
    }
  return panels;
}

template <typename T>
void gather_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y, const TileKernels<T>& k) {
  const auto geo = padded_geometry(s);
  const int64_t hw_out = s.ho * s.wo, kg = s.k_g(), cog = s.cout_g();
  const int64_t nv = cog > k.width ? 2 : 1, nr = nv * k.width;
  const int64_t oblocks = (cog + nr - 1) / nr;

  const AlignedBuffer<T> panels = channel_panels(s, w, nr);
  const auto taps = tap_offsets(s, geo);
  const auto pos = position_offsets(s, geo);

  const int64_t block = s.n >= kImagesForWholeTasks ? hw_out : kPositionsPerTask;
  const int64_t blocks = (hw_out + block - 1) / block;
  const PaddedImages<T> images(s, x, geo, blocks == 1, 0);
  parallel_for(s.n * blocks, [&](int64_t task) {
    const int64_t n = task / blocks, p0 = task % blocks * block, p1 = std::min(hw_out, p0 + block);
    const T* xn = images.image(n);
    T* yn = y + n * s.c_out * hw_out;
    for (int64_t g = 0; g < s.groups; ++g)
      for (int64_t ob = 0; ob < oblocks; ++ob) {
        GatherTileArgs<T> a;
        a.m = p1 - p0;
        a.depth = kg;
        a.base = xn + g * s.cin_g() * geo.plane();
        a.row_off = pos.data() + p0;
        a.depth_off = taps.data();
        a.run = s.kw;  // tap_offsets: a kernel row's taps are dw apart
        a.run_step = s.dw;
        a.panel = panels.get() + (g * oblocks + ob) * kg * nr;
        a.nv = static_cast<int>(nv);
        a.nr = std::min(nr, cog - ob * nr);
        a.out = yn + (g * cog + ob * nr) * hw_out + p0;
        a.ldo = hw_out;
        a.transpose_out = true;
        a.bias = bias != nullptr ? bias + g * cog + ob * nr : nullptr;
        k.gather(a);
      }
  });
}

template <typename T>
void shift_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y, const TileKernels<T>& k) {
  const auto geo = padded_geometry(s);
  const int64_t hw_out = s.ho * s.wo, kg = s.k_g(), cog = s.cout_g();
  constexpr int64_t mr = kConvTileRows;
  const int64_t otiles = (cog + mr - 1) / mr;

  const AlignedBuffer<T> apack = channel_panels(s, w, mr);
  const auto taps = tap_offsets(s, geo);
  const int64_t q_total = extended_grid_size(s, geo);
  const int64_t block = s.n >= kImagesForWholeTasks ? q_total : kPositionsPerTask;
  const int64_t blocks = (q_total + block - 1) / block;
  const PaddedImages<T> images(s, x, geo, blocks == 1, kPadSlack);
  parallel_for(s.n * blocks, [&](int64_t task) {
    const int64_t n = task / blocks, q0 = task % blocks * block, q1 = std::min(q_total, q0 + block);
    const T* xn = images.image(n);
    T* yn = y + n * s.c_out * hw_out;
    for (int64_t g = 0; g < s.groups; ++g) {
      ShiftTileArgs<T> a;
      a.m = cog;
      a.depth = kg;
      a.apack = apack.get() + g * otiles * kg * mr;
      a.depth_off = taps.data();
      a.image = xn + g * s.cin_g() * geo.plane();
      a.q_begin = q0;
      a.q_end = q1;
      a.wp = geo.wp;
      a.wo = s.wo;
      a.out = yn + g * cog * hw_out;
      a.ldo = hw_out;
      a.bias = bias != nullptr ? bias + g * cog : nullptr;
      k.shift(a);
    }
  });
}

// Grad-weight as gather tiles: rows are taps, depth the positions of one image (in blocks that
// keep the dY^T panel in L1), columns output channels. Fixed batch chunks as the im2col path.
template <typename T>
void gather_backward_weight(const Conv2dShape& s, const T* x, const T* gy, T* gw, const TileKernels<T>& k) {
  const auto geo = padded_geometry(s);
  const int64_t hw_out = s.ho * s.wo, kg = s.k_g(), cog = s.cout_g();
  const int64_t nv = cog > k.width ? 2 : 1, nr = nv * k.width;
  const int64_t oblocks = (cog + nr - 1) / nr;
  const auto taps = tap_offsets(s, geo);
  const auto pos = position_offsets(s, geo);
  constexpr int64_t kDepthBlock = 256;
  // Positions of an output row are consecutive at stride 1: runs of 5 or 3 of them let a
  // one-vector tile read one offset per run (conv_arch.cpp), if the blocks hold whole rows.
  const int64_t run = s.sw == 1 && s.wo <= kDepthBlock ? (s.wo % 5 == 0 ? 5 : s.wo % 3 == 0 ? 3 : 1) : 1;
  const int64_t depth_block = run > 1 ? kDepthBlock / s.wo * s.wo : kDepthBlock;

  const int64_t chunks = std::min<int64_t>(s.n, kWeightChunks);
  const int64_t wsize = s.c_out * kg;  // per chunk: [g][d][o] (transposed)
  AlignedBuffer<T> partials(static_cast<size_t>(chunks * wsize));
  const PaddedImages<T> images(s, x, geo, true, 0);
  parallel_for(chunks, [&](int64_t ch) {
    const int64_t n0 = ch * s.n / chunks, n1 = (ch + 1) * s.n / chunks;
    T* acc = partials.get() + ch * wsize;
    AlignedBuffer<T> panel(static_cast<size_t>(hw_out * nr));
    for (int64_t n = n0; n < n1; ++n) {
      const T* xn = images.image(n);
      const T* gyn = gy + n * s.c_out * hw_out;
      for (int64_t g = 0; g < s.groups; ++g)
        for (int64_t ob = 0; ob < oblocks; ++ob) {
          const int64_t o0 = g * cog + ob * nr, valid = std::min(nr, cog - ob * nr);
          // dY^T panel: panel[p][j] = gy[o0 + j][p], zero past the valid channels.
          T* pp = panel.get();
          // Register transposes: as 16 x 16 scalar blocks this took 12 % of the stride-2 3x3
          // 64 -> 128 grad-weight on AVX-512 (Zen 5, 1 thread).
          k.transpose({gyn + o0 * hw_out, hw_out, valid, hw_out, pp, nr});
          if (valid < nr)
            for (int64_t p = 0; p < hw_out; ++p) std::fill(pp + p * nr + valid, pp + (p + 1) * nr, T(0));
          for (int64_t p0 = 0; p0 < hw_out; p0 += depth_block) {
            GatherTileArgs<T> a;
            a.m = kg;
            a.depth = std::min(depth_block, hw_out - p0);
            a.base = xn + g * s.cin_g() * geo.plane();
            a.row_off = taps.data();
            a.depth_off = pos.data() + p0;
            a.run = run;
            a.panel = pp + p0 * nr;
            a.nv = static_cast<int>(nv);
            a.nr = valid;
            a.out = acc + g * kg * cog + ob * nr;
            a.ldo = cog;
            a.accumulate = n != n0 || p0 != 0;
            k.gather(a);
          }
        }
    }
  });
  // gw[g*cog + o][d] = sum over chunks, in chunk order, of partial[g][d][o]: the chunks added
  // element-wise into the first (contiguous, in parallel), then transposed in blocks of taps
  // (one task per group left a 64 -> 64 5x5 layer's reduction, 4 % of its 2-thread backward,
  // on one thread).
  add_chunks(partials.get(), partials.get() + wsize, chunks - 1, wsize, partials.get());
  constexpr int64_t kTapBlock = 64;
  const int64_t tblocks = (kg + kTapBlock - 1) / kTapBlock;
  parallel_for(s.groups * tblocks, [&](int64_t task) {
    const int64_t g = task / tblocks, d0 = task % tblocks * kTapBlock, d1 = std::min(kg, d0 + kTapBlock);
    k.transpose({partials.get() + (g * kg + d0) * cog, cog, d1 - d0, cog, gw + g * cog * kg + d0, kg});
  });
}

// Grad-input of a stride-1 convolution with scatter tiles: per image, dY is laid out on the
// extended grid (zeros on its padding columns), the tiles add W^T dY into a zeroed padded image,
// and the padding is cropped off. One task per image (tiles of one image overlap).
template <typename T>
void scatter_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx, const TileKernels<T>& k) {
  const auto geo = padded_geometry(s);
  const int64_t hw_in = s.h * s.w, hw_out = s.ho * s.wo, kg = s.k_g(), cog = s.cout_g();
  constexpr int64_t mr = kConvTileRows;
  const int64_t nr = 2 * k.width;
  const int64_t ttiles = (kg + mr - 1) / mr;

  // Taps in (i, j, c) order: the rows of a tile then come from different channels, so their
  // read-modify-writes never overlap (overlapping unaligned stores and loads in a row stall
  // store-to-load forwarding).
  std::vector<int64_t> order(static_cast<size_t>(kg));
  for (int64_t i = 0, e = 0; i < s.kh; ++i)
    for (int64_t j = 0; j < s.kw; ++j)
      for (int64_t c = 0; c < s.cin_g(); ++c) order[static_cast<size_t>(e++)] = (c * s.kh + i) * s.kw + j;
  const auto weight_order_taps = tap_offsets(s, geo);
  std::vector<int32_t> taps(static_cast<size_t>(kg));
  for (int64_t e = 0; e < kg; ++e) taps[static_cast<size_t>(e)] = weight_order_taps[static_cast<size_t>(order[e])];

  // Panels: panel (g, t)[o][r] = w[g*cog + o][order[t*6 + r]], zero past the group's taps.
  AlignedBuffer<T> apack(static_cast<size_t>(s.groups * ttiles * cog * mr));
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t t = 0; t < ttiles; ++t) {
      T* p = apack.get() + (g * ttiles + t) * cog * mr;
      for (int64_t o = 0; o < cog; ++o)
        for (int64_t r = 0; r < mr; ++r) {
          const int64_t e = t * mr + r;
          p[o * mr + r] = e < kg ? w[(g * cog + o) * kg + order[static_cast<size_t>(e)]] : T(0);
        }
    }
  const int64_t q_total = extended_grid_size(s, geo);
  const int64_t ldg = round_up(q_total, nr);
  const int64_t image_size = s.c_in * geo.plane() + kPadSlack;

  const int64_t grad_at = round_up(image_size, 16);
  parallel_for(s.n, [&](int64_t n) {
    T* image = scratch<T>(static_cast<size_t>(grad_at + s.c_out * ldg));
    T* grad = image + grad_at;
    std::fill(image, image + image_size, T(0));
    spread_to_grid(s, geo, gy + n * s.c_out * hw_out, ldg, grad);
    for (int64_t g = 0; g < s.groups; ++g) {
      ScatterTileArgs<T> a;
      a.taps = kg;
      a.depth = cog;
      a.apack = apack.get() + g * ttiles * cog * mr;
      a.tap_off = taps.data();
      a.grad = grad + g * cog * ldg;
      a.ldg = ldg;
      a.q_begin = 0;
      a.q_end = q_total;
      a.image = image + g * s.cin_g() * geo.plane();
      k.scatter(a);
    }
    // Crop the padding off (padding by minus ph, pw): gx[c][i][j] = image[c][i + ph][j + pw],
    // zero where the windows never reached.
    pad_image(image, s.c_in, geo.hp, geo.wp, -s.ph, -s.pw, PaddedGeometry{s.h, s.w}, gx + n * s.c_in * hw_in);
  });
}

// Grad-weight of a stride-1 convolution with dot tiles: per image, the padded input and dY on
// the extended grid; fixed batch chunks as the other grad-weight paths.
template <typename T>
void dot_backward_weight(const Conv2dShape& s, const T* x, const T* gy, T* gw, const TileKernels<T>& k) {
  const auto geo = padded_geometry(s);
  const int64_t hw_in = s.h * s.w, hw_out = s.ho * s.wo, kg = s.k_g(), cog = s.cout_g();
  const auto taps = tap_offsets(s, geo);
  const int64_t q_total = extended_grid_size(s, geo);
  const int64_t q_len = round_up(q_total, k.width);
  const int64_t image_size = round_up(s.c_in * geo.plane() + kPadSlack, 16);

  const int64_t chunks = std::min<int64_t>(s.n, kWeightChunks);
  const int64_t wsize = s.c_out * kg;
  AlignedBuffer<T> partials(static_cast<size_t>(chunks * wsize));
  parallel_for(chunks, [&](int64_t ch) {
    const int64_t n0 = ch * s.n / chunks, n1 = (ch + 1) * s.n / chunks;
    T* image = scratch<T>(static_cast<size_t>(image_size + s.c_out * q_len));
    T* grad = image + image_size;
    for (int64_t n = n0; n < n1; ++n) {
      pad_image(x + n * s.c_in * hw_in, s.c_in, s.h, s.w, s.ph, s.pw, geo, image);
      std::fill(image + s.c_in * geo.plane(), image + image_size, T(0));
      spread_to_grid(s, geo, gy + n * s.c_out * hw_out, q_len, grad);
      for (int64_t g = 0; g < s.groups; ++g) {
        DotTileArgs<T> a;
        a.m = cog;
        a.taps = kg;
        a.grad = grad + g * cog * q_len;
        a.ldg = q_len;
        a.q_len = q_len;
        a.image = image + g * s.cin_g() * geo.plane();
        a.tap_off = taps.data();
        a.out = partials.get() + ch * wsize + g * cog * kg;
        a.ldo = kg;
        a.accumulate = n != n0;
        k.dot(a);
      }
    }
  });
  add_chunks(partials.get(), partials.get() + wsize, chunks - 1, wsize, gw);
}

// Grad-input of a strided, undilated convolution as one stride-1 gather convolution per phase.
// Input row ih is reached only by the kernel rows kh = a + sh*t with a = (ih + ph) mod sh:
// writing ih + ph = sh*u + a, its gradient is
//
//     dX[c, ih] = sum_{o, t} W[o, c, a + sh*t] * dY[o, u - t]      (t < ceil((kh - a) / sh))
//
// and likewise along columns, so each of the sh*sw phases is a correlation of dY with that
// phase's taps: gather tiles with rows the phase's input positions, depth (o, t, t') read from
// dY padded by the largest t on top and left, columns the input channels. It computes the
// products im2col's GEMM does, without writing its columns matrix or adding it back (col2im):
// the tiles store each phase's results straight into its places in dX (an output offset per
// row). A phase without taps (a kernel narrower than the stride) has a zero gradient.
struct StridePhase {
  int64_t first = 0, count = 0;  // u of the phase's first input row / column, and how many
  int64_t taps = 0;              // kernel rows / columns of the phase
};

// Phase a of one axis: input size `in`, padding `pad`, stride `st`, kernel size `k`.
StridePhase stride_phase(int64_t in, int64_t pad, int64_t st, int64_t k, int64_t a) {
  StridePhase p;
  p.taps = a < k ? (k - a - 1) / st + 1 : 0;
  // ih = st*u + a - pad in [0, in): u from ceil((pad - a) / st) (>= 0, as a < st) to
  // floor((in - 1 + pad - a) / st).
  p.first = pad - a <= 0 ? 0 : (pad - a - 1) / st + 1;
  const int64_t top = in - 1 + pad - a;
  p.count = top < 0 ? 0 : std::max<int64_t>(0, top / st - p.first + 1);
  return p;
}

// dY padded for the phases: the largest t (top) / t' (left) of zeros before it, and zeros up
// to the furthest row / column any phase reads.
PaddedGeometry phase_dy_geometry(const Conv2dShape& s) {
  return {std::max(s.ho, (s.h - 1 + s.ph) / s.sh + 1) + (s.kh - 1) / s.sh,
          std::max(s.wo, (s.w - 1 + s.pw) / s.sw + 1) + (s.kw - 1) / s.sw};
}

// Strided and undilated, with int32 offsets into the padded dY (as implicit_fits).
bool phase_gather_fits(const Conv2dShape& s) {
  if ((s.sh == 1 && s.sw == 1) || s.dh != 1 || s.dw != 1) return false;
  return static_cast<double>(s.c_out) * static_cast<double>(phase_dy_geometry(s).plane()) + kPadSlack < 2.0e9;
}

template <typename T>
void phase_gather_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx, const TileKernels<T>& k) {
  const int64_t hw_in = s.h * s.w, cig = s.cin_g(), cog = s.cout_g();
  const int64_t nv = cig > k.width ? 2 : 1, nr = nv * k.width;
  const int64_t cblocks = (cig + nr - 1) / nr;
  const int64_t top = (s.kh - 1) / s.sh, left = (s.kw - 1) / s.sw;
  const PaddedGeometry geo = phase_dy_geometry(s);
  Conv2dShape dy_shape;  // what PaddedImages pads: dY as an image of c_out channels
  dy_shape.n = s.n, dy_shape.c_in = s.c_out, dy_shape.h = s.ho, dy_shape.w = s.wo;
  dy_shape.ph = top, dy_shape.pw = left;

  struct Phase {
    StridePhase rows, cols;
    std::vector<int32_t> pos, taps, out;  // positions in padded dY, taps, positions in dX
    AlignedBuffer<T> panels{0};
  };
  std::vector<Phase> phases;
  // A phase with input positions but no taps has a zero gradient there: the task that owns
  // the whole image zero-fills it first.
  bool covered = true;
  for (int64_t a = 0; a < s.sh; ++a)
    for (int64_t b = 0; b < s.sw; ++b) {
      Phase p;
      p.rows = stride_phase(s.h, s.ph, s.sh, s.kh, a);
      p.cols = stride_phase(s.w, s.pw, s.sw, s.kw, b);
      if (p.rows.count == 0 || p.cols.count == 0) continue;  // no input position in this phase
      if (p.rows.taps == 0 || p.cols.taps == 0) {
        covered = false;
        continue;
      }
      const int64_t th = p.rows.taps, tw = p.cols.taps, depth = cog * th * tw;
      for (int64_t u = p.rows.first; u < p.rows.first + p.rows.count; ++u)
        for (int64_t v = p.cols.first; v < p.cols.first + p.cols.count; ++v) {
          p.pos.push_back(static_cast<int32_t>(u * geo.wp + v));
          p.out.push_back(static_cast<int32_t>((s.sh * u + a - s.ph) * s.w + s.sw * v + b - s.pw));
        }
      // Depth (o, t, t') with t' from the last column tap down, so a row of taps reads
      // consecutive dY columns (runs of tw at step 1, as the forward's kernel rows).
      p.taps.resize(static_cast<size_t>(depth));
      p.panels = AlignedBuffer<T>(static_cast<size_t>(s.groups * cblocks * depth * nr));
      for (int64_t o = 0; o < cog; ++o)
        for (int64_t t = 0; t < th; ++t)
          for (int64_t e = 0; e < tw; ++e) {
            const int64_t d = (o * th + t) * tw + e, tc = tw - 1 - e;
            p.taps[static_cast<size_t>(d)] = static_cast<int32_t>(o * geo.plane() + (top - t) * geo.wp + left - tc);
            for (int64_t g = 0; g < s.groups; ++g)
              for (int64_t cb = 0; cb < cblocks; ++cb) {
                T* panel = p.panels.get() + ((g * cblocks + cb) * depth + d) * nr;
                for (int64_t j = 0; j < nr; ++j) {
                  const int64_t c = cb * nr + j;
                  panel[j] = c < cig ? w[(((g * cog + o) * cig + c) * s.kh + a + s.sh * t) * s.kw + b + s.sw * tc]
                                     : T(0);
                }
              }
          }
      phases.push_back(std::move(p));
    }

  const bool whole_images = s.n >= kImagesForWholeTasks || !covered;
  const PaddedImages<T> images(dy_shape, gy, geo, whole_images, 0);
  const int64_t nphases = static_cast<int64_t>(phases.size());
  const int64_t per_image = whole_images ? 1 : std::max<int64_t>(nphases, 1);
  // Stride 2 x 2 in whole-image tasks: each phase's tiles write its own plane of dX values,
  // contiguous, into the task's scratch (so they take the forward's register-transposed stores
  // and depth blocks instead of one scalar store per value at the phase's places), and the two
  // column phases of each row are then interleaved into dX by register shuffles. 3x3 64 -> 128
  // stride 2 on [8, 64, 56, 56], full-width AVX-512 Zen 5, best of six interleaved runs: 4.67
  // -> 4.44 ms at 1 thread, 2.54 -> 2.40 at 2 (the tiles from 74 % to 93 % of the FMA peak, the
  // interleave 6 %); with AVX2 kernels level (8.47 / 8.50).
  const bool planes = whole_images && covered && s.sh == 2 && s.sw == 2 && nphases == 4;
  std::vector<int64_t> plane_at(static_cast<size_t>(nphases) + 1, 0);  // phase planes in the scratch
  for (int64_t pi = 0; pi < nphases; ++pi)
    plane_at[static_cast<size_t>(pi) + 1] =
        plane_at[static_cast<size_t>(pi)] + round_up(s.c_in * static_cast<int64_t>(phases[static_cast<size_t>(pi)].pos.size()), 16);
  parallel_for(s.n * per_image, [&](int64_t task) {
    const int64_t n = task / per_image;
    const int64_t p0 = whole_images ? 0 : task % per_image, p1 = whole_images ? nphases : std::min(nphases, p0 + 1);
    T* gxn = gx + n * s.c_in * hw_in;
    if (!covered) std::fill(gxn, gxn + s.c_in * hw_in, T(0));  // whole-image tasks
    if (p0 >= p1) return;
    const T* dyn = images.image(n);
    T* tmp = planes ? phase_scratch<T>(static_cast<size_t>(plane_at.back())) : nullptr;
    for (int64_t pi = p0; pi < p1; ++pi) {
      const Phase& p = phases[static_cast<size_t>(pi)];
      const int64_t depth = cog * p.rows.taps * p.cols.taps, npos = static_cast<int64_t>(p.pos.size());
      for (int64_t g = 0; g < s.groups; ++g)
        for (int64_t cb = 0; cb < cblocks; ++cb) {
          GatherTileArgs<T> ga;
          ga.m = npos;
          ga.depth = depth;
          ga.base = dyn + g * cog * geo.plane();
          ga.row_off = p.pos.data();
          ga.depth_off = p.taps.data();
          ga.run = p.cols.taps;
          ga.run_step = 1;
          ga.panel = p.panels.get() + (g * cblocks + cb) * depth * nr;
          ga.nv = static_cast<int>(nv);
          ga.nr = std::min(nr, cig - cb * nr);
          ga.transpose_out = true;
          if (planes) {
            ga.out = tmp + plane_at[static_cast<size_t>(pi)] + (g * cig + cb * nr) * npos;
            ga.ldo = npos;
          } else {
            ga.out = gxn + (g * cig + cb * nr) * hw_in;
            ga.ldo = hw_in;
            ga.out_off = p.out.data();  // straight into the phase's places in dX
          }
          k.gather(ga);
        }
    }
    if (!planes) return;
    // dX row i is phase row a = (i + ph) % 2; its column j comes from column phase (j + pw) % 2,
    // whose first column is j = 0 or 1 (stride_phase: the first in-range one).
    for (int64_t c = 0; c < s.c_in; ++c)
      for (int64_t i = 0; i < s.h; ++i) {
        const int64_t a = (i + s.ph) % 2, u = (i + s.ph) / 2;
        const T* cols[2];
        for (int64_t q = 0; q < 2; ++q) {
          const int64_t pi = a * 2 + (q + s.pw) % 2;
          const Phase& p = phases[static_cast<size_t>(pi)];
          cols[q] = tmp + plane_at[static_cast<size_t>(pi)] + c * static_cast<int64_t>(p.pos.size()) +
                    (u - p.rows.first) * p.cols.count;
        }
        k.interleave({cols[0], cols[1], s.w / 2, s.w % 2 != 0, gxn + (c * s.h + i) * s.w});
      }
  });
}

// ---- path choice ----------------------------------------------------------------------------------
// One table (conv2d_plan): shape and forced family -> the path of each pass. `width` is the tile
// kernels' vector width in elements.

// Winograd pays off when its GEMMs are deep and wide enough to run near the GEMM's peak and
// the edge tiles waste little: its multiplications per tile (16 for 3x3, 36 for 5x5) must stay
// at most 2/3 of the direct ones (9 or 25 per output).
//
// F(2x2, 3x3): measured on bench_conv's 3x3 64 -> 64 layer (forward and grad-input faster than
// every implicit path); the floor of 16 channels each way is a guess below which the GEMMs'
// depth (Cin) or height (Cout) would leave them mostly overhead.
//
// F(2x2, 5x5): its 6x6 input transform costs far more per input channel than the output
// transform per output channel, so it needs 16 channels each way and at least half as many
// output as input channels. Measured on Zen 4, 1 thread, forward against the gather path
// (AVX2 kernels; AVX-512 alike): [8, 64, 28, 28] -> 64, padding 2: 8.1 ms against 11.6;
// 32 -> 32: 2.1 / 2.9; 16 -> 64: 2.1 / 2.9; 16 -> 16: 0.70 / 0.75 (AVX-512 0.56 / 0.74);
// [64, 16, 14, 14] -> 32 unpadded: 1.23 / 1.52; but 64 -> 16: 4.0 / 2.9, and LeNet's conv2
// (6 -> 16): 1.35 / 1.21. Grad-input runs the transposed convolution (Cin and Cout swapped),
// so the rule is applied to that shape: 16 -> 64's grad-input (64 -> 16) stays on gather
// (4.2 against 3.0) while 64 -> 16's (16 -> 64) takes Winograd (2.1 against 3.0).
bool winograd_pays(const Conv2dShape& s) {
  if (!winograd_eligible(s) || s.cin_g() < 16 || s.cout_g() < 16) return false;
  const double r = static_cast<double>(s.kh), alpha = r + 1;
  if (s.kh == 5 && 2 * s.cout_g() < s.cin_g()) return false;
  const double tiles = static_cast<double>((s.ho + 1) / 2) * static_cast<double>((s.wo + 1) / 2);
  return r * r * static_cast<double>(s.ho) * static_cast<double>(s.wo) >= 1.5 * alpha * alpha * tiles;
}

// Output channels from which the gather tile beats the shift tile: two vectors of channels,
// but never more than 16. With AVX-512's 16 floats a vector, a single full vector already wins:
// LeNet conv2 (6 -> 16, 5x5) forward 1.19 ms on gather against 2.14 on shift, grad-weight 1.27
// against 5.67 on dot (Zen 4, AVX-512 kernels forced, 1 thread). Below 16 the lanes run half
// empty and shift / dot stay ahead (LeNet conv1, 6 channels).
int64_t gather_min_channels(int64_t width) { return std::min<int64_t>(2 * width, 16); }

// The batch-lane path (float only: `lanes`) wins where the gather tile's one vector of output
// channels is bound by its loads, the shift tile wastes the lanes past a narrow row and the 2-D
// Winograd's depth is too shallow: few channels, small images, a batch of whole vectors. LeNet
// on a full-width AVX-512 EPYC (Zen 5), forward at 1 thread: conv2 0.45 ms against gather's
// 0.73, conv1 (1 -> 6, padding 2) 0.45 against shift's 0.69. A group's scratch (582 KiB for
// conv1 on AVX-512) stays within a 1 MiB L2. With 8-float vectors (AVX2 kernels on the same
// machine) conv2 still gains (0.84-0.90 ms against 1.03-1.10), but conv1's single input channel
// leaves the transforms most of the work and shift stays ahead (0.68-0.71 against 0.73-0.74).
bool batch_winograd_pays(const Conv2dShape& s, int64_t width, bool lanes) {
  if (!(lanes && width >= 8 && batch_winograd_eligible(s) && s.kh == 5 && s.n >= 4 * width && s.c_in <= 16 &&
        s.c_out <= 32 && batch_winograd_scratch(s, width) * 4 <= (int64_t{1} << 20)))
    return false;
  return width >= 16 || s.c_in >= 2;
}

constexpr int64_t kBatchWinogradForcedMaxScratch = int64_t{8} << 20;

// `lanes`: whether the batch-lane path may be picked (float only; the grad-input's transposed
// convolution asks auto_forward with false: its batch-lane form is auto_grad_input's own rule).
ConvPath auto_forward(const Conv2dShape& s, int64_t width, bool lanes) {
  if (conv2d_use_direct(s)) return ConvPath::kDirect;
  if (winograd_pays(s)) return ConvPath::kWinograd;
  if (batch_winograd_pays(s, width, lanes)) return ConvPath::kBatchWinograd;
  // A pointwise convolution is one GEMM per image. With 16-float vectors the gather tile runs
  // it without im2col's packing of X: 1x1 256 -> 64 on [8, 256, 28, 28] 1.92 ms against 2.20
  // (Zen 4, AVX-512 kernels, 1 thread); with 8-float vectors im2col stays ahead (2.20 / 2.46).
  if (s.pointwise() && width >= 16 && implicit_fits(s) && s.cout_g() >= width) return ConvPath::kGather;
  if (s.pointwise() || !implicit_fits(s)) return ConvPath::kIm2col;
  if (s.cout_g() >= gather_min_channels(width)) return ConvPath::kGather;
  if (s.sh == 1 && s.sw == 1) return ConvPath::kShift;
  if (s.cout_g() >= width) return ConvPath::kGather;
  return ConvPath::kIm2col;
}

// The stride-1 convolution whose forward pass is this convolution's grad-input: input dY,
// output dX, the padding that makes every window of dX reach the taps that touched it.
Conv2dShape transposed_shape(const Conv2dShape& s) {
  Conv2dShape t = s;
  t.c_in = s.c_out, t.h = s.ho, t.w = s.wo;
  t.c_out = s.c_in, t.ho = s.h, t.wo = s.w;
  t.sh = t.sw = 1;
  t.ph = (s.kh - 1) * s.dh - s.ph;
  t.pw = (s.kw - 1) * s.dw - s.pw;
  return t;
}

ConvPath auto_grad_input(const Conv2dShape& s, int64_t width, bool lanes) {
  if (conv2d_use_direct(s)) return ConvPath::kDirect;
  if (s.pointwise()) return ConvPath::kIm2col;
  // Strided: the phases' gather tiles have the input channels as columns, which must fill
  // vectors as the forward's output channels do. 3x3 64 -> 128 stride 2 on [8, 64, 56, 56]:
  // 6.0 ms against im2col's 7.0-7.2 (full-width AVX-512 EPYC, 1 thread; at 2 threads level
  // within the machine's noise, 3.4-4.1 against 3.5-4.0).
  if (!(s.sh == 1 && s.sw == 1))
    return phase_gather_fits(s) && s.cin_g() >= gather_min_channels(width) ? ConvPath::kPhaseGather
                                                                           : ConvPath::kIm2col;
  const Conv2dShape t = transposed_shape(s);
  if (winograd_pays(t)) return ConvPath::kTransposedWinograd;  // the rule on the convolution it runs
  // LeNet conv2's grad-input (16 -> 6 transposed, padding 4): the batch-lane products skip the
  // 4-row zero border of dY as the scatter tiles do, and take 6 products per 2 outputs. Zen 5,
  // AVX-512, 1 thread: 0.95-0.99 ms against scatter's 1.32-1.69; 2 threads 0.46-0.51 against
  // 0.82; AVX2 kernels 1.64-1.75 against 2.10-2.40. LeNet conv1's grad-input (6 -> 1, when an
  // input needs it) with AVX2 kernels: 1.29-1.62 against scatter's 2.49-2.75; with AVX-512 its
  // group scratch (1.6 MB) is past the rule's 1 MiB and scatter keeps it.
  if (batch_winograd_pays(t, width, lanes)) return ConvPath::kTransposedBatchWinograd;
  const ConvPath t_path = auto_forward(t, width, false);
  // With few input channels the transposed convolution's gather tiles would run mostly empty
  // and its shift tiles would multiply the zero border of dY: scatter tiles skip both. They
  // parallelise over images only.
  if (implicit_fits(s) && t_path != ConvPath::kGather && s.n >= kImagesForWholeTasks) return ConvPath::kScatter;
  if (!implicit_fits(t)) return ConvPath::kIm2col;
  return t_path == ConvPath::kGather ? ConvPath::kTransposedGather : ConvPath::kTransposedShift;
}

ConvPath auto_grad_weight(const Conv2dShape& s, int64_t width) {
  if (conv2d_use_direct(s)) return ConvPath::kDirect;
  if (!implicit_fits(s)) return ConvPath::kIm2col;
  // Few output channels would leave the gather tile's vector lanes empty.
  if (s.sh == 1 && s.sw == 1 && s.cout_g() < gather_min_channels(width) && !s.pointwise()) return ConvPath::kDot;
  return ConvPath::kGather;
}

ConvPlan plan_for(const Conv2dShape& s, ConvAlgo algo, int64_t width, bool lanes) {
  ConvPlan p{auto_forward(s, width, lanes), auto_grad_input(s, width, lanes), auto_grad_weight(s, width)};
  const bool stride1 = s.sh == 1 && s.sw == 1;
  const bool fits = implicit_fits(s);
  const bool transposed_fits = stride1 && implicit_fits(transposed_shape(s));
  // transposed_shape keeps the r x r kernel and stride 1 and maps padding p to r - 1 - p.
  const bool winograd = winograd_eligible(s) && winograd_eligible(transposed_shape(s));
  switch (algo) {
    case ConvAlgo::kAuto:
      break;
    case ConvAlgo::kDirect:
      p = {ConvPath::kDirect, ConvPath::kDirect, ConvPath::kDirect};
      break;
    case ConvAlgo::kIm2col:
      p = {ConvPath::kIm2col, ConvPath::kIm2col, ConvPath::kIm2col};
      break;
    case ConvAlgo::kGather:
      if (fits) p.forward = p.grad_weight = ConvPath::kGather;
      if (transposed_fits) p.grad_input = ConvPath::kTransposedGather;
      if (phase_gather_fits(s)) p.grad_input = ConvPath::kPhaseGather;
      break;
    case ConvAlgo::kShift:
    case ConvAlgo::kScatter:
      if (fits && stride1) {
        p.forward = ConvPath::kShift;
        p.grad_weight = ConvPath::kDot;
      }
      if (algo == ConvAlgo::kShift && transposed_fits) p.grad_input = ConvPath::kTransposedShift;
      if (algo == ConvAlgo::kScatter && fits && stride1) p.grad_input = ConvPath::kScatter;
      break;
    case ConvAlgo::kWinograd:
      if (winograd) {
        p.forward = ConvPath::kWinograd;
        p.grad_input = ConvPath::kTransposedWinograd;
      }
      break;
    case ConvAlgo::kBatchWinograd:
      // Forced, it still keeps each thread's scratch (held until the thread exits) to 8M
      // elements: a large image falls back to the automatic choice.
      if (batch_winograd_eligible(s) && batch_winograd_scratch(s, width) <= kBatchWinogradForcedMaxScratch)
        p.forward = ConvPath::kBatchWinograd;
      if (stride1 && batch_winograd_eligible(transposed_shape(s)) &&
          batch_winograd_scratch(transposed_shape(s), width) <= kBatchWinogradForcedMaxScratch)
        p.grad_input = ConvPath::kTransposedBatchWinograd;
      break;
  }
  return p;
}

template <typename T>
void run_forward(ConvPath path, const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y,
                 const TileKernels<T>& k) {
  switch (path) {
    case ConvPath::kDirect: return direct_forward(s, x, w, bias, y);
    case ConvPath::kGather: return gather_forward(s, x, w, bias, y, k);
    case ConvPath::kShift: return shift_forward(s, x, w, bias, y, k);
    case ConvPath::kWinograd: return k.winograd({&s, x, w, bias, y});
    case ConvPath::kBatchWinograd: return k.batch_winograd({&s, x, w, bias, y});
    case ConvPath::kIm2col:
    default: return im2col_forward(s, x, w, bias, y);  // the plan gives forward no other path
  }
}

// Weights of the transposed convolution: wt[g*cin_g + c][o][i][j] = w[g*cog + o][c][kh-1-i][kw-1-j].
template <typename T>
std::vector<T> transposed_weight(const Conv2dShape& s, const T* w) {
  const int64_t cig = s.cin_g(), cog = s.cout_g(), taps = s.kh * s.kw;
  std::vector<T> wt(static_cast<size_t>(s.c_out * s.k_g()));
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t c = 0; c < cig; ++c)
      for (int64_t o = 0; o < cog; ++o)
        for (int64_t e = 0; e < taps; ++e)
          wt[static_cast<size_t>(((g * cig + c) * cog + o) * taps + e)] =
              w[((g * cog + o) * cig + c) * taps + (taps - 1 - e)];
  return wt;
}

}  // namespace

const char* conv_path_name(ConvPath p) {
  switch (p) {
    case ConvPath::kDirect: return "direct";
    case ConvPath::kIm2col: return "im2col";
    case ConvPath::kGather: return "gather";
    case ConvPath::kShift: return "shift";
    case ConvPath::kScatter: return "scatter";
    case ConvPath::kDot: return "dot";
    case ConvPath::kTransposedGather: return "transposed gather";
    case ConvPath::kTransposedShift: return "transposed shift";
    case ConvPath::kPhaseGather: return "phase gather";
    case ConvPath::kWinograd: return "winograd";
    case ConvPath::kTransposedWinograd: return "transposed winograd";
    case ConvPath::kBatchWinograd: return "batch winograd";
    case ConvPath::kTransposedBatchWinograd: return "transposed batch winograd";
  }
  return "?";
}

template <typename T>
ConvPlan conv2d_plan(const Conv2dShape& s, ConvConfig cfg) {
  return plan_for(s, cfg.algo, tile_kernels<T>(cfg.isa).width, std::is_same_v<T, float>);
}

template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y, ConvConfig cfg) {
  const auto k = tile_kernels<T>(cfg.isa);
  run_forward(plan_for(s, cfg.algo, k.width, std::is_same_v<T, float>).forward, s, x, w, bias, y, k);
}

template <typename T>
void conv2d_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx, ConvConfig cfg) {
  const auto k = tile_kernels<T>(cfg.isa);
  const ConvPath path = plan_for(s, cfg.algo, k.width, std::is_same_v<T, float>).grad_input;
  switch (path) {
    case ConvPath::kDirect: return direct_backward_input(s, gy, w, gx);
    case ConvPath::kScatter: return scatter_backward_input(s, gy, w, gx, k);
    case ConvPath::kPhaseGather: return phase_gather_backward_input(s, gy, w, gx, k);
    case ConvPath::kTransposedGather:
    case ConvPath::kTransposedShift:
    case ConvPath::kTransposedWinograd:
    case ConvPath::kTransposedBatchWinograd: {
      const Conv2dShape t = transposed_shape(s);
      const auto wt = transposed_weight(s, w);
      const ConvPath tile = path == ConvPath::kTransposedGather     ? ConvPath::kGather
                            : path == ConvPath::kTransposedShift    ? ConvPath::kShift
                            : path == ConvPath::kTransposedWinograd ? ConvPath::kWinograd
                                                                    : ConvPath::kBatchWinograd;
      return run_forward(tile, t, gy, wt.data(), static_cast<const T*>(nullptr), gx, k);
    }
    case ConvPath::kIm2col:
    default: return im2col_backward_input(s, gy, w, gx);  // the plan gives grad-input no other path
  }
}

template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* gy, T* gw, T* gbias, ConvConfig cfg) {
  const int64_t hw_out = s.ho * s.wo, kg = s.k_g();
  if (gbias) {
    // One channel per task, images summed in order.
    parallel_for(s.c_out, [&](int64_t o) {
      T acc = 0;
      for (int64_t n = 0; n < s.n; ++n) acc += sum_in_lanes(gy + (n * s.c_out + o) * hw_out, hw_out);
      gbias[o] = acc;
    });
  }
  if (!gw) return;
  if (s.n == 0) {
    std::fill(gw, gw + s.c_out * kg, T(0));
    return;
  }
  const auto k = tile_kernels<T>(cfg.isa);
  switch (plan_for(s, cfg.algo, k.width, std::is_same_v<T, float>).grad_weight) {
    case ConvPath::kDirect: return direct_backward_weight(s, x, gy, gw);
    case ConvPath::kGather: return gather_backward_weight(s, x, gy, gw, k);
    case ConvPath::kDot: return dot_backward_weight(s, x, gy, gw, k);
    case ConvPath::kIm2col:
    default: return im2col_backward_weight(s, x, gy, gw);  // the plan gives grad-weight no other path
  }
}

#define XGRAD_CONV_INSTANTIATE(T)                                                                        \
  template void im2col<T>(const Conv2dShape&, const T*, int64_t, T*);                                    \
  template void col2im_add<T>(const Conv2dShape&, const T*, int64_t, T*);                                \
  template ConvPlan conv2d_plan<T>(const Conv2dShape&, ConvConfig);                                      \
  template void conv2d_forward<T>(const Conv2dShape&, const T*, const T*, const T*, T*, ConvConfig);     \
  template void conv2d_backward_input<T>(const Conv2dShape&, const T*, const T*, T*, ConvConfig);        \
  template void conv2d_backward_weight<T>(const Conv2dShape&, const T*, const T*, T*, T*, ConvConfig);
XGRAD_CONV_INSTANTIATE(float)
XGRAD_CONV_INSTANTIATE(double)
#undef XGRAD_CONV_INSTANTIATE

}  // namespace xgrad::kernels
