#define BOOST_TEST_MODULE matmul
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <array>

// Reference values: tests/reference/matmul.py (PyTorch 1.13).

using namespace xgrad;
using xgrad::testing::check_close;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

namespace {

Tensor A() { return arange(6, kFloat32).view({2, 3}) - 2.5; }
Tensor B() { return arange(12, kFloat32).view({3, 4}) * 0.5 - 1.0; }
Tensor C() { return arange(24, kFloat32).view({2, 3, 4}) * 0.25 - 2.0; }

Tensor leaf64(IntArrayRef sizes) { return randn(sizes, kFloat64).requires_grad_(); }

using Fn = std::function<Tensor(const autograd::variable_list&)>;
void gradcheck(const Fn& fn, const autograd::variable_list& in) { BOOST_CHECK(autograd::gradcheck(fn, in)); }

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "None"; }

// Plain triple loop in double: the oracle for random shapes.
Tensor naive_mm(const Tensor& a, const Tensor& b) {
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> c(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) c[static_cast<size_t>(i * n + j)] += av[static_cast<size_t>(i * k + p)] * bv[static_cast<size_t>(p * n + j)];
  return from_vector(c, std::vector<int64_t>{m, n});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(values)

BOOST_AUTO_TEST_CASE(mm_matches_pytorch) {
  check_sizes(A().mm(B()), {2, 4});
  check_values(A().mm(B()), {-0.5, -2.75, -5, -7.25, 8.5, 10.75, 13, 15.25});
  check_values(mm(A().t().t(), B()), {-0.5, -2.75, -5, -7.25, 8.5, 10.75, 13, 15.25});
  // Transposed operands are passed to gemm without copies.
  check_values(B().t().mm(A().t()), {-0.5, 8.5, -2.75, 10.75, -5, 13, -7.25, 15.25});
  const Tensor i = tensor({{1, 2}, {3, 4}}).mm(tensor({{5, 6}, {7, 8}}));
  BOOST_CHECK_EQUAL(dtype_name(i.dtype()), "int64");
  BOOST_TEST(i.to_vector<int64_t>() == std::vector<int64_t>({19, 22, 43, 50}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(mm_random_shapes_against_naive) {
  for (auto [m, k, n] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {7, 13, 5}, {33, 17, 65}, {64, 100, 3}}) {
    BOOST_TEST_INFO("m " << m << " k " << k << " n " << n);
    const Tensor a = randn({m, k}), b = randn({k, n});
    check_close(a.mm(b), naive_mm(a, b), 1e-4, 1e-4);
    const Tensor a64 = a.to(kFloat64), b64 = b.to(kFloat64);
    check_close(a64.mm(b64), naive_mm(a, b), 1e-12, 1e-12);
    // Sliced (row stride larger than the width) operands.
    const Tensor wide = randn({m, k + 3});
    const Tensor s = wide.slice(1, 1, k + 1);
    check_close(s.mm(b), naive_mm(s, b), 1e-4, 1e-4);
    // Neither row- nor column-major: needs a copy.
    const Tensor every2 = randn({2 * k, 2 * n}).slice(0, 0, 2 * k, 2).slice(1, 0, 2 * n, 2);
    check_close(a.mm(every2), naive_mm(a, every2), 1e-4, 1e-4);
  }
  check_values(zeros({2, 0}).mm(zeros({0, 3})), {0, 0, 0, 0, 0, 0});
  check_sizes(zeros({0, 4}).mm(zeros({4, 3})), {0, 3});
}

BOOST_AUTO_TEST_CASE(matmul_rules_match_pytorch) {
  const Tensor v = tensor({1.0, -2.0, 0.5});
  const Tensor w = tensor({0.5, 1.5});
  check_sizes(matmul(v, v), {});
  check_values(matmul(v, v), {5.25});
  check_sizes(matmul(A(), v), {2});
  check_values(matmul(A(), v), {0.25, -1.25});
  check_sizes(matmul(w, A()), {3});
  check_values(matmul(w, A()), {-0.5, 1.5, 3.5});
  const Tensor D = arange(8, kFloat32).view({4, 2}) - 3.0;
  check_sizes(C().matmul(D), {2, 3, 2});
  check_values(C().matmul(D), {2.5, -4, 2.5, 0, 2.5, 4, 2.5, 8, 2.5, 12, 2.5, 16});
  check_values(bmm(C(), C().transpose(1, 2)), {10.875, 4.375, -2.125, 4.375, 1.875, -0.625, -2.125, -0.625, 0.875,
                                               7.875, 13.375, 18.875, 13.375, 22.875, 32.375, 18.875, 32.375, 45.875});
  const Tensor E = arange(16, kFloat32).view({2, 1, 2, 4}) - 5.0;
  const Tensor F = arange(24, kFloat32).view({3, 4, 2}) * 0.5;
  check_sizes(matmul(E, F), {2, 3, 2, 2});
  check_values(matmul(E, F), {-16, -23, 8, 9, -72, -79, 16, 17, -128, -135, 24, 25, 32, 41, 56, 73, 104, 113, 192,
                              209, 176, 185, 328, 345});
  const Tensor u = tensor({1., 0., -1., 2.});
  check_sizes(matmul(u, C().transpose(1, 2)), {2, 3});
  check_values(matmul(u, C().transpose(1, 2)), {-3, -1, 1, 3, 5, 7});
  check_values(matmul(C(), u), {-3, -1, 1, 3, 5, 7});
}

BOOST_AUTO_TEST_CASE(errors) {
  BOOST_CHECK_THROW(A().mm(A()), ShapeError);
  BOOST_CHECK_THROW(mm(A(), tensor({1.0, 2.0, 3.0})), ShapeError);
  BOOST_CHECK_THROW(bmm(C(), C()), ShapeError);
  BOOST_CHECK_THROW(bmm(A(), B()), ShapeError);
  BOOST_CHECK_THROW(matmul(tensor(1.0), A()), ShapeError);
  BOOST_CHECK_THROW(matmul(tensor({1.0, 2.0}), tensor({1.0, 2.0, 3.0})), ShapeError);
  BOOST_CHECK_THROW(matmul(zeros({2, 2, 3}), zeros({3, 4, 2})), ShapeError);  // batch 2 vs 3
  BOOST_CHECK_THROW(A().mm(B().to(kFloat64)), TypeError);
  try {
    (void)A().mm(A());
  } catch (const ShapeError& e) {
    BOOST_TEST(std::string(e.what()).find("2x3 and 2x3") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradients)

BOOST_AUTO_TEST_CASE(gradcheck_every_rule) {
  gradcheck([](const auto& in) { return in[0].mm(in[1]); }, {leaf64({3, 4}), leaf64({4, 5})});
  gradcheck([](const auto& in) { return in[0].t().mm(in[1].t()); }, {leaf64({4, 3}), leaf64({5, 4})});
  gradcheck([](const auto& in) { return bmm(in[0], in[1]); }, {leaf64({2, 3, 4}), leaf64({2, 4, 5})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {leaf64({4}), leaf64({4})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {leaf64({3, 4}), leaf64({4})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {leaf64({4}), leaf64({4, 2})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {leaf64({2, 3, 4}), leaf64({4, 2})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {leaf64({2, 3, 4}), leaf64({4})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {leaf64({4}), leaf64({2, 4, 3})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {leaf64({2, 1, 3, 4}), leaf64({3, 4, 2})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {leaf64({3, 4}), leaf64({2, 4, 2})});
}

BOOST_AUTO_TEST_CASE(grad_fn_names_follow_pytorch) {
  Tensor a = randn({2, 3}).requires_grad_(), b = randn({3, 4}).requires_grad_();
  BOOST_TEST(grad_fn_name(a.mm(b)) == "MmBackward0");
  BOOST_TEST(grad_fn_name(a.matmul(b)) == "MmBackward0");
  BOOST_TEST(grad_fn_name(bmm(a.unsqueeze(0), b.unsqueeze(0))) == "BmmBackward0");
  BOOST_TEST(grad_fn_name(matmul(b.select(1, 0), b.select(1, 1))) == "DotBackward0");
  BOOST_TEST(grad_fn_name(matmul(a, b.select(1, 0))) == "MvBackward0");
  BOOST_TEST(grad_fn_name(matmul(randn({2, 5, 2}), a)) == "UnsafeViewBackward0");
  BOOST_TEST(grad_fn_name(matmul(a.unsqueeze(0), randn({4, 3, 1}))) == "UnsafeViewBackward0");
}

BOOST_AUTO_TEST_CASE(linear_layer_gradients_by_hand) {
  // y = x W^T, loss = sum(y): dW = ones^T x, dx = ones W.
  Tensor x = tensor({{1.0, 2.0}, {3.0, 4.0}}, requires_grad());
  Tensor W = tensor({{0.5, -1.0}, {2.0, 0.0}, {1.0, 1.0}}, requires_grad());
  matmul(x, W.t()).sum().backward();
  check_values(W.grad(), {4, 6, 4, 6, 4, 6});
  check_values(x.grad(), {3.5, 0, 3.5, 0});
}

BOOST_AUTO_TEST_SUITE_END()
