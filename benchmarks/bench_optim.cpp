// Optimizer benchmark: one step() of SGD with momentum and of Adam over LeNet's parameters
// (61,706 floats in 10 tensors) and over a 10 M-parameter model (4 x [1000, 2500]), at 1 and 2
// threads, xgrad against LibTorch (when built with it) on the same shapes in the same run.
// Prints the best time per step, the ratio xgrad / LibTorch (lower is better), the memory
// traffic rate the step reaches, and the bytes of optimizer state each library holds.
//
//     ninja -C build benchmarks/bench_optim && ./build/benchmarks/bench_optim
//     XGRAD_BENCH_THREADS=1 XGRAD_BENCH_SECONDS=0.1 ./build/benchmarks/bench_optim   # quick check
#include "bench_common.hpp"

#include <xgrad/xgrad.hpp>

#ifdef XGRAD_BENCH_WITH_TORCH
#include <torch/torch.h>
#endif

#include <fmt/format.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

double best_ms(const std::function<void()>& fn, double budget) { return 1e3 * bench::best_time(fn, budget); }

struct Model {
  const char* name;
  std::vector<std::vector<int64_t>> shapes;
};

int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

size_t xgrad_state_bytes(const xgrad::optim::Optimizer& opt) {
  size_t bytes = 0;
  for (const auto& entry : opt.state()) {
    if (auto* s = dynamic_cast<const xgrad::optim::AdamParamState*>(entry.second.get())) {
      bytes += sizeof(int64_t);  // step
      for (const auto* t : {&s->exp_avg(), &s->exp_avg_sq(), &s->max_exp_avg_sq()})
        if (t->defined()) bytes += static_cast<size_t>(t->numel()) * t->element_size();
    } else if (auto* m = dynamic_cast<const xgrad::optim::SGDParamState*>(entry.second.get())) {
      if (m->momentum_buffer().defined())
        bytes += static_cast<size_t>(m->momentum_buffer().numel()) * m->momentum_buffer().element_size();
    }
  }
  return bytes;
}

#ifdef XGRAD_BENCH_WITH_TORCH
size_t torch_state_bytes(torch::optim::Optimizer& opt) {
  size_t bytes = 0;
  for (auto& entry : opt.state()) {
    if (auto* s = dynamic_cast<torch::optim::AdamParamState*>(entry.second.get())) {
      bytes += sizeof(int64_t);
      for (const auto* t : {&s->exp_avg(), &s->exp_avg_sq(), &s->max_exp_avg_sq()})
        if (t->defined()) bytes += t->nbytes();
    } else if (auto* m = dynamic_cast<torch::optim::SGDParamState*>(entry.second.get())) {
      if (m->momentum_buffer().defined()) bytes += m->momentum_buffer().nbytes();
    }
  }
  return bytes;
}
#endif

}  // namespace

int main() {
  bench::print_machine();
  const double budget = bench::budget();
  const std::vector<Model> models = {
      {"LeNet", {{6, 1, 5, 5}, {6}, {16, 6, 5, 5}, {16}, {120, 400}, {120}, {84, 120}, {84}, {10, 84}, {10}}},
      {"10M", {{1000, 2500}, {1000, 2500}, {1000, 2500}, {1000, 2500}}},
  };
#ifdef XGRAD_BENCH_WITH_TORCH
  fmt::print("{:<8} {:<13} {:>3} {:>10} {:>10} {:>7} {:>9} {:>12} {:>12}\n", "model", "optimizer", "thr",
             "xgrad ms", "torch ms", "ratio", "GB/s", "xgrad state", "torch state");
#else
  fmt::print("(LibTorch not found at configure time: xgrad only)\n");
  fmt::print("{:<8} {:<13} {:>3} {:>10} {:>9} {:>12}\n", "model", "optimizer", "thr", "xgrad ms", "GB/s",
             "xgrad state");
#endif
  for (const Model& model : models) {
    int64_t total = 0;
    for (const auto& s : model.shapes) total += numel(s);
    for (const std::string which : {"SGD momentum", "Adam"}) {
      if (!bench::selected(std::string(model.name) + " " + which)) continue;
      xgrad::manual_seed(0);
      std::vector<xgrad::Tensor> params;
      for (const auto& s : model.shapes) {
        auto p = xgrad::randn(s).requires_grad_();
        p.mutable_grad() = xgrad::randn(s);
        params.push_back(p);
      }
      std::unique_ptr<xgrad::optim::Optimizer> opt;
      if (which == "Adam")
        opt = std::make_unique<xgrad::optim::Adam>(params, xgrad::optim::AdamOptions(1e-3));
      else
        opt = std::make_unique<xgrad::optim::SGD>(params, xgrad::optim::SGDOptions(1e-3).momentum(0.9));
      // Bytes moved per step: parameter read+write, gradient read, each state buffer read+write.
      const double bytes = static_cast<double>(total) * 4 * (which == "Adam" ? 7 : 5);
#ifdef XGRAD_BENCH_WITH_TORCH
      std::vector<torch::Tensor> tparams;
      for (const auto& p : params) {
        auto t = torch::from_blob(p.data_ptr<float>(), p.sizes().vec(), torch::kFloat32).clone().requires_grad_();
        t.mutable_grad() = torch::from_blob(p.grad().data_ptr<float>(), p.sizes().vec(), torch::kFloat32).clone();
        tparams.push_back(t);
      }
      std::unique_ptr<torch::optim::Optimizer> topt;
      if (which == "Adam")
        topt = std::make_unique<torch::optim::Adam>(tparams, torch::optim::AdamOptions(1e-3));
      else
        topt = std::make_unique<torch::optim::SGD>(tparams, torch::optim::SGDOptions(1e-3).momentum(0.9));
#endif
      for (int threads : bench::thread_counts()) {
        xgrad::set_num_threads(threads);
        const double ours = best_ms([&] { opt->step(); }, budget);
        const double rate = bytes / (ours * 1e-3) / 1e9;
#ifdef XGRAD_BENCH_WITH_TORCH
        torch::set_num_threads(threads);
        const double theirs = best_ms([&] { topt->step(); }, budget);
        fmt::print("{:<8} {:<13} {:>3} {:>10.3f} {:>10.3f} {:>7.2f} {:>9.1f} {:>12} {:>12}\n", model.name, which,
                   threads, ours, theirs, ours / theirs, rate, xgrad_state_bytes(*opt), torch_state_bytes(*topt));
#else
        fmt::print("{:<8} {:<13} {:>3} {:>10.3f} {:>9.1f} {:>12}\n", model.name, which, threads, ours, rate,
                   xgrad_state_bytes(*opt));
#endif
      }
    }
  }
  return 0;
}
