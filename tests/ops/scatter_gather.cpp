#define BOOST_TEST_MODULE scatter_gather
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// Reference values: tests/reference/scatter_gather.py (PyTorch 1.13).

#include <cmath>
#include <limits>

using namespace xgrad;
namespace F = xgrad::nn::functional;
using xgrad::testing::check_close;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

#define CHECK_DTYPE(t, d) BOOST_CHECK_EQUAL(dtype_name((t).dtype()), dtype_name(d))

namespace {

using xgrad::testing::wave;

Tensor X() { return wave({3, 4}, 0.7, 0.1, 3.0); }
Tensor S() { return wave({3, 4}, 1.1, 0.3); }
Tensor ids(std::vector<int64_t> v, std::vector<int64_t> shape) { return from_vector(v, shape); }
Tensor I1() { return ids({3, 0, 1, 1, 2, 0}, {3, 2}); }
Tensor I0() { return ids({2, 0, 1, 1, 0, 0, 2, 1}, {2, 4}); }
Tensor Iu() { return ids({3, 0, 1, 2, 2, 0}, {3, 2}); }
Tensor M() {
  return tensor({{true, false, false, true}, {false, false, true, false}, {true, true, false, false}});
}

// (x.grad, s.grad) of sum(f(x, s) * w), x and s float64 waves, w a wave of f's shape.
std::pair<Tensor, Tensor> grads_of(const std::function<Tensor(const Tensor&, const Tensor&)>& f) {
  Tensor x = wave({3, 4}, 0.7, 0.1, 3.0, kFloat64).requires_grad_();
  Tensor s = wave({3, 4}, 1.1, 0.3, 1.0, kFloat64).requires_grad_();
  Tensor y = f(x, s);
  (y * wave(y.sizes().vec(), 1.3, 0.4, 1.0, kFloat64)).sum().backward();
  return {x.grad(), s.grad()};
}

using Fn = std::function<Tensor(const autograd::variable_list&)>;
void check_grads(const Fn& fn, const autograd::variable_list& in) {
  BOOST_CHECK(autograd::gradcheck(fn, in));
  BOOST_CHECK(autograd::gradgradcheck(fn, in));
}
std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "None"; }

// Runs f, which must throw E with a message containing every one of `parts`.
template <typename E, typename F>
void expect_throw(F&& f, std::vector<std::string> parts) {
  try {
    f();
    BOOST_ERROR("no exception");
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, msg << " lacks " << p);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gather_scatter)

