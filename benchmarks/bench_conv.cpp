// conv2d forward and forward+backward, xgrad against LibTorch (when installed) on the same
// shapes, in the same run, at 1 and 2 threads.
//
//     OPENBLAS_NUM_THREADS=1 ./build/benchmarks/bench_conv
//     XGRAD_BENCH_THREADS=1 XGRAD_BENCH_SECONDS=0.2 ./build/benchmarks/bench_conv
//     XGRAD_BENCH_PASSES=1 ./build/benchmarks/bench_conv   # per pass and kernel path, xgrad only
//     XGRAD_BENCH_ONLY=LeNet ./build/benchmarks/bench_conv  # shapes whose name contains "LeNet"
//
// Columns: best time per call (ms), ratio xgrad / LibTorch (< 1 = xgrad faster), and xgrad's
// GFLOP/s (forward: 2 * MACs; forward+backward: counted as 2x or 3x forward, depending on
// whether the input needs a gradient).
#include "bench_common.hpp"

#include <xgrad/xgrad.hpp>

#include "kernels/conv.hpp"

#include <fmt/format.h>

#ifdef XGRAD_BENCH_WITH_TORCH
#include <torch/torch.h>
#endif

#include <cstdlib>
#include <vector>

namespace F = xgrad::nn::functional;

