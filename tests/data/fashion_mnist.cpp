#define BOOST_TEST_MODULE data_fashion_mnist
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <xgrad/data.hpp>

#include <filesystem>

// The real Fashion-MNIST from Debian's dataset-fashion-mnist package; the numbers come from
// tests/reference/fashion_mnist.py (gzip + numpy). Skipped, with a message, when the folder is
// missing.

using namespace xgrad;
using namespace xgrad::data;
using datasets::FashionMNIST;

namespace {

struct HasData {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(std::filesystem::is_directory(FashionMNIST::kDefaultRoot));
    if (!r) r.message() << FashionMNIST::kDefaultRoot << " is missing (install dataset-fashion-mnist); skipped";
    return r;
  }
};

std::vector<int64_t> first_labels(const FashionMNIST& ds) {
  auto all = ds.targets().to_vector<int64_t>();
  return {all.begin(), all.begin() + 10};
}

}  // namespace

BOOST_AUTO_TEST_CASE(train_split, *boost::unit_test::precondition(HasData())) {
  FashionMNIST ds;  // default root, training split
  BOOST_TEST(ds.is_train());
  BOOST_TEST(*ds.size() == 60000u);
  xgrad::testing::check_sizes(ds.images(), {60000, 1, 28, 28});
  BOOST_TEST(first_labels(ds) == (std::vector<int64_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}), boost::test_tools::per_element());
  BOOST_TEST(FashionMNIST::classes()[static_cast<size_t>(ds.get(0).target.item<int64_t>())] == "Ankle boot");
  // Sum of the first image's bytes, and the pixel mean/std used by Normalize in the examples.
  BOOST_TEST(ds.images()[0].sum().item<double>() * 255.0 == 76247.0, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(ds.images().mean().item<double>() == 0.2860405970, boost::test_tools::tolerance(1e-4));
  // Every class has 6000 examples.
  auto t = ds.targets().to_vector<int64_t>();
  for (int64_t c = 0; c < 10; ++c) BOOST_TEST(std::count(t.begin(), t.end(), c) == 6000);
}

BOOST_AUTO_TEST_CASE(test_split_through_a_loader, *boost::unit_test::precondition(HasData())) {
  auto ds = FashionMNIST(FashionMNIST::Mode::kTest);
  BOOST_TEST(*ds.size() == 10000u);
  BOOST_TEST(first_labels(ds) == (std::vector<int64_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}), boost::test_tools::per_element());
  BOOST_TEST(ds.images()[0].sum().item<double>() * 255.0 == 33456.0, boost::test_tools::tolerance(1e-5));
  auto loader = make_data_loader<samplers::SequentialSampler>(
      ds.map(transforms::Normalize<>(0.2860, 0.3530)).map(transforms::Stack<>()),
      DataLoaderOptions().batch_size(256).workers(2));
  size_t n = 0, batches = 0;
  for (auto& b : *loader) {
    if (batches == 0) BOOST_TEST(b.target.to_vector<int64_t>()[0] == 9);
    n += static_cast<size_t>(b.data.size(0));
    ++batches;
  }
  BOOST_TEST(n == 10000u);
  BOOST_TEST(batches == 40u);  // 39 of 256 and one of 16
}
