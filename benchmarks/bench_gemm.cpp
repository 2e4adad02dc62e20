// Single-precision GEMM 1024^3: xgrad's packed kernel (and xgrad::mm on tensors) against the
// measured FMA peak of this core and, when installed, LibTorch's mm, at 1 and 2 threads.
//
//     OPENBLAS_NUM_THREADS=1 ./build/benchmarks/bench_gemm [n]
#include "bench_common.hpp"

#include <xgrad/xgrad.hpp>

#include "kernels/gemm.hpp"

#include <fmt/format.h>

#ifdef XGRAD_BENCH_WITH_TORCH
#include <torch/torch.h>
#endif

#include <cstdlib>

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1024;
  const double budget = bench::budget();
  const double flops = 2.0 * static_cast<double>(n) * n * n;
  bench::print_machine();
  const double peak = xgrad::kernels::fma_peak_gflops();
  fmt::print("'of peak' is of the kernels' ISA ({:.1f} GFLOP/s per core) times the threads\n", peak);
  fmt::print("{:<22} {:>3} | {:>9} {:>9} {:>8}\n", fmt::format("sgemm {}^3", n), "thr", "ms", "GFLOP/s", "of peak");

  xgrad::manual_seed(0);
  auto a = xgrad::randn({n, n}), b = xgrad::randn({n, n});
  auto c = xgrad::empty({n, n});
  for (int threads : bench::thread_counts()) {
    xgrad::set_num_threads(threads);
    auto row = [&](const char* name, double t, double ref) {
      fmt::print("{:<22} {:>3} | {:>9.3f} {:>9.1f} {:>7.1f}%", name, threads, t * 1e3, flops / t / 1e9,
                 100.0 * flops / t / 1e9 / (peak * threads));
      if (ref > 0) fmt::print("   xgrad/torch {:.2f}", ref);
      fmt::print("\n");
    };
    const double t_kernel = bench::best_time(
        [&] {
          xgrad::kernels::gemm(false, false, n, n, n, 1.0f, a.data_ptr<float>(), n, b.data_ptr<float>(), n, 0.0f,
                               c.data_ptr<float>(), n);
        },
        budget);
    const double t_mm = bench::best_time([&] { xgrad::mm(a, b); }, budget);
    double t_torch = 0;
#ifdef XGRAD_BENCH_WITH_TORCH
    torch::set_num_threads(threads);
    auto ta = torch::from_blob(a.data_ptr<float>(), {n, n}, torch::kFloat32).clone();
    auto tb = torch::from_blob(b.data_ptr<float>(), {n, n}, torch::kFloat32).clone();
    t_torch = bench::best_time([&] { torch::mm(ta, tb); }, budget);
#endif
    row("xgrad kernels::gemm", t_kernel, t_torch > 0 ? t_kernel / t_torch : 0);
    row("xgrad::mm", t_mm, t_torch > 0 ? t_mm / t_torch : 0);
    if (t_torch > 0) row("torch::mm", t_torch, 0);
    std::fflush(stdout);
  }
  return 0;
}
