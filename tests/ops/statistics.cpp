#define BOOST_TEST_MODULE statistics
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// Reference values: tests/reference/statistics.py (PyTorch 1.13).

#include <cmath>
#include <limits>

using namespace xgrad;
using xgrad::testing::check_sizes;
using xgrad::testing::check_close;
using xgrad::testing::check_values;

#define CHECK_DTYPE(t, d) BOOST_CHECK_EQUAL(dtype_name((t).dtype()), dtype_name(d))

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

using xgrad::testing::wave;

Tensor X() { return wave({2, 3, 4}, 0.7, 0.1, 3.0); }

Tensor grad_of(const std::function<Tensor(const Tensor&)>& f) { return xgrad::testing::wave_weighted_grad(f); }

using Fn = std::function<Tensor(const autograd::variable_list&)>;
// First and second derivatives against finite differences.
void check_grads(const Fn& fn, const autograd::variable_list& in) {
  BOOST_CHECK(autograd::gradcheck(fn, in));
  BOOST_CHECK(autograd::gradgradcheck(fn, in));
}
Tensor leaf64(IntArrayRef sizes) { return randn(sizes, kFloat64).requires_grad_(); }
std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "None"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(std_var)

BOOST_AUTO_TEST_CASE(values_match_pytorch) {
  const Tensor x = X();
  check_sizes(x.std(), {});
  check_values(x.std(), {2.09268117});
  check_values(x.std(false), {2.04861999});
  check_values(xgrad::std(x), {2.09268117});
  check_sizes(x.std(1), {2, 4});
  check_values(x.std(1), {1.26487672, 1.74019027, 3.10821652, 3.23841929, 3.22345328, 1.99433422, 1.09220243, 2.58063054});
  check_values(x.std({1}), {1.26487672, 1.74019027, 3.10821652, 3.23841929, 3.22345328, 1.99433422, 1.09220243, 2.58063054});
  check_sizes(x.std({0, 2}, true, true), {1, 3, 1});
  check_values(x.std({0, 2}, true, true), {2.05372262, 1.9202075, 1.87712574});
  check_values(x.std(-1, std::optional<int64_t>(0)),
               {1.00953412, 1.44815183, 1.79193032, 1.96488929, 1.93773246, 1.71482873});
  check_values(xgrad::std(x, {2}, std::optional<int64_t>(2)),
               {1.42769694, 2.04799604, 2.5341723, 2.77877307, 2.74036741, 2.42513394});
  check_values(x.var(), {4.3793149});
  check_values(x.var(0, false), {1.09826314, 0.55011785, 4.7635088, 6.74392986, 3.20375228, 0.0199032035, 2.47778106,
                                 6.49714756, 5.40558958, 1.01516557, 0.614267647, 4.86841297});
  check_values(xgrad::var(x, {1, 2}), {4.70367193, 4.39612579});
  CHECK_DTYPE(x.std(), kFloat32);
  CHECK_DTYPE(x.to(kFloat64).var(1), kFloat64);
}

BOOST_AUTO_TEST_CASE(std_mean_and_var_mean) {
  auto [s, m] = std_mean(X(), {1});
  check_values(s, {1.26487672, 1.74019027, 3.10821652, 3.23841929, 3.22345328, 1.99433422, 1.09220243, 2.58063054});
  check_values(m, {-0.211602777, 0.39138487, 0.810298145, 0.848115444, 0.843777239, 0.474569023, -0.117836379,
                   -0.654821515});
  auto [v, m2] = var_mean(X(), {0, 2}, true, true);
  check_sizes(v, {1, 3, 1});
  check_values(v, {4.2177763, 3.68719697, 3.52360106});
  check_values(m2, {0.849092484, -1.01075459, 1.05561864});
  auto [s_all, m_all] = std_mean(X());
  check_values(s_all, {2.09268117});
  check_close(m_all, X().mean());
}

