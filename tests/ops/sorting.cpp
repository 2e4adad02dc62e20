#define BOOST_TEST_MODULE sorting
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// Reference values: tests/reference/sorting.py (PyTorch 1.13).

#include <cmath>
#include <limits>

using namespace xgrad;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

#define CHECK_DTYPE(t, d) BOOST_CHECK_EQUAL(dtype_name((t).dtype()), dtype_name(d))

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

using xgrad::testing::wave;

Tensor X() { return wave({2, 3, 4}, 0.7, 0.1, 3.0); }

Tensor grad_of(const std::function<Tensor(const Tensor&)>& f) { return xgrad::testing::wave_weighted_grad(f); }

void check_indices(const Tensor& t, const std::vector<int64_t>& want) {
  CHECK_DTYPE(t, kInt64);
  BOOST_TEST(t.to_vector<int64_t>() == want, boost::test_tools::per_element());
}

using Fn = std::function<Tensor(const autograd::variable_list&)>;
void check_grads(const Fn& fn, const autograd::variable_list& in) {
  BOOST_CHECK(autograd::gradcheck(fn, in));
  BOOST_CHECK(autograd::gradgradcheck(fn, in));
}
std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "None"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(sort)

BOOST_AUTO_TEST_CASE(values_and_indices_match_pytorch) {
  auto [v, i] = X().sort();
  check_values(v, {0.299500257, 2.15206838, 2.42548919, 2.99248505, -2.87677288, -2.74849772, -1.32756138,
                   0.717747986, -1.65205657, 0.349647611, 2.18690705, 2.99563003, -2.76832628, -1.37260771,
                   0.66866976, 2.39546132, -2.86205769, -1.6097188, 0.399696112, 2.22112775, -1.41726601, 0.619402468,
                   2.36475611, 2.99792814});
  check_indices(i, {0, 1, 3, 2, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0});
  auto [vd, id] = X().sort(1, true);
  check_values(vd, {0.717747986, 2.15206838, 2.99248505, 2.99563003, 0.299500257, 0.349647611, 2.18690705,
                    2.42548919, -1.65205657, -1.32756138, -2.74849772, -2.87677288, 2.99792814, 2.36475611,
                    0.619402468, 2.22112775, 2.39546132, 0.66866976, 0.399696112, -1.41726601, -2.86205769,
                    -1.6097188, -1.37260771, -2.76832628});
  check_indices(id, {1, 0, 0, 2, 0, 2, 2, 0, 2, 1, 1, 1, 2, 2, 2, 1, 0, 0, 1, 2, 1, 1, 0, 0});
  auto [v0, i0] = xgrad::sort(X(), 0);
  check_values(v0, {0.299500257, 0.66866976, -1.37260771, -2.76832628, -2.86205769, -1.6097188, -2.74849772,
                    -2.87677288, -1.65205657, 0.349647611, 0.619402468, -1.41726601, 2.39546132, 2.15206838,
                    2.99248505, 2.42548919, 0.717747986, -1.32756138, 0.399696112, 2.22112775, 2.99792814,
                    2.36475611, 2.18690705, 2.99563003});
  check_indices(i0, {0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0});
  // A strided view sorts the same as its contiguous copy.
  auto [vp, ip] = X().permute({2, 0, 1}).sort(0);
  BOOST_TEST(vp.permute({1, 2, 0}).equal(std::get<0>(X().sort())));
  BOOST_TEST(ip.permute({1, 2, 0}).equal(std::get<1>(X().sort())));
}

BOOST_AUTO_TEST_CASE(stable_with_nan_last_and_integers) {
  const Tensor t = tensor({3.0, 1.0, 3.0, kNaN, 1.0, 2.0, 3.0});
  auto [v, i] = t.sort(std::optional<bool>(true));
  check_values(v, {1, 1, 2, 3, 3, 3, kNaN});
  check_indices(i, {1, 4, 5, 0, 2, 6, 3});
  auto [vd, id] = t.sort(std::optional<bool>(true), -1, true);
  check_values(vd, {kNaN, 3, 3, 3, 2, 1, 1});
  check_indices(id, {3, 0, 2, 6, 5, 1, 4});
  auto [vi, ii] = tensor({{5, 2, 8}, {1, 9, 4}}).sort(1);
  CHECK_DTYPE(vi, kInt64);
  check_indices(vi, {2, 5, 8, 1, 4, 9});
  check_indices(ii, {1, 0, 2, 0, 2, 1});
  auto [vs, is] = tensor(5.0).sort();
  check_sizes(vs, {});
  check_values(vs, {5});
  check_indices(is, {0});
  auto [ve, ie] = zeros({2, 0}).sort(1);
  check_sizes(ve, {2, 0});
}

