#define BOOST_TEST_MODULE random_integers
#include <boost/test/unit_test.hpp>

#include "reference/random_streams.hpp"
#include "support/testing.hpp"

#include <xgrad/random.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

// Tensor::random_ (LibTorch's three overloads): every value bit-identical to PyTorch 1.13's CPU
// random_ after the same manual_seed (tests/reference/random_streams.py, keys "random_/..."),
// plus the argument checks.

using namespace xgrad;
using xgrad::testing::check_random_stream;

namespace {

const uint64_t kSeeds[] = {0, 1, 42, 12345};

// A fresh seeded tensor of `sizes`, filled by `fill`, compared with the reference `what`.
template <typename F>
void check(const std::string& what, ScalarType dtype, F fill, IntArrayRef sizes = {1001}) {
  for (uint64_t s : kSeeds) {
    manual_seed(s);
    Tensor t = empty(sizes, dtype);
    fill(t);
    check_random_stream(fmt::format("random_/{}/s{}", what, s), t);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_without_bounds_matches_pytorch) {
  // [0, 2^24] for float32 (32-bit draws), [0, 2^53] for float64 and [0, 2^63 - 1] for int64
  // (64-bit draws), {0, 1} for bool.
  check("f32/full", kFloat32, [](Tensor& t) { t.random_(); });
  check("f64/full", kFloat64, [](Tensor& t) { t.random_(); });
  check("i64/full", kInt64, [](Tensor& t) { t.random_(); });
  check("bool/full", kBool, [](Tensor& t) { t.random_(); });
}

BOOST_AUTO_TEST_CASE(random_to_matches_pytorch) {
  check("f32/to2", kFloat32, [](Tensor& t) { t.random_(2); });
  check("f64/to2", kFloat64, [](Tensor& t) { t.random_(2); });
  check("i64/to2", kInt64, [](Tensor& t) { t.random_(2); });
  check("bool/to2", kBool, [](Tensor& t) { t.random_(2); });
  check("i64/to10", kInt64, [](Tensor& t) { t.random_(10); });
}

BOOST_AUTO_TEST_CASE(random_from_to_matches_pytorch) {
  check("i64/-5,17", kInt64, [](Tensor& t) { t.random_(-5, 17); });
  // A range of 2^32 or more takes one 64-bit draw per element.
  check("i64/-7,2^40+3", kInt64, [](Tensor& t) { t.random_(-7, (int64_t{1} << 40) + 3); });
  check("f32/0,100", kFloat32, [](Tensor& t) { t.random_(0, 100); });
  check("f64/-3,2^35", kFloat64, [](Tensor& t) { t.random_(-3, int64_t{1} << 35); });
  // 2^25 - 1 rounds up to 2^25 in float32: PyTorch moves `to` down to 2^25 - 4 (and warns).
  check("f32/0,2^25", kFloat32, [](Tensor& t) { t.random_(0, int64_t{1} << 25); });
}

BOOST_AUTO_TEST_CASE(random_from_only_matches_pytorch) {
  check("i64/from-3", kInt64, [](Tensor& t) { t.random_(-3, std::nullopt); });
  check("f32/from5", kFloat32, [](Tensor& t) { t.random_(5, std::nullopt); });
  check("f64/from-9", kFloat64, [](Tensor& t) { t.random_(-9, std::nullopt); });
  // from = INT64_MIN without `to`: the whole int64 range, the 64-bit draw itself.
  check("i64/int64min", kInt64, [](Tensor& t) { t.random_(std::numeric_limits<int64_t>::min(), std::nullopt); });
}

BOOST_AUTO_TEST_CASE(random_fills_in_memory_order) {
  check("f32/t7x5/to3", kFloat32, [](Tensor& t) { t.random_(3); }, {7, 5});
  for (uint64_t s : kSeeds) {
    manual_seed(s);
    Tensor t = empty({7, 5}).t();
    t.random_(1000);
    check_random_stream(fmt::format("random_/f32/transposed/s{}", s), t);
  }
}

BOOST_AUTO_TEST_CASE(random_works_on_const_handles_and_bumps_the_version) {
  const Tensor t = zeros({4}, kInt64);
  const uint64_t v = t._version();
  Tensor& r = t.random_(5, 6);
  BOOST_TEST(&r == &t);
  BOOST_TEST(t.to_vector<int64_t>() == std::vector<int64_t>({5, 5, 5, 5}), boost::test_tools::per_element());
  BOOST_TEST(t._version() > v);
}

BOOST_AUTO_TEST_CASE(random_checks_its_arguments) {
  Tensor i = empty({3}, kInt64);
  BOOST_CHECK_THROW(i.random_(5, 5), ValueError);   // from < to
  BOOST_CHECK_THROW(i.random_(0), ValueError);      // [0, 0) is empty
  BOOST_CHECK_THROW(i.random_(7, 2), ValueError);
  Tensor b = empty({3}, kBool);
  BOOST_CHECK_THROW(b.random_(0, 3), ValueError);   // to - 1 = 2 is not a bool
  BOOST_CHECK_THROW(b.random_(-1, 1), ValueError);  // from = -1 is not a bool
  BOOST_CHECK_THROW(b.random_(std::numeric_limits<int64_t>::min(), std::nullopt), TypeError);
  Tensor f = empty({3});
  BOOST_CHECK_THROW(f.random_(int64_t{1} << 30, std::nullopt), ValueError);  // from above 2^24
  // Bounds whose float32 value would leave int64 (undefined behaviour in PyTorch) are refused.
  BOOST_CHECK_THROW(f.random_(0, std::numeric_limits<int64_t>::max()), ValueError);
  // A tensor that requires grad cannot be filled in place while recording.
  Tensor w = zeros({2}, requires_grad());
  BOOST_CHECK_THROW(w.random_(), AutogradError);
  {
    NoGradGuard g;
    w.random_(3);
  }
  for (double v : w.to_vector<double>()) BOOST_TEST((v == 0.0 || v == 1.0 || v == 2.0));
}
