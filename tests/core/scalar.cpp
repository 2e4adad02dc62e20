#define BOOST_TEST_MODULE scalar
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <type_traits>

// xgrad::Scalar (c10::Scalar) and the Scalar overloads of the arithmetic methods and operators,
// with PyTorch's type promotion. Expected dtypes and values are PyTorch 1.13's (checked with
// /usr/bin/python3 torch and with tests/compat/tensor_idioms.cpp against LibTorch) or worked by
// hand.

using namespace xgrad;
using xgrad::testing::check_exact;
using xgrad::testing::check_values;

namespace {
}  // namespace

// ---- the Scalar type ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(scalar_remembers_its_kind) {
  const Scalar d = 2.5, f = 1.5f, i = 3, l = int64_t{-7}, u = uint8_t{200}, b = true, z;
  BOOST_TEST(d.isFloatingPoint());
  BOOST_TEST(!d.isIntegral(true));
  BOOST_TEST((d.type() == kFloat64));
  BOOST_TEST(f.isFloatingPoint());
  BOOST_TEST(f.toDouble() == 1.5);
  BOOST_TEST(i.isIntegral(false));
  BOOST_TEST((i.type() == kInt64));
  BOOST_TEST(l.toLong() == -7);
  BOOST_TEST(u.toLong() == 200);
  BOOST_TEST(b.isBoolean());
  BOOST_TEST(!b.isIntegral(false));
  BOOST_TEST(b.isIntegral(true));
  BOOST_TEST((b.type() == kBool));
  // Scalar() is the integer 0 (as c10::Scalar).
  BOOST_TEST(z.isIntegral(false));
  BOOST_TEST(z.toLong() == 0);
  BOOST_TEST(!d.isComplex());
}

BOOST_AUTO_TEST_CASE(scalar_conversions) {
  const Scalar d = 2.7, n = -2.7, i = 3, b = true;
  BOOST_TEST(d.toLong() == 2);  // truncation toward zero, as c10
  BOOST_TEST(n.toLong() == -2);
  BOOST_TEST(n.toInt() == -2);
  BOOST_TEST(d.toFloat() == 2.7f);
  BOOST_TEST(i.toDouble() == 3.0);
  BOOST_TEST(i.toFloat() == 3.0f);
  BOOST_TEST(b.toLong() == 1);
  BOOST_TEST(d.toBool());
  BOOST_TEST(!Scalar(0.0).toBool());
  BOOST_TEST(d.to<double>() == 2.7);
  BOOST_TEST(d.to<float>() == 2.7f);
  BOOST_TEST(d.to<int64_t>() == 2);
  BOOST_TEST(d.to<int>() == 2);
  BOOST_TEST(i.to<bool>());
  static_assert(std::is_same_v<decltype(i.to<int64_t>()), int64_t>);
  // An int64 converts exactly, not through double.
  const Scalar big = int64_t{9007199254740993};  // 2^53 + 1
  BOOST_TEST(big.toLong() == int64_t{9007199254740993});
  // Values that do not fit are ValueErrors (c10 throws as well), never undefined behaviour.
  BOOST_CHECK_THROW(Scalar(std::nan("")).toLong(), ValueError);
  BOOST_CHECK_THROW(Scalar(1e19).toLong(), ValueError);
  BOOST_CHECK_THROW(Scalar(INFINITY).toInt(), ValueError);
  BOOST_CHECK_THROW(Scalar(int64_t{1} << 40).toInt(), ValueError);
  BOOST_CHECK_THROW(Scalar(1e300).toFloat(), ValueError);
  BOOST_TEST(std::isinf(Scalar(INFINITY).toFloat()));
  BOOST_CHECK_THROW(Scalar(std::numeric_limits<uint64_t>::max()), ValueError);
}

BOOST_AUTO_TEST_CASE(scalar_negation_equality_and_printing) {
  BOOST_TEST((-Scalar(2.5)).toDouble() == -2.5);
  BOOST_TEST((-Scalar(3)).isIntegral(false));
  BOOST_TEST((-Scalar(3)).toLong() == -3);
  BOOST_CHECK_THROW(-Scalar(true), TypeError);
  BOOST_TEST(Scalar(2).equal(2));
  BOOST_TEST(Scalar(2.0).equal(2));
  BOOST_TEST(!Scalar(true).equal(1));  // a boolean equals only a bool (c10)
  BOOST_TEST(Scalar(true).equal(true));
  std::ostringstream os;
  os << Scalar(2.5) << " " << Scalar(3) << " " << Scalar(true);
  BOOST_TEST(os.str() == "2.5 3 true");  // LibTorch prints the same
}

