// A LibTorch program: the five optimizers and StepLR on a small float64 problem, written once
// against compat.hpp (xg:: = torch:: or xgrad::). Its LibTorch output is stored beside it
// (optim_trajectories.libtorch.txt); the compat test runs the xgrad build and compares the
// numbers to 1e-9 relative.
//
// The StepLR learning rates go to stderr, not stdout: LibTorch 1.13's C++ StepLR decays one
// step later than Python's, and xgrad follows Python (tests/optim/schedulers.cpp checks it
// against Python's sequence).
#include "compat.hpp"

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace optim = xg::optim;

namespace {

xg::Tensor make_param() {
  return xg::tensor({0.5, -0.3, 0.1, 0.8, -0.6, 0.2}, xg::dtype(xg::kFloat64)).reshape({3, 2}).requires_grad_(true);
}

// A smooth non-quadratic loss, so momentum and adaptive terms matter.
xg::Tensor loss_of(const xg::Tensor& w) {
  auto x = xg::tensor({1.0, 2.0, -1.0, 0.5, -0.3, 0.7, 2.0, 1.0, 0.0, -1.5, 0.2, 0.9}, xg::dtype(xg::kFloat64))
               .reshape({4, 3});
  auto y = xg::tensor({1.0, 0.0, -1.0, 2.0, 0.5, 0.5, 0.0, 1.0}, xg::dtype(xg::kFloat64)).reshape({4, 2});
  return (x.matmul(w) - y).pow(2).sum() + 0.1 * w.pow(4).sum();
}

void run(const std::string& name, const std::function<std::unique_ptr<optim::Optimizer>(xg::Tensor)>& make) {
  auto w = make_param();
  auto opt = make(w);
  std::printf("%s\n", name.c_str());
  for (int step = 1; step <= 12; ++step) {
    opt->zero_grad();
    auto loss = loss_of(w);
    loss.backward();
    opt->step();
    std::printf("  step %2d loss %.12e\n", step, loss.item<double>());
  }
  auto v = w.detach().reshape({-1});
  std::printf("  w");
  for (int64_t i = 0; i < v.size(0); ++i) std::printf(" %.12e", v[i].item<double>());
  std::printf("\n");
}

}  // namespace

int main() {
  using P = std::vector<xg::Tensor>;
  run("SGD momentum 0.9 nesterov wd 1e-2", [](xg::Tensor w) {
    return std::make_unique<optim::SGD>(P{w}, optim::SGDOptions(0.01).momentum(0.9).nesterov(true).weight_decay(1e-2));
  });
  run("SGD momentum 0.5 dampening 0.1", [](xg::Tensor w) {
    return std::make_unique<optim::SGD>(P{w}, optim::SGDOptions(0.02).momentum(0.5).dampening(0.1));
  });
  run("Adam amsgrad wd 1e-2", [](xg::Tensor w) {
    return std::make_unique<optim::Adam>(
        P{w}, optim::AdamOptions(0.05).betas(std::make_tuple(0.8, 0.99)).weight_decay(1e-2).amsgrad(true));
  });
  run("AdamW", [](xg::Tensor w) {
    return std::make_unique<optim::AdamW>(P{w}, optim::AdamWOptions(0.05).weight_decay(0.1));
  });
  run("RMSprop centered momentum 0.5", [](xg::Tensor w) {
    return std::make_unique<optim::RMSprop>(P{w}, optim::RMSpropOptions(0.01).centered(true).momentum(0.5));
  });
  run("Adagrad lr_decay 0.01 initial 0.1", [](xg::Tensor w) {
    return std::make_unique<optim::Adagrad>(
        P{w}, optim::AdagradOptions(0.1).lr_decay(0.01).initial_accumulator_value(0.1));
  });

  // StepLR: compiles the same; its learning rates are printed to stderr (see the header).
  auto w = make_param();
  optim::SGD sgd(P{w}, optim::SGDOptions(0.1));
  optim::StepLR scheduler(sgd, /*step_size=*/3, /*gamma=*/0.5);
  for (int epoch = 0; epoch < 8; ++epoch) {
    sgd.zero_grad();
    loss_of(w).backward();
    sgd.step();
    scheduler.step();
    std::fprintf(stderr, "StepLR epoch %d lr %g\n", epoch, sgd.param_groups()[0].options().get_lr());
  }
}
