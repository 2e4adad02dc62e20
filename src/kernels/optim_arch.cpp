// SIMD optimizer updates for one instruction set: this file is compiled once per ISA
// (src/kernels/meson.build) and instantiates OptimKernel for `isa_arch`.
//
// Each lane does exactly the operations of the scalar twin (optim_reference.cpp), one rounded
// vector op per PyTorch tensor op and no FMA, so every lane's bits equal the reference's. The
// elements left over after the last full vector of a call go through the reference itself.
// Calls start at multiples of kOptimChunk, so which elements take the tail is a property of
// the parameter's size alone.
#include "kernels/isa.hpp"
#include "kernels/optim.hpp"

#include <xsimd/xsimd.hpp>

#include <immintrin.h>

#include <type_traits>

namespace xgrad::kernels {
// Internal linkage: each ISA's translation unit keeps its own copy (see gemm_impl.hpp).
namespace {
namespace optim_detail {

template <class Arch, typename T>
using Batch = xsimd::batch<T, Arch>;

template <class Arch, typename T>
Batch<Arch, T> load(const T* p) {
  return Batch<Arch, T>::load_unaligned(p);
}

// IEEE square root, lane-wise. On AVX-512 the zero-masked form: GCC 12's plain
// _mm512_sqrt_ps starts from an "undefined" register that -Wmaybe-uninitialized reports.
template <class Arch, typename T>
Batch<Arch, T> sqrt(const Batch<Arch, T>& x) {
#if defined(XGRAD_ISA_AVX512F)
  if constexpr (std::is_same_v<Arch, xsimd::avx512f>) {
    if constexpr (std::is_same_v<T, float>)
      return _mm512_maskz_sqrt_ps(0xFFFF, x);
    else
      return _mm512_maskz_sqrt_pd(0xFF, x);
  }
#endif
  return xsimd::sqrt(x);
}

template <class Arch, typename T>
int64_t sgd(const OptimArgs<T>& a) {
  using B = Batch<Arch, T>;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  const SGDHyper& h = a.sgd;
  const B wd(static_cast<T>(h.weight_decay));
  const B momentum(static_cast<T>(h.momentum));
  const B one_minus_dampening(static_cast<T>(1.0 - h.dampening));
  const B neg_lr(static_cast<T>(-h.lr));
  int64_t i = a.begin;
  for (; i + W <= a.end; i += W) {
    const B p = load<Arch>(a.param + i);
    B d = load<Arch>(a.grad + i);
    if (h.maximize) d = -d;
    if (h.weight_decay != 0) d = d + wd * p;
    if (h.momentum != 0) {
      B buf;
      if (h.init_buffer) {
        buf = d;
      } else {
        const B kept = load<Arch>(a.s0 + i) * momentum;
        buf = kept + one_minus_dampening * d;
      }
      buf.store_unaligned(a.s0 + i);
      d = h.nesterov ? d + momentum * buf : buf;
    }
    const B out = p + neg_lr * d;
    out.store_unaligned(a.param + i);
  }
  return i;
}

template <class Arch, typename T>
int64_t adam(const OptimArgs<T>& a) {
  using B = Batch<Arch, T>;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  const AdamHyper& h = a.adam;
  const B beta1(static_cast<T>(h.beta1));
  const B beta2(static_cast<T>(h.beta2));
  const B one_minus_beta1(static_cast<T>(1.0 - h.beta1));
  const B one_minus_beta2(static_cast<T>(1.0 - h.beta2));
  const B wd(static_cast<T>(h.weight_decay));
  const B decay_factor(static_cast<T>(h.decay_factor));
  const B bc2_sqrt(static_cast<T>(h.bias_correction2_sqrt));
  const B eps(static_cast<T>(h.eps));
  const B neg_step_size(static_cast<T>(-h.step_size));
  int64_t i = a.begin;
  for (; i + W <= a.end; i += W) {
    B p = load<Arch>(a.param + i);
    B d = load<Arch>(a.grad + i);
    if (h.maximize) d = -d;
    if (h.decoupled)
      p = p * decay_factor;
    else if (h.weight_decay != 0)
      d = d + wd * p;
    const B m = load<Arch>(a.s0 + i) * beta1 + one_minus_beta1 * d;
    const B v = load<Arch>(a.s1 + i) * beta2 + (one_minus_beta2 * d) * d;
    m.store_unaligned(a.s0 + i);
    v.store_unaligned(a.s1 + i);
    B s = v;
    if (h.amsgrad) {
      const B old = load<Arch>(a.s2 + i);
      // torch.maximum: a NaN on either side wins (the reference's nan_maximum, lane-wise).
      s = xsimd::select((old > v) | xsimd::isnan(old), old, v);
      s.store_unaligned(a.s2 + i);
    }
    const B denom = optim_detail::sqrt<Arch, T>(s) / bc2_sqrt + eps;
    const B out = p + (neg_step_size * m) / denom;
    out.store_unaligned(a.param + i);
  }
  return i;
}

template <class Arch, typename T>
int64_t rmsprop(const OptimArgs<T>& a) {
  using B = Batch<Arch, T>;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  const RMSpropHyper& h = a.rmsprop;
  const B wd(static_cast<T>(h.weight_decay));
  const B alpha(static_cast<T>(h.alpha));
  const B one_minus_alpha(static_cast<T>(1.0 - h.alpha));
  const B eps(static_cast<T>(h.eps));
  const B momentum(static_cast<T>(h.momentum));
  const B neg_lr(static_cast<T>(-h.lr));
  const B minus_one(T(-1));
  int64_t i = a.begin;
  for (; i + W <= a.end; i += W) {
    const B p = load<Arch>(a.param + i);
    B d = load<Arch>(a.grad + i);
    if (h.maximize) d = -d;
    if (h.weight_decay != 0) d = d + wd * p;
    const B sq = load<Arch>(a.s0 + i) * alpha + (one_minus_alpha * d) * d;
    sq.store_unaligned(a.s0 + i);
    B avg;
    if (h.centered) {
      const B ga = load<Arch>(a.s1 + i) * alpha + one_minus_alpha * d;
      ga.store_unaligned(a.s1 + i);
      avg = optim_detail::sqrt<Arch, T>(sq + (minus_one * ga) * ga);
    } else {
      avg = optim_detail::sqrt<Arch, T>(sq);
    }
    avg = avg + eps;
    B out;
    if (h.momentum > 0) {
      const B buf = load<Arch>(a.s2 + i) * momentum + d / avg;
      buf.store_unaligned(a.s2 + i);
      out = p + neg_lr * buf;
    } else {
      out = p + (neg_lr * d) / avg;
    }
    out.store_unaligned(a.param + i);
  }
  return i;
}

template <class Arch, typename T>
int64_t adagrad(const OptimArgs<T>& a) {
  using B = Batch<Arch, T>;
  constexpr int64_t W = static_cast<int64_t>(B::size);
  const AdagradHyper& h = a.adagrad;
  const B wd(static_cast<T>(h.weight_decay));
  const B eps(static_cast<T>(h.eps));
  const B neg_clr(static_cast<T>(-h.clr));
  int64_t i = a.begin;
  for (; i + W <= a.end; i += W) {
    const B p = load<Arch>(a.param + i);
    B d = load<Arch>(a.grad + i);
    if (h.maximize) d = -d;
    if (h.weight_decay != 0) d = d + wd * p;
    const B s = load<Arch>(a.s0 + i) + d * d;
    s.store_unaligned(a.s0 + i);
    const B out = p + (neg_clr * d) / (optim_detail::sqrt<Arch, T>(s) + eps);
    out.store_unaligned(a.param + i);
  }
  return i;
}

}  // namespace optim_detail
}  // namespace

template <class Arch, typename T>
void OptimKernel::operator()(Arch, const OptimArgs<T>& a) const {
  switch (a.kind) {
    case OptimKind::kSGD: {
      const int64_t tail = optim_detail::sgd<Arch, T>(a);
      reference::sgd_step(a.sgd, tail, a.end, a.param, a.grad, a.s0);
      break;
    }
    case OptimKind::kAdam: {
      const int64_t tail = optim_detail::adam<Arch, T>(a);
      reference::adam_step(a.adam, tail, a.end, a.param, a.grad, a.s0, a.s1, a.s2);
      break;
    }
    case OptimKind::kRMSprop: {
      const int64_t tail = optim_detail::rmsprop<Arch, T>(a);
      reference::rmsprop_step(a.rmsprop, tail, a.end, a.param, a.grad, a.s0, a.s1, a.s2);
      break;
    }
    case OptimKind::kAdagrad: {
      const int64_t tail = optim_detail::adagrad<Arch, T>(a);
      reference::adagrad_step(a.adagrad, tail, a.end, a.param, a.grad, a.s0);
      break;
    }
  }
}

template void OptimKernel::operator()<isa_arch, float>(isa_arch, const OptimArgs<float>&) const;
template void OptimKernel::operator()<isa_arch, double>(isa_arch, const OptimArgs<double>&) const;

}  // namespace xgrad::kernels
