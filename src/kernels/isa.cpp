// kernel_isa(): the CPU's best instruction set, or the one the XGRAD_ISA environment variable
// forces (to compare the AVX2 and AVX-512 paths on one machine, or to test the SSE2 one).
#include "kernels/isa.hpp"

#include <xgrad/error.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string>

namespace xgrad::kernels {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kAvx512f:
      return "avx512f";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kSse2:
      break;
  }
  return "sse2";
}

bool cpu_supports(Isa isa) {
  // Probed once: cpuid may trap to the hypervisor.
  static const auto avail = xsimd::available_architectures();
  switch (isa) {
    case Isa::kAvx512f:
      return avail.avx512f != 0;
    case Isa::kAvx2:
      return avail.fma3_avx2 != 0;
    case Isa::kSse2:
      break;
  }
  return true;  // the x86-64 baseline
}

Isa resolve_isa(const char* value) {
  std::string v = value != nullptr ? value : "";
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v.empty() || v == "auto") {
    if (cpu_supports(Isa::kAvx512f)) return Isa::kAvx512f;
    if (cpu_supports(Isa::kAvx2)) return Isa::kAvx2;
    return Isa::kSse2;
  }
  std::optional<Isa> isa;
  if (v == "avx512" || v == "avx512f") isa = Isa::kAvx512f;
  if (v == "avx2") isa = Isa::kAvx2;
  if (v == "sse2") isa = Isa::kSse2;
  XGRAD_CHECK(isa.has_value(), ValueError,
              "XGRAD_ISA: unknown instruction set '{}'; use avx512f, avx2 or sse2 (or auto / unset for the best "
              "this CPU supports)",
              value);
  XGRAD_CHECK(cpu_supports(*isa), ValueError,
              "XGRAD_ISA: '{}' was requested but this CPU does not support {}; unset XGRAD_ISA or pick one it has "
              "(the best here is {})",
              value, isa_name(*isa), isa_name(resolve_isa(nullptr)));
  return *isa;
}

namespace {
struct Resolved {
  Isa isa = Isa::kSse2;
  std::string error;  // non-empty when XGRAD_ISA is bad
};

Resolved resolve_from_env() {
  Resolved r;
  try {
    r.isa = resolve_isa(std::getenv("XGRAD_ISA"));
  } catch (const ValueError& e) {
    r.error = e.what();
  }
  return r;
}
}  // namespace

Isa kernel_isa() {
  static const Resolved r = resolve_from_env();
  if (!r.error.empty()) [[unlikely]]
    throw ValueError(r.error);
  return r.isa;
}

}  // namespace xgrad::kernels