BOOST_AUTO_TEST_CASE(gradients_gradcheck_and_double_backward) {
  check_values(grad_of([](const Tensor& x) { return std::get<0>(x.sort(1, true)); }),
               {-0.631266638, 0.99166481, 0.141120008, -0.0751511205, 0.389418342, -0.449647465, 0.74037589,
                0.845746831, -0.98093623, 0.578439764, 0.940730557, -0.916165937, 0.711161223, -0.487174512,
                -0.663633884, -0.898318243, 0.954285094, 0.543275669, -0.971798446, 0.867644101, -0.287903317,
                -0.999774431, -0.246973662, -0.0327353793},
               1e-8);
  manual_seed(21);
  auto x = randn({2, 3, 4}, kFloat64).requires_grad_();
  check_grads([](const auto& in) { return std::get<0>(in[0].sort()) * in[0]; }, {x});
  check_grads([](const auto& in) { return std::get<0>(in[0].sort(0, true)).pow(2); }, {x});
  BOOST_TEST(grad_fn_name(std::get<0>(x.sort())) == "SortBackward0");
  BOOST_TEST(!std::get<1>(x.sort()).requires_grad());
}

BOOST_AUTO_TEST_CASE(bad_input_throws_typed_errors) {
  BOOST_CHECK_THROW(X().sort(3), IndexError);
  BOOST_CHECK_THROW(X().sort(-4), IndexError);
  BOOST_CHECK_THROW(xgrad::sort(Tensor()), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(topk)

BOOST_AUTO_TEST_CASE(values_and_indices_match_pytorch) {
  auto [v, i] = X().topk(2);
  check_sizes(v, {2, 3, 2});
  check_values(v, {2.99248505, 2.42548919, 0.717747986, -1.32756138, 2.99563003, 2.18690705, 2.39546132, 0.66866976,
                   2.22112775, 0.399696112, 2.99792814, 2.36475611});
  check_indices(i, {2, 3, 0, 1, 3, 2, 0, 1, 3, 2, 0, 1});
  auto [vs, is] = xgrad::topk(X(), 2, 1, false);
  check_sizes(vs, {2, 2, 4});
  check_values(vs, {-1.65205657, -1.32756138, -2.74849772, -2.87677288, 0.299500257, 0.349647611, 2.18690705,
                    2.42548919, -2.86205769, -1.6097188, -1.37260771, -2.76832628, 2.39546132, 0.66866976,
                    0.399696112, -1.41726601});
  check_indices(is, {2, 1, 1, 1, 0, 2, 2, 0, 1, 1, 0, 0, 0, 0, 1, 2});
  auto [v0, i0] = X().topk(1, 0);
  check_sizes(v0, {1, 3, 4});
  check_values(v0, {2.39546132, 2.15206838, 2.99248505, 2.42548919, 0.717747986, -1.32756138, 0.399696112,
                    2.22112775, 2.99792814, 2.36475611, 2.18690705, 2.99563003});
  check_indices(i0, {1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0});
  auto [vn, in] = tensor({1.0, kNaN, 3.0, 2.0}).topk(2);
  check_values(vn, {kNaN, 3});
  check_indices(in, {1, 2});
  auto [vz, iz] = X().topk(0);
  check_sizes(vz, {2, 3, 0});
}

BOOST_AUTO_TEST_CASE(gradients_gradcheck_and_double_backward) {
  check_values(grad_of([](const Tensor& x) { return std::get<0>(x.topk(2)); }),
               {0, 0, 0.389418342, 0.99166481, 0.141120008, -0.916165937, 0, 0, 0, 0, 0.578439764, -0.631266638,
                0.940730557, -0.0751511205, 0, 0, 0, 0, -0.449647465, -0.98093623, 0.74037589, 0.845746831, 0, 0},
               1e-8);
  check_values(grad_of([](const Tensor& x) { return std::get<0>(x.topk(1, 0, false)); }),
               {0.389418342, 0, 0, 0, 0, 0, 0.940730557, -0.0751511205, -0.98093623, -0.449647465, 0, 0, 0,
                0.99166481, 0.141120008, -0.916165937, -0.631266638, 0.578439764, 0, 0, 0, 0, 0.74037589,
                0.845746831},
               1e-8);
  manual_seed(22);
  auto x = randn({3, 5}, kFloat64).requires_grad_();
  check_grads([](const auto& in) { return std::get<0>(in[0].topk(3)) * std::get<0>(in[0].topk(3)); }, {x});
  check_grads([](const auto& in) { return std::get<0>(in[0].topk(2, 0, false)).exp(); }, {x});
  BOOST_TEST(grad_fn_name(std::get<0>(x.topk(2))) == "TopkBackward0");
}

BOOST_AUTO_TEST_CASE(bad_input_throws_typed_errors) {
  BOOST_CHECK_THROW(X().topk(5), ValueError);  // k > size along dim
  BOOST_CHECK_THROW(X().topk(-1), ValueError);
  BOOST_CHECK_THROW(X().topk(1, 3), IndexError);
  BOOST_CHECK_THROW(xgrad::topk(Tensor(), 1), ValueError);
  try {
    X().topk(5, 1);
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("topk") != std::string::npos);
    BOOST_TEST(msg.find("k = 5") != std::string::npos);
    BOOST_TEST(msg.find("size 3") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
