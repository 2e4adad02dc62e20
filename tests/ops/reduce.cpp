#define BOOST_TEST_MODULE reduce
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// Reference values: tests/reference/reduce.py (PyTorch 1.13).

using namespace xgrad;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

#define CHECK_DTYPE(t, d) BOOST_CHECK_EQUAL(dtype_name((t).dtype()), dtype_name(d))

namespace {

// [2, 3, 4] with ties (three 9s; repeated values along every dim).
Tensor T() {
  // One literal type throughout: LibTorch (and xgrad) refuse mixed braced literals.
  return tensor({{{3., 1., 4., 1.}, {5., 9., 2., 6.}, {5., 3., 5., 8.}}, {{9., 7., 9., 3.}, {2., 3., 8., 4.}, {6., 2., 6., 4.}}});
}

Tensor leaf64(IntArrayRef sizes) { return randn(sizes, kFloat64).requires_grad_(); }

using Fn = std::function<Tensor(const autograd::variable_list&)>;
void gradcheck(const Fn& fn, const autograd::variable_list& in) { BOOST_CHECK(autograd::gradcheck(fn, in)); }

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "None"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(sum_mean)

BOOST_AUTO_TEST_CASE(values_match_pytorch) {
  const Tensor t = T();
  check_sizes(t.sum(), {});
  check_values(t.sum(), {115});
  check_sizes(t.sum(0), {3, 4});
  check_values(t.sum(0), {12, 8, 13, 4, 7, 12, 10, 10, 11, 5, 11, 12});
  check_sizes(t.sum({0, 2}, true), {1, 3, 1});
  check_values(t.sum({0, 2}, true), {37, 39, 39});
  check_values(t.sum(-1), {9, 22, 21, 28, 17, 18});
  check_values(t.mean(), {4.79166651});
  check_values(t.mean(1), {4.33333349, 4.33333349, 3.66666675, 5, 5.66666651, 4, 7.66666651, 3.66666675});
  check_sizes(t.mean({-1, -3}), {3});
  check_values(t.mean({-1, -3}), {4.625, 4.875, 4.875});
  check_values(sum(t, {1, 2}), {52, 63});
  check_values(mean(t, {0}, true), {6, 4, 6.5, 2, 3.5, 6, 5, 5, 5.5, 2.5, 5.5, 6});
}

BOOST_AUTO_TEST_CASE(strided_input) {
  const Tensor t = T().permute({2, 0, 1});  // [4, 2, 3], non-contiguous
  check_values(t.sum(0), {9, 22, 21, 28, 17, 18});
  check_values(t.sum({1, 2}), {30, 25, 34, 26});
  check_values(t.sum(), {115});
  check_values(T().slice(2, 0, 4, 2).sum(-1), {7, 7, 10, 18, 10, 12});
}

BOOST_AUTO_TEST_CASE(integer_and_bool_sums_are_int64) {
  const Tensor b = tensor({true, false, true});
  CHECK_DTYPE(b.sum(), kInt64);
  BOOST_CHECK_EQUAL(b.sum().item<int64_t>(), 2);
  const Tensor i = tensor({{3, 4}, {5, 6}});
  CHECK_DTYPE(i.sum(), kInt64);
  BOOST_TEST(i.sum(0).to_vector<int64_t>() == std::vector<int64_t>({8, 10}), boost::test_tools::per_element());
  BOOST_CHECK_THROW(i.mean(), TypeError);  // as PyTorch: mean needs a floating input
}

BOOST_AUTO_TEST_CASE(float32_sum_is_accurate_and_deterministic) {
  // 10^6 copies of 0.1f: naive float accumulation drifts by ~1%; a double accumulator does not.
  const Tensor x = full({1000000}, 0.1);
  const double exact = 1e6 * static_cast<double>(0.1f);
  BOOST_CHECK_CLOSE(x.sum().item<double>(), exact, 1e-4);
  BOOST_CHECK_CLOSE(x.view({1000, 1000}).sum(0).sum().item<double>(), exact, 1e-4);
  BOOST_CHECK_CLOSE(x.mean().item<double>(), 0.1, 1e-4);
  const Tensor r = randn({257, 131});
  BOOST_CHECK_EQUAL(r.sum().item<float>(), r.sum().item<float>());
  BOOST_CHECK_EQUAL(r.sum(1).sum().item<float>(), r.sum(1).sum().item<float>());
}

BOOST_AUTO_TEST_CASE(empty_and_scalar_tensors) {
  check_values(zeros({0}).sum(), {0});
  check_values(zeros({2, 0}).sum(1), {0, 0});
  check_values(tensor(2.5).sum(), {2.5});
  check_values(tensor(2.5).sum(0), {2.5});
  check_values(tensor(2.5).mean(-1), {2.5});
}

BOOST_AUTO_TEST_CASE(bad_dims) {
  BOOST_CHECK_THROW(T().sum(3), IndexError);
  BOOST_CHECK_THROW(T().sum(-4), IndexError);
  BOOST_CHECK_THROW(T().sum({0, -3}), IndexError);  // dim 0 twice
  BOOST_CHECK_THROW(T().mean(5), IndexError);
  BOOST_CHECK_THROW(T().max(3), IndexError);
  BOOST_CHECK_THROW(T().argmax(-4), IndexError);
  BOOST_CHECK_THROW(T().amax({7}), IndexError);
  BOOST_CHECK_THROW(zeros({0}).max(), ValueError);
  BOOST_CHECK_THROW(zeros({0}).argmax(), ValueError);
  BOOST_CHECK_THROW(zeros({2, 0}).max(1), IndexError);
}

BOOST_AUTO_TEST_CASE(gradients) {
  for (const auto& s : std::vector<std::vector<int64_t>>{{}, {5}, {2, 3, 4}}) {
    BOOST_TEST_INFO("shape " << to_string(s));
    Tensor x = leaf64(s);
    gradcheck([](const auto& in) { return in[0].sum(); }, {x});
    gradcheck([](const auto& in) { return in[0].mean(); }, {x});
    gradcheck([](const auto& in) { return in[0].sum(-1); }, {x});
    gradcheck([](const auto& in) { return in[0].mean({-1}, true); }, {x});
  }
  Tensor x = leaf64({2, 3, 4});
  gradcheck([](const auto& in) { return in[0].sum({0, 2}); }, {x});
  gradcheck([](const auto& in) { return in[0].sum({0, 2}, true); }, {x});
  gradcheck([](const auto& in) { return in[0].mean({1, 0}); }, {x});
  gradcheck([](const auto& in) { return in[0].permute({2, 0, 1}).sum({1}); }, {x});
  BOOST_TEST(grad_fn_name(x.sum()) == "SumBackward0");
  BOOST_TEST(grad_fn_name(x.sum(0)) == "SumBackward1");
  BOOST_TEST(grad_fn_name(x.mean()) == "MeanBackward0");
  BOOST_TEST(grad_fn_name(x.mean(0)) == "MeanBackward1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(max_min)

BOOST_AUTO_TEST_CASE(values_and_indices_match_pytorch) {
  const Tensor t = T();
  check_values(t.max(), {9});
  check_values(t.min(), {1});
  auto [v, i] = t.max(1);
  check_sizes(v, {2, 4});
  check_values(v, {5, 9, 5, 8, 9, 7, 9, 4});
  CHECK_DTYPE(i, kInt64);
  check_values(i, {1, 1, 2, 2, 0, 0, 0, 1});  // first occurrence on ties
  auto [mv, mi] = t.min(2, true);
  check_sizes(mv, {2, 3, 1});
  check_values(mv, {1, 2, 3, 3, 2, 2});
  check_values(mi, {1, 2, 1, 3, 0, 1});
  check_values(t.amax({0, 2}), {9, 9, 8});
  check_values(t.amin(1), {3, 1, 2, 1, 2, 2, 6, 3});
  check_sizes(t.argmax(), {});
  check_values(t.argmax(), {5});
  check_values(t.argmax(1), {1, 1, 2, 2, 0, 0, 0, 1});
  check_sizes(t.argmin(2, true), {2, 3, 1});
  check_values(t.argmin(2, true), {1, 2, 1, 3, 0, 1});
  check_sizes(t.argmax(std::nullopt, true), {1, 1, 1});
  check_values(t.argmin(), {1});
  check_values(argmax(tensor({1, 7, 7, 2})), {1});
  check_values(max(tensor({1, 7, 7, 2})), {7});
}

BOOST_AUTO_TEST_CASE(nan_propagates) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = tensor({1.0, nan, 3.0});
  BOOST_CHECK(std::isnan(x.max().item<double>()));
  BOOST_CHECK(std::isnan(x.min().item<double>()));
  BOOST_CHECK_EQUAL(x.argmax().item<int64_t>(), 1);
  BOOST_CHECK_EQUAL(x.argmin().item<int64_t>(), 1);
}

BOOST_AUTO_TEST_CASE(gradients_split_ties_like_pytorch) {
  Tensor x = T().requires_grad_();
  x.max().backward();
  check_values(x.grad(), {0, 0, 0, 0, 0, 1. / 3, 0, 0, 0, 0, 0, 0, 1. / 3, 0, 1. / 3, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  x.mutable_grad() = Tensor();
  x.amax({0, 2}).sum().backward();
  check_values(x.grad(), {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0.5, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  x.mutable_grad() = Tensor();
  // max(dim) sends the gradient to the returned index only.
  (std::get<0>(x.max(1)) * arange(1, 9, 1, kFloat32).view({2, 4})).sum().backward();
  check_values(x.grad(), {0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3, 4, 5, 6, 7, 0, 0, 0, 0, 8, 0, 0, 0, 0});
  x.mutable_grad() = Tensor();
  std::get<0>(x.min(2, true)).sum().backward();
  check_values(x.grad(), {0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0});
  BOOST_TEST(grad_fn_name(x.max()) == "MaxBackward1");
  BOOST_TEST(grad_fn_name(std::get<0>(x.max(0))) == "MaxBackward0");
  BOOST_TEST(grad_fn_name(x.amax({0})) == "AmaxBackward0");
  BOOST_TEST(!std::get<1>(x.max(0)).requires_grad());
}

BOOST_AUTO_TEST_CASE(gradcheck_without_ties) {
  // Random float64 values have no ties, so finite differences are well defined.
  Tensor x = leaf64({3, 4, 5});
  gradcheck([](const auto& in) { return in[0].max(); }, {x});
  gradcheck([](const auto& in) { return in[0].min(); }, {x});
  gradcheck([](const auto& in) { return std::get<0>(in[0].max(1)); }, {x});
  gradcheck([](const auto& in) { return std::get<0>(in[0].min(-1, true)); }, {x});
  gradcheck([](const auto& in) { return in[0].amax({0, 2}); }, {x});
  gradcheck([](const auto& in) { return in[0].amin({1}, true); }, {x});
  gradcheck([](const auto& in) { return std::get<0>(in[0].t().max(0)); }, {leaf64({4, 6})});
  gradcheck([](const auto& in) { return in[0].max(); }, {leaf64({})});
}

BOOST_AUTO_TEST_SUITE_END()
