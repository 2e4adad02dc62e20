#define BOOST_TEST_MODULE init
#include <boost/test/unit_test.hpp>

#include "reference/random_streams.hpp"
#include "support/testing.hpp"

namespace nn_names_ref {
#include "reference/nn_names.inc"
}

#include <cmath>
#include <functional>

// nn::init: gains (PyTorch 1.13's calculate_gain values, tests/reference/nn.py), fans, the
// ranges and moments of each initialiser, and that they fill leaves that require grad.

using namespace xgrad;
namespace init = xgrad::nn::init;
using xgrad::testing::check_values;

namespace {

struct Stats {
  double min, max, mean, std;
};

Stats stats(const Tensor& t) {
  const auto v = t.to_vector<double>();
  Stats s{v[0], v[0], 0.0, 0.0};
  for (double e : v) {
    s.min = std::min(s.min, e);
    s.max = std::max(s.max, e);
    s.mean += e;
  }
  s.mean /= static_cast<double>(v.size());
  for (double e : v) s.std += (e - s.mean) * (e - s.mean);
  s.std = std::sqrt(s.std / static_cast<double>(v.size()));
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(calculate_gain_matches_pytorch) {
  BOOST_CHECK_CLOSE(init::calculate_gain(xgrad::kReLU), 1.4142135623730951, 1e-12);
  BOOST_CHECK_CLOSE(init::calculate_gain(xgrad::kTanh), 1.6666666666666667, 1e-12);
  BOOST_CHECK_CLOSE(init::calculate_gain(xgrad::kLeakyReLU), 1.4141428569978354, 1e-12);
  BOOST_CHECK_CLOSE(init::calculate_gain(xgrad::kLeakyReLU, 0.2), 1.3867504905630728, 1e-12);
  BOOST_CHECK_EQUAL(init::calculate_gain(xgrad::kSigmoid), 1.0);
  BOOST_CHECK_EQUAL(init::calculate_gain(xgrad::kConv2D), 1.0);
  BOOST_CHECK_EQUAL(init::calculate_gain(xgrad::kLinear), 1.0);
}

BOOST_AUTO_TEST_CASE(fans) {
  const auto [fi, fo] = init::_calculate_fan_in_and_fan_out(zeros({16, 6, 5, 5}));
  BOOST_CHECK_EQUAL(fi, 150);
  BOOST_CHECK_EQUAL(fo, 400);
  const auto [li, lo] = init::_calculate_fan_in_and_fan_out(zeros({120, 400}));
  BOOST_CHECK_EQUAL(li, 400);
  BOOST_CHECK_EQUAL(lo, 120);
  BOOST_CHECK_THROW(init::_calculate_fan_in_and_fan_out(zeros({5})), ValueError);
  BOOST_CHECK_THROW(init::kaiming_uniform_(zeros({5})), ValueError);
  BOOST_CHECK_THROW(init::xavier_normal_(zeros({5})), ValueError);
}

BOOST_AUTO_TEST_CASE(constant_ones_zeros_on_parameters) {
  Tensor w = empty({2, 3}).requires_grad_(true);  // a leaf that requires grad: filled under NoGradGuard
  init::constant_(w, 0.25);
  check_values(w, std::vector<double>(6, 0.25));
  init::ones_(w);
  check_values(w, std::vector<double>(6, 1.0));
  init::zeros_(w);
  check_values(w, std::vector<double>(6, 0.0));
  BOOST_CHECK(w.requires_grad());
  BOOST_CHECK(w.is_leaf());
  // The returned tensor is the same one.
  BOOST_CHECK(init::ones_(w).is_same(w));
  BOOST_CHECK_THROW(init::ones_(Tensor()), ValueError);
  BOOST_CHECK_THROW(init::ones_(zeros({2}, kInt64)), TypeError);
}

BOOST_AUTO_TEST_CASE(uniform_and_normal_moments) {
  manual_seed(1);
  Tensor u = empty({200, 200}, kFloat64);
  init::uniform_(u, -2.0, 3.0);
  auto s = stats(u);
  BOOST_CHECK_GE(s.min, -2.0);
  BOOST_CHECK_LT(s.max, 3.0);
  BOOST_CHECK_CLOSE(s.mean, 0.5, 4.0);
  BOOST_CHECK_CLOSE(s.std, 5.0 / std::sqrt(12.0), 2.0);
  Tensor n = empty({200, 200}, kFloat64);
  init::normal_(n, 1.0, 0.5);
  s = stats(n);
  BOOST_CHECK_CLOSE(s.mean, 1.0, 1.0);
  BOOST_CHECK_CLOSE(s.std, 0.5, 2.0);
  BOOST_CHECK_THROW(init::uniform_(u, 1.0, 0.0), ValueError);
  BOOST_CHECK_THROW(init::normal_(n, 0.0, -1.0), ValueError);
}

BOOST_AUTO_TEST_CASE(kaiming_and_xavier_ranges) {
  manual_seed(2);
  // kaiming_uniform_ with PyTorch's layer default a = sqrt(5): bound 1/sqrt(fan_in).
  Tensor w = empty({64, 16, 5, 5}, kFloat64);
  init::kaiming_uniform_(w, std::sqrt(5.0));
  auto s = stats(w);
  const double b5 = 1.0 / std::sqrt(400.0);
  BOOST_CHECK_LE(std::max(-s.min, s.max), b5);
  BOOST_CHECK_GT(s.max, 0.99 * b5);
  BOOST_CHECK_CLOSE(s.std, b5 / std::sqrt(3.0), 3.0);
  // kaiming_normal_ fan_out, ReLU: std = sqrt(2 / fan_out), fan_out = 64 * 25.
  init::kaiming_normal_(w, 0.0, xgrad::kFanOut, xgrad::kReLU);
  BOOST_CHECK_CLOSE(stats(w).std, std::sqrt(2.0 / 1600.0), 3.0);
  // kaiming_uniform_ default (a = 0, leaky_relu, fan_in): bound sqrt(6 / fan_in).
  init::kaiming_uniform_(w);
  s = stats(w);
  BOOST_CHECK_LE(std::max(-s.min, s.max), std::sqrt(6.0 / 400.0));
  BOOST_CHECK_GT(s.max, 0.99 * std::sqrt(6.0 / 400.0));
  // xavier: bound gain * sqrt(6 / (fan_in + fan_out)), std gain * sqrt(2 / (fan_in + fan_out)).
  Tensor l = empty({300, 500}, kFloat64);
  init::xavier_uniform_(l, 2.0);
  s = stats(l);
  const double xb = 2.0 * std::sqrt(6.0 / 800.0);
  BOOST_CHECK_LE(std::max(-s.min, s.max), xb);
  BOOST_CHECK_GT(s.max, 0.99 * xb);
  init::xavier_normal_(l);
  BOOST_CHECK_CLOSE(stats(l).std, std::sqrt(2.0 / 800.0), 2.0);
}

// ---- PyTorch's values ----------------------------------------------------------------------------
// After the same manual_seed every initialiser, and the default initialisation of Linear and
// Conv2d, gives PyTorch 1.13's values bit for bit (tests/reference/random_streams.py).

namespace {

const std::vector<uint64_t> kSeeds = {0, 1, 42, 12345};
const std::vector<std::pair<std::string, ScalarType>> kFloatDtypes = {{"f32", kFloat32}, {"f64", kFloat64}};

// PyTorch with the default dtype set to float64 creates and initialises the parameters in
// float64; the xgrad spelling converts the module and draws the initial values again.
template <typename M>
M in_dtype(M m, ScalarType dtype, uint64_t seed) {
  if (dtype == kFloat32) return m;
  m->to(dtype);
  manual_seed(seed);
  m->reset_parameters();
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(initialisers_match_pytorch) {
  const std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
      {"64x32", {64, 32}}, {"16x3x5x5", {16, 3, 5, 5}}, {"5x7", {5, 7}}};
  using Init = std::function<void(Tensor)>;
  const std::vector<std::pair<std::string, Init>> inits = {
      {"uniform", [](Tensor t) { init::uniform_(t, -0.3, 0.7); }},
      {"normal", [](Tensor t) { init::normal_(t, 0.2, 0.9); }},
      {"kaiming_uniform", [](Tensor t) { init::kaiming_uniform_(t); }},
      {"kaiming_uniform_a5", [](Tensor t) { init::kaiming_uniform_(t, std::sqrt(5.0)); }},
      {"kaiming_uniform_fanout_relu", [](Tensor t) { init::kaiming_uniform_(t, 0.0, xgrad::kFanOut, xgrad::kReLU); }},
      {"kaiming_normal", [](Tensor t) { init::kaiming_normal_(t); }},
      {"kaiming_normal_fanout_relu", [](Tensor t) { init::kaiming_normal_(t, 0.0, xgrad::kFanOut, xgrad::kReLU); }},
      {"xavier_uniform", [](Tensor t) { init::xavier_uniform_(t); }},
      {"xavier_uniform_g", [](Tensor t) { init::xavier_uniform_(t, init::calculate_gain(xgrad::kTanh)); }},
      {"xavier_normal", [](Tensor t) { init::xavier_normal_(t); }},
      {"xavier_normal_g", [](Tensor t) { init::xavier_normal_(t, 0.5); }},
  };
  for (uint64_t s : kSeeds)
    for (const auto& [dn, dt] : kFloatDtypes)
      for (const auto& [sn, shape] : shapes)
        for (const auto& [name, f] : inits) {
          manual_seed(s);
          Tensor t = empty(shape, dt);
          f(t);
          xgrad::testing::check_random_stream(fmt::format("init/{}/{}/s{}/{}", name, dn, s, sn), t);
        }
}

BOOST_AUTO_TEST_CASE(default_layer_initialisation_matches_pytorch) {
  using xgrad::testing::check_random_stream;
  for (uint64_t s : kSeeds)
    for (const auto& [dn, dt] : kFloatDtypes) {
      manual_seed(s);
      auto lin = in_dtype(nn::Linear(20, 30), dt, s);
      check_random_stream(fmt::format("linear/{}/s{}/20,30", dn, s), {lin->weight, lin->bias});
      manual_seed(s);
      auto lin2 = in_dtype(nn::Linear(nn::LinearOptions(7, 3).bias(false)), dt, s);
      check_random_stream(fmt::format("linear/{}/s{}/7,3,nobias", dn, s), lin2->weight);
      manual_seed(s);
      auto conv = in_dtype(nn::Conv2d(nn::Conv2dOptions(3, 8, 5)), dt, s);
      check_random_stream(fmt::format("conv2d/{}/s{}/3,8,5", dn, s), {conv->weight, conv->bias});
      manual_seed(s);
      auto conv2 = in_dtype(nn::Conv2d(nn::Conv2dOptions(6, 16, {3, 2})), dt, s);
      check_random_stream(fmt::format("conv2d/{}/s{}/6,16,3x2", dn, s), {conv2->weight, conv2->bias});
    }
}

BOOST_AUTO_TEST_CASE(a_model_starts_from_pytorchs_weights) {
  // A LeNet-like stack built in construction order, as torch.nn.Sequential(...) after
  // torch.manual_seed(s): the parameters, in order, are PyTorch's.
  for (uint64_t s : kSeeds) {
    // One statement per layer: the arguments of a single Sequential(...) call are evaluated in
    // an unspecified order (right to left with GCC), in LibTorch as in xgrad.
    manual_seed(s);
    nn::Conv2d c1(nn::Conv2dOptions(1, 6, 5));
    nn::Conv2d c2(nn::Conv2dOptions(6, 16, 5));
    nn::Linear f1(256, 120);
    nn::Linear f2(120, 84);
    nn::Linear f3(84, 10);
    nn::Sequential net(c1, c2, f1, f2, f3);
    xgrad::testing::check_random_stream(fmt::format("lenet/f32/s{}", s), net->parameters());
  }
}

// orthogonal_ after manual_seed gives PyTorch 1.13's values (tests/reference/nn_names.py): the
// normal draw is PyTorch's stream, and Q with sign(diag(R)) applied is unique, so xgrad's double
// precision Householder QR lands on LAPACK's float result up to float rounding.
BOOST_AUTO_TEST_CASE(orthogonal_matches_pytorch) {
  namespace ref = nn_names_ref;
  const struct {
    uint64_t seed;
    std::vector<int64_t> shape;
    double gain;
    const std::vector<double>& values;
  } cases[] = {
      {0, {3, 5}, 1.0, ref::orth_3_5},         {1, {5, 3}, 1.0, ref::orth_5_3},
      {2, {4, 4}, 2.5, ref::orth_4_4},         {3, {2, 3, 3, 3}, 1.0, ref::orth_2_3_3_3},
      {4, {6, 2, 2}, 1.0, ref::orth_6_2_2},    {5, {1, 7}, 1.0, ref::orth_1_7},
      {6, {20, 3}, 1.0, ref::orth_20_3},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("seed " << c.seed << " shape " << to_string(IntArrayRef(c.shape))) {
      manual_seed(c.seed);
      Tensor t = xgrad::empty(c.shape);
      BOOST_TEST(init::orthogonal_(t, c.gain).is_same(t));  // in place, returning the tensor
      check_values(t, c.values, 2e-6, 1e-5);
    }
  }
}

// Orthogonality and the sign convention, independent of the reference: W W^T = gain^2 I for a
// wide matrix, W^T W = gain^2 I for a tall one, and the R of the QR of the draw has a positive
// diagonal, i.e. Q^T A (upper triangular) has diag > 0 -- checked by redrawing A with the seed.
BOOST_AUTO_TEST_CASE(orthogonal_is_orthogonal_with_positive_r_diagonal) {
  for (const auto& shape : std::vector<std::vector<int64_t>>{{3, 7}, {7, 3}, {5, 5}, {4, 2, 3}, {8, 3, 3, 3}}) {
    BOOST_TEST_CONTEXT("shape " << to_string(IntArrayRef(shape))) {
      for (const double gain : {1.0, 0.5}) {
        manual_seed(11);
        Tensor w = xgrad::empty(shape, TensorOptions().dtype(kFloat64));
        init::orthogonal_(w, gain);
        const int64_t rows = shape[0], cols = w.numel() / rows;
        const Tensor m = w.reshape({rows, cols});
        const bool wide = rows < cols;
        const Tensor gram = wide ? m.matmul(m.t()) : m.t().matmul(m);
        xgrad::testing::check_close(gram, eye(std::min(rows, cols), TensorOptions().dtype(kFloat64)) * (gain * gain),
                                    1e-12, 0);
        // The draw orthogonal_ made: A = the same N(0, 1) matrix; R = Q^T A (tall orientation).
        manual_seed(11);
        const Tensor a = randn({rows, cols}, TensorOptions().dtype(kFloat64));
        const Tensor q = (wide ? m.t() : m) / gain;
        const Tensor r = q.t().matmul(wide ? a.t() : a);
        const auto rv = r.to_vector<double>();
        const int64_t n = std::min(rows, cols);
        for (int64_t i = 0; i < n; ++i) {
          BOOST_TEST(rv[i * n + i] > 0.0);
          for (int64_t j = 0; j < i; ++j) BOOST_TEST(std::abs(rv[i * n + j]) < 1e-12);  // upper triangular
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(orthogonal_errors_and_edge_cases) {
  using xgrad::testing::contains;
  using xgrad::testing::what_of;
  const std::string one_d = what_of([] { init::orthogonal_(zeros({4})); });
  BOOST_TEST(contains(one_d, "orthogonal_: Only tensors with 2 or more dimensions are supported"), one_d);
  BOOST_TEST(contains(one_d, "[4]"), one_d);
  BOOST_CHECK_THROW(init::orthogonal_(zeros({4})), ValueError);
  BOOST_CHECK_THROW(init::orthogonal_(zeros({})), ValueError);
  BOOST_CHECK_THROW(init::orthogonal_(zeros({2, 2}, TensorOptions().dtype(kInt64))), TypeError);
  BOOST_CHECK_THROW(init::orthogonal_(Tensor()), ValueError);
  BOOST_CHECK_THROW(init::orthogonal_(zeros({2, 2}), std::nan("")), ValueError);
  // Empty: a no-op, as PyTorch (no draw either: the stream is where it was).
  manual_seed(3);
  Tensor e = empty({0, 4});
  init::orthogonal_(e);
  BOOST_TEST(e.numel() == 0);
  const double next = randn({1}).item<double>();
  manual_seed(3);
  BOOST_TEST(randn({1}).item<double>() == next);
  // A parameter that requires grad is filled without recording a graph, like the other
  // initialisers; a non-contiguous tensor is filled through its view.
  nn::Conv2d conv(nn::Conv2dOptions(3, 2, 3).stride(2));
  init::orthogonal_(conv->named_parameters()["weight"]);
  BOOST_TEST(conv->weight.requires_grad());
  BOOST_TEST(conv->weight.is_leaf());
  const Tensor w = conv->weight.reshape({2, 27});
  xgrad::testing::check_close(w.matmul(w.t()), eye(2), 1e-5, 0);
  Tensor base = zeros({4, 6});
  Tensor view = base.t();  // [6, 4], non-contiguous
  init::orthogonal_(view);
  xgrad::testing::check_close(view.t().matmul(view), eye(4), 1e-5, 0);
}
