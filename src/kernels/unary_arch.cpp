// Float32 exp, sigmoid, tanh and relu and their backwards for one instruction set: compiled
// once per ISA with -ffp-contract=off (src/kernels/meson.build), so no FMA is formed and every
// ISA rounds each operation alike (kernels/unary.hpp states the contract).
//
// exp is Cephes' expf scheme: n = round(x / ln 2), z = x - n ln 2 in two parts (the first, ln 2
// rounded to 11 bits, makes n * C1 exact), a degree-6 polynomial for e^z, then scaling by 2^n as
// two factors 2^h * 2^(n-h), so n from -150 to 128 never leaves the normal exponent range of
// either factor and a subnormal result is rounded once, in the last product. Every select is a
// mask: no branch, no lane left behind.
//
// tanh: Cephes' tanhf odd polynomial below |x| = 0.625, and 1 - 2 / (e^(2|x|) + 1) with the
// sign of x above (e^(2|x|) = inf past |x| = 44.4 gives exactly 1; NaN propagates through exp).

// GCC 12's AVX-512 integer intrinsics behind xsimd's to_int and shifts start from an
// "undefined" register that -Wuninitialized reports (pool_arch.cpp calls the zero-masked
// forms itself instead); the registers are fully written, so the warning is silenced here.
// -Wmaybe-uninitialized is GCC's alone: clang (the fuzz build) would warn about the pragma.
#pragma GCC diagnostic ignored "-Wuninitialized"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "kernels/isa.hpp"
#include "kernels/unary.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace xgrad::kernels {
// Internal linkage: each ISA's translation unit keeps its own copy (see docs/kernels.md).
namespace {
namespace unary_detail {

template <class A>
using FB = xsimd::batch<float, A>;

// Always inlined: a call per vector would pass the batches through memory.
template <class A>
__attribute__((always_inline)) inline FB<A> exp_batch(const FB<A>& x) {
  using B = FB<A>;
  using I = xsimd::batch<int32_t, A>;
  // Outside [-104, 88.72283] (and for NaN: both compares are false) the polynomial is fed 0 and
  // its result replaced below. 88.72283172607422 is the largest float whose exp is finite;
  // below -104 the result rounds to +0.
  const auto ok = (x >= B(-104.0f)) & (x <= B(88.72283172607422f));
  const B xc = xsimd::select(ok, x, B(0.0f));
  // round(x / ln 2) to nearest even by the 1.5 * 2^23 trick: exact for |x / ln 2| < 2^22.
  const B n = (xc * B(1.44269504088896341f) + B(12582912.0f)) - B(12582912.0f);
  B z = xc - n * B(0.693359375f);
  z = z - n * B(-2.12194440e-4f);
  B p(1.9875691500E-4f);
  p = p * z + B(1.3981999507E-3f);
  p = p * z + B(8.3334519073E-3f);
  p = p * z + B(4.1665795894E-2f);
  p = p * z + B(1.6666665459E-1f);
  p = p * z + B(5.0000001201E-1f);
  p = p * z * z + z + B(1.0f);
  const I ni = xsimd::to_int(n);
  const I h = ni >> 1;
  const B s1 = xsimd::bitwise_cast<B>((h + I(127)) << 23);
  const B s2 = xsimd::bitwise_cast<B>((ni - h + I(127)) << 23);
  const B y = (p * s1) * s2;
  const B out_of_range = xsimd::select(x > B(0.0f), B(std::numeric_limits<float>::infinity()), B(0.0f));
  // isnan, not x != x: xsimd 8.1's AVX != is the ordered compare, false for NaN.
  return xsimd::select(ok, y, xsimd::select(xsimd::isnan(x), x, out_of_range));
}

template <class A>
__attribute__((always_inline)) inline FB<A> sigmoid_batch(const FB<A>& x) {
  using B = FB<A>;
  return B(1.0f) / (B(1.0f) + exp_batch<A>(-x));
}

template <class A>
__attribute__((always_inline)) inline FB<A> tanh_batch(const FB<A>& x) {
  using B = FB<A>;
  const B ax = xsimd::abs(x);
  const B z = x * x;
  B p(-5.70498872745E-3f);
  p = p * z + B(2.06390887954E-2f);
  p = p * z + B(-5.37397155531E-2f);
  p = p * z + B(1.33314422036E-1f);
  p = p * z + B(-3.33332819422E-1f);
  // Both branches on |x|, then x's sign bit: odd, and tanh(-0) = -0.
  const B small = (p * z) * ax + ax;
  const B e = exp_batch<A>(ax + ax);
  const B large = B(1.0f) - B(2.0f) / (e + B(1.0f));
  return xsimd::select(ax < B(0.625f), small, large) | (x & B(-0.0f));
}

template <class A>
__attribute__((always_inline)) inline FB<A> apply(UnaryOp op, const FB<A>& a, const FB<A>& b) {
  using B = FB<A>;
  switch (op) {
    case UnaryOp::kExp:
      return exp_batch<A>(a);
    case UnaryOp::kSigmoid:
      return sigmoid_batch<A>(a);
    case UnaryOp::kTanh:
      return tanh_batch<A>(a);
    case UnaryOp::kSigmoidBackward:
      return (a * b) * (B(1.0f) - b);  // (g * y) * (1 - y), as the op's scalar loop
    case UnaryOp::kTanhBackward:
      return a * (B(1.0f) - b * b);
    case UnaryOp::kRelu:  // x <= 0 is false for NaN, which passes through, as the scalar loop
      return xsimd::select(a <= B(0.0f), B(0.0f), a);
    case UnaryOp::kReluBackward:  // g where y > 0, else 0 (NaN y gives 0)
      return xsimd::select(b > B(0.0f), a, B(0.0f));
  }
  return a;
}

template <class A, UnaryOp Op>
void run(const UnaryArgs& args) {
  using B = FB<A>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  constexpr bool kBinary =
      Op == UnaryOp::kSigmoidBackward || Op == UnaryOp::kTanhBackward || Op == UnaryOp::kReluBackward;
  const int64_t n = args.n;
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    const B a = B::load_unaligned(args.a + i);
    const B b = kBinary ? B::load_unaligned(args.b + i) : a;
    apply<A>(Op, a, b).store_unaligned(args.out + i);
  }
  if (i < n) {
    // The tail through a padded local vector: the same lane arithmetic as the body.
    alignas(64) float ta[L] = {}, tb[L] = {}, to[L];
    std::copy(args.a + i, args.a + n, ta);
    if (kBinary) std::copy(args.b + i, args.b + n, tb);
    apply<A>(Op, B::load_aligned(ta), B::load_aligned(tb)).store_aligned(to);
    std::copy(to, to + (n - i), args.out + i);
  }
}

}  // namespace unary_detail
}  // namespace

template <class Arch>
void UnaryKernel::operator()(Arch, const UnaryArgs& args) const {
  using namespace unary_detail;
  switch (args.op) {
    case UnaryOp::kExp:
      run<Arch, UnaryOp::kExp>(args);
      break;
    case UnaryOp::kSigmoid:
      run<Arch, UnaryOp::kSigmoid>(args);
      break;
    case UnaryOp::kTanh:
      run<Arch, UnaryOp::kTanh>(args);
      break;
    case UnaryOp::kSigmoidBackward:
      run<Arch, UnaryOp::kSigmoidBackward>(args);
      break;
    case UnaryOp::kTanhBackward:
      run<Arch, UnaryOp::kTanhBackward>(args);
      break;
    case UnaryOp::kRelu:
      run<Arch, UnaryOp::kRelu>(args);
      break;
    case UnaryOp::kReluBackward:
      run<Arch, UnaryOp::kReluBackward>(args);
      break;
  }
}

template void UnaryKernel::operator()<isa_arch>(isa_arch, const UnaryArgs&) const;

}  // namespace xgrad::kernels
