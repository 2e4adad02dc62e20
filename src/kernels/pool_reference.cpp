// Scalar twins of the pooling kernels: the statement of PyTorch's semantics, the test oracle and
// the fallback for shapes the SIMD path does not take. Loops follow PyTorch 1.13's CPU kernels
// so that tie-breaking, NaN handling and summation order agree with it.
#include "kernels/pool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace xgrad::kernels::reference {

namespace {
// Window taps of output o along one axis, in closed form: positions o*stride - pad + i*dilation
// for i < kernel, of which `count` (from `first` on) fall inside [0, in). Exact in 128-bit
// arithmetic for any option values, and no loop whose length depends on padding, dilation or
// the kernel size: the work per output is bounded by the input it reads.
struct Taps {
  int64_t first;  // first tap at or after 0 (may be >= in: then count is 0)
  int64_t count;
};
inline Taps dilated_taps(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t dilation, int64_t in) {
  using I = __int128;
  const I start = I(o) * stride - pad;
  // Skip the taps before 0: ceil(-start / dilation) of them.
  const I skip = start < 0 ? (-start + dilation - 1) / dilation : 0;
  const I first = start + skip * dilation;
  I count = 0;
  if (skip < kernel && first < in) count = std::min<I>(I(kernel) - skip, (I(in) - first + dilation - 1) / dilation);
  // first >= in only for an empty window; clamp so it stays an int64 (the index is then unused).
  const I max64 = std::numeric_limits<int64_t>::max();
  return {static_cast<int64_t>(std::min(first, max64)), static_cast<int64_t>(count)};
}

// Adaptive window of output i: [floor(i*n/m), ceil((i+1)*n/m)).
inline int64_t adaptive_start(int64_t i, int64_t n, int64_t m) { return (i * n) / m; }
inline int64_t adaptive_end(int64_t i, int64_t n, int64_t m) { return ((i + 1) * n + m - 1) / m; }
}  // namespace

template <typename T>
void max_pool2d_forward(const Pool2dShape& s, const T* input, T* output, int64_t* indices, int64_t plane_begin,
                        int64_t plane_end) {
  const int64_t in_plane = s.in_h * s.in_w;
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t p = plane_begin; p < plane_end; ++p) {
    const T* in = input + p * in_plane;
    T* out = output + p * out_plane;
    int64_t* idx = indices != nullptr ? indices + p * out_plane : nullptr;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const Taps rows = dilated_taps(oh, s.stride_h, s.pad_h, s.kernel_h, s.dilation_h, s.in_h);
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const Taps cols = dilated_taps(ow, s.stride_w, s.pad_w, s.kernel_w, s.dilation_w, s.in_w);
        // PyTorch's index of an empty window: its first tap at or after 0 (wrapping as int64
        // does there; backward ignores indices outside the plane).
        int64_t best_index = static_cast<int64_t>(static_cast<uint64_t>(rows.first) * static_cast<uint64_t>(s.in_w) +
                                                  static_cast<uint64_t>(cols.first));
        T best = -std::numeric_limits<T>::infinity();
        for (int64_t i = 0; i < rows.count; ++i) {
          const int64_t ih = rows.first + i * s.dilation_h;  // < in_h: no overflow
          for (int64_t j = 0; j < cols.count; ++j) {
            const int64_t iw = cols.first + j * s.dilation_w;
            const T v = in[ih * s.in_w + iw];
            if (v > best || std::isnan(v)) {
              best = v;
              best_index = ih * s.in_w + iw;
            }
          }
        }
        out[oh * s.out_w + ow] = best;
        if (idx != nullptr) idx[oh * s.out_w + ow] = best_index;
      }
    }
  }
}

