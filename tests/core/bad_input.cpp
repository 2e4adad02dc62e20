// Bad and hostile inputs to the tensor core (issue 11, item 2): sizes whose element, stride or
// byte counts overflow, allocations that cannot succeed, float -> integer conversions without an
// integer value, in-place writes into self-overlapping tensors, misaligned user pointers, absurd
// print options and IValue type errors. Each case ends in a typed xgrad error naming the op (or
// in PyTorch 1.13's result, checked in tests/reference/bad_input.py), within a second.
#define BOOST_TEST_MODULE core_bad_input
#include <xgrad/autograd/function.hpp>
#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

// ASan refuses allocations above 1 TiB by aborting unless told to return null (then operator
// new throws std::bad_alloc, which is what these tests exercise).
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

using namespace xgrad;
using xgrad::testing::check_values;
using xgrad::testing::expect_error;

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
const char* kOverlap = "more than one element of the written-to tensor";
}  // namespace

// ---- sizes, strides and byte counts ------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(checked_sizes)

BOOST_AUTO_TEST_CASE(empty_tensor_with_overflowing_strides_is_refused) {
  // numel is 0, but the contiguous stride of dimension 0 would be MAX * MAX (PyTorch wraps it).
  expect_error<ValueError>([] { zeros({0, kMax, kMax}); }, {"zeros", "too large"});
  expect_error<ValueError>([] { empty({0, int64_t{1} << 32, int64_t{1} << 32}); }, {"empty", "too large"});
  // Still fine: an empty tensor whose strides fit.
  BOOST_TEST(zeros({0, int64_t{1} << 31, 4}).numel() == 0);
}

BOOST_AUTO_TEST_CASE(element_and_byte_counts_overflow) {
  expect_error<ValueError>([] { zeros({kMax, 2}); }, {"zeros", "[9223372036854775807, 2]"});
  expect_error<ValueError>([] { ones({int64_t{1} << 32, int64_t{1} << 32}); }, {"ones", "too large"});
  // 2^62 elements fit int64, their 2^64 bytes do not.
  expect_error<ValueError>([] { empty({int64_t{1} << 62}); }, {"empty", "2^63 bytes"});
  expect_error<ValueError>([] { full({int64_t{1} << 61, 8}, 1.0); }, {"full"});
  expect_error<ValueError>([] { rand({int64_t{1} << 40, int64_t{1} << 40}); }, {"rand"});
  expect_error<ValueError>([] { zeros({3, -1}); }, {"zeros", "negative size -1"});
}

BOOST_AUTO_TEST_CASE(views_with_overflowing_sizes) {
  Tensor x = zeros({4});
  expect_error<ValueError>([&] { x.expand({kMax, kMax, 4}); }, {"expand"});
  expect_error<ValueError>([&] { x.view({-1, kMax, kMax}); }, {"view", "overflows"});
  expect_error<ValueError>([&] { x.reshape({-1, int64_t{1} << 32, int64_t{1} << 32}); }, {"reshape", "overflows"});
  // An expand whose element count fits works and keeps stride 0.
  Tensor e = zeros({1}).expand({int64_t{1} << 40});
  BOOST_TEST(e.numel() == int64_t{1} << 40);
  BOOST_TEST(e.stride(0) == 0);
}

BOOST_AUTO_TEST_CASE(from_blob_sizes_whose_bytes_wrap) {
  std::vector<float> buf(8, 1.0f);
  // 2^62 * 4 elements: the byte count wraps to 0 in 64 bits.
  expect_error<ValueError>([&] { from_blob(buf.data(), {int64_t{1} << 62, 4}); }, {"from_blob", "too large"});
  expect_error<ValueError>([&] { from_blob(buf.data(), {int64_t{1} << 61}); }, {"from_blob", "2^63 bytes"});
  // Strides that put the last element beyond int64.
  expect_error<ValueError>([&] { from_blob(buf.data(), {3, 2}, {kMax / 2 + 1, 1}); }, {"from_blob", "offset"});
  expect_error<ValueError>([&] { from_blob(buf.data(), {2}, {-1}); }, {"from_blob", "negative stride"});
}

BOOST_AUTO_TEST_SUITE_END()

// ---- allocation failure --------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(out_of_memory)

