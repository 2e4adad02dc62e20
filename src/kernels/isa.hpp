#pragma once
// The instruction set a per-ISA kernel translation unit is compiled for. src/kernels/meson.build
// compiles every file of `kernel_isa_sources` once per ISA with that ISA's flags and one of
// -DXGRAD_ISA_SSE2 / -DXGRAD_ISA_AVX2 / -DXGRAD_ISA_AVX512F; the file instantiates its functor
// for `xgrad::kernels::isa_arch`:
//
//     #include "kernels/isa.hpp"
//     template void MyKernel::operator()<isa_arch>(isa_arch, const MyArgs&) const;
//
// The dispatcher (compiled with baseline flags) lists the same archs, best first:
// `kernel_archs` below.

#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {

/// Every arch a kernel is built for, best first, ending with the x86-64 baseline
/// (xsimd 8.1's dispatch calls the last one without checking it).
using kernel_archs = xsimd::arch_list<xsimd::avx512f, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;

#if defined(XGRAD_ISA_AVX512F)
using isa_arch = xsimd::avx512f;
#elif defined(XGRAD_ISA_AVX2)
using isa_arch = xsimd::fma3<xsimd::avx2>;
#elif defined(XGRAD_ISA_SSE2)
using isa_arch = xsimd::sse2;
#endif

}  // namespace xgrad::kernels
