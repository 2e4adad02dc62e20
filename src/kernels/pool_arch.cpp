// SIMD max / average pooling for one instruction set: this file is compiled once per ISA
// (src/kernels/meson.build) and instantiates PoolKernel for `isa_arch`.
//
// Vectorised across output columns. A plane is first rewritten as "phased" rows: each input row,
// padded left and right (with -inf for max, 0 for avg), is split into `stride_w` phases, phase p
// holding padded columns p, p + S, p + 2S, ... Then the input column read by kernel column j for
// output column ow, S*ow + j*dilation_w (padded), is element ow + (j*dilation_w)/S of phase
// (j*dilation_w)%S: a contiguous run in ow for any stride, so every window step is one unaligned
// vector load. Rows are clipped per output row (the same for every lane), columns need no
// clipping at all thanks to the padding. The scan order per lane is PyTorch's (rows, then columns),
// so values, tie-breaking (first maximum) and NaN handling (last NaN) agree with the reference.
//
// The average backward runs the same geometry in reverse: gradients are added into phased rows
// (one vector add per window step), then the phases are interleaved back into grad_input.
#include "kernels/isa.hpp"
#include "kernels/pool.hpp"

#include <xsimd/xsimd.hpp>

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

template <typename T>
struct Scratch {
  struct Free {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  std::unique_ptr<T[], Free> data;
  size_t size = 0;
  T* get(size_t n) {
    if (n > size) {
      data.reset(static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(64))));
      size = n;
    }
    return data.get();
  }
};

