#define BOOST_TEST_MODULE activation
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <functional>
#include <numbers>
#include <string>

// Reference values: tests/reference/activation.py (PyTorch 1.13).

using namespace xgrad;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

namespace {

Tensor X() { return tensor({-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.2, 3.7}); }
Tensor L() { return tensor({{1.0, 2.0, 3.0, 4.0}, {-1.0, 0.0, 1.0, 100.0}, {0.5, 0.5, 0.5, 0.5}}); }

Tensor leaf64(IntArrayRef sizes) { return randn(sizes, kFloat64).requires_grad_(); }

using Fn = std::function<Tensor(const autograd::variable_list&)>;
void gradcheck(const Fn& fn, const autograd::variable_list& in) { BOOST_CHECK(autograd::gradcheck(fn, in)); }

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "None"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(values)

BOOST_AUTO_TEST_CASE(pointwise_match_pytorch) {
  check_values(X().relu(), {0, 0, 0, 0, 0.400000006, 1, 2.20000005, 3.70000005});
  check_values(relu(X()), {0, 0, 0, 0, 0.400000006, 1, 2.20000005, 3.70000005});
  check_values(X().sigmoid(), {0.0758581758, 0.268941432, 0.425557494, 0.5, 0.598687649, 0.731058598, 0.900249541,
                               0.975872993});
  check_values(X().tanh(), {-0.986614287, -0.761594176, -0.291312635, 0, 0.379948974, 0.761594176, 0.975743115,
                            0.998778224});
  // Extreme inputs saturate without NaN.
  check_values(sigmoid(tensor({-1000.0, 1000.0})), {0, 1});
  check_values(tanh(tensor({-1000.0, 1000.0})), {-1, 1});
  // relu keeps int64; strided input works.
  BOOST_TEST(tensor({-3, 0, 5}).relu().to_vector<int64_t>() == std::vector<int64_t>({0, 0, 5}),
             boost::test_tools::per_element());
  check_values(L().t().relu(), {1, 0, 0.5, 2, 0, 0.5, 3, 1, 0.5, 4, 100, 0.5});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  BOOST_CHECK(std::isnan(tensor({nan}).relu().item<double>()));
}

BOOST_AUTO_TEST_CASE(softmax_matches_pytorch) {
  check_values(L().softmax(1), {0.0320586041, 0.0871443227, 0.236882836, 0.643914282, 1.40129846e-44, 3.78350585e-44,
                                1.00893489e-43, 1, 0.25, 0.25, 0.25, 0.25});
  check_values(softmax(L(), 0), {0.574096978, 0.736124754, 0.821408987, 2.03048147e-42, 0.0776955783, 0.0996236503,
                                 0.111165613, 1, 0.348207414, 0.16425164, 0.0674253553, 6.16571324e-44});
  check_values(L().log_softmax(-1), {-3.4401896, -2.4401896, -1.44018972, -0.440189689, -101, -100, -99, 0,
                                     -1.38629436, -1.38629436, -1.38629436, -1.38629436});
  check_values(log_softmax(L(), 0), {-0.554956973, -0.306355715, -0.196734145, -96, -2.55495691, -2.30635571,
                                     -2.19673419, 0, -1.05495691, -1.80635571, -2.69673419, -99.5});
  // Large logits: the max is subtracted first, so nothing overflows.
  check_values(tensor({1000.0, 1001.0, 1002.0}).softmax(0), {0.0900305733, 0.244728476, 0.665240943});
  check_values(tensor({1000.0, 1001.0, 1002.0}).log_softmax(0), {-2.40760589, -1.40760589, -0.407605946});
  // Rows sum to one along the chosen dim of a strided 3-D input.
  const Tensor s = randn({3, 4, 5}).permute({2, 0, 1}).softmax(1);
  check_sizes(s, {5, 3, 4});
  check_values(s.sum(1), std::vector<double>(20, 1.0), 1e-6);
  check_values(tensor(3.0).softmax(0), {1});
  check_values(tensor(3.0).log_softmax(0), {0});
}

BOOST_AUTO_TEST_CASE(errors) {
  BOOST_CHECK_THROW(L().softmax(2), IndexError);
  BOOST_CHECK_THROW(L().log_softmax(-3), IndexError);
  BOOST_CHECK_THROW(tensor({1, 2}).softmax(0), TypeError);
  BOOST_CHECK_THROW(tensor({true}).relu(), TypeError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradients)

BOOST_AUTO_TEST_CASE(relu_gradient_at_zero_is_zero) {
  Tensor x = tensor({-1.0, 0.0, 2.0}, requires_grad());
  x.relu().sum().backward();
  check_values(x.grad(), {0, 0, 1});
}

BOOST_AUTO_TEST_CASE(gradcheck_all) {
  for (const auto& s : std::vector<std::vector<int64_t>>{{}, {7}, {2, 3, 4}}) {
    BOOST_TEST_INFO("shape " << to_string(s));
    Tensor x = leaf64(s);
    gradcheck([](const auto& in) { return in[0].relu(); }, {x});
    gradcheck([](const auto& in) { return in[0].sigmoid(); }, {x});
    gradcheck([](const auto& in) { return in[0].tanh(); }, {x});
    gradcheck([](const auto& in) { return in[0].softmax(-1); }, {x});
    gradcheck([](const auto& in) { return in[0].log_softmax(0); }, {x});
  }
  Tensor x = leaf64({2, 3, 4});
  gradcheck([](const auto& in) { return in[0].softmax(1); }, {x});
  gradcheck([](const auto& in) { return in[0].log_softmax(1); }, {x});
  gradcheck([](const auto& in) { return in[0].permute({2, 0, 1}).softmax(2); }, {x});
  // The softmax gradient weighted by a non-uniform output gradient (sum alone gives zero).
  gradcheck([](const auto& in) { return in[0].softmax(-1) * arange(4, kFloat64); }, {x});
}

BOOST_AUTO_TEST_CASE(grad_fn_names_follow_pytorch) {
  Tensor x = randn({2, 3}).requires_grad_();
  BOOST_TEST(grad_fn_name(x.relu()) == "ReluBackward0");
  BOOST_TEST(grad_fn_name(x.sigmoid()) == "SigmoidBackward0");
  BOOST_TEST(grad_fn_name(x.tanh()) == "TanhBackward0");
  BOOST_TEST(grad_fn_name(x.softmax(1)) == "SoftmaxBackward0");
  BOOST_TEST(grad_fn_name(x.log_softmax(1)) == "LogSoftmaxBackward0");
}

BOOST_AUTO_TEST_CASE(second_order_gradients) {
  // gradcheck of the create_graph gradient: checks the backward of every backward formula,
  // including those that reuse the op's output (recomputed under create_graph).
  const Tensor w = randn({2, 5}, kFloat64);
  const std::vector<std::function<Tensor(const Tensor&)>> ops = {
      [](const Tensor& x) { return x.sigmoid(); },       [](const Tensor& x) { return x.tanh(); },
      [](const Tensor& x) { return x.softmax(1); },      [](const Tensor& x) { return x.log_softmax(1); },
      [](const Tensor& x) { return x.softmax(0); },      [](const Tensor& x) { return x.relu() * x; }};
  for (size_t k = 0; k < ops.size(); ++k) {
    BOOST_TEST_INFO("op #" << k);
    const auto& op = ops[k];
    gradcheck(
        [&](const auto& in) {
          AutoGradMode enable(true);  // gradcheck evaluates finite differences under NoGradGuard
          Tensor y = (op(in[0]) * w).sum();
          return autograd::grad({y}, {in[0]}, {}, std::nullopt, true)[0];
        },
        {leaf64({2, 5})});
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(numerics)

// Values from tests/reference/activation.py (PyTorch 1.13, float64).
const std::vector<double> kS = {0.25, -1.5, 2.125, 0.0, 3.5, -0.75, 1.0, -2.25};
const std::vector<double> kU = {1.0, -0.5, 2.0, 0.25, 0.75, -1.5, 0.1, 3.0};
const std::vector<double> kLogSoftmaxS = {-2.136931118710336,   -3.886931118710336, -0.2619311187103361,
                                          -2.386931118710336,   -0.09488464685020731, -4.344884646850208,
                                          -2.594884646850207,   -5.844884646850208};
const std::vector<double> kLogSoftmaxGradS = {0.6754547174717151,  -0.5563975135731789, -0.1163010837233778,
                                              -0.002756120175158562, -1.3872729229448693, -1.5304865609002563,
                                              -0.07543804493882576, 2.993197528783951};
const std::vector<double> kSoftmaxS = {0.11801646637392174, 0.020508186753883235, 0.7695640304448647,
                                       0.09191131642733037, 0.9094778395510081,   0.012973004638406874,
                                       0.07465448720801096, 0.0028946686025740492};
const std::vector<double> kSoftmaxGradS = {-0.07905548533453471, -0.044500063568795774, 0.2540575101084539,
                                           -0.13050196120512336, 0.06475634351948584,   -0.028265560805362015,
                                           -0.04320989231652141, 0.006719109602397614};

BOOST_AUTO_TEST_CASE(softmax_and_log_softmax_are_invariant_to_shifts) {
  // x + shift is exact (multiples of 1/8) in float32 for 1e4 and in float64 for 1e4 and 1e8,
  // so values and gradients must not move. The old log_softmax, x - (max + log(sum)), lost
  // log(sum) to rounding for large |max|. Checked with and without create_graph (fused and
  // composite backward).
  for (const ScalarType dtype : {kFloat32, kFloat64}) {
    const double tol = dtype == kFloat64 ? 1e-12 : 2e-6;
    std::vector<double> shifts = {0.0, 1e4, -1e4};
    if (dtype == kFloat64) shifts.insert(shifts.end(), {1e8, -1e8});
    for (const double shift : shifts) {
      for (const bool create_graph : {false, true}) {
        BOOST_TEST_CONTEXT(dtype_name(dtype) << " shift " << shift << " create_graph " << create_graph) {
          std::vector<double> xs = kS;
          for (double& v : xs) v += shift;
          const Tensor x = from_vector(xs, std::vector<int64_t>{2, 4}, kFloat64).to(dtype).requires_grad_();
          const Tensor u = from_vector(kU, std::vector<int64_t>{2, 4}, kFloat64).to(dtype);
          const Tensor ls = x.log_softmax(1);
          check_values(ls, kLogSoftmaxS, tol, tol);
          check_values(autograd::grad({(ls * u).sum()}, {x}, {}, std::nullopt, create_graph)[0], kLogSoftmaxGradS, tol,
                       tol);
          const Tensor sm = x.softmax(1);
          check_values(sm, kSoftmaxS, tol, tol);
          check_values(autograd::grad({(sm * u).sum()}, {x}, {}, std::nullopt, create_graph)[0], kSoftmaxGradS, tol,
                       tol);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(log_softmax_of_equal_huge_logits) {
  // [1e8, 1e8] in float32: log_softmax = -ln 2 each (was 0); the gradient of its first element
  // is [1 - 0.5, -0.5].
  const Tensor x = tensor({1e8f, 1e8f}).requires_grad_();
  const Tensor y = x.log_softmax(0);
  check_values(y, {-std::log(2.0), -std::log(2.0)}, 1e-7, 1e-6);
  y.slice(0, 0, 1).sum().backward();
  check_values(x.grad(), {0.5, -0.5}, 1e-7, 0.0);
}

BOOST_AUTO_TEST_CASE(log_softmax_backward_uses_softmax_of_the_logits) {
  // float32 [0.3, -85.9], upstream [1, 0]: grad[1] = -softmax[1] = -3.66e-38 to float32
  // precision. exp of the rounded float32 output (-86.2) would be off by 3e-6 relative.
  const Tensor x = tensor({0.3f, -85.9f}).requires_grad_();
  (x.log_softmax(0) * tensor({1.0f, 0.0f})).sum().backward();
  check_values(x.grad().slice(0, 1, 2), {-3.662815067773622e-38}, 0.0, 3e-7);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- leaky_relu, elu, gelu, silu, softplus, logsigmoid, hardtanh --------------------------------

BOOST_AUTO_TEST_SUITE(cnn_activations)

namespace F = xgrad::nn::functional;

struct Reference {
  const char* name;
  const char* dtype;
  std::vector<double> out;
  std::vector<double> grad;
};

// Generated by tests/reference/activation_cnn.py (PyTorch 1.13).
const std::vector<Reference> kReference = {
#include "reference/activation_cnn.inc"
};
const std::vector<double> kX = {-100.0, -30.0, -20.5, -5.0, -1.5, -0.3, -1e-4, 0.0, 1e-4,
                                0.3,    1.0,   2.5,   5.0,  19.9, 20.5, 30.0,  100.0};

std::vector<double> upstream() {
  std::vector<double> u;
  for (size_t i = 0; i < kX.size(); ++i) u.push_back(0.5 + 0.25 * static_cast<double>(i));
  return u;
}

// The xgrad form of each reference case, through nn::functional as a LibTorch program writes it.
Tensor apply_case(const std::string& name, const Tensor& x) {
  if (name == "leaky_relu") return F::leaky_relu(x);
  if (name == "leaky_relu slope 0.2") return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2));
  if (name == "leaky_relu slope -1.5") return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(-1.5));
  if (name == "elu") return F::elu(x);
  if (name == "elu alpha 0.5") return F::elu(x, F::ELUFuncOptions().alpha(0.5));
  if (name == "gelu") return F::gelu(x);
  if (name == "gelu tanh") return F::gelu(x, F::GELUFuncOptions().approximate("tanh"));
  if (name == "silu") return F::silu(x);
  if (name == "softplus") return F::softplus(x);
  if (name == "softplus beta 0.5 threshold 3") return F::softplus(x, F::SoftplusFuncOptions().beta(0.5).threshold(3.0));
  if (name == "softplus beta 2 threshold -1") return F::softplus(x, F::SoftplusFuncOptions().beta(2.0).threshold(-1.0));
  if (name == "logsigmoid") return F::logsigmoid(x);
  if (name == "hardtanh") return F::hardtanh(x);
  if (name == "hardtanh -2 0.3") return F::hardtanh(x, F::HardtanhFuncOptions().min_val(-2.0).max_val(0.3));
  BOOST_FAIL("no xgrad form for reference case " << name);
  return {};
}

// float32 against PyTorch's float32 (PyTorch's own rounding, e.g. gelu's 1 + erf in the tail, is
// ~1e-7 absolute); float64 to 1e-10 relative. Gradients both first-order (fused kernels) and
// with create_graph (the differentiable formulas), over the tails +-30, +-100.
BOOST_AUTO_TEST_CASE(values_and_gradients_match_pytorch) {
  BOOST_TEST_REQUIRE(kReference.size() == 28u);
  for (const auto& r : kReference) {
    const bool f32 = std::string(r.dtype) == "f32";
    const ScalarType dt = f32 ? kFloat32 : kFloat64;
    const double atol = f32 ? 1e-6 : 1e-13, rtol = f32 ? 1e-5 : 1e-10;
    for (const bool create_graph : {false, true}) {
      BOOST_TEST_CONTEXT(r.name << " " << r.dtype << (create_graph ? " create_graph" : "")) {
        const Tensor x = tensor(kX, dt).requires_grad_();
        BOOST_TEST(x.to_vector<double>()[9] == (f32 ? double(0.3f) : 0.3));
        const Tensor y = apply_case(r.name, x);
        BOOST_TEST(y.dtype() == dt);
        check_values(y, r.out, atol, rtol);
        const Tensor u = tensor(upstream(), dt);
        const Tensor g = autograd::grad({(y * u).sum()}, {x}, {}, std::nullopt, create_graph)[0];
        BOOST_TEST(g.dtype() == dt);
        check_values(g, r.grad, atol, rtol);
      }
    }
  }
}

// The far tails in float64, relative: exact where the naive formulas give 0, inf or NaN.
BOOST_AUTO_TEST_CASE(tails_are_exact) {
  const Tensor t = tensor({-100.0, -30.0, 30.0, 100.0}, kFloat64);
  // PyTorch 1.13, float64.
  check_values(F::logsigmoid(t), {-100.0, -30.000000000000092, -9.357622968839737e-14, -3.720075976020836e-44}, 0.0,
               1e-13);
  check_values(F::softplus(-t), {100.0, 30.0, 9.357622968839737e-14, 3.720075976020836e-44}, 0.0, 1e-13);
  check_values(F::silu(t), {-3.720075976020836e-42, -2.8072868906517896e-12, 29.999999999997197, 100.0}, 0.0, 1e-13);
  // elu: alpha (exp(x) - 1) reaches -alpha only in the limit.
  check_values(F::elu(t), {-1.0, -0.9999999999999064, 30.0, 100.0}, 0.0, 1e-15);
  // gelu(-10) = -10 Phi(-10) = -7.619853024160527e-23 (erfc keeps it; 1 + erf cancels to 0).
  check_values(F::gelu(tensor({-10.0}, kFloat64)), {-7.619853024160527e-23}, 0.0, 1e-12);
  // No overflow into the gradients either.
  const Tensor x = t.clone().requires_grad_();
  for (const auto& f : std::vector<std::function<Tensor(const Tensor&)>>{
           [](const Tensor& a) { return F::logsigmoid(a); }, [](const Tensor& a) { return F::softplus(a); },
           [](const Tensor& a) { return F::silu(a); }, [](const Tensor& a) { return F::elu(a); },
           [](const Tensor& a) { return F::gelu(a); },
           [](const Tensor& a) { return F::gelu(a, F::GELUFuncOptions().approximate("tanh")); }}) {
    for (const bool create_graph : {false, true}) {
      const Tensor g = autograd::grad({f(x).sum()}, {x}, {}, std::nullopt, create_graph)[0];
      for (const double v : g.to_vector<double>()) BOOST_TEST(std::isfinite(v));
    }
  }
  // float32 too: logsigmoid(-100) is -100, softplus(100) is 100 (not inf), silu(-100) is ~0.
  check_values(F::logsigmoid(tensor({-100.0f, 100.0f})), {-100.0, 0.0}, 1e-30, 1e-6);
  check_values(F::softplus(tensor({100.0f, -100.0f})), {100.0, 0.0}, 1e-30, 1e-6);
  check_values(F::silu(tensor({-100.0f})), {0.0}, 1e-30, 0.0);
}

// Inputs away from every kink (0, the hardtanh edges, the softplus threshold at beta x = 3).
Tensor smooth_input() {
  return tensor({-3.1, -1.7, -0.45, -0.12, 0.07, 0.33, 0.81, 1.9, 4.2}, kFloat64).reshape({3, 3}).requires_grad_();
}

const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>>& smooth_ops() {
  static const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
      {"leaky_relu", [](const Tensor& x) { return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.3)); }},
      {"elu", [](const Tensor& x) { return F::elu(x, F::ELUFuncOptions().alpha(0.7)); }},
      {"gelu", [](const Tensor& x) { return F::gelu(x); }},
      {"gelu tanh", [](const Tensor& x) { return F::gelu(x, F::GELUFuncOptions().approximate("tanh")); }},
      {"silu", [](const Tensor& x) { return F::silu(x); }},
      {"softplus", [](const Tensor& x) { return F::softplus(x, F::SoftplusFuncOptions().beta(1.5).threshold(3.0)); }},
      {"logsigmoid", [](const Tensor& x) { return F::logsigmoid(x); }},
      {"hardtanh", [](const Tensor& x) { return F::hardtanh(x, F::HardtanhFuncOptions().min_val(-2.0).max_val(1.0)); }},
  };
  return ops;
}

BOOST_AUTO_TEST_CASE(gradcheck_and_gradgradcheck) {
  const Tensor w = tensor({0.3, -1.2, 0.8, 1.5, -0.4, 2.0, 0.6, -0.9, 1.1}, kFloat64).reshape({3, 3});
  for (const auto& [name, op] : smooth_ops()) {
    BOOST_TEST_CONTEXT(name) {
      gradcheck([&op = op](const auto& in) { return op(in[0]); }, {smooth_input()});
      BOOST_CHECK(autograd::gradgradcheck([&op = op](const auto& in) { return op(in[0]); }, {smooth_input()}));
      // The gradient of the create_graph gradient (second derivative weighted by w).
      gradcheck(
          [&](const auto& in) {
            AutoGradMode enable(true);
            Tensor y = (op(in[0]) * w).sum();
            return autograd::grad({y}, {in[0]}, {}, std::nullopt, true)[0];
          },
          {smooth_input()});
    }
  }
  // Third order through gelu's GeluBackwardBackward0 (its gradient for g is itself).
  const Tensor x = smooth_input();
  const Tensor g1 = autograd::grad({F::gelu(x).sum()}, {x}, {}, std::nullopt, true)[0];
  const Tensor g2 = autograd::grad({g1.sum()}, {x}, {}, std::nullopt, true)[0];
  const Tensor g3 = autograd::grad({g2.sum()}, {x})[0];
  // Checked against central differences of gelu''(x) = phi(x) (2 - x^2).
  const auto xs = x.to_vector<double>();
  const auto d3 = g3.to_vector<double>();
  auto second = [](double v) { return std::exp(-0.5 * v * v) / std::sqrt(2 * std::numbers::pi) * (2 - v * v); };
  for (size_t i = 0; i < xs.size(); ++i)
    BOOST_TEST(d3[i] == (second(xs[i] + 1e-6) - second(xs[i] - 1e-6)) / 2e-6, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(grad_fn_names_follow_pytorch) {
  const Tensor x = randn({2, 3}).requires_grad_();
  BOOST_TEST(grad_fn_name(F::leaky_relu(x)) == "LeakyReluBackward0");
  BOOST_TEST(grad_fn_name(F::elu(x)) == "EluBackward0");
  BOOST_TEST(grad_fn_name(F::gelu(x)) == "GeluBackward0");
  BOOST_TEST(grad_fn_name(F::silu(x)) == "SiluBackward0");
  BOOST_TEST(grad_fn_name(F::softplus(x)) == "SoftplusBackward0");
  BOOST_TEST(grad_fn_name(F::logsigmoid(x)) == "LogSigmoidBackward0");
  BOOST_TEST(grad_fn_name(F::hardtanh(x)) == "HardtanhBackward0");
  const Tensor g = autograd::grad({F::gelu(x).sum()}, {x}, {}, std::nullopt, true)[0];
  BOOST_TEST(grad_fn_name(g) == "GeluBackwardBackward0");
}

BOOST_AUTO_TEST_CASE(in_place_forms) {
  // On a tensor outside any graph: written in place, the same tensor returned.
  Tensor a = tensor({-2.0f, 0.5f, 3.0f});
  const float* data = a.data_ptr<float>();
  Tensor r = F::leaky_relu(a, F::LeakyReLUFuncOptions().negative_slope(0.1).inplace(true));
  BOOST_TEST(r.data_ptr<float>() == data);
  check_values(a, {-0.2, 0.5, 3.0}, 1e-7);
  F::elu(a, F::ELUFuncOptions().alpha(2.0).inplace(true));
  check_values(a, {2.0 * std::expm1(-0.2), 0.5, 3.0}, 1e-7);
  F::hardtanh(a, F::HardtanhFuncOptions().min_val(-0.1).max_val(1.0).inplace(true));
  check_values(a, {-0.1, 0.5, 1.0}, 1e-7);
  Tensor b = tensor({-1.0, 2.0});
  BOOST_TEST(&xgrad::leaky_relu_(b, 0.5) == &b);
  check_values(b, {-0.5, 2.0});
  xgrad::elu_(b);
  check_values(b, {std::expm1(-0.5), 2.0});
  xgrad::hardtanh_(b, -0.25, 0.25);
  check_values(b, {-0.25, 0.25});
  // A slice is written through to its base.
  Tensor base = tensor({-4.0, -4.0, -4.0, -4.0});
  Tensor view = base.slice(0, 1, 3);
  xgrad::leaky_relu_(view, 0.5);
  check_values(base, {-4.0, -2.0, -2.0, -4.0});

  // With grad: the `_` forms refuse; the functional `inplace` falls back to the out-of-place op
  // (input unchanged, gradient right), as F::relu.
  Tensor p = tensor({-2.0, 1.0}, requires_grad());
  BOOST_CHECK_THROW(xgrad::leaky_relu_(p), AutogradError);
  BOOST_CHECK_THROW(xgrad::elu_(p), AutogradError);
  BOOST_CHECK_THROW(xgrad::hardtanh_(p), AutogradError);
  const Tensor q = F::leaky_relu(p, F::LeakyReLUFuncOptions().inplace(true));
  check_values(p.detach(), {-2.0, 1.0});
  check_values(q, {-0.02, 1.0});
  q.sum().backward();
  check_values(p.grad(), {0.01, 1.0});
  // Under NoGradGuard a tensor that requires grad is written, as PyTorch's no_grad updates.
  {
    Tensor p2 = tensor({-2.0, 1.5}, requires_grad());
    NoGradGuard no_grad;
    F::hardtanh(p2, F::HardtanhFuncOptions().inplace(true));
    check_values(p2, {-1.0, 1.0});
  }
  // An expanded view whose elements share memory cannot be written.
  Tensor e = tensor({-1.0}).expand({3});
  BOOST_CHECK_THROW(xgrad::leaky_relu_(e), Error);
}

BOOST_AUTO_TEST_CASE(bad_input) {
  const Tensor i = tensor({1, -2});
  BOOST_CHECK_THROW(F::leaky_relu(i), TypeError);
  BOOST_CHECK_THROW(F::elu(i), TypeError);
  BOOST_CHECK_THROW(F::gelu(i), TypeError);
  BOOST_CHECK_THROW(F::silu(i), TypeError);
  BOOST_CHECK_THROW(F::softplus(i), TypeError);
  BOOST_CHECK_THROW(F::logsigmoid(i), TypeError);
  // hardtanh clamps integral tensors, as PyTorch.
  BOOST_TEST(F::hardtanh(i).to_vector<int64_t>() == std::vector<int64_t>({1, -1}), boost::test_tools::per_element());
  try {
    F::gelu(randn({2}), F::GELUFuncOptions().approximate("erf"));
    BOOST_FAIL("gelu accepted approximate='erf'");
  } catch (const ValueError& e) {
    BOOST_TEST(std::string(e.what()).find("gelu") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("'erf'") != std::string::npos);
  }
  BOOST_CHECK_THROW(nn::Hardtanh(nn::HardtanhOptions().min_val(1.0).max_val(1.0)), ValueError);
  // min_val > max_val in the functional: every element becomes max_val, as PyTorch's clamp.
  check_values(F::hardtanh(tensor({0.5, -2.0, 3.0}), F::HardtanhFuncOptions().min_val(2.0).max_val(1.0)), {1, 1, 1});
  // NaN passes through the forward.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [name, op] : smooth_ops()) {
    BOOST_TEST_INFO(name);
    BOOST_TEST(std::isnan(op(tensor({nan})).item<double>()));
  }
  // Empty and strided input.
  BOOST_TEST(F::silu(randn({0, 3})).numel() == 0);
  const Tensor s = randn({4, 3});
  check_values(F::elu(s.t()), F::elu(s.t().contiguous()).to_vector<double>(), 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(modules_forward_through_functional) {
  const Tensor x = randn({2, 5});
  auto same = [](const Tensor& a, const Tensor& b) { check_values(a, b.to_vector<double>(), 0.0, 0.0); };
  same(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2))(x), F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2)));
  same(nn::ELU(nn::ELUOptions().alpha(0.5))(x), F::elu(x, F::ELUFuncOptions().alpha(0.5)));
  same(nn::GELU(nn::GELUOptions().approximate("tanh"))(x), F::gelu(x, F::GELUFuncOptions().approximate("tanh")));
  same(nn::SiLU()(x), F::silu(x));
  same(nn::Softplus(nn::SoftplusOptions().beta(2).threshold(1))(x),
       F::softplus(x, F::SoftplusFuncOptions().beta(2).threshold(1)));
  same(nn::Hardtanh(nn::HardtanhOptions().min_val(-0.5).max_val(0.5))(x),
       F::hardtanh(x, F::HardtanhFuncOptions().min_val(-0.5).max_val(0.5)));
  same(nn::LogSigmoid()(x), F::logsigmoid(x));
  // inplace modules write their input when it needs no grad.
  Tensor y = x.clone();
  nn::LeakyReLU(nn::LeakyReLUOptions().inplace(true))(y);
  same(y, F::leaky_relu(x));
}

BOOST_AUTO_TEST_SUITE_END()

// F::relu6 (LibTorch names, issue 9); values from tests/reference/names.py.
BOOST_AUTO_TEST_SUITE(relu6)

BOOST_AUTO_TEST_CASE(values_inplace_and_gradient) {
  namespace F = xgrad::nn::functional;
  const Tensor x = tensor({-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.2, 3.7}) * 3.0;
  check_values(F::relu6(x), {0, 0, 0, 0, 1.20000005, 3, 6, 6});
  Tensor y = x.clone();
  Tensor r = F::relu6(y, true);  // `relu6(x, /*inplace=*/true)` as LibTorch
  BOOST_TEST(r.is_same(y));
  check_values(y, {0, 0, 0, 0, 1.20000005, 3, 6, 6});
  Tensor z = x.clone();
  F::relu6(z, F::ReLU6FuncOptions().inplace(false));
  check_values(z, x.to_vector<double>());  // not written
  // An integral tensor is clamped too, as PyTorch.
  BOOST_TEST(F::relu6(tensor({-3, 2, 9})).to_vector<int64_t>() == std::vector<int64_t>({0, 2, 6}),
             boost::test_tools::per_element());
  Tensor g = tensor({-1.0, 0.0, 3.0, 6.0, 7.0}, kFloat64).requires_grad_();
  Tensor out = F::relu6(g);
  BOOST_CHECK_EQUAL(out.grad_fn()->name(), "HardtanhBackward0");
  out.sum().backward();
  check_values(g.grad(), {0, 0, 1, 0, 0});  // PyTorch passes no gradient at the bounds
  manual_seed(9);
  const Tensor in = (randn({3, 4}, kFloat64) * 4.0 + 3.0).requires_grad_();
  BOOST_CHECK(autograd::gradcheck([](const auto& v) { return F::relu6(v[0]) * v[0]; }, {in}));
  BOOST_CHECK(autograd::gradgradcheck([](const auto& v) { return F::relu6(v[0]) * v[0]; }, {in}));
}

BOOST_AUTO_TEST_SUITE_END()
