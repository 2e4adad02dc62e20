// Batch-norm benchmark: xgrad against LibTorch (when built with it) on a LeNet-sized and a
// ResNet-stage-sized BatchNorm2d input, training forward (batch statistics and running-stat
// update), training forward + backward (gradients of input, weight and bias), and evaluation
// forward, at 1 and 2 threads. Prints the best time per call and the ratio xgrad / LibTorch.
//
//     ninja -C build benchmarks/bench_batchnorm && ./build/benchmarks/bench_batchnorm
//     XGRAD_BENCH_THREADS=1 XGRAD_BENCH_SECONDS=0.1 ./build/benchmarks/bench_batchnorm   # quick check
#include "bench_common.hpp"

#include <xgrad/nn/functional/batchnorm.hpp>
#include <xgrad/xgrad.hpp>

#include "kernels/batchnorm.hpp"

#ifdef XGRAD_BENCH_WITH_TORCH
#include <torch/torch.h>
#endif

#include <fmt/format.h>

#include <functional>
#include <string>
#include <vector>

namespace {

namespace F = xgrad::nn::functional;

double best_ms(const std::function<void()>& fn, double budget) { return 1e3 * bench::best_time(fn, budget); }

enum class Pass { kTrainForward, kTrainBackward, kEvalForward };
const char* pass_name(Pass p) {
  switch (p) {
    case Pass::kTrainForward: return "train fwd";
    case Pass::kTrainBackward: return "train f+b";
    case Pass::kEvalForward: return "eval fwd";
  }
  return "";
}

}  // namespace

int main() {
  bench::print_machine();
  const double budget = bench::budget();
  const std::vector<std::vector<int64_t>> shapes = {{256, 6, 28, 28}, {32, 64, 56, 56}, {32, 256, 14, 14}};
  fmt::print("batch-norm kernels: {}\n", xgrad::kernels::batch_norm_kernel_arch());
#ifdef XGRAD_BENCH_WITH_TORCH
  fmt::print("{:<20} {:<10} {:>3} {:>10} {:>10} {:>7}\n", "input", "pass", "thr", "xgrad ms", "torch ms", "ratio");
#else
  fmt::print("(LibTorch not found at configure time: xgrad only)\n");
  fmt::print("{:<20} {:<10} {:>3} {:>10}\n", "input", "pass", "thr", "xgrad ms");
#endif

  for (const auto& shape : shapes) {
    const int64_t c = shape[1];
    xgrad::manual_seed(0);
    auto x = xgrad::randn(shape);
    auto g = xgrad::randn(shape);
    auto xr = x.detach().clone().requires_grad_();
    auto w = xgrad::ones({c}).requires_grad_();
    auto b = xgrad::zeros({c}).requires_grad_();
    auto rm = xgrad::zeros({c}), rv = xgrad::ones({c});
    auto run = [&](const xgrad::Tensor& in, bool training) {
      return F::batch_norm(in, rm, rv, F::BatchNormFuncOptions().weight(w).bias(b).training(training));
    };
#ifdef XGRAD_BENCH_WITH_TORCH
    auto tx = torch::from_blob(x.data_ptr<float>(), shape, torch::kFloat32).clone();
    auto tg = torch::from_blob(g.data_ptr<float>(), shape, torch::kFloat32).clone();
    auto txr = tx.clone().requires_grad_();
    auto tw = torch::ones({c}).requires_grad_();
    auto tb = torch::zeros({c}).requires_grad_();
    auto trm = torch::zeros({c}), trv = torch::ones({c});
    auto trun = [&](const torch::Tensor& in, bool training) {
      return torch::batch_norm(in, tw, tb, trm, trv, training, 0.1, 1e-5, false);
    };
#endif
    const std::string name = fmt::format("[{}]", fmt::join(shape, ", "));
    for (int threads : bench::thread_counts()) {
      xgrad::set_num_threads(threads);
      for (Pass p : {Pass::kTrainForward, Pass::kTrainBackward, Pass::kEvalForward}) {
        double ours;
        if (p == Pass::kTrainBackward) {
          ours = best_ms(
              [&] {
                xr.mutable_grad() = xgrad::Tensor();
                w.mutable_grad() = xgrad::Tensor();
                b.mutable_grad() = xgrad::Tensor();
                run(xr, true).backward(g);
              },
              budget);
        } else {
          ours = best_ms([&] { xgrad::NoGradGuard ng; auto y = run(x, p == Pass::kTrainForward); }, budget);
        }
#ifdef XGRAD_BENCH_WITH_TORCH
        torch::set_num_threads(threads);
        double theirs;
        if (p == Pass::kTrainBackward) {
          theirs = best_ms(
              [&] {
                txr.mutable_grad().reset();
                tw.mutable_grad().reset();
                tb.mutable_grad().reset();
                trun(txr, true).backward(tg);
              },
              budget);
        } else {
          theirs = best_ms([&] { torch::NoGradGuard ng; auto y = trun(tx, p == Pass::kTrainForward); }, budget);
        }
        fmt::print("{:<20} {:<10} {:>3} {:>10.3f} {:>10.3f} {:>7.2f}\n", name, pass_name(p), threads, ours, theirs,
                   ours / theirs);
#else
        fmt::print("{:<20} {:<10} {:>3} {:>10.3f}\n", name, pass_name(p), threads, ours);
#endif
      }
    }
  }
  return 0;
}