BOOST_AUTO_TEST_CASE(strided_input_and_degenerate_counts) {
  check_values(X().permute({2, 0, 1}).std(0),
               {1.16570961, 1.67218173, 2.06914306, 2.26885867, 2.23750067, 1.98011363});
  // One element, unbiased: 0 / 0 (PyTorch gives nan too).
  BOOST_TEST(std::isnan(tensor({2.0}).std().item<double>()));
  check_values(tensor({2.0}).std(false), {0});
  check_values(tensor(3.0).var(false), {0});
}

BOOST_AUTO_TEST_CASE(gradients_match_pytorch) {
  check_values(grad_of([](const Tensor& x) { return x.std(1); }),
               {0.0786767957, 0.50167153, 0.049538091, -0.223123682, 0.143059883, -0.489779338, -0.080788661,
                0.526895289, -0.221736678, -0.0118921913, 0.03125057, -0.303771607, -0.151937425, 0.0281486293,
                -0.540376836, 0.0307739232, 0.36286705, -0.302265018, 0.222879317, -0.0418755811, -0.210929625,
                0.274116388, 0.31749752, 0.0111016579},
               1e-8);
  check_values(grad_of([](const Tensor& x) { return x.var({0, 2}, true, true); }),
               {-0.0611489413, 0.144972193, 0.238478956, 0.175393658, 0.489741479, -0.0897617428, -0.492359659,
                -0.528704178, -0.109173472, -0.0284647528, 0.0456135547, 0.0782212646, 0.172052685, -0.0200742637,
                -0.247191655, -0.402482632, -0.524534915, -0.169706197, 0.399626953, 0.915698258, 0.0783139252,
                0.0527844301, -0.0175882373, -0.0997067121},
               1e-8);
  check_values(grad_of([](const Tensor& x) {
                 auto [s, m] = std_mean(x, {2});
                 return stack(std::vector<Tensor>{s, m});
               }),
               {0.0494573784, 0.255747735, 0.349331267, 0.286194176, 0.431231838, 0.0269174768, -0.25397159,
                -0.279328845, -0.304844756, -0.259337909, -0.217569557, -0.199184009, -0.471075679, -0.238649336,
                0.0361068357, 0.223970714, 0.410734189, 0.292959948, 0.103987702, -0.0673059481, 0.392234814,
                0.330579794, 0.160626245, -0.0376940217},
               1e-8);
  // The std of a constant has gradient 0 (not NaN), as PyTorch.
  Tensor z = zeros({3}, requires_grad());
  z.std().backward();
  check_values(z.grad(), {0, 0, 0});
}

BOOST_AUTO_TEST_CASE(gradcheck_and_double_backward) {
  manual_seed(11);
  auto x = leaf64({2, 3, 4});
  check_grads([](const auto& in) { return in[0].std(); }, {x});
  check_grads([](const auto& in) { return in[0].std({0, 2}, true, true); }, {x});
  check_grads([](const auto& in) { return in[0].std(-1, std::optional<int64_t>(0)); }, {x});
  // correction 2 (not a bool): the recomputed std under create_graph must keep it.
  check_grads([](const auto& in) { return in[0].std({2}, std::optional<int64_t>(2)); }, {x});
  check_grads(
      [](const auto& in) {
        auto [s, m] = std_mean(in[0], {1}, std::optional<int64_t>(2));
        return s * m;
      },
      {x});
  check_grads([](const auto& in) { return in[0].var(1); }, {x});
  check_grads([](const auto& in) { return in[0].var({1, 2}, false, true); }, {x});
  check_grads([](const auto& in) { return in[0].permute({2, 0, 1}).std(1); }, {x});
  check_grads(
      [](const auto& in) {
        auto [s, m] = std_mean(in[0], {1});
        return s * 2.0 + m * m;
      },
      {x});
  check_grads(
      [](const auto& in) {
        auto [v, m] = var_mean(in[0], {0, 2}, false, true);
        return v + m.exp();
      },
      {x});
  BOOST_TEST(grad_fn_name(x.std()) == "StdBackward0");
  BOOST_TEST(grad_fn_name(x.var(1)) == "VarBackward0");
  BOOST_TEST(grad_fn_name(std::get<0>(std_mean(x))) == "StdMeanBackward0");
  BOOST_TEST(grad_fn_name(std::get<1>(var_mean(x))) == "VarMeanBackward0");
}

