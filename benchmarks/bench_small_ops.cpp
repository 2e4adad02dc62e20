// Per-op overhead of define-by-run code on tiny tensors, where the arithmetic is nothing and
// the time is the framework's own: allocating tensors, recording graph nodes, running the
// backward engine, dispatching. xgrad against LibTorch (when installed), in the same run, at 1
// thread (tiny tensors never use a second one).
//
//     ./build/benchmarks/bench_small_ops
//     XGRAD_BENCH_SECONDS=1 ./build/benchmarks/bench_small_ops
//
// Rows:
//   - "a + b [2, 3]", "relu [2, 3]", "matmul [2, 3]x[3, 2]": one forward op, no graph;
//   - "add + backward": y = (a * b).sum() with a, b requiring grad, and y.backward();
//   - "chapter toy step": one iteration of the chapter's "learn a 1x2 edge kernel" loop
//     (examples/learn_kernel.cpp): conv2d 1x2 on a 1x1x6x8 image, (Y_hat - Y)^2, zero_grad,
//     sum().backward(), the in-place update weight.data() -= lr * grad;
//   - "MLP step": Linear(8, 16) - ReLU - Linear(16, 1), MSE loss, SGD step, batch 4.
// Columns: best time per call (microseconds) and the ratio xgrad / LibTorch (< 1: xgrad faster).
#include "bench_common.hpp"

#include <xgrad/xgrad.hpp>

#include <fmt/format.h>

#ifdef XGRAD_BENCH_WITH_TORCH
#include <torch/torch.h>
#endif

#include <functional>
#include <string>
#include <vector>