// ---- promotion with integral tensors ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(integral_tensor_and_scalars) {
  const Tensor i = tensor({1, 2, 3});
  check_exact(i.mul(2), kInt64, {2, 4, 6});
  check_exact(i * 2.5, kFloat32, {2.5, 5, 7.5});
  check_exact(2 * i, kInt64, {2, 4, 6});
  check_exact(i.add(1), kInt64, {2, 3, 4});
  check_exact(i + 1.5, kFloat32, {2.5, 3.5, 4.5});
  check_exact(i.add(i, 2), kInt64, {3, 6, 9});
  check_exact(i.sub(i, 2), kInt64, {-1, -2, -3});
  check_exact(i.sub(1), kInt64, {0, 1, 2});
  check_exact(i.div(2), kFloat32, {0.5, 1, 1.5});
  check_exact(i / 2, kFloat32, {0.5, 1, 1.5});
  check_exact(i.pow(2), kInt64, {1, 4, 9});
  check_exact(i.pow(2.0), kFloat32, {1, 4, 9});
  check_exact(i.pow(0), kInt64, {1, 1, 1});
  check_exact(i.clamp(0, 2), kInt64, {1, 2, 2});
  check_exact(i.clamp(1.5, 2), kFloat32, {1.5, 2, 2});
  check_exact(xgrad::add(i, 1), kInt64, {2, 3, 4});
  check_exact(xgrad::mul(i, 0.5), kFloat32, {0.5, 1, 1.5});
  check_exact(xgrad::pow(i, 3), kInt64, {1, 8, 27});
  check_exact(xgrad::clamp(i, 2), kInt64, {2, 2, 3});
  // LibTorch's C++ `s - t` and `s / t` fill a tensor like t with s, then subtract / divide in
  // place: the result keeps t's dtype (2.5 - i is int64 2 - i) and 1 / i is an error.
  check_exact(2 - i, kInt64, {1, 0, -1});
  check_exact(2.5 - i, kInt64, {1, 0, -1});
  BOOST_CHECK_THROW(1 / i, TypeError);
  // Integer arithmetic with int64 Scalars is exact beyond 2^53 and wraps like PyTorch.
  const Tensor big = tensor({int64_t{1} << 62});
  BOOST_TEST(big.add(int64_t{3}).item<int64_t>() == (int64_t{1} << 62) + 3);
  BOOST_TEST(big.mul(4).item<int64_t>() == 0);  // 2^64 wraps to 0
  // PyTorch's checks.
  BOOST_CHECK_THROW(i.add(i, 1.5), TypeError);  // floating alpha for an integral result
  BOOST_CHECK_THROW(i.add(1, 0.5), TypeError);
  BOOST_CHECK_THROW(i.pow(-1), ValueError);     // integers to negative integer powers
}

BOOST_AUTO_TEST_CASE(comparisons_promote_by_kind) {
  const Tensor i = tensor({1, 2, 3});
  check_exact(i.eq(2), kBool, {0, 1, 0});
  check_exact(i == 2.5, kBool, {0, 0, 0});
  check_exact(i > 1, kBool, {0, 1, 1});
  check_exact(i.ne(2), kBool, {1, 0, 1});
  check_exact(i.le(2.0), kBool, {1, 1, 0});
  check_exact(i.ge(true), kBool, {1, 1, 1});
  check_exact(xgrad::lt(i, 3), kBool, {1, 1, 0});
  // int64 against a double compares in float32 (PyTorch): 2^24 + 1 rounds to 2^24 ...
  check_exact(tensor({int64_t{16777217}}) == 16777216.0, kBool, {1});
  // ... against an int64 Scalar exactly.
  check_exact(tensor({int64_t{16777217}}) == int64_t{16777216}, kBool, {0});
  // float32 against a double: the double is rounded to float32 first.
  check_exact(tensor({0.1f}) == 0.1, kBool, {1});
  check_exact(tensor({true, false}) == 1, kBool, {1, 0});
  check_exact(tensor({true, false}) == 0.5, kBool, {0, 0});
}

// ---- floating and bool tensors ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(floating_tensors_keep_their_dtype) {
  const Tensor f = tensor({0.5, 1.5, -2.25});
  check_exact(f.mul(2), kFloat32, {1, 3, -4.5});
  // float32 * double Scalar stays float32; the Scalar is rounded to float32 first.
  check_exact(f * 0.1, kFloat32, {0.5f * 0.1f, 1.5f * 0.1f, -2.25f * 0.1f});
  check_exact(f.add(1, 2), kFloat32, {2.5, 3.5, -0.25});
  check_exact(f.add(f, 0.5), kFloat32, {0.75, 2.25, -3.375});
  check_exact(f.sub(f, 0.5), kFloat32, {0.25, 0.75, -1.125});
  check_exact(3 / f, kFloat32, {6, 2, 3.0f / -2.25f});
  check_exact(2 - f, kFloat32, {1.5, 0.5, 4.25});
  check_exact(f.pow(2), kFloat32, {0.25, 2.25, 5.0625});
  check_exact(f.pow(3), kFloat32, {0.125, 3.375, -11.390625});
  check_exact(f.clamp(-1, 1), kFloat32, {0.5, 1, -1});
  check_exact(f.clamp(std::nullopt, 0), kFloat32, {0, 0, -2.25});
  const Tensor d = tensor({0.1, 0.2}, kFloat64);
  check_exact(d * 3, kFloat64, {0.1 * 3, 0.2 * 3});
  check_exact(d + 0.1, kFloat64, {0.1 + 0.1, 0.2 + 0.1});
}

