// Scalar twins of the batch-norm kernels: the statement of the semantics (plain sequential
// double sums, two-pass variance), the test oracle of the SIMD kernels.
#include "kernels/batchnorm.hpp"

#include <algorithm>

namespace xgrad::kernels::reference {

template <typename T>
void batch_norm_collect_stats(const BatchNormShape& s, const T* x, double* mean, double* var, int64_t c_begin,
                              int64_t c_end) {
  const double count = static_cast<double>(s.n * s.l);
  for (int64_t ch = c_begin; ch < c_end; ++ch) {
    double sum = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      const T* run = x + (i * s.c + ch) * s.l;
      for (int64_t j = 0; j < s.l; ++j) sum += static_cast<double>(run[j]);
    }
    const double m = sum / count;
    double sq = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      const T* run = x + (i * s.c + ch) * s.l;
      for (int64_t j = 0; j < s.l; ++j) {
        const double d = static_cast<double>(run[j]) - m;
        sq += d * d;
      }
    }
    mean[ch] = m;
    var[ch] = sq / count;
  }
}

template <typename T>
void batch_norm_transform(const BatchNormShape& s, const T* x, const T* scale, const T* shift, T* y,
                          int64_t c_begin, int64_t c_end) {
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t ch = c_begin; ch < c_end; ++ch) {
      const int64_t off = (i * s.c + ch) * s.l;
      for (int64_t j = 0; j < s.l; ++j) y[off + j] = x[off + j] * scale[ch] + shift[ch];
    }
  }
}

template <typename T>
void batch_norm_backward_reduce(const BatchNormShape& s, const T* dy, const T* x, const T* mean, double* sum_dy,
                                double* sum_dy_xmu, int64_t c_begin, int64_t c_end) {
  for (int64_t ch = c_begin; ch < c_end; ++ch) {
    double a = 0, b = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      const int64_t off = (i * s.c + ch) * s.l;
      for (int64_t j = 0; j < s.l; ++j) {
        a += static_cast<double>(dy[off + j]);
        if (x != nullptr)
          b += static_cast<double>(dy[off + j]) * (static_cast<double>(x[off + j]) - static_cast<double>(mean[ch]));
      }
    }
    sum_dy[ch] = a;
    if (x != nullptr) sum_dy_xmu[ch] = b;
  }
}

template <typename T>
void batch_norm_backward_input(const BatchNormShape& s, const T* dy, const T* x, const T* mean, const T* mean_dy,
                               const T* proj, const T* scale, T* dx, int64_t c_begin, int64_t c_end) {
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t ch = c_begin; ch < c_end; ++ch) {
      const int64_t off = (i * s.c + ch) * s.l;
      for (int64_t j = 0; j < s.l; ++j) {
        if (x != nullptr)
          dx[off + j] = (dy[off + j] - mean_dy[ch] - (x[off + j] - mean[ch]) * proj[ch]) * scale[ch];
        else
          dx[off + j] = dy[off + j] * scale[ch];
      }
    }
  }
}

#define XGRAD_BATCHNORM_REFERENCE(T)                                                                          \
  template void batch_norm_collect_stats<T>(const BatchNormShape&, const T*, double*, double*, int64_t,      \
                                            int64_t);                                                        \
  template void batch_norm_transform<T>(const BatchNormShape&, const T*, const T*, const T*, T*, int64_t,    \
                                        int64_t);                                                            \
  template void batch_norm_backward_reduce<T>(const BatchNormShape&, const T*, const T*, const T*, double*,  \
                                              double*, int64_t, int64_t);                                    \
  template void batch_norm_backward_input<T>(const BatchNormShape&, const T*, const T*, const T*, const T*,  \
                                             const T*, const T*, T*, int64_t, int64_t);
XGRAD_BATCHNORM_REFERENCE(float)
XGRAD_BATCHNORM_REFERENCE(double)
#undef XGRAD_BATCHNORM_REFERENCE

}  // namespace xgrad::kernels::reference
