// A LibTorch training program, ported to xgrad by changing nothing but the include and the
// namespace: Fashion-MNIST through LibTorch's MNIST dataset, Normalize, Stack and data loader,
// a Sequential LeNet (ReLU, max-pool) and Adam. Built against xgrad by default; with
// -DPORT_USE_LIBTORCH the same file builds against LibTorch (benchmarks/ does that to compare).
//
//     ./build/examples/fashion_mnist_port DATA_DIR [EPOCHS] [THREADS]
//
// DATA_DIR holds the four IDX files (LibTorch's MNIST reads only the uncompressed names;
// xgrad's also reads the .gz names Debian's dataset-fashion-mnist installs).
#ifdef PORT_USE_LIBTORCH
#include <torch/torch.h>
namespace fw = torch;
#else
#include <xgrad/xgrad.hpp>
namespace fw = xgrad;
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR [EPOCHS] [THREADS]\n", argv[0]);
    return 2;
  }
  const std::string root = argv[1];
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 1;
  if (argc > 3) fw::set_num_threads(std::atoi(argv[3]));
  fw::manual_seed(1);

  namespace nn = fw::nn;
  using fw::data::datasets::MNIST;
  auto train = MNIST(root, MNIST::Mode::kTrain)
                   .map(fw::data::transforms::Normalize<>(0.2860, 0.3530))
                   .map(fw::data::transforms::Stack<>());
  auto test = MNIST(root, MNIST::Mode::kTest)
                  .map(fw::data::transforms::Normalize<>(0.2860, 0.3530))
                  .map(fw::data::transforms::Stack<>());
  const size_t train_size = train.size().value(), test_size = test.size().value();
  auto train_loader = fw::data::make_data_loader<fw::data::samplers::RandomSampler>(
      std::move(train), fw::data::DataLoaderOptions().batch_size(256));
  auto test_loader = fw::data::make_data_loader<fw::data::samplers::SequentialSampler>(
      std::move(test), fw::data::DataLoaderOptions().batch_size(1024));

  nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::ReLU(),
                     nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)), nn::Conv2d(nn::Conv2dOptions(6, 16, 5)),
                     nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)), nn::Flatten(),
                     nn::Linear(16 * 5 * 5, 120), nn::ReLU(), nn::Linear(120, 84), nn::ReLU(), nn::Linear(84, 10));
  fw::optim::Adam optimizer(net->parameters(), fw::optim::AdamOptions(1e-3));

  for (int epoch = 1; epoch <= epochs; ++epoch) {
    net->train();
    double loss_sum = 0;
    int64_t correct = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (auto& batch : *train_loader) {
      optimizer.zero_grad();
      auto out = net->forward(batch.data);
      auto loss = fw::nn::functional::cross_entropy(out, batch.target);
      loss.backward();
      optimizer.step();
      loss_sum += loss.template item<double>() * static_cast<double>(batch.data.size(0));
      correct += out.argmax(1).eq(batch.target).sum().template item<int64_t>();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    net->eval();
    int64_t test_correct = 0;
    {
      fw::NoGradGuard no_grad;
      for (auto& batch : *test_loader)
        test_correct += net->forward(batch.data).argmax(1).eq(batch.target).sum().template item<int64_t>();
    }
    std::printf("epoch %d, loss %.3f, train acc %.3f, test acc %.3f\n", epoch,
                loss_sum / static_cast<double>(train_size),
                static_cast<double>(correct) / static_cast<double>(train_size),
                static_cast<double>(test_correct) / static_cast<double>(test_size));
    std::fprintf(stderr, "epoch %d: %.3f s, %.0f images/s\n", epoch, seconds,
                 static_cast<double>(train_size) / seconds);
  }
}
