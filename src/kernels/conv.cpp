// Convolution kernels: im2col / col2im, the GEMM-based passes and the direct path (conv.hpp).
#include "kernels/conv.hpp"

#include "kernels/gemm.hpp"
#include "kernels/parallel.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

namespace xgrad::kernels {
namespace {

// Per-thread growable scratch (im2col buffers), 64-byte aligned.
template <typename T>
T* scratch(size_t n) {
  struct Buf {
    struct Free {
      void operator()(T* p) const { ::operator delete[](p, std::align_val_t(64)); }
    };
    std::unique_ptr<T[], Free> data;
    size_t size = 0;
  };
  thread_local Buf buf;
  if (n > buf.size) {
    buf.data.reset(static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(64))));
    buf.size = n;
  }
  return buf.data.get();
}

// Output columns [lo, hi) whose input column ow*stride + off lies inside [0, w).
inline void valid_range(int64_t off, int64_t stride, int64_t w, int64_t wo, int64_t& lo, int64_t& hi) {
  // smallest ow with ow*stride + off >= 0, and first ow with ow*stride + off >= w
  lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  hi = w - off <= 0 ? 0 : (w - off + stride - 1) / stride;
  lo = std::min(lo, wo);
  hi = std::clamp(hi, lo, wo);
}

constexpr double kDirectMacs = 16384;

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

// ---- GEMM path ------------------------------------------------------------------------------------

template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  if (conv2d_use_direct(s)) return direct_forward(s, x, w, bias, y);
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
void conv2d_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx) {
  if (conv2d_use_direct(s)) return direct_backward_input(s, gy, w, gx);
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

template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* gy, T* gw, T* gbias) {
  const int64_t hw_in = s.h * s.w, hw_out = s.ho * s.wo, kg = s.k_g(), cog = s.cout_g();
  if (gbias) {
    // One channel per task, images summed in order.
    parallel_for(s.c_out, [&](int64_t o) {
      T acc = 0;
      for (int64_t n = 0; n < s.n; ++n) {
        const T* p = gy + (n * s.c_out + o) * hw_out;
        T part = 0;
        for (int64_t e = 0; e < hw_out; ++e) part += p[e];
        acc += part;
      }
      gbias[o] = acc;
    });
  }
  if (!gw) return;
  if (s.n == 0) {
    std::fill(gw, gw + s.c_out * kg, T(0));
    return;
  }
  if (conv2d_use_direct(s)) return direct_backward_weight(s, x, gy, gw);

  // Fixed chunks of the batch: chunk c sums its images in order into its own partial, then the
  // partials are added in chunk order. Neither depends on the thread count.
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
  for (int64_t ch = 1; ch < chunks; ++ch) {
    const T* p = partial_store.data() + (ch - 1) * wsize;
    for (int64_t e = 0; e < wsize; ++e) gw[e] += p[e];
  }
}

#define XGRAD_CONV_INSTANTIATE(T)                                                                   \
  template void im2col<T>(const Conv2dShape&, const T*, int64_t, T*);                               \
  template void col2im_add<T>(const Conv2dShape&, const T*, int64_t, T*);                           \
  template void conv2d_forward<T>(const Conv2dShape&, const T*, const T*, const T*, T*);            \
  template void conv2d_backward_input<T>(const Conv2dShape&, const T*, const T*, T*);               \
  template void conv2d_backward_weight<T>(const Conv2dShape&, const T*, const T*, T*, T*);
XGRAD_CONV_INSTANTIATE(float)
XGRAD_CONV_INSTANTIATE(double)
#undef XGRAD_CONV_INSTANTIATE

}  // namespace xgrad::kernels
