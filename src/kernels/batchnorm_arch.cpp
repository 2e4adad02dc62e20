// SIMD batch-norm passes for one instruction set: this file is compiled once per ISA
// (src/kernels/meson.build) and instantiates BatchNormKernel for `isa_arch`.
//
// Every pass walks a channel's n runs of l contiguous elements, vectorised along the run with a
// scalar tail. Sums go into two T-lane accumulators over blocks of at most kBlock elements of a
// run; each block is reduced and added into a double. The blocks depend only on l, so a
// channel's summation order is fixed by the shape (and the ISA), never by the thread count; and
// a float lane adds at most kBlock / lanes values before its sum is widened, which keeps float32
// statistics accurate whatever the batch size.
#include "kernels/batchnorm.hpp"
#include "kernels/isa.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>

namespace xgrad::kernels {
// Internal linkage: each ISA's translation unit keeps its own copy (see gemm_impl.hpp).
namespace {
namespace bn_detail {

constexpr int64_t kBlock = 256;  // a multiple of 2 * lanes for every ISA and type

template <class Arch, typename T>
struct Passes {
  using B = xsimd::batch<T, Arch>;
  static constexpr int64_t W = static_cast<int64_t>(B::size);
  static_assert(kBlock % (2 * W) == 0);

  // Sum of the lanes, in lane order. (xsimd 8.1's hadd for avx512f floats uses an AVX512DQ
  // instruction, which the avx512f build does not enable.)
  static T lane_sum(const B& v) {
    alignas(64) T buf[W];
    v.store_aligned(buf);
    T sum(0);
    for (int64_t k = 0; k < W; ++k) sum += buf[k];
    return sum;
  }

  // Sum of x[0, len).
  static double run_sum(const T* x, int64_t len) {
    double total = 0;
    for (int64_t j = 0; j < len;) {
      const int64_t end = std::min(len, j + kBlock);
      B a0(T(0)), a1(T(0));
      for (; j + 2 * W <= end; j += 2 * W) {
        a0 += B::load_unaligned(x + j);
        a1 += B::load_unaligned(x + j + W);
      }
      for (; j + W <= end; j += W) a0 += B::load_unaligned(x + j);
      T tail(0);
      for (; j < end; ++j) tail += x[j];
      total += static_cast<double>(lane_sum(a0 + a1)) + static_cast<double>(tail);
    }
    return total;
  }

  // (sum of a, sum of a * (b - m)) over [0, len), with a = b - m when `a` is null (the
  // deviations of the variance pass) and a = a[j] otherwise (dy in the backward reduce).
  static void run_pair_sum(const T* a, const T* b, T m, int64_t len, double& s0, double& s1) {
    const B mv(m);
    for (int64_t j = 0; j < len;) {
      const int64_t end = std::min(len, j + kBlock);
      B p0(T(0)), p1(T(0)), q0(T(0)), q1(T(0));
      auto step = [&](int64_t k, B& p, B& q) {
        const B d = B::load_unaligned(b + k) - mv;
        const B av = a != nullptr ? B::load_unaligned(a + k) : d;
        p += av;
        q = xsimd::fma(av, d, q);
      };
      for (; j + 2 * W <= end; j += 2 * W) {
        step(j, p0, q0);
        step(j + W, p1, q1);
      }
      for (; j + W <= end; j += W) step(j, p0, q0);
      T tp(0), tq(0);
      for (; j < end; ++j) {
        const T d = b[j] - m;
        const T av = a != nullptr ? a[j] : d;
        tp += av;
        tq += av * d;
      }
      s0 += static_cast<double>(lane_sum(p0 + p1)) + static_cast<double>(tp);
      s1 += static_cast<double>(lane_sum(q0 + q1)) + static_cast<double>(tq);
    }
  }

