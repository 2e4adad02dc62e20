// Data pipeline throughput: how many images per second the loader delivers for the LibTorch
// MNIST program's pipeline (MNIST -> Normalize -> Stack, batch 256, RandomSampler), with and
// without workers, against the per-example path and against batches already in memory; then the
// cost of loading inside a short training run (an MLP on 784-pixel images, the worst case: the
// least compute per loaded byte), as the ratio of its time to the same steps on preloaded batches.
//
//     ./build/benchmarks/bench_data              # Fashion-MNIST from Debian if installed
//     XGRAD_BENCH_ONLY=loader ./build/benchmarks/bench_data   # the loader alone (~2 s)
//
// Without /usr/share/datasets/fashion-mnist it writes 60000 synthetic images to a temporary folder.
#include <xgrad/xgrad.hpp>

#include "bench_common.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using namespace xgrad;
using namespace xgrad::data;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Writes raw MNIST-format files of n random images; returns the folder.
std::string synthetic_root(size_t n) {
  const auto dir = std::filesystem::temp_directory_path() / "xgrad_bench_data";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, std::vector<uint8_t> header, size_t count) {
    std::ofstream f(dir / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
    std::vector<uint8_t> body(count);
    for (size_t i = 0; i < count; ++i) body[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
    f.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
  };
  const auto b = [](size_t v, int s) { return static_cast<uint8_t>(v >> s); };
  write("train-images-idx3-ubyte", {0, 0, 8, 3, b(n, 24), b(n, 16), b(n, 8), b(n, 0), 0, 0, 0, 28, 0, 0, 0, 28},
        n * 784);
  write("train-labels-idx1-ubyte", {0, 0, 8, 1, b(n, 24), b(n, 16), b(n, 8), b(n, 0)}, n);
  return dir.string();
}

// Iterates one epoch of `loader`; returns seconds and counts images.
template <typename Loader>
double epoch(Loader& loader, size_t& images) {
  images = 0;
  const auto t0 = clock_type::now();
  for (auto& batch : loader) images += static_cast<size_t>(batch.data.size(0));
  return seconds_since(t0);
}

template <typename Loader>
void report(const char* name, Loader& loader, int epochs = 2) {
  double best = 1e30;
  size_t images = 0;
  for (int e = 0; e < epochs; ++e) best = std::min(best, epoch(loader, images));
  std::printf("  %-44s %8.1f ms/epoch %10.0f images/s %7.1f us/batch\n", name, best * 1e3,
              static_cast<double>(images) / best, best * 1e6 / std::ceil(static_cast<double>(images) / 256.0));
}

struct Mlp {
  nn::Linear fc1{784, 256}, fc2{256, 10};
  std::vector<Tensor> params() const {
    auto p = fc1->parameters();
    auto q = fc2->parameters();
    p.insert(p.end(), q.begin(), q.end());
    return p;
  }
  void step(const Tensor& x, const Tensor& y) {
    auto out = fc2(relu(fc1(x.reshape({x.size(0), 784}))));
    auto loss = nn::functional::cross_entropy(out, y);
    loss.backward();
    NoGradGuard g;
    for (auto& p : params()) {
      p.sub_(p.grad(), 0.01);
      p.mutable_grad() = Tensor();
    }
  }
};

}  // namespace

int main() {
  const std::string debian = datasets::FashionMNIST::kDefaultRoot;
  const bool real = std::filesystem::is_directory(debian);
  const std::string root = real ? debian : synthetic_root(60000);
  std::printf("data: %s (%s), %lld threads for kernels\n", root.c_str(), real ? "Fashion-MNIST" : "synthetic",
              static_cast<long long>(get_num_threads()));

  auto t0 = clock_type::now();
  datasets::MNIST mnist(root, datasets::MNIST::Mode::kTrain);
  std::printf("load 60000 images (IDX%s -> float32): %.0f ms\n", real ? ".gz" : "", seconds_since(t0) * 1e3);

  auto pipeline = [&] {
    return mnist.map(transforms::Normalize<>(0.2860, 0.3530)).map(transforms::Stack<>());
  };
  if (bench::selected("loader")) {
    std::printf("one epoch of 60000 at batch 256, RandomSampler:\n");
    {
      auto l = make_data_loader<samplers::RandomSampler>(pipeline(), DataLoaderOptions().batch_size(256));
      report("MNIST>Normalize>Stack, workers 0 (row gather)", *l);
    }
    {
      auto l = make_data_loader<samplers::RandomSampler>(pipeline(), DataLoaderOptions().batch_size(256).workers(2));
      report("MNIST>Normalize>Stack, workers 2", *l);
    }
    {
      // A TensorLambda in the chain forces LibTorch's per-example path.
      auto ds = mnist.map(transforms::Normalize<>(0.2860, 0.3530))
                    .map(transforms::TensorLambda<>([](Tensor x) { return x; }))
                    .map(transforms::Stack<>());
      auto l = make_data_loader<samplers::RandomSampler>(std::move(ds), DataLoaderOptions().batch_size(256));
      report("per-example path (get, Normalize, stack)", *l, 1);
    }
    {
      auto x = (mnist.images() - 0.2860) / 0.3530;
      auto l = make_data_loader(TensorDataset(x, mnist.targets()), DataLoaderOptions().batch_size(256));
      report("TensorDataset of normalized images", *l);
    }
  }
  if (!bench::selected("train")) return 0;

  // Training: S steps on preloaded batches vs the same S steps pulled from the loader.
  const size_t steps = 30;
  std::printf("MLP 784-256-10 training, %zu steps of 256 (worst case: least compute per image):\n", steps);
  std::vector<Example<>> preloaded;
  {
    manual_seed(0);
    auto l = make_data_loader<samplers::RandomSampler>(pipeline(), DataLoaderOptions().batch_size(256));
    for (auto& b : *l) {
      preloaded.push_back(b);
      if (preloaded.size() == steps) break;
    }
  }
  manual_seed(1);
  Mlp mlp;
  auto train_preloaded = [&] {
    const auto t = clock_type::now();
    for (auto& b : preloaded) mlp.step(b.data, b.target);
    return seconds_since(t);
  };
  auto train_loader = [&](size_t workers) {
    manual_seed(0);
    auto l = make_data_loader<samplers::RandomSampler>(pipeline(), DataLoaderOptions().batch_size(256).workers(workers));
    const auto t = clock_type::now();
    size_t n = 0;
    for (auto& b : *l) {
      mlp.step(b.data, b.target);
      if (++n == steps) break;
    }
    return seconds_since(t);
  };
  train_preloaded();  // warm-up
  // With as many kernel threads as cores, workers compete with the kernels for the cores; with
  // one kernel thread a core is left for them.
  for (int64_t threads : {get_num_threads(), int64_t{1}}) {
    set_num_threads(threads);
    double pre = 1e30, w0 = 1e30, w2 = 1e30;
    for (int r = 0; r < 2; ++r) {
      pre = std::min(pre, train_preloaded());
      w0 = std::min(w0, train_loader(0));
      w2 = std::min(w2, train_loader(2));
    }
    std::printf("  %lld kernel thread(s): preloaded %.1f ms, loader workers 0 %.1f ms (x%.3f), workers 2 %.1f ms (x%.3f)\n",
                static_cast<long long>(threads), pre * 1e3, w0 * 1e3, w0 / pre, w2 * 1e3, w2 / pre);
  }
  return 0;
}
