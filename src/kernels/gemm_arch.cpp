// The GEMM for one instruction set: this file is compiled once per ISA (src/kernels/meson.build).
#include "kernels/gemm_impl.hpp"
#include "kernels/isa.hpp"

namespace xgrad::kernels {

template void GemmKernel::operator()<isa_arch, float>(isa_arch, const GemmArgs<float>&) const;
template void GemmKernel::operator()<isa_arch, double>(isa_arch, const GemmArgs<double>&) const;
template double FmaPeakKernel::operator()<isa_arch>(isa_arch, int64_t) const;

}  // namespace xgrad::kernels