  static void stats(const BatchNormArgs<T>& a) {
    const auto& s = a.shape;
    const double count = static_cast<double>(s.n * s.l);
    for (int64_t ch = a.c_begin; ch < a.c_end; ++ch) {
      double sum = 0;
      for (int64_t i = 0; i < s.n; ++i) sum += run_sum(a.x + (i * s.c + ch) * s.l, s.l);
      // Deviations are taken from the mean rounded to T; sum(x - m_T) corrects for that
      // rounding (the corrected two-pass formula), so var is that of the exact mean.
      const T m = static_cast<T>(sum / count);
      double s0 = 0, s1 = 0;
      for (int64_t i = 0; i < s.n; ++i) run_pair_sum(nullptr, a.x + (i * s.c + ch) * s.l, m, s.l, s0, s1);
      a.acc0[ch] = static_cast<double>(m) + s0 / count;
      a.acc1[ch] = std::max(0.0, (s1 - s0 * s0 / count) / count);
    }
  }

  static void backward_reduce(const BatchNormArgs<T>& a) {
    const auto& s = a.shape;
    for (int64_t ch = a.c_begin; ch < a.c_end; ++ch) {
      double s0 = 0, s1 = 0;
      for (int64_t i = 0; i < s.n; ++i) {
        const int64_t off = (i * s.c + ch) * s.l;
        if (a.x != nullptr)
          run_pair_sum(a.dy + off, a.x + off, a.mean[ch], s.l, s0, s1);
        else
          s0 += run_sum(a.dy + off, s.l);
      }
      a.acc0[ch] = s0;
      if (a.x != nullptr) a.acc1[ch] = s1;
    }
  }

  static void transform(const BatchNormArgs<T>& a) {
    const auto& s = a.shape;
    for (int64_t i = 0; i < s.n; ++i) {
      for (int64_t ch = a.c_begin; ch < a.c_end; ++ch) {
        const int64_t off = (i * s.c + ch) * s.l;
        const T* x = a.x + off;
        T* y = a.out + off;
        const T sc = a.scale[ch], sh = a.shift[ch];
        const B scv(sc), shv(sh);
        int64_t j = 0;
        for (; j + W <= s.l; j += W) xsimd::fma(B::load_unaligned(x + j), scv, shv).store_unaligned(y + j);
        for (; j < s.l; ++j) y[j] = x[j] * sc + sh;
      }
    }
  }

  static void backward_input(const BatchNormArgs<T>& a) {
    const auto& s = a.shape;
    for (int64_t i = 0; i < s.n; ++i) {
      for (int64_t ch = a.c_begin; ch < a.c_end; ++ch) {
        const int64_t off = (i * s.c + ch) * s.l;
        const T* dy = a.dy + off;
        T* dx = a.out + off;
        const T sc = a.scale[ch];
        const B scv(sc);
        int64_t j = 0;
        if (a.x == nullptr) {
          for (; j + W <= s.l; j += W) (B::load_unaligned(dy + j) * scv).store_unaligned(dx + j);
          for (; j < s.l; ++j) dx[j] = dy[j] * sc;
          continue;
        }
        const T* x = a.x + off;
        const T m = a.mean[ch], mdy = a.mean_dy[ch], pr = a.proj[ch];
        const B mv(m), mdyv(mdy), prv(pr);
        for (; j + W <= s.l; j += W) {
          const B d = B::load_unaligned(x + j) - mv;
          ((B::load_unaligned(dy + j) - mdyv - d * prv) * scv).store_unaligned(dx + j);
        }
        for (; j < s.l; ++j) dx[j] = (dy[j] - mdy - (x[j] - m) * pr) * sc;
      }
    }
  }
};

}  // namespace bn_detail
}  // namespace

template <class Arch, typename T>
void BatchNormKernel::operator()(Arch, const BatchNormArgs<T>& args) const {
  using P = bn_detail::Passes<Arch, T>;
  switch (args.pass) {
    case BatchNormPass::kStats: P::stats(args); break;
    case BatchNormPass::kTransform: P::transform(args); break;
    case BatchNormPass::kBackwardReduce: P::backward_reduce(args); break;
    case BatchNormPass::kBackwardInput: P::backward_input(args); break;
  }
}

template void BatchNormKernel::operator()<isa_arch, float>(isa_arch, const BatchNormArgs<float>&) const;
template void BatchNormKernel::operator()<isa_arch, double>(isa_arch, const BatchNormArgs<double>&) const;

}  // namespace xgrad::kernels
