#pragma once
// Timing helpers shared by the benchmarks.

#include "kernels/gemm.hpp"
#include "kernels/isa.hpp"

#include <fmt/format.h>

#ifdef XGRAD_BENCH_WITH_TORCH
#include <dlfcn.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace bench {

/// Best time of one call of fn, in seconds: one warm-up call, then repeats until `budget`
/// seconds have passed (at least 3, at most 2000 calls). The minimum is the least noisy
/// statistic on a shared machine.
template <typename F>
double best_time(F&& fn, double budget = 0.4) {
  using clock = std::chrono::steady_clock;
  fn();
  double best = 1e30, total = 0;
  for (int reps = 0; reps < 2000 && (reps < 3 || total < budget); ++reps) {
    const auto t0 = clock::now();
    fn();
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    best = std::min(best, dt);
    total += dt;
  }
  return best;
}

/// Thread counts to run: XGRAD_BENCH_THREADS="1,2" (default 1 and 2).
inline std::vector<int> thread_counts() {
  std::vector<int> out;
  const char* env = std::getenv("XGRAD_BENCH_THREADS");
  std::string s = env ? env : "1,2";
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t next = s.find(',', pos);
    out.push_back(std::max(1, std::atoi(s.substr(pos, next - pos).c_str())));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return out;
}

/// Time budget per measurement: XGRAD_BENCH_SECONDS (default 0.4).
inline double budget() {
  const char* env = std::getenv("XGRAD_BENCH_SECONDS");
  return env ? std::max(0.01, std::atof(env)) : 0.4;
}

/// Whether a case named `name` runs: XGRAD_BENCH_ONLY="substring" keeps the matching ones.
inline bool selected(const std::string& name) {
  const char* env = std::getenv("XGRAD_BENCH_ONLY");
  return env == nullptr || name.find(env) != std::string::npos;
}

/// Prints what a reader needs to compare figures across machines: the ISA xgrad's kernels run
/// (and why), this core's measured float FMA peak at each vector width it has (~0.2 s each), and
/// the BLAS settings that change LibTorch's figures (its Linear/mm run on OpenBLAS).
inline void print_machine() {
  using xgrad::kernels::Isa;
  fmt::print("xgrad kernels: {}\n", xgrad::kernels::kernel_isa_description());
  std::string peaks;
  for (Isa isa : {Isa::kSse2, Isa::kAvx2, Isa::kAvx512f}) {
    if (!xgrad::kernels::cpu_supports(isa)) continue;
    const int bits = isa == Isa::kSse2 ? 128 : isa == Isa::kAvx2 ? 256 : 512;
    peaks += fmt::format("{}{}-bit {:.1f}", peaks.empty() ? "" : ", ", bits,
                         xgrad::kernels::fma_peak_gflops(isa, 0.2));
  }
  fmt::print("measured float FMA peak, one core, GFLOP/s: {} (128-bit: multiply + add)\n", peaks);
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  const char* blas_threads = std::getenv("OPENBLAS_NUM_THREADS");
  fmt::print("OPENBLAS_CORETYPE={} OPENBLAS_NUM_THREADS={}\n", coretype ? coretype : "(unset)",
             blas_threads ? blas_threads : "(unset)");
#ifdef XGRAD_BENCH_WITH_TORCH
  // LibTorch's Linear, mm and some convolution backwards call whichever libblas.so.3 Debian's
  // alternatives point to. Without OpenBLAS installed that is the reference BLAS, ~40x slower
  // (a 256x400x120 mm: 4.5 ms against 0.14), which makes every ratio with a Linear in it
  // meaningless; say which one ran.
  using corename_fn = char* (*)();
  if (auto f = reinterpret_cast<corename_fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    fmt::print("LibTorch's BLAS: OpenBLAS, {} kernels\n", f());
  else
    fmt::print("LibTorch's BLAS: the generic reference BLAS (slow: apt-get install libopenblas0-pthread "
               "for OpenBLAS); LibTorch rows with Linear or mm are not comparable\n");
#endif
}

}  // namespace bench