BOOST_AUTO_TEST_CASE(factories_name_the_op_the_sizes_and_the_bytes) {
  // 2^38 float32 = 1 TiB: more than this machine (and any CI runner) can commit.
  expect_error<OutOfMemoryError>([] { zeros({int64_t{1} << 38}); },
                                 {"zeros", "[274877906944]", "1099511627776 bytes", "float32"});
  expect_error<OutOfMemoryError>([] { randn({int64_t{1} << 20, int64_t{1} << 19}, kFloat64); },
                                 {"randn", "[1048576, 524288]", "4398046511104 bytes"});
  // OutOfMemoryError is an xgrad::Error.
  expect_error<Error>([] { ones({int64_t{1} << 39}); }, {"ones"});
}

BOOST_AUTO_TEST_CASE(op_outputs_name_the_op_not_empty) {
  Tensor a = ones({int64_t{1} << 20, 1});
  Tensor b = ones({1, int64_t{1} << 20});
  // [2^20, 2^20] float32 = 4 TiB.
  expect_error<OutOfMemoryError>([&] { mm(a, b); }, {"mm", "[1, 1048576, 1048576]", "4398046511104 bytes"});
  expect_error<OutOfMemoryError>([&] { matmul(a, b); }, {"4398046511104 bytes"});
  Tensor big = ones({1}).expand({int64_t{1} << 40});
  expect_error<OutOfMemoryError>([&] { (void)(big + 1.0); }, {"add", "[1099511627776]"});
  expect_error<OutOfMemoryError>([&] { big.clone(); }, {"clone", "[1099511627776]"});
  expect_error<OutOfMemoryError>([&] { big.to(kFloat64); }, {"to", "float64"});
}

BOOST_AUTO_TEST_SUITE_END()

// ---- float -> integer conversions ------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(float_to_int)

BOOST_AUTO_TEST_CASE(item_refuses_values_without_an_int64) {
  expect_error<ValueError>([] { tensor(kNaN).item<int64_t>(); }, {"item", "nan"});
  expect_error<ValueError>([] { tensor(kInf).item<int64_t>(); }, {"item", "inf"});
  expect_error<ValueError>([] { tensor(-kInf).item<int64_t>(); }, {"item", "-inf"});
  expect_error<ValueError>([] { tensor(1e19).item<int64_t>(); }, {"item"});
  expect_error<ValueError>([] { full({1}, kNaN).item<int>(); }, {"item"});
  // In range: exact, including -2^63 and values PyTorch truncates toward zero.
  BOOST_TEST(tensor(-9223372036854775808.0).item<int64_t>() == std::numeric_limits<int64_t>::min());
  BOOST_TEST(tensor(-2.7).item<int64_t>() == -2);
  BOOST_TEST(full({1}, 3.9f).item<int64_t>() == 3);
  // Integer narrowing: an int64 that int32 cannot hold.
  expect_error<ValueError>([] { full({1}, double(int64_t{1} << 40), kInt64).item<int32_t>(); }, {"item"});
  BOOST_TEST(full({1}, -5.0, kInt64).item<int32_t>() == -5);
}

