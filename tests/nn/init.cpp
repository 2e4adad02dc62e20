#define BOOST_TEST_MODULE init
#include <boost/test/unit_test.hpp>

#include "reference/random_streams.hpp"
#include "support/testing.hpp"

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
