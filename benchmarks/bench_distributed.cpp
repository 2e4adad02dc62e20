// Data-parallel costs, under mpirun (one thread per rank):
//
//     mpirun -np 2 --bind-to core ./build/benchmarks/bench_distributed
//
// 1. all_reduce (SUM, float32) time and bandwidth by size. "bus GB/s" is the ring all-reduce's
//    traffic per rank, 2 (N-1)/N × bytes, over the time: comparable across rank counts.
// 2. The book LeNet's batch-256 step, split over the ranks: forward + backward alone, then
//    through DistributedDataParallel in fast mode with one bucket and with ~4 buckets, and in
//    reproducible mode (8 micro-batches); "hidden" is the share of the gradient all-reduce that
//    the overlapped step did not add to the backward's time.
// Each figure is the median of repeated runs; XGRAD_BENCH_SECONDS scales the time spent.

#include <xgrad/xgrad.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <vector>

#include <fmt/format.h>

using namespace xgrad;
namespace dist = xgrad::distributed;
namespace F = xgrad::nn::functional;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_budget() {
  const char* s = std::getenv("XGRAD_BENCH_SECONDS");
  return s ? std::max(0.05, std::atof(s)) : 1.0;
}

// Median seconds of `f` over repetitions; every rank runs the same count (rank 0's choice).
double median_time(const std::function<void()>& f) {
  f();  // warm-up
  dist::barrier();
  const auto t0 = Clock::now();
  f();
  double once = std::chrono::duration<double>(Clock::now() - t0).count();
  auto reps_t = full({1}, static_cast<double>(std::clamp<int64_t>(static_cast<int64_t>(seconds_budget() / std::max(once, 1e-6)), 5, 2000)),
                     TensorOptions().dtype(kFloat64));
  dist::broadcast(reps_t, 0);
  const int64_t reps = static_cast<int64_t>(reps_t.item<double>());
  std::vector<double> times;
  for (int64_t r = 0; r < reps; ++r) {
    dist::barrier();
    const auto a = Clock::now();
    f();
    times.push_back(std::chrono::duration<double>(Clock::now() - a).count());
  }
  std::nth_element(times.begin(), times.begin() + static_cast<ptrdiff_t>(times.size() / 2), times.end());
  auto med = full({1}, times[times.size() / 2], TensorOptions().dtype(kFloat64));
  dist::all_reduce(med, dist::ReduceOp::MAX);  // the slowest rank decides
  return med.item<double>();
}

nn::Sequential book_lenet() {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::Sigmoid(),
                        nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)), nn::Conv2d(nn::Conv2dOptions(6, 16, 5)),
                        nn::Sigmoid(), nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)), nn::Flatten(),
                        nn::Linear(16 * 5 * 5, 120), nn::Sigmoid(), nn::Linear(120, 84), nn::Sigmoid(),
                        nn::Linear(84, 10));
}

}  // namespace

int main() {
  try {
    set_num_threads(1);
    set_flush_denormal(true);
    dist::init_process_group("mpi");
    const int64_t rank = dist::get_rank(), world = dist::get_world_size();
    const bool lead = rank == 0;
    if (lead) {
      std::cout << fmt::format("ranks {}, threads per rank {}\n\n", world, get_num_threads());
      std::cout << fmt::format("{:>12} {:>12} {:>10} {:>10}\n", "floats", "bytes", "ms", "bus GB/s");
    }
    for (int64_t n : {1LL << 10, 1LL << 14, 61706LL, 1LL << 18, 1LL << 20, 1LL << 22}) {
      auto t = ones({n});
      const double s = median_time([&] { dist::all_reduce(t); });
      const double bytes = static_cast<double>(n) * 4.0;
      const double bus = world > 1 ? 2.0 * static_cast<double>(world - 1) / static_cast<double>(world) * bytes / s / 1e9 : 0;
      if (lead) std::cout << fmt::format("{:>12} {:>12} {:>10.3f} {:>10.2f}\n", n, static_cast<int64_t>(bytes), s * 1e3, bus);
    }

    // LeNet: each rank's share of a batch of 256.
    const int64_t batch = 256, local = batch / world;
    manual_seed(0);
    auto x = rand({local, 1, 28, 28});
    auto y = randint(0, 10, {local});
    auto plain = book_lenet();
    const double t_plain = median_time([&] {
      plain->zero_grad();
      F::cross_entropy(plain->forward(x), y).backward();
    });
    auto grads = zeros({61706});
    const double t_comm = median_time([&] { dist::all_reduce(grads); });
    if (lead) {
      std::cout << fmt::format("\nbook LeNet, batch {} split over {} rank(s) ({} images each), forward + backward:\n",
                               batch, world, local);
      std::cout << fmt::format("  {:<44} {:>8.2f} ms\n", "no DDP", t_plain * 1e3);
      std::cout << fmt::format("  {:<44} {:>8.2f} ms\n", "all_reduce of the 61706 gradients alone", t_comm * 1e3);
    }
    struct Mode {
      const char* name;
      nn::parallel::DistributedDataParallelOptions options;
    };
    std::vector<Mode> modes = {
        {"DDP fast, one 25 MB bucket", nn::parallel::DistributedDataParallelOptions().reproducible(false)},
        {"DDP fast, 64 KB buckets",
         nn::parallel::DistributedDataParallelOptions().reproducible(false).bucket_cap_mb(0.0625)},
        {"DDP reproducible, 8 micro-batches", nn::parallel::DistributedDataParallelOptions().micro_batches(8)},
    };
    for (auto& mode : modes) {
      auto net = book_lenet();
      nn::parallel::DistributedDataParallel<nn::Sequential> ddp(net, mode.options);
      const int64_t parts = ddp->micro_batches(), per = local * world / parts;
      const double t = median_time([&] {
        net->zero_grad();
        for (int64_t k : ddp->local_micro_batches()) {
          const int64_t lo = (k - rank * (parts / world)) * per;
          F::cross_entropy(ddp(x.narrow(0, lo, per)), y.narrow(0, lo, per)).backward();
        }
      });
      const double hidden = std::clamp((t_plain + t_comm - t) / t_comm, 0.0, 1.0);
      if (lead && mode.options.reproducible())
        std::cout << fmt::format("  {:<44} {:>8.2f} ms   (communicates after the last micro-batch)\n", mode.name,
                                 t * 1e3);
      else if (lead && world == 1)
        std::cout << fmt::format("  {:<44} {:>8.2f} ms   buckets {}\n", mode.name, t * 1e3, ddp->bucket_sizes().size());
      else if (lead)
        std::cout << fmt::format("  {:<44} {:>8.2f} ms   buckets {}, all-reduce hidden {:.0f} %\n", mode.name,
                                 t * 1e3, ddp->bucket_sizes().size(), hidden * 100);
    }
    dist::destroy_process_group();
  } catch (const Error& e) {
    std::cerr << "bench_distributed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