BOOST_AUTO_TEST_CASE(bool_tensors_and_scalars) {
  const Tensor b = tensor({true, false});
  check_exact(b + 1, kInt64, {2, 1});
  check_exact(b * true, kBool, {1, 0});
  check_exact(b.add(b, 2), kBool, {1, 0});
  check_exact(b * 1.5, kFloat32, {1.5, 0});
  BOOST_CHECK_THROW(b - 1, TypeError);  // PyTorch refuses subtraction with bool
  BOOST_CHECK_THROW(b.sub(true), TypeError);
  BOOST_CHECK_THROW(tensor({1.0}).add(tensor({1.0}), true), TypeError);  // bool alpha, float result
}

// ---- in place ----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(in_place_scalars_follow_the_cast_rule) {
  const Tensor i = tensor({1, 2, 3});
  Tensor i2 = i.clone();
  i2.mul_(2);
  i2.add_(1);
  i2.add_(i, 2);
  i2.sub_(1);
  i2.sub_(i, 3);
  check_exact(i2, kInt64, {1, 2, 3});
  i2 += 1;
  i2 *= 3;
  i2 -= 2;
  check_exact(i2, kInt64, {4, 7, 10});
  // A floating result cannot be written into int64 (PyTorch: "result type Float can't be cast").
  BOOST_CHECK_THROW(i2.add_(1.5), TypeError);
  BOOST_CHECK_THROW(i2.div_(2), TypeError);
  BOOST_CHECK_THROW(i2.mul_(tensor({0.5, 0.5, 0.5})), TypeError);
  BOOST_CHECK_THROW(i2.clamp_(0.5, 3), TypeError);
  check_exact(i2, kInt64, {4, 7, 10});  // untouched by the refused ops
  // fill_ truncates (PyTorch).
  i2.fill_(2.7);
  check_exact(i2, kInt64, {2, 2, 2});
  i2.fill_(int64_t{9007199254740993});
  BOOST_TEST(i2[0].item<int64_t>() == int64_t{9007199254740993});
  BOOST_CHECK_THROW(i2.fill_(std::nan("")), ValueError);
  Tensor f = tensor({0.5, 1.5, -2.25});
  f.fill_(Scalar(3));
  f.add_(0.25).mul_(2).div_(4).sub_(0.5);
  check_exact(f, kFloat32, {1.125, 1.125, 1.125});
  f.clamp_(0.1, 1);
  check_exact(f, kFloat32, {1, 1, 1});
  f /= 2;
  check_exact(f, kFloat32, {0.5, 0.5, 0.5});
  Tensor b = tensor({true, false});
  b.add_(true);
  check_exact(b, kBool, {1, 1});
  BOOST_CHECK_THROW(b.add_(1), TypeError);  // int64 result into bool
  // `x[0] = 1` writes a Scalar into the view.
  Tensor t = zeros({3}, kInt64);
  t[1] = 5;
  t[2] = int64_t{1} << 60;
  check_exact(t, kInt64, {0, 5, static_cast<double>(int64_t{1} << 60)});
}

// ---- autograd through Scalar ops ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(scalar_ops_are_differentiable) {
  // d/dx sum(2 * x + x.pow(3) - 1 + x / 4 - 3 * x.clamp(0, 1)) at x = [0.5, 2]:
  // 2 + 3 x^2 + 0.25 - 3 [0 <= x <= 1] = [2 + 0.75 + 0.25 - 3, 2 + 12 + 0.25] = [0, 14.25].
  const Tensor x = tensor({0.5, 2.0}, kFloat64).requires_grad_();
  const Tensor y = (2 * x + x.pow(3) - 1 + x / 4 - 3 * x.clamp(0, 1)).sum();
  y.backward();
  check_values(x.grad(), {0.0, 14.25}, 1e-12, 0.0);
  auto f = [](const std::vector<Tensor>& in) {
    return (in[0].mul(1.5).add(in[0], 0.5).sub(0.25).pow(2).div(3) + 2.0 / in[0]).sum();
  };
  BOOST_TEST(autograd::gradcheck(f, {tensor({0.7, -1.3, 2.1}, kFloat64).requires_grad_()}));
}
