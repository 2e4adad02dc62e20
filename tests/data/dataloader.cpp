#define BOOST_TEST_MODULE data_dataloader
#include <boost/test/unit_test.hpp>

#include "data/idx_files.hpp"
#include "support/testing.hpp"

#include <xgrad/data.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>

// The loader: batches in the sampler's order, drop_last, epochs, workers giving exactly the
// batches of workers(0), exceptions from workers, and destruction mid-epoch.

using namespace xgrad;
using namespace xgrad::data;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;
using xgrad::testing::TempDir;

namespace {

// Example i: data {i} (float), target i (int64). Optionally sleeps a little, longer for some
// indices than others, so workers finish out of order; throws IOError at `bad`.
struct Slow : datasets::Dataset<Slow> {
  size_t n = 40;
  bool sleep = false;
  std::optional<size_t> bad;
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> threw_on_worker = std::make_shared<std::atomic<bool>>(false);
  std::thread::id main_thread = std::this_thread::get_id();

  Example<> get(size_t i) override {
    ++*calls;
    if (sleep) std::this_thread::sleep_for(std::chrono::microseconds((i * 7919) % 5 * 400));
    if (bad && i == *bad) {
      if (std::this_thread::get_id() != main_thread) *threw_on_worker = true;
      XGRAD_THROW(IOError, "Slow: example {} is unreadable", i);
    }
    return {xgrad::full({1}, static_cast<double>(i)), xgrad::tensor(static_cast<int64_t>(i))};
  }
  std::optional<size_t> size() const override { return n; }
};

template <typename Loader>
std::vector<std::vector<int64_t>> targets_of(Loader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (auto& batch : loader) out.push_back(batch.target.template to_vector<int64_t>());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sequential_batches_and_drop_last) {
  auto ds = TensorDataset(xgrad::arange(10.0).reshape({10, 1}), xgrad::arange(10));
  auto loader = make_data_loader<samplers::SequentialSampler>(ds, DataLoaderOptions().batch_size(3));
  const auto t = targets_of(*loader);
  BOOST_REQUIRE_EQUAL(t.size(), 4u);
  BOOST_TEST(t[0] == (std::vector<int64_t>{0, 1, 2}), boost::test_tools::per_element());
  BOOST_TEST(t[3] == (std::vector<int64_t>{9}), boost::test_tools::per_element());
  auto dropping = make_data_loader<samplers::SequentialSampler>(ds, DataLoaderOptions().batch_size(3).drop_last(true));
  BOOST_TEST(targets_of(*dropping).size() == 3u);
  // Batches: data rows [B, 1].
  for (auto& b : *loader) {
    check_sizes(b.data, {3, 1});
    check_values(b.data, {0, 1, 2});
    break;
  }
}

BOOST_AUTO_TEST_CASE(random_epochs_cover_everything_and_repeat_with_the_seed) {
  auto ds = TensorDataset(xgrad::arange(25.0).reshape({25, 1}), xgrad::arange(25));
  manual_seed(3);
  auto a = make_data_loader(ds, 4);  // RandomSampler by default, batch size 4
  const auto a1 = targets_of(*a), a2 = targets_of(*a);
  manual_seed(3);
  auto b = make_data_loader(ds, 4);
  const auto b1 = targets_of(*b), b2 = targets_of(*b);
  BOOST_TEST((a1 == b1));
  BOOST_TEST((a2 == b2));
  BOOST_TEST((a1 != a2));  // a new permutation per epoch
  std::vector<int64_t> all;
  for (auto& v : a1) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  std::vector<int64_t> iota(25);
  std::iota(iota.begin(), iota.end(), 0);
  BOOST_TEST(all == iota, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(workers_give_the_batches_of_workers_0_in_order) {
  TempDir dir;
  xgrad::testing::write_mnist(dir, 97, /*gz=*/true);
  auto make = [&](size_t workers) {
    auto ds = datasets::MNIST(dir.path.string())
                  .map(transforms::Normalize<>(0.2860, 0.3530))
                  .map(transforms::Stack<>());
    return make_data_loader<samplers::RandomSampler>(std::move(ds),
                                                     DataLoaderOptions().batch_size(8).workers(workers).max_jobs(3));
  };
  manual_seed(11);
  auto l0 = make(0);
  std::vector<Example<>> ref;
  for (int epoch = 0; epoch < 2; ++epoch)
    for (auto& b : *l0) ref.push_back(b);
  manual_seed(11);
  auto l2 = make(2);
  std::vector<Example<>> got;
  for (int epoch = 0; epoch < 2; ++epoch)
    for (auto& b : *l2) got.push_back(b);
  BOOST_REQUIRE_EQUAL(got.size(), ref.size());
  BOOST_REQUIRE_EQUAL(ref.size(), 26u);  // 2 epochs of 12 full batches + 1 of 1
  for (size_t i = 0; i < ref.size(); ++i) {
    BOOST_TEST_INFO("batch " << i);
    BOOST_REQUIRE(xgrad::equal(got[i].data, ref[i].data));
    BOOST_REQUIRE(xgrad::equal(got[i].target, ref[i].target));
  }
}

BOOST_AUTO_TEST_CASE(workers_finishing_out_of_order_still_deliver_in_order) {
  Slow slow;
  slow.n = 60;
  slow.sleep = true;
  auto stacked = slow.map(transforms::Stack<>());
  auto l0 = make_data_loader<samplers::SequentialSampler>(stacked, DataLoaderOptions().batch_size(1));
  auto l3 = make_data_loader<samplers::SequentialSampler>(stacked, DataLoaderOptions().batch_size(1).workers(3));
  BOOST_TEST((targets_of(*l0) == targets_of(*l3)));
  std::vector<int64_t> flat;
  for (auto& v : targets_of(*l3)) flat.push_back(v.at(0));
  std::vector<int64_t> iota(60);
  std::iota(iota.begin(), iota.end(), 0);
  BOOST_TEST(flat == iota, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_worker_exception_reaches_the_consumer) {
  for (size_t workers : {size_t{0}, size_t{2}}) {
    Slow bad;
    bad.bad = 13;
    auto loader = make_data_loader<samplers::SequentialSampler>(bad.map(transforms::Stack<>()),
                                                                DataLoaderOptions().batch_size(4).workers(workers));
    std::vector<int64_t> seen;
    bool thrown = false;
    try {
      for (auto& b : *loader) {
        seen.push_back(b.target.to_vector<int64_t>().front());
        // A slow consumer: the workers have started (and finished) the next batches by the time
        // they are needed, so the bad batch fails on a worker thread, not inline.
        if (workers > 0) std::this_thread::sleep_for(std::chrono::milliseconds(30));
      }
    } catch (const IOError& e) {
      thrown = true;
      BOOST_TEST(std::string(e.what()) == "Slow: example 13 is unreadable");
    }
    BOOST_TEST_INFO("workers " << workers);
    BOOST_TEST(thrown);
    // Batches before the bad one (indices 12..15) came out, in order.
    BOOST_TEST(seen == (std::vector<int64_t>{0, 4, 8}), boost::test_tools::per_element());
    BOOST_TEST(bad.threw_on_worker->load() == (workers > 0));
    // The loader is still usable: a new epoch throws at the same batch again.
    BOOST_CHECK_THROW(for (auto& b : *loader)(void) b, IOError);
  }
}

BOOST_AUTO_TEST_CASE(destroying_or_restarting_mid_epoch) {
  Slow slow;
  slow.n = 400;
  slow.sleep = true;
  const auto start = std::chrono::steady_clock::now();
  {
    auto loader = make_data_loader<samplers::SequentialSampler>(
        slow.map(transforms::Stack<>()), DataLoaderOptions().batch_size(2).workers(2).max_jobs(8));
    auto it = loader->begin();
    BOOST_TEST((it != loader->end()));
    BOOST_TEST(it->target.to_vector<int64_t>() == (std::vector<int64_t>{0, 1}), boost::test_tools::per_element());
    // Leaving the scope with jobs in flight joins the workers after their current batch.
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(seconds < 5.0);
  BOOST_TEST(slow.calls->load() < 400);  // the rest of the epoch was never assembled

  // Breaking out of an epoch and iterating again starts a full, ordered epoch.
  Slow quick;
  quick.n = 30;
  auto loader = make_data_loader<samplers::SequentialSampler>(quick.map(transforms::Stack<>()),
                                                              DataLoaderOptions().batch_size(5).workers(2));
  for (auto& b : *loader) {
    (void)b;
    break;
  }
  const auto t = targets_of(*loader);
  BOOST_REQUIRE_EQUAL(t.size(), 6u);
  for (size_t i = 0; i < 6; ++i) BOOST_TEST(t[i].front() == static_cast<int64_t>(5 * i));
  loader->join();
  BOOST_CHECK_THROW(loader->begin(), ValueError);
}

BOOST_AUTO_TEST_CASE(libtorch_style_program) {
  TempDir dir;
  xgrad::testing::write_mnist(dir, 10, /*gz=*/false);
  auto train = xgrad::data::datasets::MNIST(dir.path.string(), xgrad::data::datasets::MNIST::Mode::kTrain)
                   .map(xgrad::data::transforms::Normalize<>(0.2860, 0.3530))
                   .map(xgrad::data::transforms::Stack<>());
  BOOST_TEST(*train.size() == 10u);
  auto loader = xgrad::data::make_data_loader<xgrad::data::samplers::RandomSampler>(
      std::move(train), xgrad::data::DataLoaderOptions().batch_size(4).workers(2));
  size_t seen = 0;
  for (auto& batch : *loader) {
    auto x = batch.data;
    auto y = batch.target;
    BOOST_TEST(x.size(0) == y.size(0));
    check_sizes(x, {x.size(0), 1, 28, 28});
    seen += static_cast<size_t>(x.size(0));
  }
  BOOST_TEST(seen == 10u);
  BOOST_TEST(loader->options().max_jobs == 4u);
  // The plain form with a batch size.
  auto simple = xgrad::data::make_data_loader(xgrad::data::datasets::MNIST(dir.path.string()), 64);
  size_t batches = 0;
  for (auto& b : *simple) {
    BOOST_TEST(b.size() == 10u);  // Dataset<MNIST>'s batch: a vector of Examples
    ++batches;
  }
  BOOST_TEST(batches == 1u);
}

BOOST_AUTO_TEST_CASE(bad_options_and_datasets) {
  auto ds = TensorDataset(xgrad::zeros({4, 2}), xgrad::zeros({4}));
  BOOST_CHECK_THROW(make_data_loader(ds, DataLoaderOptions().batch_size(0)), ValueError);
  BOOST_CHECK_THROW(make_data_loader(ds, DataLoaderOptions().workers(2).max_jobs(0)), ValueError);
  BOOST_CHECK_THROW(TensorDataset(xgrad::zeros({4, 2}), xgrad::zeros({3})), ShapeError);
  BOOST_CHECK_THROW(TensorDataset(xgrad::tensor(1.0), xgrad::zeros({1})), ValueError);
  BOOST_CHECK_THROW(ds.get_batch({4}), IndexError);
  BOOST_CHECK_THROW(ds.get(9), IndexError);
  Example<> e = ds.get(1);
  check_sizes(e.data, {2});
  // LibTorch's one-tensor TensorDataset.
  datasets::TensorDataset one(xgrad::arange(6.0).reshape({3, 2}));
  TensorExample r = one.get(2);
  check_values(r.data, {4, 5});
  BOOST_CHECK_THROW(one.get(3), IndexError);
  BOOST_CHECK_THROW(datasets::TensorDataset(xgrad::tensor(1.0)), ValueError);
  auto rows = one.map(transforms::Stack<TensorExample>());
  check_sizes(rows.get_batch({0, 2}).data, {2, 2});
}
