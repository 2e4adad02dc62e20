// Hostile options for pooling and conv2d (issue 11, item 2): window starts and counts are
// computed in closed form, so no padding, dilation, stride or kernel size makes a call hang or
// do more work than its output needs; output-size formulas and the average divisor are exact in
// 128-bit arithmetic; a failed scratch allocation inside the parallel kernels is a typed error.
// Results are worked by hand (PyTorch 1.13 refuses options above INT_MAX, "integer out of
// range", so it has no numbers for them) or are PyTorch's (tests/reference/bad_input.py).
#define BOOST_TEST_MODULE ops_pool_bad_input
#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

#include <cstdint>
#include <limits>

extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

using namespace xgrad;
namespace F = xgrad::nn::functional;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;
using xgrad::testing::expect_error;
using xgrad::testing::expect_fast;

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t k2e32 = int64_t{1} << 32;
// 0..15 as a [1, 1, 4, 4] plane: the maximum of row r is 4r + 3.
Tensor plane(ScalarType dtype = kFloat32) { return arange(16.0, dtype).reshape({1, 1, 4, 4}); }
}  // namespace

BOOST_AUTO_TEST_SUITE(max_pool)

BOOST_AUTO_TEST_CASE(padding_2_pow_32_returns_at_once) {
  // Kernel 2^33 along W (padding may be at most half the kernel): every window covers the row.
  // Before: the window start was found by stepping 2^32 times per output element (~20 s each).
  Tensor y, idx;
  expect_fast([&] {
    std::tie(y, idx) = F::max_pool2d_with_indices(
        plane(), F::MaxPool2dFuncOptions({1, 2 * k2e32}).stride(1).padding({0, k2e32}));
  });
  check_sizes(y, {1, 1, 4, 5});
  check_values(y, {3, 3, 3, 3, 3, 7, 7, 7, 7, 7, 11, 11, 11, 11, 11, 15, 15, 15, 15, 15});
  check_values(idx.slice(3, 0, 1).flatten(), {3, 7, 11, 15});
}

BOOST_AUTO_TEST_CASE(kernel_near_int64_max_returns) {
  // Before: never returned. out = (4 + 2 (MAX / 2) - (MAX - 1) - 1) + 1 = 4.
  Tensor y;
  expect_fast([&] { y = F::max_pool2d(plane(), F::MaxPool2dFuncOptions({1, kMax}).stride(1).padding({0, kMax / 2})); });
  check_sizes(y, {1, 1, 4, 4});
  check_values(y.select(3, 2), {3, 7, 11, 15});
  // Same along H, in float64, and backward scatters to the row maxima.
  Tensor x = plane(kFloat64).requires_grad_();
  Tensor z;
  expect_fast([&] { z = F::max_pool2d(x, F::MaxPool2dFuncOptions({kMax, 1}).stride(1).padding({kMax / 2, 0})); });
  check_sizes(z, {1, 1, 4, 4});
  check_values(z.select(2, 0), {12, 13, 14, 15});
  expect_fast([&] { z.sum().backward(); });
  check_values(x.grad().flatten(), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4});
}

