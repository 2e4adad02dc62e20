// LeNet on Fashion-MNIST: the book's recipe (the chapter's destination) and two modern variants.
//
//     ./build/examples/lenet                      # the book: sigmoid, avg-pool, SGD lr 0.9
//     ./build/examples/lenet --variant modern     # ReLU, max-pool, BatchNorm, Adam
//     ./build/examples/lenet --variant deep       # a wider VGG-style CNN, Adam + OneCycleLR
//     ./build/examples/lenet --help
//     mpirun -np 2 ./build/examples/lenet --distributed   # data-parallel over 2 processes
//
// Per epoch it prints the train loss, train accuracy, test accuracy and images/s, and writes
// <out>/metrics.csv, <out>/curves.svg, <out>/kernels.png and the checkpoint (--save). The
// checkpoint holds the model, the optimizer, the LR scheduler, the random generator and the
// metrics so far: `--resume` continues the run bit-identically to one never interrupted.
//
// With --distributed every rank walks the same global batches (the epoch's permutation comes
// from the seed and the epoch number, the same on every rank) and computes its share of each
// through DistributedDataParallel: in reproducible mode the batch is cut into --micro-batches
// parts, so the weights do not depend on the number of ranks; the deep variant's dropout masks
// are drawn from a seed per (epoch, step, part) for the same reason. The last partial batch of
// an epoch is dropped, so every batch divides evenly. Rank 0 alone prints and writes files; a
// checkpoint resumes on any number of ranks (every rank reads it: put it where all can).

#include "options.hpp"
#include "progress.hpp"
#include "report.hpp"

#include <xgrad/xgrad.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nn = xgrad::nn;
namespace F = xgrad::nn::functional;
namespace optim = xgrad::optim;

namespace {

// Fashion-MNIST's mean and standard deviation over the training images (in [0, 1]).
constexpr double kMean = 0.2860, kStd = 0.3530;

// The book's LeNet-5: sigmoid activations and average pooling, Xavier-initialised weights.
nn::Sequential book_lenet() {
  nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::Sigmoid(),
                     nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)), nn::Conv2d(nn::Conv2dOptions(6, 16, 5)),
                     nn::Sigmoid(), nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)), nn::Flatten(),
                     nn::Linear(16 * 5 * 5, 120), nn::Sigmoid(), nn::Linear(120, 84), nn::Sigmoid(),
                     nn::Linear(84, 10));
  // d2l's init_weights: xavier_uniform_ on every Linear and Conv2d weight; biases keep theirs.
  net->apply([](nn::Module& m) {
    if (auto* conv = m.as<nn::Conv2d>()) nn::init::xavier_uniform_(conv->weight);
    if (auto* linear = m.as<nn::Linear>()) nn::init::xavier_uniform_(linear->weight);
  });
  return net;
}

// The same layers with what a practitioner would use today: ReLU, max-pooling, BatchNorm.
nn::Sequential modern_lenet() {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::BatchNorm2d(6), nn::ReLU(),
                        nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)), nn::Conv2d(nn::Conv2dOptions(6, 16, 5)),
                        nn::BatchNorm2d(16), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)),
                        nn::Flatten(), nn::Linear(16 * 5 * 5, 120), nn::BatchNorm1d(120), nn::ReLU(),
                        nn::Linear(120, 84), nn::BatchNorm1d(84), nn::ReLU(), nn::Linear(84, 10));
}

// A small VGG-style network: two blocks of two 3x3 convolutions (16 then 32 channels) with
// BatchNorm and ReLU, each followed by 2x2 max-pooling, then a 128-unit hidden layer with dropout.
// About 30 MFLOP per image for a training step (forward and backward), 12 times LeNet's.
nn::Sequential deep_cnn() {
  const auto conv_bn_relu = [](int64_t in, int64_t out) {
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)), nn::BatchNorm2d(out),
                          nn::ReLU());
  };
  return nn::Sequential(conv_bn_relu(1, 16), conv_bn_relu(16, 16), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                        conv_bn_relu(16, 32), conv_bn_relu(32, 32), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                        nn::Flatten(), nn::Dropout(0.3), nn::Linear(32 * 7 * 7, 128), nn::BatchNorm1d(128),
                        nn::ReLU(), nn::Linear(128, 10));
}

// The first Conv2d of the model (for kernels.png).
xgrad::Tensor first_conv_weight(const nn::Sequential& net) {
  for (const auto& m : net->modules(false))
    if (const auto* conv = m->as<nn::Conv2d>()) return conv->weight;
  throw xgrad::ValueError("lenet: the model has no Conv2d layer");
}

