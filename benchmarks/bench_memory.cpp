// Memory stays flat over many small training steps: 10 000 forward/backward/update iterations
// of the chapter's 1×2 edge-kernel convolution (and a small MLP on top, so a deeper graph is
// built and freed every step), printing the resident set size at 1k, 5k and 10k iterations.
// A leak of one graph per step (a reference cycle between a node and its outputs, or saved
// tensors never released) shows up here as steady growth.
//
//     ./benchmarks/bench_memory
//     iteration  1000: RSS 13.9 MiB, loss 0.000123
//     ...
#include <xgrad/xgrad.hpp>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <unistd.h>

namespace nn = xgrad::nn;
using xgrad::indexing::Slice;

namespace {

// Resident set size from /proc/self/statm (second field, in pages).
double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

}  // namespace

int main() {
  xgrad::manual_seed(0);
  auto X = xgrad::ones({6, 8});
  X.index_put_({Slice(), Slice(2, 6)}, 0);
  auto Y = xgrad::zeros({6, 7});
  Y.index_put_({Slice(), 1}, 1);
  Y.index_put_({Slice(), 5}, -1);
  X = X.reshape({1, 1, 6, 8});
  Y = Y.reshape({1, 1, 6, 7});

  nn::Conv2d conv(nn::Conv2dOptions(1, 1, {1, 2}).bias(false));
  nn::Sequential mlp(nn::Linear(42, 16), nn::ReLU(), nn::Linear(16, 42));
  const double lr = 3e-2, mlp_lr = 1e-3;

  const auto start = std::chrono::steady_clock::now();
  fmt::print("start: RSS {:.1f} MiB\n", rss_mib());
  for (int it = 1; it <= 10000; ++it) {
    auto Y_hat = conv(X);
    auto loss = (Y_hat - Y).pow(2).sum();
    // The MLP learns to reproduce the convolution's output: a second, deeper graph per step.
    auto flat = Y_hat.detach().reshape({1, 42});
    auto mlp_loss = (mlp->forward(flat) - flat).pow(2).mean();
    conv->zero_grad();
    mlp->zero_grad();
    loss.backward();
    mlp_loss.backward();
    {
      xgrad::NoGradGuard no_grad;
      conv->weight -= lr * conv->weight.grad();
      for (auto& p : mlp->parameters()) p -= mlp_lr * p.grad();
    }
    if (it == 1000 || it == 5000 || it == 10000)
      fmt::print("iteration {:5d}: RSS {:.1f} MiB, loss {:.6f}, mlp loss {:.6f}\n", it, rss_mib(),
                 loss.item<double>(), mlp_loss.item<double>());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("10000 iterations in {:.2f} s ({:.1f} us per iteration)\n", seconds, seconds * 100.0);
}