template <typename T>
void max_pool2d_backward(const Pool2dShape& s, const T* grad_output, const int64_t* indices, T* grad_input,
                         int64_t plane_begin, int64_t plane_end) {
  const int64_t in_plane = s.in_h * s.in_w;
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t p = plane_begin; p < plane_end; ++p) {
    T* gin = grad_input + p * in_plane;
    const T* gout = grad_output + p * out_plane;
    const int64_t* idx = indices + p * out_plane;
    std::fill(gin, gin + in_plane, T(0));
    for (int64_t o = 0; o < out_plane; ++o) {
      const int64_t i = idx[o];
      if (i >= 0 && i < in_plane) gin[i] += gout[o];
    }
  }
}

namespace {
// PyTorch's avg-pool window: clipped to the padded input for the count_include_pad size, then
// to the input for the sum.
struct AvgWindow {
  int64_t h0, h1, w0, w1;
  long double divisor;  // may exceed int64 (two factors near 2^32 and more)
};
// Window ends and sizes in 128-bit arithmetic: a kernel or padding near INT64_MAX must neither
// wrap nor lose the divisor's low digits (PyTorch's int64 divisor is exact up to 2^63).
inline AvgWindow avg_window(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override, int64_t oh,
                            int64_t ow) {
  using I = __int128;
  I h0 = I(oh) * s.stride_h - s.pad_h;
  I w0 = I(ow) * s.stride_w - s.pad_w;
  I h1 = std::min<I>(h0 + s.kernel_h, I(s.in_h) + s.pad_h);
  I w1 = std::min<I>(w0 + s.kernel_w, I(s.in_w) + s.pad_w);
  const I padded_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<I>(h0, 0);
  w0 = std::max<I>(w0, 0);
  h1 = std::min<I>(h1, s.in_h);
  w1 = std::min<I>(w1, s.in_w);
  const I divisor = divisor_override != 0 ? I(divisor_override)
                    : count_include_pad  ? padded_size
                                         : (h1 - h0) * (w1 - w0);
  AvgWindow w;
  w.h0 = static_cast<int64_t>(h0);
  w.w0 = static_cast<int64_t>(w0);
  w.h1 = static_cast<int64_t>(std::max(h1, h0));
  w.w1 = static_cast<int64_t>(std::max(w1, w0));
  w.divisor = static_cast<long double>(divisor);
  return w;
}
}  // namespace

template <typename T>
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override, const T* input,
                        T* output, int64_t plane_begin, int64_t plane_end) {
  const int64_t in_plane = s.in_h * s.in_w;
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t p = plane_begin; p < plane_end; ++p) {
    const T* in = input + p * in_plane;
    T* out = output + p * out_plane;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const AvgWindow w = avg_window(s, count_include_pad, divisor_override, oh, ow);
        if (w.h0 >= w.h1 || w.w0 >= w.w1) {
          out[oh * s.out_w + ow] = T(0);
          continue;
        }
        T sum = 0;
        for (int64_t ih = w.h0; ih < w.h1; ++ih)
          for (int64_t iw = w.w0; iw < w.w1; ++iw) sum += in[ih * s.in_w + iw];
        out[oh * s.out_w + ow] = sum / static_cast<T>(w.divisor);
      }
    }
  }
}