// Images as float32 [N, 1, 28, 28] in [0, 1] and labels as int64 [N], optionally only the first
// `limit` of them, optionally standardised with the training set's mean and std.
struct Split {
  xgrad::Tensor images, labels;
};
Split load_split(const lenet::LenetOptions& o, xgrad::data::datasets::MNIST::Mode mode, bool standardise) {
  xgrad::data::datasets::FashionMNIST ds(o.data.string(), mode);
  xgrad::Tensor images = ds.images(), labels = ds.targets();
  const auto& limit = mode == xgrad::data::datasets::MNIST::Mode::kTrain ? o.limit_train : o.limit_test;
  if (limit && *limit < images.size(0)) {
    images = images.narrow(0, 0, *limit);
    labels = labels.narrow(0, 0, *limit);
  }
  if (standardise) images = (images - kMean) / kStd;
  return {images.contiguous(), labels.contiguous()};
}

// The metrics so far travel in the checkpoint's metadata as CSV text (metrics.csv's format).
std::vector<lenet::EpochMetrics> parse_metrics(const std::string& csv) {
  std::vector<lenet::EpochMetrics> rows;
  size_t pos = csv.find('\n');  // skip the header
  while (pos != std::string::npos && pos + 1 < csv.size()) {
    const size_t next = csv.find('\n', pos + 1);
    const std::string line = csv.substr(pos + 1, next - pos - 1);
    lenet::EpochMetrics m;
    long long epoch = 0;
    if (std::sscanf(line.c_str(), "%lld,%lf,%lf,%lf,%lf,%lf", &epoch, &m.train_loss, &m.train_acc, &m.test_acc,
                    &m.images_per_s, &m.seconds) != 6)
      throw xgrad::IOError(fmt::format("lenet: the checkpoint's metrics line '{}' is not valid", line));
    m.epoch = epoch;
    rows.push_back(m);
    pos = next;
  }
  return rows;
}

// Accuracy over `split`; with several ranks each evaluates its contiguous share and the counts
// are summed.
double accuracy(nn::Sequential& net, const Split& split, int64_t batch_size, int64_t rank, int64_t world) {
  xgrad::NoGradGuard no_grad;
  int64_t correct = 0;
  const int64_t n = split.images.size(0);
  const int64_t first = rank * n / world, last = (rank + 1) * n / world;
  for (int64_t start = first; start < last; start += batch_size) {
    const int64_t len = std::min(batch_size, last - start);
    auto logits = net->forward(split.images.narrow(0, start, len));
    correct += logits.argmax(1).eq(split.labels.narrow(0, start, len)).sum().item<int64_t>();
  }
  if (world > 1) {
    auto count = xgrad::full({1}, static_cast<int64_t>(correct), xgrad::TensorOptions().dtype(xgrad::kInt64));
    xgrad::distributed::all_reduce(count);
    correct = count.item<int64_t>();
  }
  return n == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(n);
}

// A seed for (run seed, epoch, step, part): a fixed mix, so every rank derives the same one.
uint64_t mix_seed(uint64_t seed, int64_t epoch, int64_t step, int64_t part) {
  uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
  for (uint64_t v : {static_cast<uint64_t>(epoch), static_cast<uint64_t>(step), static_cast<uint64_t>(part)}) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xbf58476d1ce4e5b9ULL;
  }
  return h;
}