namespace {

struct Row {
  std::string name;
  std::function<void()> xgrad_fn;
  std::function<void()> torch_fn;  // empty without LibTorch
};

// The chapter's data: X is 6x8 ones with columns 2..5 zero; Y = corr2d(X, [[1, -1]]) has 1 where
// X goes from 1 to 0 and -1 where it goes from 0 to 1.
std::vector<float> edge_image() {
  std::vector<float> x(48, 1.0f);
  for (int r = 0; r < 6; ++r)
    for (int c = 2; c < 6; ++c) x[static_cast<size_t>(r * 8 + c)] = 0.0f;
  return x;
}
std::vector<float> edge_target() {
  std::vector<float> y(42, 0.0f);
  for (int r = 0; r < 6; ++r) {
    y[static_cast<size_t>(r * 7 + 1)] = 1.0f;
    y[static_cast<size_t>(r * 7 + 5)] = -1.0f;
  }
  return y;
}

std::vector<Row> xgrad_rows() {
  namespace nn = xgrad::nn;
  std::vector<Row> rows;
  auto a = xgrad::rand({2, 3}), b = xgrad::rand({2, 3}), m = xgrad::rand({3, 2});
  rows.push_back({"a + b [2, 3]", [=] { (void)(a + b); }, {}});
  rows.push_back({"relu [2, 3]", [=] { (void)xgrad::relu(a); }, {}});
  rows.push_back({"matmul [2, 3]x[3, 2]", [=] { (void)xgrad::matmul(a, m); }, {}});
  auto ga = a.detach().requires_grad_(), gb = b.detach().requires_grad_();
  rows.push_back({"add + backward", [=] {
                    auto ra = ga, rb = gb;
                    ra.mutable_grad() = xgrad::Tensor();
                    rb.mutable_grad() = xgrad::Tensor();
                    (ra * rb).sum().backward();
                  },
                  {}});

  auto img = edge_image(), tgt = edge_target();
  auto X = xgrad::from_blob(img.data(), {1, 1, 6, 8}).clone();
  auto Y = xgrad::from_blob(tgt.data(), {1, 1, 6, 7}).clone();
  nn::Conv2d conv(nn::Conv2dOptions(1, 1, {1, 2}).bias(false));
  rows.push_back({"chapter toy step", [=]() mutable {
                    auto l = (conv(X) - Y).pow(2);
                    conv->zero_grad();
                    l.sum().backward();
                    conv->weight.data() -= 3e-2 * conv->weight.grad();
                  },
                  {}});

  nn::Sequential mlp(nn::Linear(8, 16), nn::ReLU(), nn::Linear(16, 1));
  auto opt = std::make_shared<xgrad::optim::SGD>(mlp->parameters(), xgrad::optim::SGDOptions(0.01));
  auto in = xgrad::rand({4, 8}), target = xgrad::rand({4, 1});
  rows.push_back({"MLP step", [=]() mutable {
                    opt->zero_grad();
                    auto loss = xgrad::nn::functional::mse_loss(mlp->forward(in), target);
                    loss.backward();
                    opt->step();
                  },
                  {}});
  return rows;
}

#ifdef XGRAD_BENCH_WITH_TORCH
void add_torch(std::vector<Row>& rows) {
  namespace nn = torch::nn;
  auto a = torch::rand({2, 3}), b = torch::rand({2, 3}), m = torch::rand({3, 2});
  rows[0].torch_fn = [=] { (void)(a + b); };
  rows[1].torch_fn = [=] { (void)torch::relu(a); };
  rows[2].torch_fn = [=] { (void)torch::matmul(a, m); };
  auto ga = a.detach().requires_grad_(), gb = b.detach().requires_grad_();
  rows[3].torch_fn = [=] {
    auto ra = ga, rb = gb;
    ra.mutable_grad().reset();
    rb.mutable_grad().reset();
    (ra * rb).sum().backward();
  };

  auto img = edge_image(), tgt = edge_target();
  auto X = torch::from_blob(img.data(), {1, 1, 6, 8}).clone();
  auto Y = torch::from_blob(tgt.data(), {1, 1, 6, 7}).clone();
  nn::Conv2d conv(nn::Conv2dOptions(1, 1, {1, 2}).bias(false));
  rows[4].torch_fn = [=]() mutable {
    auto l = (conv(X) - Y).pow(2);
    conv->zero_grad();
    l.sum().backward();
    conv->weight.data() -= 3e-2 * conv->weight.grad();
  };

  nn::Sequential mlp(nn::Linear(8, 16), nn::ReLU(), nn::Linear(16, 1));
  auto opt = std::make_shared<torch::optim::SGD>(mlp->parameters(), torch::optim::SGDOptions(0.01));
  auto in = torch::rand({4, 8}), target = torch::rand({4, 1});
  rows[5].torch_fn = [=]() mutable {
    opt->zero_grad();
    auto loss = torch::nn::functional::mse_loss(mlp->forward(in), target);
    loss.backward();
    opt->step();
  };
}
#endif

}  // namespace

int main() {
  const double budget = bench::budget();
  bench::print_machine();
  xgrad::set_num_threads(1);
  xgrad::manual_seed(0);
  auto rows = xgrad_rows();
#ifdef XGRAD_BENCH_WITH_TORCH
  torch::set_num_threads(1);
  torch::manual_seed(0);
  add_torch(rows);
#else
  fmt::print("(LibTorch not found at configure time: xgrad only)\n");
#endif
  fmt::print("{:<22} {:>3} | {:>10} {:>10} {:>6}   (microseconds per call)\n", "small op", "thr", "xgrad", "torch",
             "ratio");
  for (const auto& r : rows) {
    if (!bench::selected(r.name)) continue;
    const double tx = bench::best_time(r.xgrad_fn, budget);
    const double tt = r.torch_fn ? bench::best_time(r.torch_fn, budget) : 0.0;
    fmt::print("{:<22} {:>3} | {:>10.2f} {:>10} {:>6}\n", r.name, 1, tx * 1e6,
               tt > 0 ? fmt::format("{:.2f}", tt * 1e6) : std::string("-"),
               tt > 0 ? fmt::format("{:.2f}", tx / tt) : std::string("-"));
    std::fflush(stdout);
  }
  return 0;
}
