#define BOOST_TEST_MODULE activation
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

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
