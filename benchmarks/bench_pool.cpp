// Pooling benchmark: xgrad against LibTorch (when built with it) on the shapes of LeNet and of a
// ResNet stem, forward only (inference, no graph) and forward + backward, at 1 and 2 threads.
// Prints the best time per call of each and the ratio xgrad / LibTorch (lower is better).
//
//     ninja -C build benchmarks/bench_pool && ./build/benchmarks/bench_pool
//     XGRAD_BENCH_THREADS=1 XGRAD_BENCH_SECONDS=0.1 ./build/benchmarks/bench_pool   # quick check
#include "bench_common.hpp"

#include <xgrad/xgrad.hpp>
#include <xgrad/nn/functional/pooling.hpp>

#include "kernels/pool.hpp"

#ifdef XGRAD_BENCH_WITH_TORCH
#include <torch/torch.h>
#endif

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace {

namespace F = xgrad::nn::functional;

double best_ms(const std::function<void()>& fn, double budget) { return 1e3 * bench::best_time(fn, budget); }

struct Case {
  const char* name;
  std::vector<int64_t> shape;
  bool max;
  int64_t kernel, stride, padding;
};

}  // namespace

int main() {
  const double budget = bench::budget();
  const std::vector<Case> cases = {
      {"max 2x2", {256, 6, 28, 28}, true, 2, 2, 0},      {"avg 2x2", {256, 6, 28, 28}, false, 2, 2, 0},
      {"max 2x2", {8, 64, 56, 56}, true, 2, 2, 0},       {"avg 2x2", {8, 64, 56, 56}, false, 2, 2, 0},
      {"max 3x3 s2 p1", {8, 64, 112, 112}, true, 3, 2, 1},
  };
  bench::print_machine();
#ifdef XGRAD_BENCH_WITH_TORCH
  fmt::print("{:<14} {:<18} {:<9} {:>3} {:>10} {:>10} {:>7}\n", "op", "input", "pass", "thr", "xgrad ms",
             "torch ms", "ratio");
#else
  fmt::print("(LibTorch not found at configure time: xgrad only)\n");
  fmt::print("{:<14} {:<18} {:<9} {:>3} {:>10}\n", "op", "input", "pass", "thr", "xgrad ms");
#endif

  for (const Case& c : cases) {
    xgrad::manual_seed(0);
    auto x = xgrad::randn(c.shape);
    auto pool = [&](const xgrad::Tensor& in) {
      return c.max ? F::max_pool2d(in, F::MaxPool2dFuncOptions(c.kernel).stride(c.stride).padding(c.padding))
                   : F::avg_pool2d(in, F::AvgPool2dFuncOptions(c.kernel).stride(c.stride).padding(c.padding));
    };
    const auto out_shape = pool(x).sizes().vec();
    auto g = xgrad::randn(out_shape);
    auto xr = x.detach().clone().requires_grad_();
#ifdef XGRAD_BENCH_WITH_TORCH
    auto tx = torch::from_blob(x.data_ptr<float>(), c.shape, torch::kFloat32).clone();
    auto tg = torch::from_blob(g.data_ptr<float>(), out_shape, torch::kFloat32).clone();
    auto txr = tx.clone().requires_grad_();
    auto tpool = [&](const torch::Tensor& in) {
      return c.max ? torch::max_pool2d(in, c.kernel, c.stride, c.padding)
                   : torch::avg_pool2d(in, c.kernel, c.stride, c.padding);
    };
#endif
    const std::string shape = fmt::format("[{}]", fmt::join(c.shape, ", "));
    for (int threads : bench::thread_counts()) {
      xgrad::set_num_threads(threads);
      for (bool backward : {false, true}) {
        double ours;
        if (!backward) {
          ours = best_ms([&] { xgrad::NoGradGuard ng; auto y = pool(x); }, budget);
        } else {
          ours = best_ms(
              [&] {
                xr.mutable_grad() = xgrad::Tensor();
                auto y = pool(xr);
                y.backward(g);
              },
              budget);
        }
#ifdef XGRAD_BENCH_WITH_TORCH
        torch::set_num_threads(threads);
        double theirs;
        if (!backward) {
          theirs = best_ms([&] { torch::NoGradGuard ng; auto y = tpool(tx); }, budget);
        } else {
          theirs = best_ms(
              [&] {
                txr.mutable_grad().reset();
                auto y = tpool(txr);
                y.backward(tg);
              },
              budget);
        }
        fmt::print("{:<14} {:<18} {:<9} {:>3} {:>10.3f} {:>10.3f} {:>7.2f}\n", c.name, shape,
                   backward ? "fwd+bwd" : "forward", threads, ours, theirs, ours / theirs);
#else
        fmt::print("{:<14} {:<18} {:<9} {:>3} {:>10.3f}\n", c.name, shape, backward ? "fwd+bwd" : "forward", threads,
                   ours);
#endif
      }
    }
  }
  return 0;
}