template <typename T>
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const T* grad_output, T* grad_input, int64_t plane_begin, int64_t plane_end) {
  const int64_t in_plane = s.in_h * s.in_w;
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t p = plane_begin; p < plane_end; ++p) {
    T* gin = grad_input + p * in_plane;
    const T* gout = grad_output + p * out_plane;
    std::fill(gin, gin + in_plane, T(0));
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const AvgWindow w = avg_window(s, count_include_pad, divisor_override, oh, ow);
        if (w.h0 >= w.h1 || w.w0 >= w.w1) continue;
        const T g = gout[oh * s.out_w + ow] / static_cast<T>(w.divisor);
        for (int64_t ih = w.h0; ih < w.h1; ++ih)
          for (int64_t iw = w.w0; iw < w.w1; ++iw) gin[ih * s.in_w + iw] += g;
      }
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_forward(const Pool2dShape& s, const T* input, T* output, int64_t plane_begin,
                                 int64_t plane_end) {
  const int64_t in_plane = s.in_h * s.in_w;
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t p = plane_begin; p < plane_end; ++p) {
    const T* in = input + p * in_plane;
    T* out = output + p * out_plane;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const int64_t h0 = adaptive_start(oh, s.in_h, s.out_h), h1 = adaptive_end(oh, s.in_h, s.out_h);
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const int64_t w0 = adaptive_start(ow, s.in_w, s.out_w), w1 = adaptive_end(ow, s.in_w, s.out_w);
        T sum = 0;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) sum += in[ih * s.in_w + iw];
        // Two divisions, as PyTorch (sum / kh / kw), for the same rounding.
        out[oh * s.out_w + ow] = sum / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
      }
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_backward(const Pool2dShape& s, const T* grad_output, T* grad_input, int64_t plane_begin,
                                  int64_t plane_end) {
  const int64_t in_plane = s.in_h * s.in_w;
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t p = plane_begin; p < plane_end; ++p) {
    T* gin = grad_input + p * in_plane;
    const T* gout = grad_output + p * out_plane;
    std::fill(gin, gin + in_plane, T(0));
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const int64_t h0 = adaptive_start(oh, s.in_h, s.out_h), h1 = adaptive_end(oh, s.in_h, s.out_h);
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const int64_t w0 = adaptive_start(ow, s.in_w, s.out_w), w1 = adaptive_end(ow, s.in_w, s.out_w);
        const T g = gout[oh * s.out_w + ow] / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) gin[ih * s.in_w + iw] += g;
      }
    }
  }
}

template <typename T>
void adaptive_max_pool2d_forward(const Pool2dShape& s, const T* input, T* output, int64_t* indices,
                                 int64_t plane_begin, int64_t plane_end) {
  const int64_t in_plane = s.in_h * s.in_w;
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t p = plane_begin; p < plane_end; ++p) {
    const T* in = input + p * in_plane;
    T* out = output + p * out_plane;
    int64_t* idx = indices + p * out_plane;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const int64_t h0 = adaptive_start(oh, s.in_h, s.out_h), h1 = adaptive_end(oh, s.in_h, s.out_h);
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const int64_t w0 = adaptive_start(ow, s.in_w, s.out_w), w1 = adaptive_end(ow, s.in_w, s.out_w);
        int64_t best_index = h0 * s.in_w + w0;
        T best = -std::numeric_limits<T>::infinity();
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) {
            const T v = in[ih * s.in_w + iw];
            if (v > best || std::isnan(v)) {
              best = v;
              best_index = ih * s.in_w + iw;
            }
          }
        }
        out[oh * s.out_w + ow] = best;
        idx[oh * s.out_w + ow] = best_index;
      }
    }
  }
}

#define XGRAD_POOL_INSTANTIATE(T)                                                                               \
  template void max_pool2d_forward<T>(const Pool2dShape&, const T*, T*, int64_t*, int64_t, int64_t);            \
  template void max_pool2d_backward<T>(const Pool2dShape&, const T*, const int64_t*, T*, int64_t, int64_t);     \
  template void avg_pool2d_forward<T>(const Pool2dShape&, bool, int64_t, const T*, T*, int64_t, int64_t);       \
  template void avg_pool2d_backward<T>(const Pool2dShape&, bool, int64_t, const T*, T*, int64_t, int64_t);      \
  template void adaptive_avg_pool2d_forward<T>(const Pool2dShape&, const T*, T*, int64_t, int64_t);             \
  template void adaptive_avg_pool2d_backward<T>(const Pool2dShape&, const T*, T*, int64_t, int64_t);            \
  template void adaptive_max_pool2d_forward<T>(const Pool2dShape&, const T*, T*, int64_t*, int64_t, int64_t);
XGRAD_POOL_INSTANTIATE(float)
XGRAD_POOL_INSTANTIATE(double)
#undef XGRAD_POOL_INSTANTIATE

}  // namespace xgrad::kernels::reference
