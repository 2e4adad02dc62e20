#define BOOST_TEST_MODULE data_mnist
#include <boost/test/unit_test.hpp>

#include "data/idx_files.hpp"
#include "support/testing.hpp"

#include <xgrad/data.hpp>

// MNIST on small files written here: pixel k of image i is (7 i + k) % 256, label i is
// (3 i + 1) % 10, so every value can be checked by hand.

using namespace xgrad;
using namespace xgrad::data;
using datasets::MNIST;
using xgrad::testing::Bytes;
using xgrad::testing::idx_bytes;
using xgrad::testing::TempDir;
using xgrad::testing::write_file;
using xgrad::testing::write_mnist;

namespace {

template <typename F>
std::string io_error_message(F&& f) {
  try {
    f();
  } catch (const IOError& e) {
    return e.what();
  }
  BOOST_FAIL("expected an IOError");
  return {};
}

void check_contents(MNIST& ds, size_t n) {
  BOOST_REQUIRE(ds.size().has_value());
  BOOST_TEST(*ds.size() == n);
  xgrad::testing::check_sizes(ds.images(), {static_cast<int64_t>(n), 1, 28, 28});
  xgrad::testing::check_sizes(ds.targets(), {static_cast<int64_t>(n)});
  BOOST_TEST((ds.images().dtype() == kFloat32));
  BOOST_TEST((ds.targets().dtype() == kInt64));
  BOOST_TEST(ds.images().is_contiguous());
  const float* px = ds.images().data_ptr<float>();
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < 784; k += 97) {
      const float expected = static_cast<float>((7 * i + k) % 256) / 255.0f;
      BOOST_TEST_INFO("image " << i << " pixel " << k);
      BOOST_REQUIRE_EQUAL(px[i * 784 + k], expected);
    }
  for (size_t i = 0; i < n; ++i) BOOST_TEST(ds.targets()[static_cast<int64_t>(i)].item<int64_t>() == int64_t((3 * i + 1) % 10));
  // get(i): a [1, 28, 28] view of image i and a 0-d label.
  Example<> e = ds.get(2);
  xgrad::testing::check_sizes(e.data, {1, 28, 28});
  BOOST_TEST(e.target.dim() == 0);
  BOOST_TEST(e.target.item<int64_t>() == 7);
  BOOST_TEST(e.data.to_vector<float>()[5] == static_cast<float>(19) / 255.0f);
}

}  // namespace

BOOST_AUTO_TEST_CASE(raw_names) {
  TempDir dir;
  write_mnist(dir, 6, /*gz=*/false);
  MNIST ds(dir.path.string(), MNIST::Mode::kTrain);
  BOOST_TEST(ds.is_train());
  check_contents(ds, 6);
}

BOOST_AUTO_TEST_CASE(gz_names_and_test_mode) {
  TempDir dir;
  write_mnist(dir, 5, /*gz=*/true, "t10k");
  MNIST ds(dir.path.string(), MNIST::Mode::kTest);
  BOOST_TEST(!ds.is_train());
  check_contents(ds, 5);
  // The train files are not there: the error lists both names it tried.
  const std::string msg = io_error_message([&] { MNIST(dir.path.string()); });
  BOOST_TEST(msg.find("train-images-idx3-ubyte'") != std::string::npos, msg);
  BOOST_TEST(msg.find("train-images-idx3-ubyte.gz'") != std::string::npos, msg);
  BOOST_TEST(msg.find(dir.path.string()) != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(raw_name_is_preferred_over_gz) {
  TempDir dir;
  write_mnist(dir, 4, /*gz=*/false);
  // A broken .gz next to a good raw file is never opened.
  write_file(dir.file("train-images-idx3-ubyte.gz"), {1, 2, 3});
  MNIST ds(dir.path.string());
  check_contents(ds, 4);
}

BOOST_AUTO_TEST_CASE(fashion_mnist_with_a_root_and_class_names) {
  TempDir dir;
  write_mnist(dir, 3, /*gz=*/true);
  datasets::FashionMNIST ds(dir.path.string());
  BOOST_TEST(*ds.size() == 3u);
  BOOST_TEST(datasets::FashionMNIST::classes()[0] == "T-shirt/top");
  BOOST_TEST(datasets::FashionMNIST::classes()[9] == "Ankle boot");
  BOOST_TEST(std::string(datasets::FashionMNIST::kDefaultRoot) == "/usr/share/datasets/fashion-mnist");
}

BOOST_AUTO_TEST_CASE(labels_count_mismatch_names_both_files) {
  TempDir dir;
  write_mnist(dir, 4, /*gz=*/false);
  write_file(dir.file("train-labels-idx1-ubyte"), idx_bytes(0x08, {3}, {1, 2, 3}));
  const std::string msg = io_error_message([&] { MNIST(dir.path.string()); });
  BOOST_TEST(msg.find("has 3 labels but") != std::string::npos, msg);
  BOOST_TEST(msg.find(dir.file("train-labels-idx1-ubyte")) != std::string::npos, msg);
  BOOST_TEST(msg.find(dir.file("train-images-idx3-ubyte") + " has 4 images") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(wrong_type_and_rank) {
  TempDir dir;
  write_mnist(dir, 2, /*gz=*/false);
  write_file(dir.file("train-labels-idx1-ubyte"), idx_bytes(0x0C, {2}, {0, 0, 0, 1, 0, 0, 0, 2}));
  std::string msg = io_error_message([&] { MNIST(dir.path.string()); });
  BOOST_TEST(msg.find(dir.file("train-labels-idx1-ubyte") + ": MNIST labels must be ubyte") != std::string::npos, msg);
  write_file(dir.file("train-images-idx3-ubyte"), idx_bytes(0x08, {2, 784}, Bytes(2 * 784, 0)));
  msg = io_error_message([&] { MNIST(dir.path.string()); });
  BOOST_TEST(msg.find(dir.file("train-images-idx3-ubyte") + ": MNIST images must have 3 dimensions") != std::string::npos,
             msg);
}

BOOST_AUTO_TEST_CASE(truncated_gz_images_name_the_file) {
  TempDir dir;
  write_mnist(dir, 6, /*gz=*/true);
  const Bytes full = xgrad::testing::gzip_bytes(idx_bytes(0x08, {6, 28, 28}, xgrad::testing::mnist_pixels(6)));
  write_file(dir.file("train-images-idx3-ubyte.gz"), Bytes(full.begin(), full.begin() + static_cast<long>(full.size() / 2)));
  const std::string msg = io_error_message([&] { MNIST(dir.path.string()); });
  BOOST_TEST(msg.find(dir.file("train-images-idx3-ubyte.gz") + ": truncated: expected 4704 image bytes, found") !=
                 std::string::npos,
             msg);
}

BOOST_AUTO_TEST_CASE(get_out_of_range) {
  TempDir dir;
  write_mnist(dir, 3, /*gz=*/false);
  MNIST ds(dir.path.string());
  BOOST_CHECK_THROW(ds.get(3), IndexError);
  BOOST_CHECK_THROW(ds.get_batch({0, 5}), IndexError);
  BOOST_CHECK_THROW(ds.get_batch_stacked({0, 5}), IndexError);
}
