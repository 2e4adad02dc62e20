#define BOOST_TEST_MODULE elementwise
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <random>

// Reference values: tests/reference/elementwise.py (PyTorch 1.13).

using namespace xgrad;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;
using xgrad::testing::check_close;

#define CHECK_DTYPE(t, d) BOOST_CHECK_EQUAL(dtype_name((t).dtype()), dtype_name(d))

namespace {

Tensor A() { return tensor({{{0.5, -1.25, 2.0, 3.5}}, {{-0.75, 1.5, -2.25, 0.25}}, {{1.0, -0.5, 0.125, -3.0}}}); }
Tensor B() { return tensor({{1.5, 0.25, -2.0, 4.0}, {-1.0, 2.5, 0.75, -0.5}}); }
Tensor X() { return tensor({-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.2, 3.7}); }
Tensor P() { return tensor({0.1, 0.5, 1.0, 2.0, 3.3, 10.0}); }

Tensor leaf64(IntArrayRef sizes) { return randn(sizes, kFloat64).requires_grad_(); }
// Values kept away from 0 (for division, log, sqrt).
Tensor positive64(IntArrayRef sizes) { return (rand(sizes, kFloat64) + 0.5).detach().requires_grad_(); }

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "None"; }

using Fn = std::function<Tensor(const autograd::variable_list&)>;
void gradcheck(const Fn& fn, const autograd::variable_list& in) { BOOST_CHECK(autograd::gradcheck(fn, in)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(binary)

BOOST_AUTO_TEST_CASE(broadcast_arithmetic_matches_pytorch) {
  const Tensor a = A(), b = B();
  check_sizes(a + b, {3, 2, 4});
  check_values(a + b, {2, -1, 0, 7.5, -0.5, 1.25, 2.75, 3, 0.75, 1.75, -4.25, 4.25, -1.75, 4, -1.5, -0.25, 2.5, -0.25,
                       -1.875, 1, 0, 2, 0.875, -3.5});
  check_values(a - b, {-1, -1.5, 4, -0.5, 1.5, -3.75, 1.25, 4, -2.25, 1.25, -0.25, -3.75, 0.25, -1, -3, 0.75, -0.5,
                       -0.75, 2.125, -7, 2, -3, -0.625, -2.5});
  check_values(a.sub(b, 2), {-2.5, -1.75, 6, -4.5, 2.5, -6.25, 0.5, 4.5, -3.75, 1, 1.75, -7.75, 1.25, -3.5, -3.75,
                             1.25, -2, -1, 4.125, -11, 3, -5.5, -1.375, -2});
  check_values(a * b, {0.75, -0.3125, -4, 14, -0.5, -3.125, 1.5, -1.75, -1.125, 0.375, 4.5, 1, 0.75, 3.75, -1.6875,
                       -0.125, 1.5, -0.125, -0.25, -12, -1, -1.25, 0.09375, 1.5});
  check_values(a / b, {0.333333343, -5, -1, 0.875, -0.5, -0.5, 2.66666675, -7, -0.5, 6, 1.125, 0.0625, 0.75,
                       0.600000024, -3, -0.5, 0.666666687, -2, -0.0625, -0.75, -1, -0.200000003, 0.166666672, 6});
  check_values(maximum(a, b), {1.5, 0.25, 2, 4, 0.5, 2.5, 2, 3.5, 1.5, 1.5, -2, 4, -0.75, 2.5, 0.75, 0.25, 1.5, 0.25,
                               0.125, 4, 1, 2.5, 0.75, -0.5});
  check_values(minimum(a, b), {0.5, -1.25, -2, 3.5, -1, -1.25, 0.75, -0.5, -0.75, 0.25, -2.25, 0.25, -1, 1.5, -2.25,
                               -0.5, 1, -0.5, -2, -3, -1, -0.5, 0.125, -3});
  check_values(pow(a.abs() + 0.5, b),
               {1, 1.15016329, 0.159999996, 256, 1, 4.05130672, 1.98817682, 0.5, 1.39754248, 1.18920708, 0.132231399,
                0.31640625, 0.800000012, 5.65685415, 2.13549972, 1.15470052, 1.83711731, 1, 2.55999994, 150.0625,
                0.666666687, 1, 0.702926636, 0.534522474});
  check_values(where(a > b, a, b * 2), {3, 0.5, 2, 8, 0.5, 5, 2, 3.5, 3, 1.5, -4, 8, -0.75, 5, 1.5, 0.25, 3, 0.5,
                                        0.125, 8, 1, 5, 1.5, -1});
}

BOOST_AUTO_TEST_CASE(strided_and_transposed_operands) {
  // Non-contiguous inputs take the general path and must give the same numbers.
  const Tensor m = arange(12, kFloat32).view({3, 4});
  const Tensor mt = m.t();  // [4, 3], strides [1, 4]
  const Tensor r = mt + tensor({100.f, 200.f, 300.f});
  check_values(r, {100, 204, 308, 101, 205, 309, 102, 206, 310, 103, 207, 311});
  check_values(mt * mt.contiguous(), {0, 16, 64, 1, 25, 81, 4, 36, 100, 9, 49, 121});
  check_values(m.slice(1, 1, 4, 2) - 1.0, {0, 2, 4, 6, 8, 10});
  // NCHW + per-channel bias: merged H*W rows in the broadcast loop.
  const Tensor x = arange(24, kFloat32).view({2, 3, 2, 2});
  const Tensor bias = tensor({100.f, 200.f, 300.f}).view({1, 3, 1, 1});
  std::vector<double> expect(24);
  for (int i = 0; i < 24; ++i) expect[static_cast<size_t>(i)] = i + 100.0 * (1 + (i / 4) % 3);
  check_values(x + bias, expect);
  Tensor y = x.clone();
  y.add_(bias);
  check_values(y, expect);
  check_values((x + bias).sum({0, 2, 3}), {2 * 4 * 100 + (0 + 1 + 2 + 3 + 12 + 13 + 14 + 15),
                                           2 * 4 * 200 + (4 + 5 + 6 + 7 + 16 + 17 + 18 + 19),
                                           2 * 4 * 300 + (8 + 9 + 10 + 11 + 20 + 21 + 22 + 23)});
}

BOOST_AUTO_TEST_CASE(scalar_operands) {
  const Tensor x = X();
  check_values(2.0 - x, {4.5, 3, 2.29999995, 2, 1.60000002, 1, -0.200000048, -1.70000005});
  check_values(3.0 / (x + 4.0), {2, 1, 0.810810804, 0.75, 0.681818128, 0.600000024, 0.483870983, 0.38961041});
  check_values(x * 2.0, {-5, -2, -0.6, 0, 0.8, 2, 4.4, 7.4});
  check_values(2.0 * x / 4.0, {-1.25, -0.5, -0.15, 0, 0.2, 0.5, 1.1, 1.85});
  check_values(-x, {2.5, 1, 0.3, 0, -0.4, -1, -2.2, -3.7});
  check_values(x - 1.5, {-4, -2.5, -1.8, -1.5, -1.1, -0.5, 0.7, 2.2});
  // A 0-d tensor broadcasts like a scalar.
  check_values(x * tensor(2.0), {-5, -2, -0.6, 0, 0.8, 2, 4.4, 7.4});
  CHECK_DTYPE((x * 2.0), kFloat32);
}

BOOST_AUTO_TEST_CASE(shape_mismatch_is_a_shape_error) {
  BOOST_CHECK_THROW(zeros({2, 3}) + zeros({4}), ShapeError);
  BOOST_CHECK_THROW(zeros({2, 3}) * zeros({3, 2}), ShapeError);
  BOOST_CHECK_THROW(where(zeros({2}, kBool), zeros({3}), zeros({2})), ShapeError);
  BOOST_CHECK_THROW(where(zeros({2}), zeros({2}), zeros({2})), TypeError);  // condition must be bool
  BOOST_CHECK_THROW(Tensor() + zeros({2}), ValueError);
  try {
    (void)(zeros({2, 3}) + zeros({4}));
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("[2, 3]") != std::string::npos);
    BOOST_TEST(msg.find("[4]") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(grad_fn_names_follow_pytorch) {
  Tensor x = randn({3}).requires_grad_();
  Tensor y = randn({3}).requires_grad_();
  BOOST_TEST(grad_fn_name(x + y) == "AddBackward0");
  BOOST_TEST(grad_fn_name(x + 2.0) == "AddBackward0");
  BOOST_TEST(grad_fn_name(x - y) == "SubBackward0");
  BOOST_TEST(grad_fn_name(2.0 - x) == "RsubBackward1");
  BOOST_TEST(grad_fn_name(x * y) == "MulBackward0");
  BOOST_TEST(grad_fn_name(x / 2.0) == "DivBackward0");
  BOOST_TEST(grad_fn_name(-x) == "NegBackward0");
  BOOST_TEST(grad_fn_name(x.pow(2.0)) == "PowBackward0");
  BOOST_TEST(grad_fn_name(x.square()) == "PowBackward0");
  BOOST_TEST(grad_fn_name(x.pow(y)) == "PowBackward1");
  BOOST_TEST(grad_fn_name(x.exp()) == "ExpBackward0");
  BOOST_TEST(grad_fn_name(x.clamp(0.0, 1.0)) == "ClampBackward1");
  BOOST_TEST(grad_fn_name(where(x > 0.0, x, y)) == "WhereBackward0");
  BOOST_TEST(grad_fn_name(maximum(x, y)) == "MaximumBackward0");
  BOOST_TEST(grad_fn_name(x > y) == "None");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(unary)

BOOST_AUTO_TEST_CASE(math_functions_match_pytorch) {
  const Tensor x = X(), p = P();
  check_values(x.exp(), {0.0820849985, 0.36787945, 0.740818202, 1, 1.49182463, 2.71828175, 9.02501392, 40.4473076});
  check_values(x.abs(), {2.5, 1, 0.300000012, 0, 0.400000006, 1, 2.20000005, 3.70000005});
  check_values(x.square(), {6.25, 1, 0.0900000036, 0, 0.160000011, 1, 4.84000015, 13.6900005});
  check_values(x.sin(), {-0.598472118, -0.841470957, -0.295520216, 0, 0.389418364, 0.841470957, 0.808496356,
                         -0.529836178});
  check_values(x.cos(), {-0.801143587, 0.540302336, 0.955336511, 1, 0.921060979, 0.540302336, -0.588501155,
                         -0.848100007});
  check_values(x.clamp(-1.0, 2.0), {-1, -1, -0.300000012, 0, 0.400000006, 1, 2, 2});
  check_values(x.clamp(0.5), {0.5, 0.5, 0.5, 0.5, 0.5, 1, 2.20000005, 3.70000005});
  check_values(x.clamp(std::nullopt, 0.0), {-2.5, -1, -0.3, 0, 0, 0, 0, 0});
  check_values(x.pow(3.0), {-15.625, -1, -0.0270000026, 0, 0.064000003, 1, 10.6480007, 50.6530037});
  check_values(p.log(), {-2.30258512, -0.693147182, 0, 0.693147182, 1.1939224, 2.30258512});
  check_values(p.sqrt(), {0.316227764, 0.707106769, 1, 1.41421354, 1.81659019, 3.1622777});
  check_values(p.rsqrt(), {3.1622777, 1.41421354, 1, 0.707106769, 0.550481915, 0.316227764});
  check_values(p.pow(2.5), {0.00316227786, 0.176776692, 1, 5.65685415, 19.7826672, 316.227753});
  check_values(p.pow(-0.5), {3.1622777, 1.41421354, 1, 0.707106769, 0.550481915, 0.316227764});
  BOOST_CHECK_THROW(x.clamp(std::nullopt, std::nullopt), ValueError);
}

BOOST_AUTO_TEST_CASE(float32_exp_is_accurate_over_its_range) {
  // The vectorised float32 exp against double-precision std::exp: within 2 ulp everywhere it is
  // normal, 0 below the normal range, inf above, NaN kept.
  std::vector<float> xs;
  for (int i = 0; i <= 200000; ++i) xs.push_back(-100.0f + 200.0f * static_cast<float>(i) / 200000.0f);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 88.72f, 88.73f, -87.33f, -87.34f, -103.9f, 1e30f, -1e30f})
    xs.push_back(v);
  const float inf = std::numeric_limits<float>::infinity();
  xs.push_back(inf);
  xs.push_back(-inf);
  xs.push_back(std::numeric_limits<float>::quiet_NaN());
  const Tensor x = from_vector(xs);
  const auto got = x.exp().to_vector<float>();
  const auto sig = x.sigmoid().to_vector<float>();
  for (size_t i = 0; i < xs.size(); ++i) {
    const double ref = std::exp(static_cast<double>(xs[i]));
    const double sref = 1.0 / (1.0 + std::exp(-static_cast<double>(xs[i])));
    BOOST_TEST_INFO("x = " << xs[i] << ": exp " << got[i] << " vs " << ref << ", sigmoid " << sig[i] << " vs " << sref);
    if (std::isnan(xs[i])) {
      BOOST_REQUIRE(std::isnan(got[i]) && std::isnan(sig[i]));
      continue;
    }
    BOOST_REQUIRE(std::abs(sig[i] - sref) <= 3e-7 * sref + 1e-38);
    if (ref > std::numeric_limits<float>::max()) {
      BOOST_REQUIRE(got[i] == inf);
    } else if (ref < std::numeric_limits<float>::min()) {
      BOOST_REQUIRE(got[i] >= 0.0f && got[i] <= std::numeric_limits<float>::min());
    } else {
      BOOST_REQUIRE(std::abs(got[i] - ref) <= 2.0 * 1.2e-7 * ref);
    }
  }
}

BOOST_AUTO_TEST_CASE(nan_handling) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor v = tensor({1.0, nan, -2.0});
  check_values(isnan(v), {0, 1, 0});
  CHECK_DTYPE(isnan(v), kBool);
  check_values(maximum(v, zeros({3})), {1, nan, 0});
  check_values(v.clamp(0.0, 0.5), {0.5, nan, 0});
  BOOST_CHECK(!allclose(v, v));
  BOOST_CHECK(!equal(v, v));
}

BOOST_AUTO_TEST_CASE(special_gradients_match_pytorch) {
  Tensor a = tensor({1.0, 2.0, 3.0}, requires_grad());
  Tensor b = tensor({1.0, 5.0, 0.0}, requires_grad());
  maximum(a, b).sum().backward();
  check_values(a.grad(), {0.5, 0, 1});  // a tie splits the gradient
  check_values(b.grad(), {0.5, 1, 0});
  Tensor x = tensor({-1.0, 0.0, 0.5, 2.0, 3.0}, requires_grad());
  x.clamp(0.0, 2.0).sum().backward();
  check_values(x.grad(), {0, 1, 1, 1, 0});  // bounds included
  Tensor y = tensor({-1.0, 0.0, 0.5, 2.0, 3.0}, requires_grad());
  y.abs().sum().backward();
  check_values(y.grad(), {-1, 0, 1, 1, 1});
  Tensor x0 = tensor({0.0, 0.0, 2.0}, requires_grad());
  Tensor e0 = tensor({2.0, 0.0, 3.0}, requires_grad());
  x0.pow(e0).sum().backward();
  check_values(x0.grad(), {0, 0, 12});
  check_values(e0.grad(), {0, 0, 5.54517746});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradients)

BOOST_AUTO_TEST_CASE(binary_ops_with_broadcasting) {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> shapes = {
      {{3, 1, 4}, {2, 4}}, {{2, 3}, {2, 3}}, {{}, {2, 3}}, {{2, 3}, {}}, {{4, 1}, {1, 5}}, {{}, {}}};
  for (const auto& [sa, sb] : shapes) {
    BOOST_TEST_INFO("shapes " << to_string(sa) << " and " << to_string(sb));
    Tensor a = leaf64(sa), b = leaf64(sb), bp = positive64(sb), ap = positive64(sa);
    gradcheck([](const auto& in) { return in[0] + in[1]; }, {a, b});
    gradcheck([](const auto& in) { return in[0].add(in[1], 0.5); }, {a, b});
    gradcheck([](const auto& in) { return in[0] - in[1]; }, {a, b});
    gradcheck([](const auto& in) { return in[0].sub(in[1], -3.0); }, {a, b});
    gradcheck([](const auto& in) { return in[0] * in[1]; }, {a, b});
    gradcheck([](const auto& in) { return in[0] / in[1]; }, {a, bp});
    gradcheck([](const auto& in) { return in[0].pow(in[1]); }, {ap, b});
    gradcheck([](const auto& in) { return maximum(in[0], in[1]); }, {a, b});
    gradcheck([](const auto& in) { return minimum(in[0], in[1]); }, {a, b});
    gradcheck([](const auto& in) { return where(in[0] > in[1], in[0], in[1] * 3.0); }, {a, b});
  }
}

BOOST_AUTO_TEST_CASE(random_broadcast_shapes) {
  // Seeded random shape pairs: up to 4-D, sizes 1..3, some dims set to 1 or dropped on one side.
  manual_seed(7);
  std::mt19937 rng(11);
  for (int trial = 0; trial < 12; ++trial) {
    const int nd = static_cast<int>(rng() % 5);
    std::vector<int64_t> full(static_cast<size_t>(nd));
    for (auto& d : full) d = 1 + static_cast<int64_t>(rng() % 3);
    auto thin = [&](std::vector<int64_t> s) {
      for (auto& d : s)
        if (rng() % 3 == 0) d = 1;
      const size_t drop = s.empty() ? 0 : rng() % (s.size() + 1);
      return std::vector<int64_t>(s.begin() + static_cast<std::ptrdiff_t>(drop), s.end());
    };
    const auto sa = thin(full), sb = thin(full);
    BOOST_TEST_INFO("shapes " << to_string(sa) << " and " << to_string(sb));
    Tensor a = leaf64(sa), b = leaf64(sb), bp = positive64(sb);
    gradcheck([](const auto& in) { return in[0] * in[1] + in[0]; }, {a, b});
    gradcheck([](const auto& in) { return in[0] / in[1] - in[1]; }, {a, bp});
    gradcheck([](const auto& in) { return maximum(in[0], in[1]); }, {a, b});
  }
}

BOOST_AUTO_TEST_CASE(scalar_and_unary_ops) {
  for (const auto& s : std::vector<std::vector<int64_t>>{{}, {5}, {2, 3, 4}}) {
    BOOST_TEST_INFO("shape " << to_string(s));
    Tensor x = leaf64(s), p = positive64(s);
    gradcheck([](const auto& in) { return in[0] + 2.0; }, {x});
    gradcheck([](const auto& in) { return in[0] - 2.0; }, {x});
    gradcheck([](const auto& in) { return 2.0 - in[0]; }, {x});
    gradcheck([](const auto& in) { return in[0] * 3.0; }, {x});
    gradcheck([](const auto& in) { return 3.0 * in[0]; }, {x});
    gradcheck([](const auto& in) { return in[0] / 3.0; }, {x});
    gradcheck([](const auto& in) { return 3.0 / in[0]; }, {p});
    gradcheck([](const auto& in) { return -in[0]; }, {x});
    gradcheck([](const auto& in) { return in[0].pow(3.0); }, {x});
    gradcheck([](const auto& in) { return in[0].pow(2.0); }, {x});
    gradcheck([](const auto& in) { return in[0].pow(-1.5); }, {p});
    gradcheck([](const auto& in) { return in[0].square(); }, {x});
    gradcheck([](const auto& in) { return in[0].exp(); }, {x});
    gradcheck([](const auto& in) { return in[0].log(); }, {p});
    gradcheck([](const auto& in) { return in[0].sqrt(); }, {p});
    gradcheck([](const auto& in) { return in[0].rsqrt(); }, {p});
    gradcheck([](const auto& in) { return in[0].abs(); }, {p});
    gradcheck([](const auto& in) { return (-in[0]).abs(); }, {p});
    gradcheck([](const auto& in) { return in[0].sin(); }, {x});
    gradcheck([](const auto& in) { return in[0].cos(); }, {x});
    gradcheck([](const auto& in) { return in[0].clamp(-0.5, 0.5); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(non_contiguous_input) {
  Tensor x = leaf64({4, 3});
  gradcheck([](const auto& in) { return in[0].t() * tensor({1.0, 2.0, 3.0, 4.0}, kFloat64); }, {x});
  gradcheck([](const auto& in) { return in[0].t().exp(); }, {x});
}

BOOST_AUTO_TEST_CASE(second_order) {
  // Backward formulas are built from differentiable ops, so gradients of gradients work.
  Tensor x = tensor({0.5, 1.5, -2.0}, TensorOptions(kFloat64).requires_grad(true));
  Tensor y = (x * x * x).sum();
  y.backward({}, true, true);
  Tensor g = x.grad().clone();
  check_values(g, {0.75, 6.75, 12});  // 3x^2
  x.mutable_grad() = Tensor();
  g.sum().backward();
  check_values(x.grad(), {3, 9, -12});  // 6x
}

BOOST_AUTO_TEST_CASE(second_order_gradients_of_every_op) {
  const Tensor w = randn({2, 3}, kFloat64);
  const std::vector<std::function<Tensor(const Tensor&, const Tensor&)>> ops = {
      [](const Tensor& x, const Tensor& y) { return x * y; },
      [](const Tensor& x, const Tensor& y) { return x / y; },
      [](const Tensor& x, const Tensor& y) { return x.pow(y); },
      [](const Tensor& x, const Tensor& y) { return x.pow(2.5) + y.pow(2.0); },
      [](const Tensor& x, const Tensor&) { return x.exp(); },
      [](const Tensor& x, const Tensor&) { return x.log(); },
      [](const Tensor& x, const Tensor&) { return x.sqrt(); },
      [](const Tensor& x, const Tensor&) { return x.rsqrt(); },
      [](const Tensor& x, const Tensor&) { return x.sin() + x.cos(); },
      [](const Tensor& x, const Tensor&) { return 3.0 / x; },
      [](const Tensor& x, const Tensor& y) { return maximum(x, y) * x; },
      [](const Tensor& x, const Tensor& y) { return where(x > y, x * x, y * x); }};
  for (size_t k = 0; k < ops.size(); ++k) {
    BOOST_TEST_INFO("op #" << k);
    const auto& op = ops[k];
    gradcheck(
        [&](const auto& in) {
          AutoGradMode enable(true);  // gradcheck evaluates finite differences under NoGradGuard
          Tensor y = (op(in[0], in[1]) * w).sum();
          auto g = autograd::grad({y}, {in[0], in[1]}, {}, std::nullopt, true, true);
          Tensor r = g[0] * 1.0;
          if (g[1].defined()) r = r + g[1] * 2.0;
          return r;
        },
        {positive64({2, 3}), positive64({2, 3})});
  }
}

BOOST_AUTO_TEST_CASE(mixed_dtype_gradients_keep_input_dtype) {
  Tensor a = randn({3}).requires_grad_();                    // float32
  Tensor b = randn({3}, kFloat64).requires_grad_();          // float64
  Tensor y = (a * b).sum();
  CHECK_DTYPE(y, kFloat64);
  y.backward();
  CHECK_DTYPE(a.grad(), kFloat32);
  CHECK_DTYPE(b.grad(), kFloat64);
  check_values(a.grad(), b.detach().to_vector<double>(), 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(promotion)

BOOST_AUTO_TEST_CASE(result_types_follow_pytorch) {
  const Tensor i = tensor({1, 2});
  CHECK_DTYPE(i, kInt64);
  CHECK_DTYPE((i + tensor({0.5, 0.5})), kFloat32);
  CHECK_DTYPE((tensor({1.0}) + tensor({1.0}, kFloat64)), kFloat64);
  CHECK_DTYPE((i * 2.5), kFloat32);
  check_values(i * 2.5, {2.5, 5});
  const Tensor q = tensor({1, 3}) / tensor({2, 2});
  CHECK_DTYPE(q, kFloat32);
  check_values(q, {0.5, 1.5});
  // A 0-d tensor takes part only when its category is higher.
  CHECK_DTYPE((tensor({1.0}) + tensor(1.5, kFloat64)), kFloat32);
  CHECK_DTYPE((i + tensor(1.5, kFloat64)), kFloat64);
  CHECK_DTYPE((tensor({true}) + tensor({true})), kBool);
  CHECK_DTYPE((i + tensor({true, false})), kInt64);
}

BOOST_AUTO_TEST_CASE(int64_arithmetic_is_exact) {
  const Tensor a = tensor({3, 4}), b = tensor({5, 6});
  const Tensor s = a + b;
  CHECK_DTYPE(s, kInt64);
  BOOST_TEST(s.to_vector<int64_t>() == std::vector<int64_t>({8, 10}), boost::test_tools::per_element());
  BOOST_TEST((a * b).to_vector<int64_t>() == std::vector<int64_t>({15, 24}), boost::test_tools::per_element());
  BOOST_TEST((a - b).to_vector<int64_t>() == std::vector<int64_t>({-2, -2}), boost::test_tools::per_element());
  const Tensor big = tensor({int64_t{1} << 60});
  BOOST_CHECK_EQUAL((big + tensor({1})).item<int64_t>(), (int64_t{1} << 60) + 1);
  CHECK_DTYPE(a.pow(tensor({2, 3})), kInt64);
  CHECK_DTYPE(a.pow(2.0), kFloat32);  // a double exponent promotes, as PyTorch's i.pow(2.0)
  CHECK_DTYPE(a.square(), kInt64);
  BOOST_TEST(a.square().to_vector<int64_t>() == std::vector<int64_t>({9, 16}), boost::test_tools::per_element());
  check_values(tensor({1, 2, 3}).clamp(0.5, 2.5), {1, 2, 2.5});
  // Floating bounds promote by their kind, not their value (PyTorch 1.13 and LibTorch: float32).
  CHECK_DTYPE(tensor({1, 2, 3}).clamp(0.0, 2.0), kFloat32);
  CHECK_DTYPE(tensor({1, 2, 3}).clamp(0, 2), kInt64);
  BOOST_TEST(a.pow(tensor({2, 3})).to_vector<int64_t>() == std::vector<int64_t>({9, 64}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(comparisons)

BOOST_AUTO_TEST_CASE(compare_tensors_and_scalars) {
  const Tensor x = tensor({1.0, 2.0, 3.0}), y = tensor({3.0, 2.0, 1.0});
  CHECK_DTYPE((x == y), kBool);
  check_values(x == y, {0, 1, 0});
  check_values(x != y, {1, 0, 1});
  check_values(x < y, {1, 0, 0});
  check_values(x <= y, {1, 1, 0});
  check_values(x > y, {0, 0, 1});
  check_values(x >= y, {0, 1, 1});
  check_values(x.eq(2.0), {0, 1, 0});
  check_values(x.lt(2.5), {1, 1, 0});
  check_values(x.ge(y), {0, 1, 1});
  check_values(x > 1.5, {0, 1, 1});
  // Broadcast comparison.
  check_sizes(x.view({3, 1}) < y, {3, 3});
  check_values(x.view({3, 1}) < y, {1, 1, 0, 1, 0, 0, 0, 0, 0});
  // float32 compares with a double scalar converted to float32, as PyTorch.
  check_values(tensor({0.1}) == 0.1, {1});
}

BOOST_AUTO_TEST_CASE(int64_labels_and_accuracy_counting) {
  const Tensor labels = tensor({0, 2, 1, 2});
  const Tensor pred = tensor({0, 1, 1, 2});
  BOOST_CHECK_EQUAL((pred == labels).sum().item<int64_t>(), 3);
  CHECK_DTYPE((pred == labels).sum(), kInt64);
  check_values(labels == 2.0, {0, 1, 0, 1});
  check_values(labels < 1.5, {1, 0, 1, 0});
  check_values(labels == tensor({0.0, 2.0, 1.5, 2.0}), {1, 1, 0, 1});
}

BOOST_AUTO_TEST_CASE(equal_and_allclose) {
  const Tensor a = tensor({1.0, 2.0, 3.0});
  BOOST_CHECK(equal(a, a.clone()));
  BOOST_CHECK(a.equal(tensor({1.0, 2.0, 3.0})));
  BOOST_CHECK(!equal(a, tensor({1.0, 2.0, 3.5})));
  BOOST_CHECK(!equal(a, tensor({1.0, 2.0})));
  BOOST_CHECK(allclose(a, a + 1e-6));
  BOOST_CHECK(!allclose(a, a + 1e-3));
  BOOST_CHECK(a.allclose(a + 1e-3, 1e-3, 1e-3));
  BOOST_CHECK(allclose(tensor({1e10}, kFloat64), tensor({1.00001e10}, kFloat64)));
  BOOST_CHECK(!allclose(tensor({1e10}, kFloat64), tensor({1.0001e10}, kFloat64)));
  BOOST_CHECK_THROW(allclose(a, zeros({2})), ShapeError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(inplace)

BOOST_AUTO_TEST_CASE(fill_and_zero_on_views) {
  Tensor x = ones({2, 8});
  x.slice(1, 2, 6).fill_(0);
  check_values(x, {1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1});
  x.t().select(0, 0).zero_();  // column 0 through a transposed view
  check_values(x, {0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1});
  Tensor i = tensor({1, 2, 3});
  i.fill_(7);
  BOOST_TEST(i.to_vector<int64_t>() == std::vector<int64_t>({7, 7, 7}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(arithmetic_broadcasts_other_into_self) {
  Tensor x = arange(6, kFloat32).view({2, 3});
  x.add_(tensor({10.f, 20.f, 30.f}));
  check_values(x, {10, 21, 32, 13, 24, 35});
  x.sub_(tensor({{1.f}, {2.f}}), 2.0);
  check_values(x, {8, 19, 30, 9, 20, 31});
  x.mul_(tensor(0.5f));
  check_values(x, {4, 9.5, 15, 4.5, 10, 15.5});
  x.div_(tensor({2.f, 1.f, 0.5f}));
  check_values(x, {2, 9.5, 30, 2.25, 10, 31});
  x += 1.0;
  x -= 2.0;
  x *= 2.0;
  x /= 4.0;
  check_values(x, {0.5, 4.25, 14.5, 0.625, 4.5, 15});
  x.clamp_(1.0, 10.0);
  check_values(x, {1, 4.25, 10, 1, 4.5, 10});
  // self would have to grow: ShapeError
  BOOST_CHECK_THROW(zeros({3}).add_(zeros({2, 3})), ShapeError);
  BOOST_CHECK_THROW(zeros({3}).mul_(zeros({2})), ShapeError);
  // float result into an int64 tensor: TypeError, as PyTorch
  Tensor i = tensor({1, 2});
  BOOST_CHECK_THROW(i.add_(tensor({0.5, 0.5})), TypeError);
  BOOST_CHECK_THROW(i.div_(2.0), TypeError);
  BOOST_CHECK_THROW(i.add_(0.5), TypeError);
  i.add_(tensor({1, 1}));
  BOOST_CHECK_THROW(i += 3.0, TypeError);  // a floating Scalar's result type is float32 (PyTorch)
  i += 3;
  BOOST_TEST(i.to_vector<int64_t>() == std::vector<int64_t>({5, 6}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(inplace_on_strided_views_writes_the_base) {
  Tensor base = zeros({4, 4});
  Tensor col = base.slice(1, 1, 2);  // [4, 1], stride 4
  col.add_(tensor({{1.f}, {2.f}, {3.f}, {4.f}}));
  base.t().slice(0, 3, 4).add_(5.0);  // last column through a transposed view
  check_values(base, {0, 1, 0, 5, 0, 2, 0, 5, 0, 3, 0, 5, 0, 4, 0, 5});
  // Overlapping source and destination: reads see the values before the update.
  Tensor v = arange(4, kFloat32);
  Tensor r = v.view({2, 2});
  r.add_(r.t());
  check_values(v, {0, 3, 3, 6});
}

BOOST_AUTO_TEST_CASE(parameter_update_under_no_grad) {
  Tensor w = tensor({1.0, 2.0, 3.0}, requires_grad());
  (w * w).sum().backward();
  const auto v0 = w._version();
  {
    NoGradGuard guard;
    w -= 0.1 * w.grad();
  }
  check_values(w, {0.8, 1.6, 2.4});
  BOOST_CHECK_GT(w._version(), v0);
  BOOST_CHECK(w.requires_grad());
  BOOST_CHECK(w.is_leaf());
  // Without the guard an in-place update of a leaf that requires grad is refused.
  BOOST_CHECK_THROW(w.sub_(w.grad()), AutogradError);
  BOOST_CHECK_THROW(w.zero_(), AutogradError);
  BOOST_CHECK_THROW(w.mul_(2.0), AutogradError);
  // A saved tensor modified in place is detected at backward.
  Tensor a = tensor({1.0, 2.0}, requires_grad());
  Tensor b = tensor({3.0, 4.0});
  Tensor y = (a * b).sum();
  b.mul_(2.0);
  BOOST_CHECK_THROW(y.backward(), AutogradError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(robustness)

BOOST_AUTO_TEST_CASE(int64_overflow_wraps_like_pytorch) {
  const int64_t mx = std::numeric_limits<int64_t>::max();
  const int64_t mn = std::numeric_limits<int64_t>::min();
  BOOST_CHECK_EQUAL((tensor({mx}) + tensor({int64_t{1}})).item<int64_t>(), mn);
  BOOST_CHECK_EQUAL((-tensor({mn})).item<int64_t>(), mn);
  BOOST_CHECK_EQUAL(tensor({mx, mx}).sum().item<int64_t>(), -2);
  BOOST_CHECK_EQUAL((tensor({mx}) * tensor({int64_t{2}})).item<int64_t>(), -2);
}

BOOST_AUTO_TEST_CASE(unrepresentable_scalars_are_rejected) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor i = tensor({1, 2});
  BOOST_CHECK_THROW(i.fill_(nan), ValueError);
  BOOST_CHECK_THROW(i.fill_(1e30), ValueError);
  BOOST_CHECK_THROW(i.add_(1e30), TypeError);
  BOOST_CHECK_THROW(i.clamp_(nan), TypeError);
  // Compared in floating point instead of converting 1e30 to int64.
  check_values(i < 1e30, {1, 1});
  Tensor f = zeros({2});
  f.fill_(nan);
  BOOST_CHECK(std::isnan(f.to_vector<double>()[0]));
}

BOOST_AUTO_TEST_SUITE_END()

// log1p, expm1, clamp_min, clamp_max (issue 9 item 3); values from the end of
// tests/reference/elementwise.py.
BOOST_AUTO_TEST_SUITE(log1p_expm1_clamp_bounds)

BOOST_AUTO_TEST_CASE(values_match_pytorch) {
  const Tensor l = tensor({-0.9, -1e-7, 0.0, 1e-8, 0.5, 3.0, 100.0});
  // Exact for small |x|: 1e-8 survives (log(1 + 1e-8f) would be 0).
  check_values(l.log1p(), {-2.30258489, -1.00000008e-07, 0, 9.99999994e-09, 0.405465096, 1.38629436, 4.61512041},
               1e-12);
  // (check_values compares by difference, which inf - inf makes NaN: the overflow is checked apart.)
  check_values(xgrad::expm1(l).slice(0, 0, 6),
               {-0.59343034, -9.99999941e-08, 0, 9.99999994e-09, 0.648721278, 19.085537}, 1e-12);
  BOOST_TEST(xgrad::expm1(l)[6].item<double>() == std::numeric_limits<double>::infinity());
  const Tensor i = tensor({0, 1, 3}).log1p();
  BOOST_CHECK_EQUAL(dtype_name(i.dtype()), dtype_name(kFloat32));
  check_values(i, {0, 0.693147182, 1.38629436});
  const Tensor x = tensor({-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.2, 3.7});
  check_values(x.clamp_min(0.4), {0.4, 0.4, 0.4, 0.4, 0.4, 1, 2.2, 3.7});
  check_values(xgrad::clamp_max(x, 1.0), {-2.5, -1, -0.3, 0, 0.4, 1, 1, 1});
  const Tensor ci = tensor({1, 2, 3}).clamp_min(2);
  BOOST_CHECK_EQUAL(dtype_name(ci.dtype()), dtype_name(kInt64));
  BOOST_TEST(ci.to_vector<int64_t>() == std::vector<int64_t>({2, 2, 3}), boost::test_tools::per_element());
  const Tensor cf = tensor({1, 2, 3}).clamp_min(1.5);
  BOOST_CHECK_EQUAL(dtype_name(cf.dtype()), dtype_name(kFloat32));
  check_values(cf, {1.5, 2, 3});
  check_values(tensor({std::nan(""), 1.0}).clamp_min(0.0), {std::nan(""), 1});
}

BOOST_AUTO_TEST_CASE(gradients_match_pytorch) {
  Tensor x = tensor({-1.0, 0.0, 0.5, 2.0, 3.0}).requires_grad_();
  x.clamp_min(0.5).sum().backward();
  check_values(x.grad(), {0, 0, 1, 1, 1});  // the bound itself passes the gradient
  x.mutable_grad() = Tensor();
  x.clamp_max(2.0).sum().backward();
  check_values(x.grad(), {1, 1, 1, 1, 0});
  x.mutable_grad() = Tensor();
  (x.log1p() + x.expm1()).sum().backward();
  BOOST_TEST(x.grad()[0].item<double>() == std::numeric_limits<double>::infinity());  // 1 / (1 + -1)
  check_values(x.grad().slice(0, 1), {2, 2.31538796, 7.7223897, 20.335537});
}

BOOST_AUTO_TEST_CASE(gradcheck_and_double_backward) {
  manual_seed(41);
  auto x = randn({3, 4}, kFloat64).requires_grad_();
  auto p = (rand({3, 4}, kFloat64) + 0.1).requires_grad_();
  BOOST_CHECK(autograd::gradcheck([](const auto& in) { return in[0].log1p(); }, {p}));
  BOOST_CHECK(autograd::gradgradcheck([](const auto& in) { return in[0].log1p(); }, {p}));
  BOOST_CHECK(autograd::gradcheck([](const auto& in) { return in[0].expm1(); }, {x}));
  BOOST_CHECK(autograd::gradgradcheck([](const auto& in) { return in[0].expm1(); }, {x}));
  BOOST_CHECK(autograd::gradcheck([](const auto& in) { return in[0].clamp_min(0.2) * in[0]; }, {x}));
  BOOST_CHECK(autograd::gradgradcheck([](const auto& in) { return in[0].clamp_min(0.2) * in[0]; }, {x}));
  BOOST_CHECK(autograd::gradcheck([](const auto& in) { return in[0].clamp_max(0.3).pow(3); }, {x}));
  BOOST_CHECK(autograd::gradgradcheck([](const auto& in) { return in[0].clamp_max(0.3).pow(3); }, {x}));
  BOOST_CHECK_EQUAL(x.log1p().grad_fn()->name(), "Log1PBackward0");
  BOOST_CHECK_EQUAL(x.expm1().grad_fn()->name(), "Expm1Backward0");
  BOOST_CHECK_EQUAL(x.clamp_min(0).grad_fn()->name(), "ClampMinBackward0");
  BOOST_CHECK_EQUAL(x.clamp_max(0).grad_fn()->name(), "ClampMaxBackward0");
}

BOOST_AUTO_TEST_CASE(in_place_bounds) {
  Tensor x = tensor({-1.0, 0.5, 2.0});
  Tensor& r = x.clamp_min_(0.0);
  BOOST_TEST(&r == &x);
  check_values(x, {0, 0.5, 2});
  x.clamp_max_(1.0);
  check_values(x, {0, 0.5, 1});
  Tensor i = tensor({1, 5});
  i.clamp_max_(3);
  BOOST_TEST(i.to_vector<int64_t>() == std::vector<int64_t>({1, 3}), boost::test_tools::per_element());
  BOOST_CHECK_THROW(i.clamp_min_(0.5), TypeError);  // a fractional bound cannot be written into int64
  BOOST_CHECK_THROW(tensor({true}).clamp_min(0.0), TypeError);
  BOOST_CHECK_THROW(tensor({true}).clamp_max_(0.0), TypeError);
  Tensor leaf = zeros({2}, requires_grad());
  BOOST_CHECK_THROW(leaf.clamp_min_(0.0), AutogradError);
  BOOST_CHECK_THROW(xgrad::log1p(Tensor()), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()

// LibTorch names of issue 9 (names branch): erf, remainder / fmod / %, isinf / isfinite,
// all / any, max / min of two tensors, repeat, type_as, alias, addmm. Values from
// tests/reference/names.py (PyTorch 1.13).
BOOST_AUTO_TEST_SUITE(libtorch_names)

BOOST_AUTO_TEST_CASE(erf_values_gradient_and_double_backward) {
  const Tensor x = X();
  check_values(xgrad::erf(x),
               {-0.999593019, -0.842700779, -0.328626782, 0, 0.428392351, 0.842700779, 0.998137176, 0.999999821});
  CHECK_DTYPE(tensor({0, 1}).erf(), kFloat32);
  Tensor x64 = x.to(kFloat64).requires_grad_();
  x64.erf().sum().backward();
  check_values(x64.grad(), {0.00217828423, 0.415107497, 1.0312609, 1.12837917, 0.961541294, 0.415107497,
                            0.00892215319, 1.27927363e-06},
               1e-9, 1e-7);
  BOOST_CHECK_EQUAL(grad_fn_name(x64.erf()), "ErfBackward0");
  manual_seed(5);
  const auto in = leaf64({3, 4});
  gradcheck([](const auto& a) { return a[0].erf(); }, {in});
  BOOST_CHECK(autograd::gradgradcheck([](const auto& a) { return a[0].erf(); }, {in}));
  BOOST_CHECK_THROW(xgrad::erf(Tensor()), ValueError);
}

BOOST_AUTO_TEST_CASE(remainder_and_fmod_follow_pytorch_signs) {
  const Tensor a = tensor({-7.5, -3.0, -0.5, 0.0, 2.0, 5.25, 7.0});
  check_values(xgrad::remainder(a, 2.5), {0, 2, 2, 0, 2, 0.25, 2});
  check_values(a % -2.5, {0, -0.5, -0.5, 0, -0.5, -2.25, -0.5});
  check_values(a.fmod(2.5), {0, -0.5, -0.5, 0, 2, 0.25, 2});
  check_values(xgrad::fmod(a, -2.5), {0, -0.5, -0.5, 0, 2, 0.25, 2});
  const Tensor i = tensor({-7, -3, -1, 0, 2, 5, 7});
  const Tensor r = i % 3;
  CHECK_DTYPE(r, kInt64);
  BOOST_TEST(r.to_vector<int64_t>() == std::vector<int64_t>({2, 0, 2, 0, 2, 2, 1}), boost::test_tools::per_element());
  BOOST_TEST((i % -3).to_vector<int64_t>() == std::vector<int64_t>({-1, 0, -1, 0, -1, -1, -2}),
             boost::test_tools::per_element());
  BOOST_TEST(i.fmod(3).to_vector<int64_t>() == std::vector<int64_t>({-1, 0, -1, 0, 2, 2, 1}),
             boost::test_tools::per_element());
  CHECK_DTYPE(i % 2.5, kFloat32);
  const Tensor d = tensor({2.0, -1.5, 0.75, 3.0, -4.0, 1.25, -2.0});
  check_values(a % d, {0.5, 0, 0.25, 0, -2, 0.25, -1});
  check_values(a.fmod(d), {-1.5, 0, -0.5, 0, 2, 0.25, 1});
  // Floating division by zero is NaN; integral is an error (PyTorch's ZeroDivisionError).
  BOOST_TEST(std::isnan((a % 0.0)[0].item<double>()));
  BOOST_CHECK_THROW(i % 0, ValueError);
  BOOST_CHECK_THROW(xgrad::fmod(i, tensor({1, 0, 1, 1, 1, 1, 1})), ValueError);
  // bool % int promotes to int64 (as PyTorch); bool % bool has no kernel (TypeError).
  BOOST_TEST((tensor({true, false}) % 2).to_vector<int64_t>() == std::vector<int64_t>({1, 0}),
             boost::test_tools::per_element());
  BOOST_CHECK_THROW(tensor({true}) % true, TypeError);
  BOOST_CHECK_THROW(xgrad::fmod(tensor({true}), tensor({true})), TypeError);
  BOOST_CHECK_THROW(a % tensor({1.0, 2.0}), ShapeError);
}

BOOST_AUTO_TEST_CASE(remainder_and_fmod_gradients) {
  Tensor a = tensor({-7.5, -3.0, -0.5, 0.0, 2.0, 5.25, 7.0}, kFloat64).requires_grad_();
  Tensor d = tensor({2.0, -1.5, 0.75, 3.0, -4.0, 1.25, -2.0}, kFloat64).requires_grad_();
  xgrad::remainder(a, d).sum().backward();
  check_values(a.grad(), {1, 1, 1, 1, 1, 1, 1});
  check_values(d.grad(), {4, -2, 1, 0, 1, -4, 4});
  a.mutable_grad() = Tensor();
  d.mutable_grad() = Tensor();
  xgrad::fmod(a, d).sum().backward();
  check_values(d.grad(), {3, -2, 0, 0, 0, -4, 3});
  BOOST_CHECK_EQUAL(grad_fn_name(a % 2.0), "RemainderBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(a % d), "RemainderBackward1");
  BOOST_CHECK_EQUAL(grad_fn_name(a.fmod(2.0)), "FmodBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(a.fmod(d)), "FmodBackward1");
  manual_seed(6);
  const auto x = leaf64({2, 3}), y = positive64({2, 3});
  gradcheck([](const auto& v) { return v[0] % 0.7; }, {x});
  gradcheck([](const auto& v) { return xgrad::remainder(v[0], v[1]); }, {x, y});
  gradcheck([](const auto& v) { return xgrad::fmod(v[0], v[1]); }, {x, y});
  BOOST_CHECK(autograd::gradgradcheck([](const auto& v) { return xgrad::remainder(v[0], v[1]) * v[0]; }, {x, y}));
  BOOST_CHECK(autograd::gradgradcheck([](const auto& v) { return xgrad::fmod(v[0], v[1]) * v[1]; }, {x, y}));
}

BOOST_AUTO_TEST_CASE(isinf_isfinite_isnan_all_any) {
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor x = tensor({1.0, inf, -inf, std::nan(""), 0.0});
  BOOST_TEST(x.isinf().to_vector<int64_t>() == std::vector<int64_t>({0, 1, 1, 0, 0}), boost::test_tools::per_element());
  BOOST_TEST(xgrad::isfinite(x).to_vector<int64_t>() == std::vector<int64_t>({1, 0, 0, 0, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(x.isnan().to_vector<int64_t>() == std::vector<int64_t>({0, 0, 0, 1, 0}), boost::test_tools::per_element());
  CHECK_DTYPE(x.isinf(), kBool);
  BOOST_TEST(tensor({1, 2}).isfinite().all().item<bool>());
  // NaN counts as non-zero (true), as PyTorch.
  BOOST_TEST(tensor({std::nan(""), 1.0}).all().item<bool>());
  BOOST_TEST(!x.all().item<bool>());
  BOOST_TEST(x.any().item<bool>());
  BOOST_TEST(!zeros({3}).any().item<bool>());
  BOOST_TEST(zeros({0}).all().item<bool>());
  BOOST_TEST(!zeros({0}).any().item<bool>());
  CHECK_DTYPE(x.all(), kBool);
  BOOST_CHECK_EQUAL(x.all().dim(), 0);
  const Tensor m = tensor({{1.0, 0.0, 2.0}, {3.0, 4.0, 5.0}});
  BOOST_TEST(m.all(1).to_vector<int64_t>() == std::vector<int64_t>({0, 1}), boost::test_tools::per_element());
  BOOST_TEST(xgrad::any(m, 0, true).to_vector<int64_t>() == std::vector<int64_t>({1, 1, 1}),
             boost::test_tools::per_element());
  check_sizes(xgrad::any(m, 0, true), {1, 3});
  BOOST_CHECK_THROW(m.all(2), IndexError);
  BOOST_CHECK_THROW(Tensor().any(), ValueError);
}

BOOST_AUTO_TEST_CASE(max_min_of_two_tensors_are_maximum_minimum) {
  const Tensor a = A(), b = B();
  check_close(xgrad::max(a, b), maximum(a, b), 0, 0);
  check_close(xgrad::min(a, b), minimum(a, b), 0, 0);
  check_close(a.max(b), maximum(a, b), 0, 0);
  check_close(a.minimum(b), minimum(a, b), 0, 0);
  // The dim overloads are still chosen for an integer argument.
  check_sizes(std::get<0>(xgrad::max(a, 0)), {1, 4});
}

BOOST_AUTO_TEST_CASE(repeat_type_as_alias) {
  const Tensor r = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  const Tensor y = r.repeat({2, 1, 2});
  check_sizes(y, {2, 2, 6});
  check_values(y, {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
  Tensor r64 = r.to(kFloat64).requires_grad_();
  (r64.repeat({2, 3}) * arange(36, kFloat64).reshape({4, 9})).sum().backward();
  check_values(r64.grad(), {72, 78, 84, 126, 132, 138});
  check_sizes(r.repeat({0, 2}), {0, 6});
  BOOST_CHECK_THROW(r.repeat({2}), ValueError);
  BOOST_CHECK_THROW(r.repeat({2, -1}), ValueError);
  manual_seed(7);
  const auto x = leaf64({2, 3});
  gradcheck([](const auto& v) { return v[0].repeat({3, 1, 2}); }, {x});
  BOOST_CHECK(autograd::gradgradcheck([](const auto& v) { return v[0].repeat({2, 2}) * v[0].repeat({2, 2}); }, {x}));

  CHECK_DTYPE(tensor({1, 2}).type_as(tensor({1.0})), kFloat32);
  CHECK_DTYPE(tensor({1.5, 2.0}).type_as(tensor({1})), kInt64);
  const Tensor same = tensor({1.0});
  BOOST_TEST(same.type_as(same).is_same(same));

  Tensor base = tensor({{1.0, 2.0}, {3.0, 4.0}}).t();
  Tensor al = base.alias();
  BOOST_TEST(al.strides().vec() == base.strides().vec(), boost::test_tools::per_element());
  BOOST_TEST(!al.is_same(base));
  al.mul_(10.0);
  check_values(base, {10, 30, 20, 40});
  Tensor s = tensor(2.0);
  xgrad::alias(s).fill_(5.0);
  BOOST_TEST(s.item<double>() == 5.0);
  Tensor g = tensor({1.0, 2.0}).requires_grad_();
  (g.alias() * 3.0).sum().backward();
  check_values(g.grad(), {3, 3});
}

BOOST_AUTO_TEST_CASE(addmm_matches_pytorch) {
  const Tensor m = tensor({1.0, -2.0});
  const Tensor m1 = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}, {-1.0, 0.5, 2.0}});
  const Tensor m2 = tensor({{0.5, -1.0}, {2.0, 0.25}, {-1.5, 3.0}});
  check_values(xgrad::addmm(m, m1, m2, 0.5, 2), {0.5, 16, 6.5, 29.5, -4.5, 13.25});
  check_close(m.addmm(m1, m2), m + m1.mm(m2));
  // beta = 0: NaN in self does not reach the result.
  check_close(xgrad::addmm(full({3, 2}, std::nan("")), m1, m2, 0), m1.mm(m2));
  BOOST_CHECK_THROW(xgrad::addmm(m, m1, m1), ShapeError);
  BOOST_CHECK_THROW(xgrad::addmm(zeros({4, 2}), m1, m2), ShapeError);
  BOOST_CHECK_THROW(xgrad::addmm(m, m, m2), ShapeError);
  manual_seed(8);
  const auto b = leaf64({3}), x = leaf64({2, 4}), w = leaf64({4, 3});
  gradcheck([](const auto& v) { return xgrad::addmm(v[0], v[1], v[2], 0.5, -1.5); }, {b, x, w});
  BOOST_CHECK(autograd::gradgradcheck([](const auto& v) { return xgrad::addmm(v[0], v[1], v[2], 2, 3); }, {b, x, w}));
}

BOOST_AUTO_TEST_SUITE_END()