BOOST_AUTO_TEST_CASE(to_vector_refuses_nan_and_inf) {
  Tensor x = tensor({1.0, kNaN, 3.0});
  expect_error<ValueError>([&] { x.to_vector<int64_t>(); }, {"to_vector", "nan"});
  expect_error<ValueError>([] { tensor({1.0f, 1e30f}).to_vector<int64_t>(); }, {"to_vector"});
  BOOST_TEST(tensor({1.5, -1.5}).to_vector<int64_t>() == (std::vector<int64_t>{1, -1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(to_int64_refuses_nan_inf_and_out_of_range) {
  expect_error<ValueError>([] { tensor({1.0, kNaN}).to(kInt64); }, {"to", "nan", "int64"});
  expect_error<ValueError>([] { tensor({kInf}).to(kInt64); }, {"to", "inf"});
  expect_error<ValueError>([] { tensor({1e300}).to(kInt64); }, {"to"});
  expect_error<ValueError>([] { tensor({{1.0, kNaN}, {2.0, 3.0}}).t().to(kInt64); }, {"to", "nan"});  // strided
  // copy_ into an int64 tensor goes through the same check.
  expect_error<ValueError>([] { zeros({2}, kInt64).copy_(tensor({1.0, kNaN})); }, {"copy_", "nan"});
  check_values(tensor({2.9, -2.9, 0.0}).to(kInt64), {2, -2, 0});
  // NaN to bool is true, as C++ and PyTorch: allowed.
  check_values(tensor({kNaN, 0.0}).to(kBool), {1, 0});
}

BOOST_AUTO_TEST_CASE(index_put_of_nan_into_int64) {
  Tensor t = zeros({3}, kInt64);
  expect_error<ValueError>([&] { t.index_put_({0}, kNaN); }, {"index_put_", "nan"});
  expect_error<ValueError>([&] { t.index_put_({tensor({int64_t{0}, int64_t{2}})}, kInf); }, {"index_put_"});
  expect_error<ValueError>([&] { t.index_put_({tensor({int64_t{1}})}, tensor({kNaN})); }, {"index_put_", "nan"});
  expect_error<ValueError>([&] { t.index_put_({indexing::Slice()}, tensor({kNaN, 1.0, 2.0})); }, {"index_put_", "nan"});
  check_values(t, {0, 0, 0});  // nothing written
  t.index_put_({tensor({int64_t{1}})}, 7.0);
  check_values(t, {0, 7, 0});
}

BOOST_AUTO_TEST_SUITE_END()

// ---- in-place writes into self-overlapping tensors ---------------------------------------------------

BOOST_AUTO_TEST_SUITE(internal_overlap)

// PyTorch 1.13 refuses these (tests/reference/bad_input.py): the base must stay untouched.
BOOST_AUTO_TEST_CASE(arithmetic_on_an_expanded_tensor_is_refused) {
  Tensor base = zeros({1});
  Tensor e = base.expand({4});
  expect_error<ValueError>([&] { e.add_(1.0); }, {"add_", kOverlap, "clone()"});
  expect_error<ValueError>([&] { e.add_(ones({4})); }, {"add_", kOverlap});
  expect_error<ValueError>([&] { e.sub_(1.0); }, {"sub_", kOverlap});
  expect_error<ValueError>([&] { e.mul_(2.0); }, {"mul_", kOverlap});
  expect_error<ValueError>([&] { e.mul_(ones({4})); }, {"mul_", kOverlap});
  expect_error<ValueError>([&] { e.div_(2.0); }, {"div_", kOverlap});
  expect_error<ValueError>([&] { e.clamp_(0.0, 0.5); }, {"clamp_", kOverlap});
  expect_error<ValueError>([&] { e.copy_(arange(4.0)); }, {"copy_", kOverlap});
  expect_error<ValueError>([&] { e.copy_(tensor(2.0f)); }, {"copy_", kOverlap});
  expect_error<ValueError>([&] { e.uniform_(); }, {"uniform_", kOverlap});
  expect_error<ValueError>([&] { e.normal_(); }, {"normal_", kOverlap});
  expect_error<ValueError>([&] { e.bernoulli_(); }, {"bernoulli_", kOverlap});
  expect_error<ValueError>([&] { nn::functional::relu(e, nn::functional::ReLUFuncOptions().inplace(true)); },
                           {kOverlap});
  expect_error<ValueError>(
      [&] { nn::functional::dropout(e, nn::functional::DropoutFuncOptions().p(0.5).inplace(true)); },
      {"dropout", kOverlap});
  Tensor wide = zeros({3, 1}).expand({3, 4});
  expect_error<ValueError>([&] { wide.add_(1.0); }, {"add_", "[3, 4]", "[1, 0]"});
  check_values(base, {0});
}

BOOST_AUTO_TEST_CASE(what_pytorch_allows_stays_allowed) {
  Tensor base = zeros({1});
  // fill_/zero_ write one value everywhere: PyTorch allows them.
  base.expand({4}).fill_(3.0);
  check_values(base, {3});
  base.expand({4}).zero_();
  check_values(base, {0});
  // Size-1 expand, eval-mode and p = 0 dropout do not write through the overlap.
  base.expand({1}).add_(1.0);
  check_values(base, {1});
  Tensor e = base.expand({4});
  check_values(nn::functional::dropout(e, nn::functional::DropoutFuncOptions().p(0.5).training(false).inplace(true)),
               {1, 1, 1, 1});
  check_values(nn::functional::dropout(e, nn::functional::DropoutFuncOptions().p(0.0).inplace(true)), {1, 1, 1, 1});
  // index_put_ on an expanded tensor: PyTorch allows it (deprecated) and writes the one location.
  e.index_put_({tensor({int64_t{0}})}, 5.0);
  check_values(base, {5});
  // The overlap is in self only: a source that is expanded is fine.
  Tensor d = zeros({4});
  d.add_(ones({1}).expand({4}));
  check_values(d, {1, 1, 1, 1});
}

BOOST_AUTO_TEST_CASE(overlapping_strides_from_from_blob) {
  std::vector<float> buf{1, 2, 3, 4, 5, 6, 7, 8};
  // sizes [3, 2], strides [1, 1]: element (0, 1) and (1, 0) are the same float.
  Tensor o = from_blob(buf.data(), {3, 2}, {1, 1});
  expect_error<ValueError>([&] { o.mul_(2.0); }, {"mul_", kOverlap, "[3, 2]", "[1, 1]"});
  BOOST_TEST(buf[1] == 2.0f);
  // Interleaved but disjoint strides (offsets 0, 3, 2, 5, 4, 7): allowed and exact.
  Tensor d = from_blob(buf.data(), {3, 2}, {2, 3});
  d.add_(10.0);
  BOOST_TEST(buf == (std::vector<float>{11, 2, 13, 14, 15, 16, 7, 18}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- user pointers, print options, IValue ---------------------------------------------------------

BOOST_AUTO_TEST_SUITE(misc)

BOOST_AUTO_TEST_CASE(from_blob_alignment) {
  // 4-byte aligned but not 64-byte aligned floats: every kernel reads them with unaligned loads.
  alignas(64) float buf[40];
  for (int i = 0; i < 40; ++i) buf[i] = static_cast<float>(i);
  Tensor x = from_blob(buf + 1, {37});  // 1..37
  BOOST_TEST(x.sum().item<double>() == 37.0 * 38.0 / 2.0);
  check_values((x * 2.0).slice(0, 0, 3), {2, 4, 6});
  Tensor m = from_blob(buf + 3, {4, 8});
  BOOST_TEST(mm(m, ones({8, 1})).to_vector<float>()[0] == 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10);
  // An address that is not a multiple of the element size cannot be read as floats at all.
  alignas(8) unsigned char bytes[64] = {};
  expect_error<ValueError>([&] { from_blob(bytes + 1, {4}); }, {"from_blob", "not aligned", "4-byte"});
  expect_error<ValueError>([&] { from_blob(bytes + 4, {2}, TensorOptions(kFloat64)); }, {"from_blob", "8-byte"});
}

BOOST_AUTO_TEST_CASE(print_options_are_bounded) {
  const PrintOptions saved = get_printoptions();
  expect_error<ValueError>([] { set_printoptions({.edgeitems = kMax}); }, {"set_printoptions", "edgeitems"});
  expect_error<ValueError>([] { set_printoptions({.linewidth = kMax}); }, {"set_printoptions", "linewidth"});
  expect_error<ValueError>([] { set_printoptions({.precision = int64_t{1} << 40}); }, {"set_printoptions", "precision"});
  expect_error<ValueError>([] { set_printoptions({.precision = -1}); }, {"precision"});
  // Large but bounded values print.
  set_printoptions({.precision = 400, .threshold = kMax, .edgeitems = int64_t{1} << 40, .linewidth = int64_t{1} << 40});
  const std::string s = tensor({1.5, 2.0}).to_string();
  BOOST_TEST(s.find("1.5000") != std::string::npos);
  set_printoptions({.threshold = 0, .edgeitems = 1});
  BOOST_TEST(arange(10.0).to_string() == "tensor([0.,  ..., 9.])");
  set_printoptions(saved);
}

BOOST_AUTO_TEST_CASE(ivalue_errors_name_types) {
  autograd::IValue s(std::string("hello"));
  expect_error<TypeError>([&] { s.toInt(); }, {"IValue", "expected int", "holds string"});
  autograd::IValue v(std::vector<int64_t>{1, 2});
  expect_error<TypeError>([&] { v.toTensor(); }, {"expected Tensor", "holds int list"});
  expect_error<TypeError>([&] { autograd::IValue().toDouble(); }, {"expected double", "holds None"});
  BOOST_TEST(autograd::IValue(3).toDouble() == 3.0);
}

BOOST_AUTO_TEST_SUITE_END()
