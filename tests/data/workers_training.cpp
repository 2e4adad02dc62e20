#define BOOST_TEST_MODULE data_workers_training
#include <boost/test/unit_test.hpp>

#include "data/idx_files.hpp"
#include "support/testing.hpp"

#include <xgrad/data.hpp>

#include <cstring>
#include <vector>

// Training is reproducible whatever the number of loader workers: after the same manual_seed,
// workers(0) and workers(2) deliver the same batches in the same order AND a model trained on
// them ends with bitwise the same weights. The model holds a Dropout, so the main thread draws
// from the global generator between batches while the workers run: a worker that drew from it
// (or a sampler reset that raced with the training) would change the masks and the weights.

using namespace xgrad;
using namespace xgrad::data;
using xgrad::testing::TempDir;

namespace {

struct Run {
  std::vector<Example<>> batches;    // every batch the loader delivered, in order
  std::vector<Tensor> initial;       // parameters before the first step
  std::vector<Tensor> final_params;  // parameters after the last step
};

std::vector<Tensor> snapshot(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone());
  return out;
}

// Same bytes (not merely equal values: -0 vs +0 or a different NaN would fail).
bool bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes() || a.dtype() != b.dtype()) return false;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr<float>(), cb.data_ptr<float>(), static_cast<size_t>(ca.numel()) * sizeof(float)) == 0;
}

nn::Sequential small_net() {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, 32), nn::ReLU(), nn::Dropout(0.25), nn::Linear(32, 10));
}

// Two epochs of MNIST-shaped data through LibTorch's pipeline, Adam on a small MLP with dropout.
Run train_mnist_pipeline(const std::string& root, size_t workers, uint64_t seed) {
  manual_seed(seed);
  auto net = small_net();
  optim::Adam opt(net->parameters(), optim::AdamOptions(1e-2));
  auto ds = datasets::MNIST(root).map(transforms::Normalize<>(0.2860, 0.3530)).map(transforms::Stack<>());
  auto loader = make_data_loader<samplers::RandomSampler>(std::move(ds),
                                                          DataLoaderOptions().batch_size(16).workers(workers));
  Run run;
  run.initial = snapshot(net->parameters());
  net->train();
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (auto& batch : *loader) {
      run.batches.push_back(batch);
      opt.zero_grad();
      auto loss = nn::functional::cross_entropy(net->forward(batch.data), batch.target);
      loss.backward();
      opt.step();
    }
  }
  run.final_params = snapshot(net->parameters());
  return run;
}

// A Linear regression on a synthetic TensorDataset with SGD, the loader's other fast path.
Run train_tensor_dataset(size_t workers, uint64_t seed) {
  manual_seed(100);  // the data, the same for every run
  auto x = xgrad::randn({83, 5});
  auto y = xgrad::randn({83, 3});
  manual_seed(seed);
  nn::Linear lin(5, 3);
  optim::SGD opt(lin->parameters(), optim::SGDOptions(0.05).momentum(0.9));
  auto loader = make_data_loader<samplers::RandomSampler>(TensorDataset(x, y),
                                                          DataLoaderOptions().batch_size(10).workers(workers));
  Run run;
  run.initial = snapshot(lin->parameters());
  for (int epoch = 0; epoch < 3; ++epoch) {
    for (auto& batch : *loader) {
      run.batches.push_back(batch);
      opt.zero_grad();
      nn::functional::mse_loss(lin(batch.data), batch.target).backward();
      opt.step();
    }
  }
  run.final_params = snapshot(lin->parameters());
  return run;
}

void check_same_run(const Run& a, const Run& b) {
  BOOST_REQUIRE_EQUAL(a.batches.size(), b.batches.size());
  for (size_t i = 0; i < a.batches.size(); ++i) {
    BOOST_TEST_INFO("batch " << i);
    BOOST_REQUIRE(xgrad::equal(a.batches[i].data, b.batches[i].data));
    BOOST_REQUIRE(xgrad::equal(a.batches[i].target, b.batches[i].target));
  }
  BOOST_REQUIRE_EQUAL(a.final_params.size(), b.final_params.size());
  for (size_t i = 0; i < a.final_params.size(); ++i) {
    BOOST_TEST_INFO("parameter " << i);
    BOOST_CHECK(bitwise_equal(a.final_params[i], b.final_params[i]));
  }
}

// The comparison is not vacuous: training moved every parameter.
void check_trained(const Run& r) {
  for (size_t i = 0; i < r.final_params.size(); ++i) {
    BOOST_TEST_INFO("parameter " << i);
    BOOST_CHECK(!xgrad::equal(r.initial[i], r.final_params[i]));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(mnist_pipeline_workers_0_and_2_train_the_same_weights) {
  TempDir dir;
  xgrad::testing::write_mnist(dir, 150, /*gz=*/true);
  const Run w0 = train_mnist_pipeline(dir.path.string(), 0, 7);
  const Run w2 = train_mnist_pipeline(dir.path.string(), 2, 7);
  BOOST_REQUIRE_EQUAL(w0.batches.size(), 20u);  // 2 epochs of 9 batches of 16 + 1 of 6
  BOOST_TEST(w0.batches[9].data.size(0) == 6);
  check_trained(w0);
  check_same_run(w0, w2);
  // The two epochs were shuffled differently (the sampler redraws its permutation each epoch).
  BOOST_TEST(!xgrad::equal(w0.batches[0].target, w0.batches[10].target));
}

BOOST_AUTO_TEST_CASE(tensor_dataset_workers_0_and_2_train_the_same_weights) {
  const Run w0 = train_tensor_dataset(0, 3);
  const Run w2 = train_tensor_dataset(2, 3);
  BOOST_REQUIRE_EQUAL(w0.batches.size(), 27u);  // 3 epochs of 8 batches of 10 + 1 of 3
  check_trained(w0);
  check_same_run(w0, w2);
}

BOOST_AUTO_TEST_CASE(another_seed_gives_other_batches_and_weights) {
  // Guards the test above against a loader or model that ignores the seed (then equal weights
  // would prove nothing about the workers).
  TempDir dir;
  xgrad::testing::write_mnist(dir, 150, /*gz=*/false);
  const Run a = train_mnist_pipeline(dir.path.string(), 2, 7);
  const Run b = train_mnist_pipeline(dir.path.string(), 2, 8);
  BOOST_REQUIRE_EQUAL(a.batches.size(), b.batches.size());
  BOOST_TEST(!xgrad::equal(a.batches[0].target, b.batches[0].target));
  BOOST_TEST(!bitwise_equal(a.final_params[0], b.final_params[0]));
}