BOOST_AUTO_TEST_CASE(values_match_pytorch) {
  check_values(X().gather(1, I1()), {2.42548919, 0.299500257, -1.32756138, -1.32756138, 2.18690705, -1.65205657});
  check_values(xgrad::gather(X(), 0, I0()), {-1.65205657, 2.15206838, -2.74849772, -2.87677288, 0.299500257,
                                             2.15206838, 2.18690705, -2.87677288});
  // Strided input and index.
  check_values(X().t().gather(0, I0().t().slice(0, 0, 3)),
               {2.99248505, 0.717747986, 0.299500257, 0.717747986, 2.15206838, -2.74849772});
  check_values(X().scatter_add(1, I1(), S()), {1.28495002, 2.15206838, 2.99248505, 2.72100949, 0.717747986,
                                               -2.79208684, -2.74849772, -2.87677288, -2.35193133, 0.349647611,
                                               2.50600529, 2.99563003});
  check_values(xgrad::scatter_add(X(), 0, I0(), S().slice(0, 0, 2)),
               {-0.700423002, 2.67291594, 2.99248505, 2.42548919, 0.717747986, -1.32756138, -2.15002561, -2.32993507,
                -1.35653639, 0.349647611, 2.76534677, 2.99563003});
  check_values(X().scatter(1, Iu(), S()), {0.985449731, 2.15206838, 2.99248505, 0.295520216, 0.717747986,
                                           -0.999923229, -0.464602172, -2.87677288, -0.699874699, 0.349647611,
                                           0.319098353, 2.99563003});
  check_values(X().scatter(1, Iu(), 7.5), {7.5, 2.15206838, 2.99248505, 7.5, 0.717747986, 7.5, 7.5, -2.87677288, 7.5,
                                           0.349647611, 7.5, 2.99563003});
  const Tensor i = zeros({5}, kInt64).scatter_add(0, ids({1, 3, 1, 1}, {4}), ids({10, 20, 30, 40}, {4}));
  CHECK_DTYPE(i, kInt64);
  BOOST_TEST(i.to_vector<int64_t>() == std::vector<int64_t>({0, 80, 0, 20, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(in_place_forms) {
  // The classic one-hot from labels.
  Tensor z = zeros({3, 5});
  Tensor& r = z.scatter_(1, ids({4, 0, 2}, {3, 1}), 1.0);
  BOOST_TEST(&r == &z);
  check_values(z, {0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0});
  Tensor x = X();
  x.scatter_add_(1, I1(), S());
  check_close(x, X().scatter_add(1, I1(), S()));
  Tensor y = X();
  y.scatter_(1, Iu(), S());
  check_close(y, X().scatter(1, Iu(), S()));
  // A bad index leaves the target untouched.
  Tensor w = X();
  BOOST_CHECK_THROW(w.scatter_(1, ids({0, 9}, {1, 2}), 1.0), IndexError);
  BOOST_TEST(w.equal(X()));
  // In-place on a leaf that requires grad is refused.
  Tensor p = X().requires_grad_();
  BOOST_CHECK_THROW(p.scatter_(1, I1(), 0.0), AutogradError);
}

BOOST_AUTO_TEST_CASE(gradients_match_pytorch) {
  check_values(grads_of([](const Tensor& x, const Tensor&) { return x.gather(1, I1()); }).first,
               {0.99166481, 0, 0, 0.389418342, 0, -0.775045929, 0, 0, 0.578439764, 0, -0.631266638, 0}, 1e-8);
  auto [gx, gs] = grads_of([](const Tensor& x, const Tensor& s) { return x.scatter_add(1, I1(), s); });
  check_values(gx, {0.389418342, 0.99166481, 0.141120008, -0.916165937, -0.631266638, 0.578439764, 0.940730557,
                    -0.0751511205, -0.98093623, -0.449647465, 0.74037589, 0.845746831},
               1e-8);
  // src is larger than index: its uncovered elements get 0.
  check_values(gs, {-0.916165937, 0.389418342, 0, 0, 0.578439764, 0.578439764, 0, 0, 0.74037589, -0.98093623, 0, 0},
               1e-8);
  auto [gx2, gs2] = grads_of([](const Tensor& x, const Tensor& s) { return x.scatter(1, Iu(), s); });
  check_values(gx2, {0, 0.99166481, 0.141120008, 0, -0.631266638, 0, 0, -0.0751511205, 0, -0.449647465, 0,
                     0.845746831},
               1e-8);
  check_values(gs2, {-0.916165937, 0.389418342, 0, 0, 0.578439764, 0.940730557, 0, 0, 0.74037589, -0.98093623, 0, 0},
               1e-8);
}

BOOST_AUTO_TEST_CASE(gradcheck_and_double_backward) {
  manual_seed(31);
  auto x = randn({3, 4}, kFloat64).requires_grad_();
  auto s = randn({3, 4}, kFloat64).requires_grad_();
  check_grads([](const auto& in) { return in[0].gather(1, I1()) * in[0].gather(0, I0()).sum(); }, {x});
  check_grads([](const auto& in) { return in[0].gather(0, I0()).pow(2); }, {x});
  check_grads([](const auto& in) { return in[0].scatter_add(1, I1(), in[1]) * in[0]; }, {x, s});
  check_grads([](const auto& in) { return in[0].scatter(1, Iu(), in[1]).pow(2); }, {x, s});
  check_grads([](const auto& in) { return in[0].scatter(1, Iu(), 2.0).pow(2); }, {x});
  BOOST_TEST(grad_fn_name(x.gather(1, I1())) == "GatherBackward0");
  BOOST_TEST(grad_fn_name(x.scatter_add(1, I1(), s)) == "ScatterAddBackward0");
  BOOST_TEST(grad_fn_name(x.scatter(1, I1(), s)) == "ScatterBackward0");
  BOOST_TEST(grad_fn_name(x.scatter(1, I1(), 1.0)) == "ScatterBackward1");
}

BOOST_AUTO_TEST_CASE(bad_input_throws_typed_errors) {
  expect_throw<IndexError>([] { X().gather(1, ids({0, 4}, {1, 2})); }, {"gather", "index 4", "size 4"});
  expect_throw<IndexError>([] { X().gather(1, ids({-1, 0}, {1, 2})); }, {"gather", "index -1"});
  expect_throw<TypeError>([] { X().gather(1, I1().to(kFloat32)); }, {"gather", "int64", "float32"});
  expect_throw<ShapeError>([] { X().gather(1, ids({0, 1}, {2})); }, {"gather", "dimension"});
  expect_throw<ShapeError>([] { X().gather(1, zeros({4, 1}, kInt64)); }, {"gather", "index size 4"});
  expect_throw<IndexError>([] { X().gather(2, I1()); }, {"gather", "dimension 2"});
  expect_throw<ValueError>([] { X().gather(1, I1(), true); }, {"gather", "sparse_grad"});
  expect_throw<IndexError>([] { X().scatter_add(0, ids({3, 0, 0, 0}, {1, 4}), S()); }, {"scatter_add", "index 3"});
  expect_throw<TypeError>([] { X().scatter_add(1, I1(), S().to(kFloat64)); }, {"scatter_add", "float64"});
  expect_throw<ShapeError>([] { X().scatter_add(1, I1(), zeros({3, 1})); }, {"scatter_add", "src"});
  expect_throw<IndexError>([] { X().scatter(1, ids({5}, {1, 1}), 1.0); }, {"scatter", "index 5"});
  expect_throw<ValueError>([] { zeros({2}, kInt64).scatter(0, ids({0}, {1}), 1e300); }, {"scatter", "overflow"});
  expect_throw<ValueError>([] { X().gather(0, Tensor()); }, {"gather"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(masked_fill)

BOOST_AUTO_TEST_CASE(values_match_pytorch) {
  check_values(X().masked_fill(M(), -1.5), {-1.5, 2.15206838, 2.99248505, -1.5, 0.717747986, -1.32756138, -1.5,
                                            -2.87677288, -1.5, -1.5, 2.18690705, 2.99563003});
  check_values(xgrad::masked_fill(X(), tensor({false, true, false, true}), 2.0),
               {0.299500257, 2, 2.99248505, 2, 0.717747986, 2, -2.74849772, 2, -1.65205657, 2, 2.18690705, 2});
  check_values(X().masked_fill(M(), tensor(0.25)), {0.25, 2.15206838, 2.99248505, 0.25, 0.717747986, -1.32756138,
                                                    0.25, -2.87677288, 0.25, 0.25, 2.18690705, 2.99563003});
  const Tensor b = tensor({1.0, 2.0, 3.0, 4.0}).masked_fill(tensor({{true}, {false}, {true}}), 9.0);
  check_sizes(b, {3, 4});
  check_values(b, {9, 9, 9, 9, 1, 2, 3, 4, 9, 9, 9, 9});
  const Tensor i = tensor({1, 2}).masked_fill(tensor({true, false}), 5.7);
  CHECK_DTYPE(i, kInt64);
  BOOST_TEST(i.to_vector<int64_t>() == std::vector<int64_t>({5, 2}), boost::test_tools::per_element());
  // The attention-mask idiom: -inf before a softmax.
  const double inf = std::numeric_limits<double>::infinity();
  check_values(X().masked_fill(M(), -inf).softmax(1), {0, 0.301447034, 0.698552966, 0, 0.864443243, 0.111807235, 0,
                                                       0.0237495787, 0, 0, 0.308162689, 0.691837311});
}

BOOST_AUTO_TEST_CASE(in_place) {
  Tensor x = X();
  Tensor& r = x.masked_fill_(M(), -1.5);
  BOOST_TEST(&r == &x);
  check_close(x, X().masked_fill(M(), -1.5));
  Tensor y = X();
  y.masked_fill_(tensor({false, true, false, true}), tensor(2.0));
  check_close(y, X().masked_fill(tensor({false, true, false, true}), 2.0));
  // In place, the mask must broadcast to x's sizes (not x to the mask's).
  Tensor v = tensor({1.0, 2.0, 3.0, 4.0});
  expect_throw<ShapeError>([&] { v.masked_fill_(tensor({{true}, {false}}), 0.0); }, {"masked_fill_"});
}

BOOST_AUTO_TEST_CASE(gradients_gradcheck_and_double_backward) {
  check_values(grads_of([](const Tensor& x, const Tensor&) { return x.masked_fill(M(), 3.0); }).first,
               {0, 0.99166481, 0.141120008, 0, -0.631266638, 0.578439764, 0, -0.0751511205, 0, 0, 0.74037589,
                0.845746831},
               1e-8);
  Tensor v = tensor(0.5, TensorOptions(kFloat64)).requires_grad_();
  Tensor x = wave({3, 4}, 0.7, 0.1, 3.0, kFloat64).requires_grad_();
  (x.masked_fill(M(), v) * wave({3, 4}, 1.3, 0.4, 1.0, kFloat64)).sum().backward();
  check_values(v.grad(), {-1.01660073}, 1e-8);
  manual_seed(32);
  auto a = randn({3, 4}, kFloat64).requires_grad_();
  auto c = randn({}, kFloat64).requires_grad_();
  check_grads([](const auto& in) { return in[0].masked_fill(M(), 2.0).pow(2); }, {a});
  check_grads([](const auto& in) { return in[0].masked_fill(M(), in[1]) * in[0] * in[1]; }, {a, c});
  auto r = randn({4}, kFloat64).requires_grad_();
  check_grads([](const auto& in) { return in[0].masked_fill(tensor({{true}, {false}, {true}}), 1.0).pow(2); }, {r});
  BOOST_TEST(grad_fn_name(a.masked_fill(M(), 1.0)) == "MaskedFillBackward0");
  BOOST_TEST(grad_fn_name(a.masked_fill(M(), c)) == "MaskedFillBackward1");
}

BOOST_AUTO_TEST_CASE(bad_input_throws_typed_errors) {
  expect_throw<TypeError>([] { X().masked_fill(M().to(kInt64), 1.0); }, {"masked_fill", "bool", "int64"});
  expect_throw<ValueError>([] { X().masked_fill(M(), tensor({1.0, 2.0})); }, {"masked_fill", "0-dimensional"});
  expect_throw<ShapeError>([] { X().masked_fill(tensor({true, false}), 1.0); }, {"masked_fill"});
  expect_throw<ValueError>([] { tensor({1, 2}).masked_fill(tensor({true, false}), std::nan("")); },
                           {"masked_fill", "overflow"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(one_hot)

BOOST_AUTO_TEST_CASE(values_match_pytorch) {
  const Tensor a = F::one_hot(ids({0, 2, 1, 2}, {4}));
  CHECK_DTYPE(a, kInt64);
  check_sizes(a, {4, 3});
  BOOST_TEST(a.to_vector<int64_t>() == std::vector<int64_t>({1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1}),
             boost::test_tools::per_element());
  const Tensor b = xgrad::one_hot(ids({1, 0}, {2, 1}), 4);
  check_sizes(b, {2, 1, 4});
  BOOST_TEST(b.to_vector<int64_t>() == std::vector<int64_t>({0, 1, 0, 0, 1, 0, 0, 0}), boost::test_tools::per_element());
  check_sizes(F::one_hot(zeros({0}, kInt64), 3), {0, 3});
  // Strided input (the LibTorch test's `x.view({3, 2}) % 3` has the same values).
  const Tensor c = F::one_hot(arange(6).view({2, 3}).t());
  check_sizes(c, {3, 2, 6});
  BOOST_TEST(c.argmax(-1).to_vector<int64_t>() == std::vector<int64_t>({0, 3, 1, 4, 2, 5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_input_throws_typed_errors) {
  expect_throw<TypeError>([] { F::one_hot(zeros({2})); }, {"one_hot", "int64"});
  expect_throw<ValueError>([] { F::one_hot(ids({0, -1}, {2})); }, {"one_hot", "non-negative", "-1"});
  expect_throw<ValueError>([] { F::one_hot(ids({0, 3}, {2}), 3); }, {"one_hot", "3"});
  expect_throw<ValueError>([] { F::one_hot(zeros({0}, kInt64)); }, {"one_hot", "empty"});
  expect_throw<ValueError>([] { F::one_hot(ids({0}, {1}), -2); }, {"one_hot", "-2"});
}

BOOST_AUTO_TEST_SUITE_END()
