#pragma once
// The instruction set a per-ISA kernel translation unit is compiled for. src/kernels/meson.build
// compiles every file of `kernel_isa_sources` once per ISA with that ISA's flags and one of
// -DXGRAD_ISA_SSE2 / -DXGRAD_ISA_AVX2 / -DXGRAD_ISA_AVX512F; the file instantiates its functor
// for `xgrad::kernels::isa_arch`:
//
//     #include "kernels/isa.hpp"
//     template void MyKernel::operator()<isa_arch>(isa_arch, const MyArgs&) const;
//
// The dispatcher (compiled with baseline flags) calls it through `isa_dispatch` below, which
// runs the arch of `kernel_isa()`: the fastest the CPU has, or the one XGRAD_ISA forces.

#include <xsimd/xsimd.hpp>

#include <string>
#include <utility>

namespace xgrad::kernels {

/// The instruction sets the kernels are compiled for.
enum class Isa { kSse2, kAvx2, kAvx512f };

/// "sse2", "avx2" (meaning AVX2 with FMA) or "avx512f".
const char* isa_name(Isa isa);

/// Whether this CPU (and OS) runs `isa`.
bool cpu_supports(Isa isa);

/// "auto" takes AVX-512 over AVX2 only when this core's 512-bit FMA rate is at least this many
/// times its 256-bit rate (a core that splits 512-bit FMAs in two gains nothing from them).
inline constexpr double kAvx512MinSpeedup = 1.4;

/// The measured ratio of this core's 512-bit to 256-bit float FMA rate (about 1 or 2), measured
/// once per process (~0.5 ms) on first use; 0 when the CPU lacks AVX-512F.
double avx512_fma_speedup();

/// The ISA an environment value of XGRAD_ISA selects: null, "" or "auto" give the fastest the
/// CPU supports (AVX-512F when avx512_fma_speedup() >= kAvx512MinSpeedup, else AVX2 with FMA,
/// else SSE2); "avx512" / "avx512f", "avx2", "sse2" (case-insensitive) force that one. Throws
/// xgrad::ValueError for any other value and for an ISA this CPU lacks (running its code would
/// kill the process with SIGILL).
Isa resolve_isa(const char* value);

/// The ISA every dispatched kernel (GEMM, conv tiles, pooling, batch norm, optimizers,
/// exp/sigmoid/tanh) runs with: resolve_isa(getenv("XGRAD_ISA")), read once per process. When
/// that throws, every kernel call throws the same xgrad::ValueError (a bad XGRAD_ISA is an error
/// at first use, never a silent fallback, so a benchmark never measures another path than the
/// one it was asked for).
Isa kernel_isa();

/// kernel_isa() and why, for benchmarks and logs: "avx2 (auto: this CPU has AVX-512F; its
/// 512-bit FMA ran 1.02x the 256-bit rate, below 1.4x)" or "avx512f (forced by XGRAD_ISA=avx512)".
std::string kernel_isa_description();

/// Calls f(arch{}, args...) with the xsimd arch of kernel_isa(). Replaces xsimd::dispatch (which
/// cannot be overridden) for the kernels' functors.
template <class F>
class IsaDispatch {
 public:
  explicit IsaDispatch(F f) : f_(std::move(f)) {}
  template <class... Args>
  decltype(auto) operator()(Args&&... args) const {
    switch (kernel_isa()) {
      case Isa::kAvx512f:
        return f_(xsimd::avx512f{}, std::forward<Args>(args)...);
      case Isa::kAvx2:
        return f_(xsimd::fma3<xsimd::avx2>{}, std::forward<Args>(args)...);
      case Isa::kSse2:
        break;
    }
    return f_(xsimd::sse2{}, std::forward<Args>(args)...);
  }

 private:
  F f_;
};

template <class F>
IsaDispatch<F> isa_dispatch(F f) {
  return IsaDispatch<F>(std::move(f));
}

#if defined(XGRAD_ISA_AVX512F)
using isa_arch = xsimd::avx512f;
#elif defined(XGRAD_ISA_AVX2)
using isa_arch = xsimd::fma3<xsimd::avx2>;
#elif defined(XGRAD_ISA_SSE2)
using isa_arch = xsimd::sse2;
#endif

}  // namespace xgrad::kernels