template <typename T>
Scratch<T>& scratch() {
  thread_local Scratch<T> s;
  return s;
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

// Writes the S phases of one padded input row into dst (S rows of Q elements).
template <typename T>
void phase_row(const T* in, int64_t W, int64_t pad, const Layout& g, T pad_value, T* dst) {
  for (int64_t p = 0; p < g.S; ++p) {
    T* d = dst + p * g.Q;
    int64_t qa, qb;
    phase_range(p, g.S, pad, W, g.Q, qa, qb);
    std::fill(d, d + qa, pad_value);
    const T* src = in + (p + g.S * qa - pad);
    if (g.S == 1)
      gather_phase<1>(src, g.S, qb - qa, d + qa);
    else if (g.S == 2)
      gather_phase<2>(src, g.S, qb - qa, d + qa);
    else
      gather_phase<0>(src, g.S, qb - qa, d + qa);
    std::fill(d + qb, d + g.Q, pad_value);
  }
}

// Interleaves the phases of one padded gradient row back into an input row (padding dropped).
template <typename T>
void unphase_row(const T* src, int64_t W, int64_t pad, const Layout& g, T* out) {
  for (int64_t p = 0; p < g.S; ++p) {
    const T* s = src + p * g.Q;
    int64_t qa, qb;
    phase_range(p, g.S, pad, W, g.Q, qa, qb);
    T* dst = out + (p + g.S * qa - pad);
    if (g.S == 1)
      scatter_phase<1>(s + qa, g.S, qb - qa, dst);
    else if (g.S == 2)
      scatter_phase<2>(s + qa, g.S, qb - qa, dst);
    else
      scatter_phase<0>(s + qa, g.S, qb - qa, dst);
  }
}

template <class A, typename T>
xsimd::batch<T, A> lane_iota() {
  using B = xsimd::batch<T, A>;
  alignas(64) T v[B::size];
  for (size_t l = 0; l < B::size; ++l) v[l] = static_cast<T>(l);
  return B::load_aligned(v);
}

template <class A, typename T, bool WantIdx>
void max_forward(const PoolArgs<T>& a) {
  using B = xsimd::batch<T, A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const Pool2dShape& s = a.shape;
  const Layout g = make_layout(s, L, s.dilation_w);
  const int64_t row_elems = g.S * g.Q;
  T* buf = scratch<T>().get(static_cast<size_t>(s.in_h * row_elems + 2 * g.OWr));
  T* tmp_val = buf + s.in_h * row_elems;
  T* tmp_idx = tmp_val + g.OWr;
  constexpr bool want_idx = WantIdx;
  const T ninf = -std::numeric_limits<T>::infinity();
  const B lane_cols = lane_iota<A, T>() * B(static_cast<T>(g.S));
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;

  for (int64_t p = a.plane_begin; p < a.plane_end; ++p) {
    const T* in = a.input + p * in_plane;
    T* out = a.output + p * out_plane;
    int64_t* idx = want_idx ? a.indices + p * out_plane : nullptr;
    for (int64_t ih = 0; ih < s.in_h; ++ih) phase_row(in + ih * s.in_w, s.in_w, s.pad_w, g, ninf, buf + ih * row_elems);

    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const int64_t h0 = oh * s.stride_h - s.pad_h;
      for (int64_t ow0 = 0; ow0 < g.OWr; ow0 += L) {
        B best(ninf);
        B best_idx(T(-1));
        const B cols = lane_cols + B(static_cast<T>(g.S * ow0));
        for (int64_t i = 0; i < s.kernel_h; ++i) {
          const int64_t ih = h0 + i * s.dilation_h;
          if (ih < 0 || ih >= s.in_h) continue;
          const T* row = buf + ih * row_elems + ow0;
          for (int64_t j = 0; j < s.kernel_w; ++j) {
            const auto ju = static_cast<size_t>(j);
            const B v = B::load_unaligned(row + g.phase[ju] * g.Q + g.qoff[ju]);
            const auto take = (v > best) | xsimd::isnan(v);
            best = xsimd::select(take, v, best);
            if constexpr (want_idx)
              best_idx = xsimd::select(take, cols + B(static_cast<T>(ih * s.in_w - s.pad_w + j * s.dilation_w)), best_idx);
          }
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
          // (GCC 12's AVX-512 conversion intrinsic trips -Wmaybe-uninitialized: scalar there.)
          if constexpr (sizeof(T) == 4 && !std::is_same_v<A, xsimd::avx512f>) {
            alignas(64) int32_t lanes[L];
            xsimd::batch_cast<int32_t>(best_idx).store_aligned(lanes);
            for (int64_t l = 0; l < n; ++l) irow[l] = lanes[l];
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
  T* buf = scratch<T>().get(static_cast<size_t>(s.in_h * row_elems + 2 * g.OWr));
  T* col_div = buf + s.in_h * row_elems;
  T* tmp_val = col_div + g.OWr;
  for (int64_t ow = 0; ow < g.OWr; ++ow)
    col_div[ow] = ow < s.out_w ? static_cast<T>(avg_extent(ow, s.stride_w, s.pad_w, s.kernel_w, s.in_w, a.count_include_pad))
                               : T(1);
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;

  for (int64_t p = a.plane_begin; p < a.plane_end; ++p) {
    const T* in = a.input + p * in_plane;
    T* out = a.output + p * out_plane;
    for (int64_t ih = 0; ih < s.in_h; ++ih) phase_row(in + ih * s.in_w, s.in_w, s.pad_w, g, T(0), buf + ih * row_elems);

    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const int64_t h0 = oh * s.stride_h - s.pad_h;
      const int64_t hs = std::max<int64_t>(h0, 0), he = std::min(h0 + s.kernel_h, s.in_h);
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
  T* buf = scratch<T>().get(static_cast<size_t>(s.in_h * row_elems + 2 * g.OWr));
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
    for (int64_t ih = 0; ih < s.in_h; ++ih) unphase_row(buf + ih * row_elems, s.in_w, s.pad_w, g, gin + ih * s.in_w);
  }
}

}  // namespace pool_detail
}  // namespace

template <class Arch, typename T>
void PoolKernel::operator()(Arch, const PoolArgs<T>& args) const {
  switch (args.op) {
    case PoolOp::kMaxForward:
      if (args.indices != nullptr)
        pool_detail::max_forward<Arch, T, true>(args);
      else
        pool_detail::max_forward<Arch, T, false>(args);
      break;
    case PoolOp::kAvgForward: pool_detail::avg_forward<Arch, T>(args); break;
    case PoolOp::kAvgBackward: pool_detail::avg_backward<Arch, T>(args); break;
  }
}

template void PoolKernel::operator()<isa_arch, float>(isa_arch, const PoolArgs<float>&) const;
template void PoolKernel::operator()<isa_arch, double>(isa_arch, const PoolArgs<double>&) const;

}  // namespace xgrad::kernels
