// A small CNN trained with DistributedDataParallel, for the tests that compare whole runs
// (run_ddp.py): the weights after S steps are written by rank 0 (atomically, through
// xgrad::save) and compared across world sizes. Options:
//   --steps S --micro-batches M --fast --batch B --out FILE
//   --checkpoint FILE --checkpoint-every K      rank 0 saves the model every K steps
//   --kill-rank R --kill-at-step K              rank R dies (SIGKILL) at step K
//   --stall-rank R --stall-at-step K            rank R sleeps 60 s at step K
//   --timeout-ms T                              the process group's timeout
// The data are a fixed function of the sample index, the same on every rank; each rank takes
// the micro-batches DistributedDataParallel assigns it.

#include <xgrad/xgrad.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

using namespace xgrad;
namespace F = xgrad::nn::functional;

struct NetImpl : nn::Module {
  NetImpl() {
    conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(1, 4, 3)));
    fc = register_module("fc", nn::Linear(4 * 3 * 3, 3));
  }
  Tensor forward(const Tensor& x) {
    auto h = F::max_pool2d(relu(conv(x)), F::MaxPool2dFuncOptions(2));
    return fc(h.flatten(1));
  }
  nn::Conv2d conv{nullptr};
  nn::Linear fc{nullptr};
};
XGRAD_MODULE(Net);

// Sample i of the endless data set: an 8x8 image and a class.
std::pair<Tensor, Tensor> samples(int64_t first, int64_t count) {
  std::vector<float> x(static_cast<size_t>(count * 64));
  std::vector<int64_t> y(static_cast<size_t>(count));
  for (int64_t s = 0; s < count; ++s) {
    const int64_t i = first + s;
    for (int64_t p = 0; p < 64; ++p)
      x[static_cast<size_t>(s * 64 + p)] = static_cast<float>(std::sin(0.37 * static_cast<double>(i * 64 + p)) +
                                                              0.1 * static_cast<double>((i + p) % 5));
    y[static_cast<size_t>(s)] = (i * 7 + 3) % 3;
  }
  return {from_vector(x, std::vector<int64_t>{count, 1, 8, 8}), from_vector(y, std::vector<int64_t>{count})};
}

int main(int argc, char** argv) {
  int64_t steps = 20, micro = 8, batch = 64, every = 0, kill_rank = -1, kill_at = -1, stall_rank = -1, stall_at = -1,
          timeout_ms = 60000;
  bool fast = false;
  std::string out, checkpoint;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return std::string(argv[++i]); };
    if (a == "--steps") steps = std::stoll(next());
    else if (a == "--micro-batches") micro = std::stoll(next());
    else if (a == "--batch") batch = std::stoll(next());
    else if (a == "--fast") fast = true;
    else if (a == "--out") out = next();
    else if (a == "--checkpoint") checkpoint = next();
    else if (a == "--checkpoint-every") every = std::stoll(next());
    else if (a == "--kill-rank") kill_rank = std::stoll(next());
    else if (a == "--kill-at-step") kill_at = std::stoll(next());
    else if (a == "--stall-rank") stall_rank = std::stoll(next());
    else if (a == "--stall-at-step") stall_at = std::stoll(next());
    else if (a == "--timeout-ms") timeout_ms = std::stoll(next());
    else {
      std::cerr << "ddp_train: unknown argument " << a << "\n";
      return 2;
    }
  }
  try {
    set_num_threads(1);
    distributed::init_process_group("mpi", distributed::ProcessGroupOptions().timeout(std::chrono::milliseconds(timeout_ms)));
    const int64_t rank = distributed::get_rank();
    manual_seed(7 + static_cast<uint64_t>(rank));  // ranks start different: DDP must broadcast rank 0's weights
    Net net;
    auto options = nn::parallel::DistributedDataParallelOptions().reproducible(!fast);
    if (!fast) options.micro_batches(micro);
    nn::parallel::DistributedDataParallel<Net> ddp(net, options);
    optim::SGD opt(ddp->parameters(), optim::SGDOptions(0.05).momentum(0.9));
    const int64_t m = ddp->micro_batches();
    const int64_t per = batch / m;
    for (int64_t step = 0; step < steps; ++step) {
      if (rank == kill_rank && step == kill_at) std::raise(SIGKILL);
      if (rank == stall_rank && step == stall_at) std::this_thread::sleep_for(std::chrono::seconds(60));
      opt.zero_grad();
      for (int64_t k : ddp->local_micro_batches()) {
        auto [x, y] = samples(step * batch + k * per, per);
        F::cross_entropy(ddp(x), y).backward();
      }
      opt.step();
      if (rank == 0 && every > 0 && !checkpoint.empty() && (step + 1) % every == 0) save(*net, checkpoint);
    }
    if (rank == 0 && !out.empty()) save(*net, out);
    distributed::destroy_process_group();
  } catch (const Error& e) {
    std::cerr << "ddp_train: " << e.what() << "\n";
    std::fflush(stderr);
    return 3;
  }
  return 0;
}