int run(const lenet::LenetOptions& o) {
  int64_t rank = 0, world = 1;
  if (o.distributed) {
    xgrad::distributed::init_process_group("mpi");
    rank = xgrad::distributed::get_rank();
    world = xgrad::distributed::get_world_size();
    XGRAD_CHECK(o.fast || o.micro_batches % world == 0, ValueError,
                "lenet: --micro-batches {} is not a multiple of the {} ranks; use a multiple such as {}",
                o.micro_batches, world, world * ((o.micro_batches + world - 1) / world));
  }
  const bool lead = rank == 0;  // prints and writes files
  if (o.threads) xgrad::set_num_threads(*o.threads);
  // The sigmoid network's gradients vanish for much of its first epochs, into subnormal floats
  // that x86 computes several times slower; flushing them changes only values below 1e-38.
  xgrad::set_flush_denormal(true);
  // Output folders first: a path that cannot be written fails before any training.
  if (lead) {
    lenet::ensure_directory(o.out);
    if (o.save.has_parent_path()) lenet::ensure_directory(o.save.parent_path());
  }
  xgrad::manual_seed(o.seed);

  const bool standardise = o.variant != lenet::Variant::Book;  // the book feeds raw [0, 1] pixels
  const Split train = load_split(o, xgrad::data::datasets::MNIST::Mode::kTrain, standardise);
  const Split test = load_split(o, xgrad::data::datasets::MNIST::Mode::kTest, standardise);
  auto loader = xgrad::data::make_data_loader<xgrad::data::samplers::RandomSampler>(
      xgrad::data::TensorDataset(train.images, train.labels),
      xgrad::data::DataLoaderOptions().batch_size(static_cast<size_t>(o.batch_size)).drop_last(o.distributed));
  const int64_t n_train = train.images.size(0);
  const int64_t batches_per_epoch =
      o.distributed ? n_train / o.batch_size : (n_train + o.batch_size - 1) / o.batch_size;
  XGRAD_CHECK(batches_per_epoch > 0, ValueError,
              "lenet: {} training images make no whole batch of {}; --distributed drops the last partial batch",
              n_train, o.batch_size);

  nn::Sequential net = o.variant == lenet::Variant::Book     ? book_lenet()
                       : o.variant == lenet::Variant::Modern ? modern_lenet()
                                                             : deep_cnn();
  std::unique_ptr<optim::Optimizer> optimizer;
  std::unique_ptr<optim::LRScheduler> scheduler;  // stepped once per batch
  if (o.variant == lenet::Variant::Book) {
    optimizer = std::make_unique<optim::SGD>(net->parameters(), optim::SGDOptions(o.lr));
  } else {
    optimizer = std::make_unique<optim::Adam>(net->parameters(), optim::AdamOptions(o.lr));
    if (o.variant == lenet::Variant::Deep)
      scheduler = std::make_unique<optim::OneCycleLR>(
          *optimizer, optim::OneCycleLROptions(o.lr, o.epochs * batches_per_epoch));
  }

  if (lead) {
    std::cout << "LeNet on Fashion-MNIST: " << lenet::describe(o) << '\n';
    if (o.distributed) std::cout << "ranks: " << world << '\n';
    std::cout << xgrad::summary(net, {1, 1, 28, 28}) << std::flush;
  }

  std::vector<lenet::EpochMetrics> history;
  if (o.resume) {
    const xgrad::StateDict ckpt = xgrad::load_state_dict_file(*o.resume);
    for (const char* part : {"model", "optimizer", "rng"})
      XGRAD_CHECK(ckpt.has_prefix(part), IOError, "lenet: {} holds no '{}' state; was it written by lenet?",
                  o.resume->string(), part);
    const auto variant = ckpt.metadata.find("lenet.variant");
    XGRAD_CHECK(variant == ckpt.metadata.end() || variant->second == lenet::to_string(o.variant), ValueError,
                "lenet: {} was written by --variant {}; resume it with --variant {}", o.resume->string(),
                variant->second, variant->second);
    net->load_state_dict(ckpt.extract("model"));
    optimizer->load_state_dict(ckpt.extract("optimizer"));
    if (scheduler) scheduler->load_state_dict(ckpt.extract("scheduler"));
    xgrad::load_rng_state_dict(ckpt.extract("rng"));
    const auto it = ckpt.metadata.find("lenet.metrics");
    if (it != ckpt.metadata.end()) history = parse_metrics(it->second);
    if (lead) std::cout << "resumed from " << o.resume->string() << " after epoch " << history.size() << '\n';
  }

  // After loading: construction broadcasts rank 0's weights and buffers.
  std::optional<nn::parallel::DistributedDataParallel<nn::Sequential>> ddp;
  if (o.distributed) {
    auto options = nn::parallel::DistributedDataParallelOptions().reproducible(!o.fast);
    if (!o.fast) options.micro_batches(o.micro_batches);
    ddp.emplace(net, options);
  }

  for (int64_t epoch = static_cast<int64_t>(history.size()) + 1; epoch <= o.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    net->train();
    double loss_sum = 0;
    int64_t correct = 0, seen = 0, batch_index = 0;
    {
      std::optional<lenet::ProgressBar> bar;
      if (lead) bar.emplace(fmt::format("epoch {}/{}", epoch, o.epochs), batches_per_epoch);
      // Every rank draws the same permutation for this epoch, whatever happened before.
      if (o.distributed) xgrad::manual_seed(mix_seed(o.seed, epoch, -1, -1));
      for (auto& batch : *loader) {
        optimizer->zero_grad();
        if (!ddp) {
          auto logits = net->forward(batch.data);
          auto loss = F::cross_entropy(logits, batch.target);
          loss.backward();
          const int64_t b = batch.data.size(0);
          loss_sum += loss.item<double>() * static_cast<double>(b);
          correct += logits.argmax(1).eq(batch.target).sum().item<int64_t>();
          seen += b;
        } else {
          // This rank's parts of the global batch.
          const int64_t b = batch.data.size(0), parts = (*ddp)->micro_batches();
          for (int64_t k : (*ddp)->local_micro_batches()) {
            const int64_t lo = k * b / parts, len = (k + 1) * b / parts - lo;
            if (o.variant == lenet::Variant::Deep) xgrad::manual_seed(mix_seed(o.seed, epoch, batch_index, k));
            auto target = batch.target.narrow(0, lo, len);
            auto logits = (*ddp)(batch.data.narrow(0, lo, len));
            auto loss = F::cross_entropy(logits, target);
            loss.backward();
            loss_sum += loss.item<double>() * static_cast<double>(len);
            correct += logits.argmax(1).eq(target).sum().item<int64_t>();
            seen += len;
          }
        }
        optimizer->step();
        if (scheduler) scheduler->step();
        ++batch_index;
        if (bar) bar->update(batch_index, seen * world, loss_sum / static_cast<double>(seen));
      }
      if (bar) bar->finish();
    }
    if (o.distributed) {
      // The epoch's totals over all ranks.
      auto totals = xgrad::from_vector(std::vector<double>{loss_sum, static_cast<double>(correct),
                                                           static_cast<double>(seen)});
      xgrad::distributed::all_reduce(totals);
      loss_sum = totals[0].item<double>();
      correct = static_cast<int64_t>(totals[1].item<double>());
      seen = static_cast<int64_t>(totals[2].item<double>());
      // Evaluate with rank 0's BatchNorm statistics on every rank.
      for (auto& b : net->buffers()) xgrad::distributed::broadcast(b, 0);
    }
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    net->eval();
    lenet::EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = loss_sum / static_cast<double>(seen);
    m.train_acc = static_cast<double>(correct) / static_cast<double>(seen);
    m.test_acc = accuracy(net, test, 1024, rank, world);
    m.images_per_s = static_cast<double>(seen) / train_seconds;
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    history.push_back(m);
    if (!lead) continue;
    std::cout << lenet::epoch_line(m, o.epochs) << std::endl;

    // Outputs after every epoch, each written atomically: an interrupted run keeps the last one.
    lenet::write_metrics_csv(o.out / "metrics.csv", history);
    lenet::write_curves_svg(o.out / "curves.svg", history, o.epochs,
                            fmt::format("LeNet ({}) on Fashion-MNIST", lenet::to_string(o.variant)));
    lenet::write_kernels_png(o.out / "kernels.png", first_conv_weight(net));
    xgrad::StateDict ckpt;
    ckpt.merge(net->state_dict(), "model");
    ckpt.merge(optimizer->state_dict(), "optimizer");
    if (scheduler) ckpt.merge(scheduler->state_dict(), "scheduler");
    ckpt.merge(xgrad::rng_state_dict(), "rng");
    ckpt.metadata["lenet.variant"] = std::string(lenet::to_string(o.variant));
    ckpt.metadata["lenet.metrics"] = lenet::metrics_csv(history);
    xgrad::save(ckpt, o.save);
  }

  if (o.distributed) xgrad::distributed::destroy_process_group();
  if (!lead) return 0;
  const auto& last = history.back();
  std::cout << fmt::format("test accuracy {:.3f} after {} epoch{}\n", last.test_acc, last.epoch,
                           last.epoch == 1 ? "" : "s");
  std::cout << "wrote " << (o.out / "metrics.csv").string() << ", " << (o.out / "curves.svg").string() << ", "
            << (o.out / "kernels.png").string() << " and the checkpoint " << o.save.string() << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const lenet::LenetOptions options = lenet::parse_lenet_options_or_exit(argc, argv);
  try {
    return run(options);
  } catch (const xgrad::Error& e) {
    // Messages from the example's own code already start with "lenet: ".
    const std::string what = e.what();
    std::cerr << (what.rfind("lenet: ", 0) == 0 ? "" : "lenet: ") << what << '\n';
    return 1;
  }
}