BOOST_AUTO_TEST_CASE(bad_input_throws_typed_errors) {
  BOOST_CHECK_THROW(tensor({1, 2}).std(), TypeError);  // as PyTorch: floating point only
  BOOST_CHECK_THROW(tensor({1, 2}).var(), TypeError);
  BOOST_CHECK_THROW(X().std(3), IndexError);
  BOOST_CHECK_THROW(X().var({0, -3}), IndexError);  // dim 0 twice
  BOOST_CHECK_THROW(std_mean(X(), {5}), IndexError);
  BOOST_CHECK_THROW(xgrad::std(Tensor()), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(norm)

BOOST_AUTO_TEST_CASE(values_match_pytorch) {
  const Tensor x = X();
  check_values(x.norm(), {10.1417618});
  check_values(x.norm(1), {44.4213867});
  check_values(x.norm(3), {6.38225079});
  check_values(x.norm(0.5), {977.926514}, 1e-3);
  check_values(x.norm(kInf), {2.99792814});
  check_values(x.norm(-kInf), {0.299500257});
  check_values(x.norm(0), {24});
  check_sizes(x.norm(2, {1}), {2, 4});
  check_values(xgrad::norm(x, 2, {1}),
               {1.82596648, 2.55265951, 4.61430073, 4.80963802, 4.78718948, 2.93775177, 1.55803347, 3.82173824});
  check_values(x.norm(std::nullopt, {1}),
               {1.82596648, 2.55265951, 4.61430073, 4.80963802, 4.78718948, 2.93775177, 1.55803347, 3.82173824});
  check_sizes(x.norm(1, {0, 2}, true), {1, 3, 1});
  check_values(x.norm(1, {0, 2}, true), {15.0746078, 14.7631807, 14.5835934});
  check_values(x.norm(kInf, {2}), {2.99248505, 2.87677288, 2.99563003, 2.76832628, 2.86205769, 2.99792814});
  CHECK_DTYPE(x.to(kFloat64).norm(), kFloat64);
}

BOOST_AUTO_TEST_CASE(gradients_match_pytorch) {
  check_values(grad_of([](const Tensor& x) { return x.norm(3, {1}); }),
               {0.0120990537, 0.859626082, 0.08432122, -0.333539028, 0.069486589, -0.327119686, -0.0711317871,
                0.469201183, -0.36813481, 0.0226912611, 0.0450332827, -0.508773306, -0.226081793, 0.0380888786,
                -0.874052739, 0.0538054679, 0.322733496, -0.220736855, 0.0741147525, -0.0346368917, -0.354103079,
                0.476373495, 0.177987958, 0.0141024503},
               1e-8);
  check_values(grad_of([](const Tensor& x) { return x.norm(); }),
               {0.0115000623, 0.0826340516, 0.114903955, 0.0931327334, 0.0275597317, -0.0509750424, -0.105535458,
                -0.110460898, -0.0634348521, 0.0134255959, 0.0839717764, 0.115024718, 0.091979738, 0.0256752496,
                -0.0527047099, -0.106296821, -0.109895876, -0.0618091834, 0.0153473338, 0.0852857601, 0.115112961,
                0.0908007374, 0.0237835083, -0.0544194763},
               1e-8);
  check_values(grad_of([](const Tensor& x) { return x.norm(kInf, {2}); }),
               {0, 0, 0.389418342, 0, 0, 0, 0, -0.99166481, 0, 0, 0, 0.141120008, 0, 0, 0, 0.916165937, 0.631266638, 0,
                0, 0, 0.578439764, 0, 0, 0},
               1e-8);
  // Ties of the inf-norm share the gradient; the 2-norm of zeros has gradient 0.
  Tensor t = tensor({3.0, -3.0, 1.0}).requires_grad_();
  t.norm(kInf).backward();
  check_values(t.grad(), {0.5, -0.5, 0});
  Tensor z = zeros({3}, requires_grad());
  z.norm().backward();
  check_values(z.grad(), {0, 0, 0});
}

BOOST_AUTO_TEST_CASE(gradcheck_and_double_backward) {
  manual_seed(12);
  auto x = leaf64({2, 3, 4});
  check_grads([](const auto& in) { return in[0].norm(); }, {x});
  check_grads([](const auto& in) { return in[0].norm(1); }, {x});
  check_grads([](const auto& in) { return in[0].norm(3); }, {x});
  check_grads([](const auto& in) { return in[0].norm(1.5, {1}); }, {x});
  check_grads([](const auto& in) { return in[0].norm(2, {0, 2}, true); }, {x});
  check_grads([](const auto& in) { return in[0].norm(kInf, {2}); }, {x});
  check_grads([](const auto& in) { return in[0].norm(-kInf, {1}); }, {x});
  BOOST_TEST(grad_fn_name(x.norm()) == "NormBackward0");
  BOOST_TEST(grad_fn_name(x.norm(2, {1})) == "NormBackward1");
}

BOOST_AUTO_TEST_CASE(bad_input_throws_typed_errors) {
  BOOST_CHECK_THROW(tensor({1, 2}).norm(), TypeError);
  BOOST_CHECK_THROW(X().norm(2, {3}), IndexError);
  BOOST_CHECK_THROW(zeros({2, 0}).norm(-kInf, {1}), ValueError);
  check_values(zeros({2, 0}).norm(kInf, {1}), {0, 0});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(logsumexp)

BOOST_AUTO_TEST_CASE(values_match_pytorch) {
  check_values(X().logsumexp(1),
               {1.27833366, 2.33081532, 3.36407709, 3.44559789, 3.43638372, 2.54890013, 1.28166533, 2.25369549});
  check_sizes(X().logsumexp({0, 2}, true), {1, 3, 1});
  check_values(xgrad::logsumexp(X(), {0, 2}, true), {3.99702311, 2.59536386, 4.14790726});
  // Stable: no overflow for large inputs.
  check_values(tensor({{1000.0, 1001.0, 999.0}, {-1000.0, -1001.0, -1002.0}}).logsumexp(1),
               {1001.40759, -999.592407}, 1e-3);
  BOOST_TEST(tensor({-kInf, -kInf}).logsumexp(0).item<double>() == -kInf);
  BOOST_TEST(tensor({kInf, 1.0}).logsumexp(0).item<double>() == kInf);
  BOOST_TEST(std::isnan(tensor({kNaN, 1.0}).logsumexp(0).item<double>()));
  const Tensor i = tensor({1, 2}).logsumexp(0);
  CHECK_DTYPE(i, kFloat32);
  check_values(i, {2.31326175});
}

BOOST_AUTO_TEST_CASE(gradients_gradcheck_and_double_backward) {
  check_values(grad_of([](const Tensor& x) { return x.logsumexp(1); }),
               {0.146323625, 0.829346683, 0.0973213738, -0.330328872, 0.222309046, 0.0255594896, 0.000312558341,
                -0.001645142, 0.0207856719, 0.136758638, 0.043486076, -0.584191923, -0.222918471, 0.0882438383,
                0.0661803626, -0.000495335135, -0.00116100617, 0.00904050808, 0.389431346, -0.0727430399, -0.40718716,
                0.481155418, 0.485118848, -0.00191274542},
               1e-8);
  manual_seed(13);
  auto x = leaf64({2, 3, 4});
  check_grads([](const auto& in) { return in[0].logsumexp(1); }, {x});
  check_grads([](const auto& in) { return in[0].logsumexp({0, 2}, true); }, {x});
  check_grads([](const auto& in) { return in[0].logsumexp({}); }, {x});
  BOOST_TEST(grad_fn_name(x.logsumexp(0)) == "LogsumexpBackward0");
  BOOST_CHECK_THROW(x.logsumexp(3), IndexError);
  BOOST_CHECK_THROW(xgrad::logsumexp(Tensor(), {0}), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cumsum)

BOOST_AUTO_TEST_CASE(values_and_dtypes_match_pytorch) {
  const Tensor x = X();
  check_values(x.cumsum(1), {0.299500257, 2.15206838, 2.99248505, 2.42548919, 1.01724827, 0.824506998, 0.243987322,
                             -0.451283693, -0.634808302, 1.17415464, 2.43089437, 2.54434633, 2.39546132, 0.66866976,
                             -1.37260771, -2.76832628, -0.466596365, -0.941049039, -0.972911596, -0.547198534,
                             2.53133178, 1.42370701, -0.353509128, -1.96446455});
  check_values(xgrad::cumsum(x, -1),
               {0.299500257, 2.4515686, 5.44405365, 7.86954308, 0.717747986, -0.609813392, -3.35831118, -6.23508406,
                -1.65205657, -1.30240893, 0.884498119, 3.88012815, 2.39546132, 3.06413102, 1.69152331, -1.07680297,
                -2.86205769, -4.47177649, -4.07208061, -1.85095263, 2.99792814, 5.36268425, 5.98208666, 4.56482077});
  const Tensor d = x.cumsum(0, kFloat64);
  CHECK_DTYPE(d, kFloat64);
  check_values(d, {0.299500257, 2.15206838, 2.99248505, 2.42548919, 0.717747986, -1.32756138, -2.74849772,
                   -2.87677288, -1.65205657, 0.349647611, 2.18690705, 2.99563003, 2.69496158, 2.82073814, 1.61987734,
                   -0.342837095, -2.1443097, -2.93728018, -2.34880161, -0.655645132, 1.34587157, 2.71440372,
                   2.80630952, 1.57836401});
  const Tensor i = tensor({{1, 2, 3}, {4, 5, 6}}).cumsum(1);
  CHECK_DTYPE(i, kInt64);
  BOOST_TEST(i.to_vector<int64_t>() == std::vector<int64_t>({1, 3, 6, 4, 9, 15}), boost::test_tools::per_element());
  const Tensor b = tensor({true, false, true}).cumsum(0);
  CHECK_DTYPE(b, kInt64);
  BOOST_TEST(b.to_vector<int64_t>() == std::vector<int64_t>({1, 1, 2}), boost::test_tools::per_element());
  check_values(X().permute({2, 0, 1}).cumsum(0).permute({1, 2, 0}), x.cumsum(-1).to_vector<double>());
  check_values(tensor(2.5).cumsum(0), {2.5});
}

BOOST_AUTO_TEST_CASE(gradients_gradcheck_and_double_backward) {
  check_values(grad_of([](const Tensor& x) { return x.cumsum(1); }),
               {-1.22278453, 1.12045711, 1.82222645, -0.145570226, -1.61220287, 0.1287923, 1.68110645, 0.770595711,
                -0.98093623, -0.449647465, 0.74037589, 0.845746831, 1.377543, -0.943673274, -1.88240599,
                -0.0634095212, 1.66544632, 0.0561011568, -1.63543233, -0.931053622, 0.954285094, 0.543275669,
                -0.663633884, -0.898318243},
               1e-8);
  manual_seed(14);
  auto x = leaf64({2, 3, 4});
  check_grads([](const auto& in) { return in[0].cumsum(1) * in[0]; }, {x});
  check_grads([](const auto& in) { return in[0].cumsum(0).pow(2); }, {x});
  check_grads([](const auto& in) { return in[0].cumsum(2, kFloat64).pow(2); }, {x});
  // With a dtype the input is converted first, and the gradient converted back.
  Tensor f = ones({3}, requires_grad());
  f.cumsum(0, kFloat64).sum().backward();
  CHECK_DTYPE(f.grad(), kFloat32);
  check_values(f.grad(), {3, 2, 1});
  BOOST_TEST(grad_fn_name(x.cumsum(0)) == "CumsumBackward0");
  BOOST_CHECK_THROW(x.cumsum(3), IndexError);
  BOOST_CHECK_THROW(x.cumsum(0, kBool), TypeError);
}

BOOST_AUTO_TEST_SUITE_END()

// F::normalize (LibTorch names, issue 9); values from tests/reference/names.py.
BOOST_AUTO_TEST_SUITE(normalize)

BOOST_AUTO_TEST_CASE(values_out_and_gradient_match_pytorch) {
  namespace F = xgrad::nn::functional;
  const Tensor n = tensor({{3.0, -4.0, 0.0}, {1.0, 2.0, -2.0}});
  xgrad::testing::check_values(F::normalize(n), {0.6, -0.8, 0, 0.333333343, 0.666666687, -0.666666687});
  xgrad::testing::check_values(F::normalize(n, F::NormalizeFuncOptions().p(1).dim(0)),
                               {0.75, -0.666666687, 0, 0.25, 0.333333343, -1});
  xgrad::testing::check_values(F::normalize(zeros({2, 3})), {0, 0, 0, 0, 0, 0});  // eps, not NaN
  Tensor out = randn({1});
  Tensor r = F::normalize(n, F::NormalizeFuncOptions().dim(-1).out(out));
  BOOST_TEST(r.is_same(out));
  check_sizes(out, {2, 3});
  xgrad::testing::check_values(out, {0.6, -0.8, 0, 0.333333343, 0.666666687, -0.666666687});
  Tensor g = n.to(kFloat64).requires_grad_();
  (F::normalize(g) * arange(6, kFloat64).reshape({2, 3})).sum().backward();
  xgrad::testing::check_values(g.grad(), {0.096, 0.072, 0.4, 0.962962963, 1.25925926, 1.74074074}, 1e-9);
  // A 0-dim input with dim -1 is its own slice.
  Tensor s = tensor(-2.5).requires_grad_();
  Tensor ns = F::normalize(s, F::NormalizeFuncOptions().p(1).dim(-1));
  BOOST_CHECK_EQUAL(ns.dim(), 0);
  BOOST_TEST(ns.item<double>() == -1.0);
  ns.backward();
  BOOST_CHECK_EQUAL(s.grad().numel(), 1);
  manual_seed(13);
  const Tensor x = randn({3, 4}, kFloat64).requires_grad_();
  for (double p : {1.0, 2.0, 3.0}) {
    auto fn = [p](const autograd::variable_list& v) { return F::normalize(v[0], F::NormalizeFuncOptions().p(p)); };
    BOOST_CHECK(autograd::gradcheck(fn, {x}));
    BOOST_CHECK(autograd::gradgradcheck(fn, {x}));
  }
}

BOOST_AUTO_TEST_CASE(bad_options_are_typed_errors) {
  namespace F = xgrad::nn::functional;
  BOOST_CHECK_THROW(F::normalize(randn({2, 3}), F::NormalizeFuncOptions().dim(2)), IndexError);
  BOOST_CHECK_THROW(F::normalize(tensor({1, 2})), TypeError);
  BOOST_CHECK_THROW(F::normalize(Tensor()), ValueError);
  // out= is a write: refused while the input is recorded by autograd.
  BOOST_CHECK_THROW(F::normalize(randn({2, 3}).requires_grad_(), F::NormalizeFuncOptions().out(randn({2, 3}))),
                    AutogradError);
}

BOOST_AUTO_TEST_SUITE_END()
