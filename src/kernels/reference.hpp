#pragma once
// Scalar reference twins of the SIMD kernels: plain loops that state what each kernel computes.
// They are the test oracle and the statement of semantics; they are not used on hot paths.

#include "kernels/gemm.hpp"

#include <cstdint>

namespace xgrad::kernels::reference {

/// C = alpha * op(A) op(B) + beta * C (+ bias), with gemm()'s exact contract (see gemm.hpp).
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc, const T* bias = nullptr,
          Bias bias_kind = Bias::kNone) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      T acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        const T av = trans_a ? a[p * lda + i] : a[i * lda + p];
        const T bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      T v = alpha * acc;
      if (beta != T(0)) v += beta * c[i * ldc + j];
      if (bias != nullptr && bias_kind == Bias::kPerRow) v += bias[i];
      if (bias != nullptr && bias_kind == Bias::kPerCol) v += bias[j];
      c[i * ldc + j] = v;
    }
  }
}

}  // namespace xgrad::kernels::reference

#include "kernels/conv.hpp"

namespace xgrad::kernels::reference {

namespace detail {
template <typename T>
inline const T* conv_tap(const Conv2dShape& s, const T* x, int64_t n, int64_t c, int64_t oh, int64_t ow, int64_t i,
                         int64_t j) {
  const int64_t ih = oh * s.sh - s.ph + i * s.dh;
  const int64_t iw = ow * s.sw - s.pw + j * s.dw;
  if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) return nullptr;
  return x + ((n * s.c_in + c) * s.h + ih) * s.w + iw;
}
}  // namespace detail

/// The convolution of conv.hpp, literally: one sum per output element.
template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t o = 0; o < s.c_out; ++o) {
      const int64_t g = o / s.cout_g();
      for (int64_t oh = 0; oh < s.ho; ++oh)
        for (int64_t ow = 0; ow < s.wo; ++ow) {
          T acc = bias ? bias[o] : T(0);
          for (int64_t c = 0; c < s.cin_g(); ++c)
            for (int64_t i = 0; i < s.kh; ++i)
              for (int64_t j = 0; j < s.kw; ++j)
                if (const T* xp = detail::conv_tap(s, x, n, g * s.cin_g() + c, oh, ow, i, j))
                  acc += *xp * w[((o * s.cin_g() + c) * s.kh + i) * s.kw + j];
          y[((n * s.c_out + o) * s.ho + oh) * s.wo + ow] = acc;
        }
    }
}

/// Gradient of conv2d_forward with respect to x, by scattering every product back.
template <typename T>
void conv2d_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx) {
  for (int64_t e = 0; e < s.n * s.c_in * s.h * s.w; ++e) gx[e] = T(0);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t o = 0; o < s.c_out; ++o) {
      const int64_t g = o / s.cout_g();
      for (int64_t oh = 0; oh < s.ho; ++oh)
        for (int64_t ow = 0; ow < s.wo; ++ow) {
          const T go = gy[((n * s.c_out + o) * s.ho + oh) * s.wo + ow];
          for (int64_t c = 0; c < s.cin_g(); ++c)
            for (int64_t i = 0; i < s.kh; ++i)
              for (int64_t j = 0; j < s.kw; ++j)
                if (const T* xp = detail::conv_tap(s, gx, n, g * s.cin_g() + c, oh, ow, i, j))
                  *const_cast<T*>(xp) += go * w[((o * s.cin_g() + c) * s.kh + i) * s.kw + j];
        }
    }
}

/// Gradients of conv2d_forward with respect to w and bias (either may be null).
template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* gy, T* gw, T* gbias) {
  for (int64_t o = 0; o < s.c_out; ++o) {
    const int64_t g = o / s.cout_g();
    if (gbias) {
      T acc = 0;
      for (int64_t n = 0; n < s.n; ++n)
        for (int64_t e = 0; e < s.ho * s.wo; ++e) acc += gy[(n * s.c_out + o) * s.ho * s.wo + e];
      gbias[o] = acc;
    }
    if (!gw) continue;
    for (int64_t c = 0; c < s.cin_g(); ++c)
      for (int64_t i = 0; i < s.kh; ++i)
        for (int64_t j = 0; j < s.kw; ++j) {
          T acc = 0;
          for (int64_t n = 0; n < s.n; ++n)
            for (int64_t oh = 0; oh < s.ho; ++oh)
              for (int64_t ow = 0; ow < s.wo; ++ow)
                if (const T* xp = detail::conv_tap(s, x, n, g * s.cin_g() + c, oh, ow, i, j))
                  acc += *xp * gy[((n * s.c_out + o) * s.ho + oh) * s.wo + ow];
          gw[((o * s.cin_g() + c) * s.kh + i) * s.kw + j] = acc;
        }
  }
}

}  // namespace xgrad::kernels::reference
