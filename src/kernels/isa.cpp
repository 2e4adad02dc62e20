// kernel_isa(): the fastest instruction set of this CPU, or the one the XGRAD_ISA environment
// variable forces (to compare the AVX2 and AVX-512 paths on one machine, or to test the SSE2 one).
#include "kernels/isa.hpp"

#include "kernels/gemm.hpp"

#include <xgrad/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
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

namespace {

// Best flop rate (per second) of `rounds` short runs of the FMA peak loop on `Arch`.
template <class Arch>
double best_fma_rate(int rounds) {
  double best = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double flops = FmaPeakKernel{}(Arch{}, int64_t{1} << 14);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (dt > 0) best = std::max(best, flops / dt);
  }
  return best;
}

struct AutoChoice {
  Isa isa = Isa::kSse2;
  double avx512_speedup = 0;  // 512-bit over 256-bit FMA rate; 0 when not measured
};

// AVX-512 pays only where the core executes a 512-bit FMA at twice the 256-bit rate (Intel
// server cores with two 512-bit FMA units, AMD Zen 5 desktop/server). Zen 4, Zen 5 mobile and
// Intel parts with one 512-bit unit split it into two 256-bit halves: same flop rate, and the
// wider vectors only waste lanes on LeNet's narrow rows (measured on Zen 4: the LeNet step 1.5x
// slower with the AVX-512 kernels than with the AVX2 ones). So "auto" measures the two rates
// (about 0.5 ms, once per process; best of interleaved rounds, so a busy machine slows both
// alike) and takes AVX-512 only at >= 1.4x. The gap is 1.0x or 2.0x on real cores, far from
// the threshold, so the choice does not flip between runs.
AutoChoice choose_auto() {
  AutoChoice c;
  if (!cpu_supports(Isa::kAvx2)) return c;
  c.isa = Isa::kAvx2;
  if (!cpu_supports(Isa::kAvx512f)) return c;
  double r512 = 0, r256 = 0;
  for (int round = 0; round < 3; ++round) {
    r512 = std::max(r512, best_fma_rate<xsimd::avx512f>(3));
    r256 = std::max(r256, best_fma_rate<xsimd::fma3<xsimd::avx2>>(3));
  }
  c.avx512_speedup = r256 > 0 ? r512 / r256 : 0;
  if (c.avx512_speedup >= kAvx512MinSpeedup) c.isa = Isa::kAvx512f;
  return c;
}

const AutoChoice& auto_choice() {
  static const AutoChoice c = choose_auto();
  return c;
}

}  // namespace

double avx512_fma_speedup() { return auto_choice().avx512_speedup; }

Isa resolve_isa(const char* value) {
  std::string v = value != nullptr ? value : "";
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v.empty() || v == "auto") return auto_choice().isa;
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

std::string kernel_isa_description() {
  const Isa isa = kernel_isa();
  const char* env = std::getenv("XGRAD_ISA");
  std::string v = env != nullptr ? env : "";
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!v.empty() && v != "auto") return fmt::format("{} (forced by XGRAD_ISA={})", isa_name(isa), env);
  if (!cpu_supports(Isa::kAvx512f)) return fmt::format("{} (the best this CPU has)", isa_name(isa));
  return fmt::format("{} (auto: this CPU has AVX-512F; its 512-bit FMA ran {:.2f}x the 256-bit rate, {} {:.1f}x)",
                     isa_name(isa), avx512_fma_speedup(), isa == Isa::kAvx512f ? "at least" : "below",
                     kAvx512MinSpeedup);
}

}  // namespace xgrad::kernels