namespace {

struct Shape {
  const char* name;
  int64_t n, cin, h, w, cout, kh, kw, stride, pad;
  bool input_grad;  // false for a network's first layer: the data needs no gradient
};

const Shape kShapes[] = {
    {"LeNet conv1", 256, 1, 28, 28, 6, 5, 5, 1, 2, false},
    {"LeNet conv2", 256, 6, 14, 14, 16, 5, 5, 1, 0, true},
    {"3x3 64->64", 8, 64, 56, 56, 64, 3, 3, 1, 1, true},
    {"3x3 64->128 /2", 8, 64, 56, 56, 128, 3, 3, 2, 1, true},
    {"1x1 256->64", 8, 256, 28, 28, 64, 1, 1, 1, 0, true},
    {"5x5 64->64", 8, 64, 28, 28, 64, 5, 5, 1, 2, true},  // Winograd F(2x2, 5x5)
    {"chapter 1x2 on 6x8", 1, 1, 6, 8, 1, 1, 2, 1, 0, false},
};

struct Timing {
  double fwd = 0, fwd_bwd = 0;
};

Timing time_xgrad(const Shape& s, const xgrad::Tensor& x0, const xgrad::Tensor& w0, const xgrad::Tensor& b0,
                  double budget) {
  Timing t;
  auto opts = F::Conv2dFuncOptions().stride(s.stride).padding(s.pad);
  {
    xgrad::NoGradGuard no_grad;
    auto o = opts;
    o.bias(b0);
    t.fwd = bench::best_time([&] { F::conv2d(x0, w0, o); }, budget);
  }
  auto x = x0.detach().requires_grad_(s.input_grad);
  auto w = w0.detach().requires_grad_();
  auto b = b0.detach().requires_grad_();
  opts.bias(b);
  xgrad::Tensor gy;
  {
    xgrad::NoGradGuard no_grad;
    gy = xgrad::ones_like(F::conv2d(x0, w0, opts));
  }
  t.fwd_bwd = bench::best_time(
      [&] {
        x.mutable_grad() = xgrad::Tensor();
        w.mutable_grad() = xgrad::Tensor();
        b.mutable_grad() = xgrad::Tensor();
        F::conv2d(x, w, opts).backward(gy);
      },
      budget);
  return t;
}

#ifdef XGRAD_BENCH_WITH_TORCH
torch::Tensor to_torch(const xgrad::Tensor& t) {
  return torch::from_blob(t.data_ptr<float>(), t.sizes().vec(), torch::kFloat32).clone();
}

Timing time_torch(const Shape& s, const xgrad::Tensor& x0, const xgrad::Tensor& w0, const xgrad::Tensor& b0,
                  double budget) {
  Timing t;
  auto x = to_torch(x0), w = to_torch(w0), b = to_torch(b0);
  const std::vector<int64_t> stride = {s.stride, s.stride}, pad = {s.pad, s.pad};
  {
    torch::NoGradGuard no_grad;
    t.fwd = bench::best_time([&] { torch::conv2d(x, w, b, stride, pad); }, budget);
  }
  x.requires_grad_(s.input_grad);
  w.requires_grad_();
  b.requires_grad_();
  torch::Tensor gy;
  {
    torch::NoGradGuard no_grad;
    gy = torch::ones_like(torch::conv2d(x, w, b, stride, pad));
  }
  t.fwd_bwd = bench::best_time(
      [&] {
        x.mutable_grad().reset();
        w.mutable_grad().reset();
        b.mutable_grad().reset();
        torch::conv2d(x, w, b, stride, pad).backward(gy);
      },
      budget);
  return t;
}
#endif

// Kernel-level time of each pass (forward, grad-input, grad-weight) on each path, to see where
// the time goes and which path the automatic choice should take.
void print_passes(double budget) {
  namespace K = xgrad::kernels;
  const std::pair<K::ConvAlgo, const char*> algos[7] = {{K::ConvAlgo::kAuto, "auto"},
                                                       {K::ConvAlgo::kIm2col, "im2col"},
                                                       {K::ConvAlgo::kGather, "gather"},
                                                       {K::ConvAlgo::kShift, "shift"},
                                                       {K::ConvAlgo::kScatter, "scatter"},
                                                       {K::ConvAlgo::kWinograd, "winograd"},
                                                       {K::ConvAlgo::kBatchWinograd, "batch"}};
  fmt::print("{:<20} {:>3} {:>7} | {:>10} {:>10} {:>10}   (ms)  paths: forward / grad-input / grad-weight\n",
             "conv2d pass", "thr", "algo", "forward", "grad-in", "grad-w");
  for (int threads : bench::thread_counts()) {
    xgrad::set_num_threads(threads);
    for (const auto& sh : kShapes) {
      if (!bench::selected(sh.name)) continue;
      K::Conv2dShape s;
      s.n = sh.n, s.c_in = sh.cin, s.h = sh.h, s.w = sh.w, s.c_out = sh.cout, s.kh = sh.kh, s.kw = sh.kw;
      s.sh = s.sw = sh.stride, s.ph = s.pw = sh.pad;
      s.ho = (sh.h + 2 * sh.pad - sh.kh) / sh.stride + 1, s.wo = (sh.w + 2 * sh.pad - sh.kw) / sh.stride + 1;
      std::vector<float> x(static_cast<size_t>(s.n * s.c_in * s.h * s.w), 0.5f), w(static_cast<size_t>(s.c_out * s.k_g()), 0.25f),
          b(static_cast<size_t>(s.c_out), 1.0f), y(static_cast<size_t>(s.n * s.c_out * s.ho * s.wo), 0.125f), gx(x.size()),
          gw(w.size()), gb(b.size());
      for (const auto& [algo, name] : algos) {
        const K::ConvConfig cfg{algo, K::KernelIsa::kBest};
        const double f = bench::best_time([&] { K::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), cfg); }, budget);
        const double gi = bench::best_time([&] { K::conv2d_backward_input(s, y.data(), w.data(), gx.data(), cfg); }, budget);
        const double gwt =
            bench::best_time([&] { K::conv2d_backward_weight(s, x.data(), y.data(), gw.data(), gb.data(), cfg); }, budget);
        const K::ConvPlan plan = K::conv2d_plan<float>(s, cfg);
        fmt::print("{:<20} {:>3} {:>7} | {:>10.3f} {:>10.3f} {:>10.3f}   {} / {} / {}\n", sh.name, threads, name,
                   f * 1e3, gi * 1e3, gwt * 1e3, K::conv_path_name(plan.forward), K::conv_path_name(plan.grad_input),
                   K::conv_path_name(plan.grad_weight));
      }
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main() {
  const double budget = bench::budget();
  bench::print_machine();
  if (std::getenv("XGRAD_BENCH_PASSES") != nullptr) {
    print_passes(budget);
    return 0;
  }
  xgrad::manual_seed(0);
  const double peak = xgrad::kernels::fma_peak_gflops();
  fmt::print("'%pk': xgrad's GFLOP/s over the kernels' ISA peak ({:.1f} per core) times the threads\n", peak);
  fmt::print("{:<20} {:>3} | {:>10} {:>10} {:>6} {:>8} {:>4} | {:>10} {:>10} {:>6} {:>8} {:>4}\n", "conv2d", "thr",
             "fwd ms", "torch ms", "ratio", "GFLOP/s", "%pk", "f+b ms", "torch ms", "ratio", "GFLOP/s", "%pk");
  for (int threads : bench::thread_counts()) {
    xgrad::set_num_threads(threads);
#ifdef XGRAD_BENCH_WITH_TORCH
    torch::set_num_threads(threads);
#endif
    for (const auto& s : kShapes) {
      if (!bench::selected(s.name)) continue;
      auto x = xgrad::randn({s.n, s.cin, s.h, s.w});
      auto w = xgrad::randn({s.cout, s.cin, s.kh, s.kw}) * 0.1;
      auto b = xgrad::randn({s.cout});
      const int64_t ho = (s.h + 2 * s.pad - s.kh) / s.stride + 1, wo = (s.w + 2 * s.pad - s.kw) / s.stride + 1;
      const double fwd_flops = 2.0 * s.n * s.cout * ho * wo * s.cin * s.kh * s.kw;
      const double fb_flops = fwd_flops * (s.input_grad ? 3 : 2);
      const Timing xt = time_xgrad(s, x, w, b, budget);
      Timing tt;
#ifdef XGRAD_BENCH_WITH_TORCH
      tt = time_torch(s, x, w, b, budget);
#endif
      auto ratio = [](double a, double b) { return b > 0 ? fmt::format("{:.2f}", a / b) : std::string("-"); };
      auto ms = [](double v) { return v > 0 ? fmt::format("{:.3f}", v * 1e3) : std::string("-"); };
      const double fwd_gflops = fwd_flops / xt.fwd / 1e9, fb_gflops = fb_flops / xt.fwd_bwd / 1e9;
      fmt::print("{:<20} {:>3} | {:>10} {:>10} {:>6} {:>8.1f} {:>4.0f} | {:>10} {:>10} {:>6} {:>8.1f} {:>4.0f}\n", s.name,
                 threads, ms(xt.fwd), ms(tt.fwd), ratio(xt.fwd, tt.fwd), fwd_gflops, 100 * fwd_gflops / (peak * threads),
                 ms(xt.fwd_bwd), ms(tt.fwd_bwd), ratio(xt.fwd_bwd, tt.fwd_bwd), fb_gflops,
                 100 * fb_gflops / (peak * threads));
      std::fflush(stdout);
    }
  }
  return 0;
}
