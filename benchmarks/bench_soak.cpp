// Soak: 10 000 training steps of a small CNN (two conv/relu/max-pool stages and a linear head)
// with Adam on fresh random batches, printing the resident set size every 1000 steps and the
// growth after warm-up. Every step builds a graph with a few hundred KiB of saved tensors and
// must free all of it; optimizer state is allocated in the first step and never again. A leak
// of one graph, one gradient or one Adam buffer per step shows up as steady growth.
//
//     ./benchmarks/bench_soak [steps] [--create-graph]
//
// --create-graph trains a two-layer mm/tanh head with a gradient penalty instead
// (backward(create_graph=true), then a second backward through the gradients): each step makes
// the reference cycle leaf -> grad -> graph -> leaf of docs/autograd.md, and zero_grad() cuts
// it, so RSS must stay flat there too.
#include <xgrad/xgrad.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>

namespace nn = xgrad::nn;

namespace {

// Resident set size from /proc/self/statm (second field, in pages).
double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t steps = 10000;
  bool create_graph = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--create-graph") == 0)
      create_graph = true;
    else
      steps = std::stoll(argv[i]);
  }
  xgrad::manual_seed(0);
  // [16, 1, 16, 16] -> conv 8 -> pool -> [16, 8, 8, 8] -> conv 16 -> pool -> [16, 16, 4, 4] -> 10
  nn::Sequential model(nn::Conv2d(nn::Conv2dOptions(1, 8, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                       nn::Conv2d(nn::Conv2dOptions(8, 16, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                       nn::Flatten(), nn::Linear(16 * 4 * 4, 10));
  auto w1 = (0.05 * xgrad::randn({256, 32})).requires_grad_();
  auto w2 = (0.1 * xgrad::randn({32, 10})).requires_grad_();
  xgrad::optim::Adam opt(create_graph ? std::vector<xgrad::Tensor>{w1, w2} : model->parameters(),
                         xgrad::optim::AdamOptions(1e-3));
  const int64_t warmup = std::min<int64_t>(1000, steps);

  fmt::print("bench_soak: {} steps, batch 16 of 1x16x16, Adam, {}\n", steps,
             create_graph ? "mm/tanh head with gradient penalty (create_graph=true)" : "small CNN");
  double rss_warm = 0, rss_peak_after = 0;
  double loss_value = 0;
  int64_t saved_after_backward = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t step = 1; step <= steps; ++step) {
    auto x = xgrad::randn({16, 1, 16, 16});
    auto y = xgrad::randint(0, 10, {16});
    opt.zero_grad();
    xgrad::Tensor loss;
    if (create_graph) {
      // Linear and conv backward build no graph under create_graph, so the penalised head is
      // written with mm and tanh (differentiable backward) on the flattened input.
      loss = nn::functional::cross_entropy(x.reshape({16, 256}).mm(w1).tanh().mm(w2), y);
      loss.backward({}, std::nullopt, /*create_graph=*/true);
      auto penalty = w1.grad().pow(2).sum() + w2.grad().pow(2).sum();
      // Keep only the second backward's gradient; set_to_none, as zeroing in place would bump
      // the version of the gradients the penalty saved.
      opt.zero_grad(/*set_to_none=*/true);
      (loss + 1e-3 * penalty).backward();
    } else {
      loss = nn::functional::cross_entropy(model->forward(x), y);
      loss.backward();
    }
    saved_after_backward += xgrad::autograd::saved_tensors_stats(loss).bytes;
    opt.step();
    loss_value = loss.item<double>();
    if (step % 1000 == 0 || step == steps) {
      const double rss = rss_mib();
      if (step == warmup) rss_warm = rss;
      if (step > warmup) rss_peak_after = std::max(rss_peak_after, rss);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fmt::print("step {:6}: RSS {:7.2f} MiB, loss {:.4f}, {:.1f} s\n", step, rss, loss_value, secs);
    }
  }
  if (steps > warmup)
    fmt::print("growth after warm-up (step {} -> peak up to step {}): {:+.2f} MiB ({:+.1f} KiB per 1000 steps)\n",
               warmup, steps, rss_peak_after - rss_warm,
               (rss_peak_after - rss_warm) * 1024.0 / (static_cast<double>(steps - warmup) / 1000.0));
  fmt::print("saved-tensor bytes left after backward, summed over all steps: {}\n", saved_after_backward);
  return saved_after_backward == 0 ? 0 : 1;
}