BOOST_AUTO_TEST_CASE(huge_dilation_and_stride) {
  // Dilation 2^40 with kernel 1: each window is one element.
  Tensor y;
  expect_fast([&] { y = F::max_pool2d(plane(), F::MaxPool2dFuncOptions(1).stride(1).dilation(int64_t{1} << 40)); });
  check_values(y.flatten(), std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  // Kernel 2 dilated past the input: no window fits, a ShapeError (not an overflowed size).
  expect_error<ShapeError>([] { F::max_pool2d(plane(), F::MaxPool2dFuncOptions(2).dilation(kMax / 2)); },
                           {"max_pool2d", "larger than the padded input"});
  expect_error<ShapeError>([] { F::max_pool2d(plane(), F::MaxPool2dFuncOptions(2).dilation(kMax)); }, {"max_pool2d"});
  // Stride near INT64_MAX: one window, the top-left 2 x 2 (PyTorch gives the same for 2^30).
  Tensor s = F::max_pool2d(plane(), F::MaxPool2dFuncOptions(2).stride(kMax));
  check_sizes(s, {1, 1, 1, 1});
  check_values(s, {5});
  // ceil_mode: in + 2p - k + stride - 1 overflowed int64 here.
  Tensor c = F::max_pool2d(plane(), F::MaxPool2dFuncOptions(2).stride(kMax).ceil_mode(true));
  check_values(c, {5});
  // Window starts with padding and dilation both large (start skips 2^31 taps at once).
  Tensor d;
  expect_fast([&] {
    d = F::max_pool2d(plane(), F::MaxPool2dFuncOptions({1, 2 * k2e32 + 1}).stride(1).padding({0, k2e32}).dilation({1, 1}));
  });
  check_sizes(d, {1, 1, 4, 4});
}

BOOST_AUTO_TEST_CASE(negative_and_zero_options_are_value_errors) {
  expect_error<ValueError>([] { F::max_pool2d(plane(), F::MaxPool2dFuncOptions(0)); }, {"max_pool2d", "kernel_size"});
  expect_error<ValueError>([] { F::max_pool2d(plane(), F::MaxPool2dFuncOptions(-kMax)); }, {"kernel_size"});
  expect_error<ValueError>([] { F::max_pool2d(plane(), F::MaxPool2dFuncOptions(2).stride(0)); }, {"stride"});
  expect_error<ValueError>([] { F::max_pool2d(plane(), F::MaxPool2dFuncOptions(2).padding(-1)); }, {"padding"});
  expect_error<ValueError>([] { F::max_pool2d(plane(), F::MaxPool2dFuncOptions(2).dilation(0)); }, {"dilation"});
  expect_error<ValueError>([] { F::max_pool2d(plane(), F::MaxPool2dFuncOptions(2).padding(kMax)); },
                           {"padding should be at most half"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(avg_pool)

BOOST_AUTO_TEST_CASE(divisor_of_a_kernel_above_3e9_is_exact) {
  // Kernel 3e9 + 1 with padding 1.5e9 on a width-4 row of ones: 4 outputs, each window holds
  // the 4 ones and 3e9 + 1 padded positions.
  Tensor y;
  const auto o = F::AvgPool2dFuncOptions({1, 3000000001}).stride(1).padding({0, 1500000000});
  expect_fast([&] { y = F::avg_pool2d(ones({1, 1, 1, 4}, kFloat64), o); });
  check_sizes(y, {1, 1, 1, 4});
  for (double v : y.to_vector<double>()) BOOST_TEST(v == 4.0 / 3000000001.0);
  // count_include_pad = false: the divisor is the 4 real elements.
  Tensor z = F::avg_pool2d(ones({1, 1, 1, 4}, kFloat64), F::AvgPool2dFuncOptions(o).count_include_pad(false));
  check_values(z, {1, 1, 1, 1});
  // float32: the divisor is rounded once, as PyTorch rounds its int64 divisor.
  Tensor f = F::avg_pool2d(ones({1, 1, 1, 4}), o);
  BOOST_TEST(f.to_vector<float>()[0] == 4.0f / static_cast<float>(3000000001LL));
}

BOOST_AUTO_TEST_CASE(divisor_above_int64_and_kernel_near_max) {
  // Both dimensions 2^33: the padded window holds 2^66 positions, more than int64 can count.
  const int64_t k = 2 * k2e32;
  Tensor y;
  expect_fast([&] {
    y = F::avg_pool2d(ones({1, 1, 2, 2}, kFloat64), F::AvgPool2dFuncOptions(k).stride(1).padding(k2e32));
  });
  check_sizes(y, {1, 1, 3, 3});
  BOOST_TEST(y.to_vector<double>()[0] == 4.0 / std::ldexp(1.0, 66));
  // Kernel near INT64_MAX: returns, 4 outputs of 4 / (MAX - 1 + 4 ...) computed without wrapping.
  Tensor z;
  expect_fast([&] {
    z = F::avg_pool2d(ones({1, 1, 1, 4}, kFloat64),
                      F::AvgPool2dFuncOptions({1, kMax}).stride(1).padding({0, kMax / 2}).count_include_pad(false));
  });
  check_values(z, {1, 1, 1, 1});
  // Backward through the same huge window spreads 1 / 4 of each output to every element.
  Tensor x = ones({1, 1, 1, 4}, kFloat64).requires_grad_();
  F::avg_pool2d(x, F::AvgPool2dFuncOptions({1, kMax}).stride(1).padding({0, kMax / 2}).count_include_pad(false))
      .sum()
      .backward();
  check_values(x.grad().flatten(), {1, 1, 1, 1});
}

BOOST_AUTO_TEST_CASE(divisor_override_and_bad_options) {
  expect_error<ValueError>([] { F::avg_pool2d(plane(), F::AvgPool2dFuncOptions(2).divisor_override(0)); },
                           {"avg_pool2d"});
  expect_error<ValueError>([] { F::avg_pool2d(plane(), F::AvgPool2dFuncOptions(2).stride(-kMax)); }, {"stride"});
  Tensor y = F::avg_pool2d(plane(), F::AvgPool2dFuncOptions(2).divisor_override(kMax));
  BOOST_TEST(y.to_vector<float>()[0] == static_cast<float>(10.0 / static_cast<double>(kMax)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(conv)

BOOST_AUTO_TEST_CASE(stride_near_int64_max_gives_the_right_value) {
  // PyTorch (stride 2^62): one output, x[0, 0, 0, 0] * w. Before: 0 (a ceiling division wrapped).
  Tensor x = (arange(25.0) + 1.0).reshape({1, 1, 5, 5});
  Tensor y = F::conv2d(x, full({1, 1, 1, 1}, 2.0), F::Conv2dFuncOptions().stride(kMax));
  check_sizes(y, {1, 1, 1, 1});
  check_values(y, {2});
  Tensor y2 = F::conv2d(x, full({1, 1, 1, 1}, 2.0), F::Conv2dFuncOptions().stride(int64_t{1} << 62));
  check_values(y2, {2});
  // With padding 1 the one window [-1, 0] x [-1, 0] holds only x[0, 0] (PyTorch: 1).
  Tensor y3 = F::conv2d(x, ones({1, 1, 2, 2}), F::Conv2dFuncOptions().stride(kMax).padding(1));
  check_values(y3, {1});
}

BOOST_AUTO_TEST_CASE(options_whose_sizes_overflow) {
  Tensor x = ones({1, 1, 5, 5});
  Tensor w = ones({1, 1, 3, 3});
  expect_error<ShapeError>([&] { F::conv2d(x, w, F::Conv2dFuncOptions().dilation(kMax)); },
                           {"conv2d", "smaller than the (dilated) kernel"});
  expect_error<ValueError>([&] { F::conv2d(x, w, F::Conv2dFuncOptions().dilation(kMax).padding(kSame)); },
                           {"conv2d", "padding='same'"});
  expect_error<ValueError>([&] { F::conv2d(x, w, F::Conv2dFuncOptions().padding(kMax)); },
                           {"conv2d", "padded input size", "overflows"});
  // Padding MAX / 4 fits, but the output it asks for does not exist.
  expect_error<ValueError>([&] { F::conv2d(x, w, F::Conv2dFuncOptions().padding(kMax / 4)); }, {"conv2d"});
  expect_error<ValueError>([&] { F::conv2d(x, w, F::Conv2dFuncOptions().stride(0)); }, {"stride"});
  expect_error<ValueError>([&] { F::conv2d(x, w, F::Conv2dFuncOptions().padding(-1)); }, {"padding"});
}

BOOST_AUTO_TEST_CASE(huge_scratch_is_a_typed_error_not_terminate) {
  // 1000 x 1000 kernel, stride 2, padding 2000 on [2, 1, 1, 1]: 1501 x 1501 outputs and 10^6
  // taps need ~9 TB of im2col scratch, asked for inside the parallel region. Before:
  // std::bad_alloc there was std::terminate.
  Tensor x = ones({2, 1, 1, 1});
  Tensor w = ones({1, 1, 1000, 1000});
  expect_error<OutOfMemoryError>([&] { F::conv2d(x, w, F::Conv2dFuncOptions().stride(2).padding(2000)); },
                                 {"conv2d", "out of memory", "bytes", "kernel [1000, 1000]", "output [1501, 1501]"});
  // The process and the thread pool are fine afterwards.
  Tensor y = F::conv2d(ones({2, 1, 3, 3}), ones({1, 1, 2, 2}), F::Conv2dFuncOptions().padding(1));
  BOOST_TEST(y.sum().item<double>() == 2 * 36.0);
}


BOOST_AUTO_TEST_SUITE_END()
