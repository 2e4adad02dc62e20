#define BOOST_TEST_MODULE utils
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <cmath>
#include <limits>

// nn::utils: clip_grad_norm_ / clip_grad_value_ against PyTorch 1.13 (tests/reference/
// module_api.py, section "clip_grad"), parameters_to_vector / vector_to_parameters by hand.

using namespace xgrad;
namespace nn = xgrad::nn;
namespace U = xgrad::nn::utils;
using xgrad::testing::check_values;

namespace {

// The reference's three parameters: two with gradients, one without.
std::vector<Tensor> make_params() {
  Tensor p1 = zeros({2, 3}, TensorOptions().requires_grad(true));
  p1.mutable_grad() = tensor({{0.5, -1.25, 2.0}, {3.0, -0.75, 0.1}}).to(kFloat32);
  Tensor p2 = zeros({4}, TensorOptions().requires_grad(true));
  p2.mutable_grad() = tensor({1.5, -2.5, 0.3, 0.0}).to(kFloat32);
  Tensor p3 = zeros({3}, TensorOptions().requires_grad(true));
  return {p1, p2, p3};
}

// float32 results: compare to ~1 ulp.
void check_grads(const std::vector<Tensor>& ps, const std::vector<double>& g1, const std::vector<double>& g2) {
  check_values(ps[0].grad(), g1, 1e-7, 2e-7);
  check_values(ps[1].grad(), g2, 1e-7, 2e-7);
  BOOST_CHECK(!ps[2].grad().defined());
}

}  // namespace

BOOST_AUTO_TEST_CASE(clip_grad_norm_matches_pytorch) {
  struct Case {
    double max_norm, norm_type, total;
    std::vector<double> g1, g2;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {1.0, 2.0, 4.896427631378174,
       {0.10211524367332458, -0.25528812408447266, 0.40846097469329834, 0.6126914620399475, -0.15317286550998688,
        0.020423049107193947},
       {0.30634573101997375, -0.5105762481689453, 0.06126914918422699, 0.0}},
      {2.0, 1.0, 11.899999618530273,
       {0.08403360843658447, -0.21008402109146118, 0.3361344337463379, 0.5042016506195068, -0.1260504126548767,
        0.016806721687316895},
       {0.2521008253097534, -0.42016804218292236, 0.05042016878724098, 0.0}},
      {1.5, inf, 3.0,
       {0.24999991059303284, -0.6249997615814209, 0.9999996423721313, 1.4999995231628418, -0.37499988079071045,
        0.04999998211860657},
       {0.7499997615814209, -1.2499995231628418, 0.1499999463558197, 0.0}},
      {0.5, 3.0, 3.8378491401672363,
       {0.06514063477516174, -0.16285158693790436, 0.260562539100647, 0.39084380865097046, -0.09771095216274261,
        0.013028127141296864},
       {0.19542190432548523, -0.3257031738758087, 0.039084382355213165, 0.0}},
      {100.0, 2.0, 4.896427631378174,  // not clipped: multiplied by exactly 1
       {0.5, -1.25, 2.0, 3.0, -0.75, 0.10000000149011612},
       {1.5, -2.5, 0.30000001192092896, 0.0}},
      {4.0, 2.0, 4.896427631378174,
       {0.40846097469329834, -1.0211524963378906, 1.6338438987731934, 2.45076584815979, -0.6126914620399475,
        0.08169219642877579},
       {1.225382924079895, -2.0423049926757812, 0.24507659673690796, 0.0}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("max_norm " << c.max_norm << ", norm_type " << c.norm_type) {
      auto ps = make_params();
      const double total = U::clip_grad_norm_(ps, c.max_norm, c.norm_type);
      BOOST_CHECK_CLOSE(total, c.total, 1e-5);  // percent: ~1 float ulp
      check_grads(ps, c.g1, c.g2);
    }
  }
  // Unclipped gradients are bit-identical.
  auto ps = make_params();
  U::clip_grad_norm_(ps, 100.0);
  BOOST_CHECK_EQUAL(ps[0].grad().to_vector<float>()[5], 0.1f);
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_overloads) {
  auto ps = make_params();
  BOOST_CHECK_CLOSE(U::clip_grad_norm_(ps[0], 1.0), 3.9223718643188477, 1e-5);
  check_values(ps[0].grad(),
               {0.1274738609790802, -0.3186846375465393, 0.5098954439163208, 0.7648431658744812, -0.1912107914686203,
                0.0254947729408741},
               1e-7, 2e-7);
  check_values(ps[1].grad(), {1.5, -2.5, 0.3, 0.0});  // untouched
  auto qs = make_params();
  BOOST_CHECK_CLOSE(U::clip_grad_norm_({qs[0], qs[1]}, 1.0), 4.896427631378174, 1e-5);
  BOOST_CHECK_EQUAL(U::clip_grad_norm_({qs[2]}, 1.0), 0.0);  // no gradient at all: PyTorch's 0
  // A module's parameters.
  nn::Linear lin(3, 2);
  lin(ones({4, 3})).sum().backward();  // bias grad = [4, 4], weight grad = 4 everywhere
  const double n = U::clip_grad_norm_(lin->parameters(), 1.0);
  BOOST_CHECK_CLOSE(n, std::sqrt(6 * 16.0 + 2 * 16.0), 1e-5);
  const double scale = 1.0 / (std::sqrt(128.0) + 1e-6);
  check_values(lin->bias.grad(), {4 * scale, 4 * scale}, 1e-6);
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_float64_and_many_elements) {
  // float64 gradients: the norm is computed and returned in double.
  Tensor p = zeros({3}, TensorOptions().dtype(kFloat64).requires_grad(true));
  p.mutable_grad() = tensor({3.0, 4.0, 12.0}).to(kFloat64);
  BOOST_CHECK_EQUAL(U::clip_grad_norm_(p, 1.0), 13.0);
  check_values(p.grad(), {3.0 / (13.0 + 1e-6), 4.0 / (13.0 + 1e-6), 12.0 / (13.0 + 1e-6)}, 1e-15, 1e-14);
  // 10,001 elements of 0.5: the 2-norm is 0.5 * sqrt(10001) (every partial-sum lane and the tail used).
  Tensor q = zeros({10001}, TensorOptions().requires_grad(true));
  q.mutable_grad() = full({10001}, 0.5);
  BOOST_CHECK_CLOSE(U::clip_grad_norm_(q, 1e9), 0.5 * std::sqrt(10001.0), 1e-5);
  // Same result for any thread count (the reduction order is fixed).
  Tensor r = zeros({4099}, TensorOptions().requires_grad(true));
  manual_seed(3);
  r.mutable_grad() = randn({4099});
  const Tensor saved = r.grad().clone();
  set_num_threads(1);
  const double one = U::clip_grad_norm_(r, 1e9);
  r.mutable_grad() = saved.clone();
  set_num_threads(2);
  const double two = U::clip_grad_norm_(r, 1e9);
  BOOST_CHECK_EQUAL(one, two);
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_nonfinite) {
  auto ps = make_params();
  {
    NoGradGuard no_grad;
    ps[1].mutable_grad().index_put_({0}, std::numeric_limits<double>::infinity());
  }
  try {
    U::clip_grad_norm_(ps, 1.0, 2.0, /*error_if_nonfinite=*/true);
    BOOST_FAIL("expected ValueError");
  } catch (const ValueError& e) {
    BOOST_CHECK_EQUAL(std::string(e.what()),
                      "The total norm of order 2 for gradients from `parameters` is non-finite, so it cannot be "
                      "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                      "`error_if_nonfinite=false`");
  }
  check_values(ps[0].grad(), {0.5, -1.25, 2.0, 3.0, -0.75, 0.1});  // left unchanged
  // Without the flag: PyTorch scales by 1 / inf = 0 (inf * 0 = nan).
  BOOST_CHECK(std::isinf(U::clip_grad_norm_(ps, 1.0)));
  check_values(ps[0].grad(), {0.0, -0.0, 0.0, 0.0, -0.0, 0.0}, 0.0, 0.0);
  BOOST_CHECK(std::isnan(ps[1].grad().to_vector<double>()[0]));
  check_values(ps[1].grad().narrow(0, 1, 3), {0.0, 0.0, 0.0}, 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(clip_grad_value_matches_pytorch) {
  auto ps = make_params();
  U::clip_grad_value_(ps, 0.8);
  check_grads(ps, {0.5, -0.800000011920929, 0.800000011920929, 0.800000011920929, -0.75, 0.10000000149011612},
              {0.800000011920929, -0.800000011920929, 0.30000001192092896, 0.0});
  auto qs = make_params();
  U::clip_grad_value_(qs[1], 1.0);
  check_values(qs[1].grad(), {1.0, -1.0, 0.3, 0.0});
  U::clip_grad_value_({qs[0]}, 0.5);
  check_values(qs[0].grad(), {0.5, -0.5, 0.5, 0.5, -0.5, 0.1});
}

BOOST_AUTO_TEST_CASE(argument_errors) {
  auto ps = make_params();
  BOOST_CHECK_THROW(U::clip_grad_norm_(ps, 1.0, 0.0), ValueError);
  BOOST_CHECK_THROW(U::clip_grad_norm_(ps, 1.0, -2.0), ValueError);
  BOOST_CHECK_THROW(U::clip_grad_norm_(ps, 1.0, std::nan("")), ValueError);
  BOOST_CHECK_THROW(U::clip_grad_norm_(ps, -1.0), ValueError);
  BOOST_CHECK_THROW(U::clip_grad_value_(ps, -0.1), ValueError);
  BOOST_CHECK_THROW(U::clip_grad_value_(ps, std::nan("")), ValueError);
  check_values(ps[0].grad(), {0.5, -1.25, 2.0, 3.0, -0.75, 0.1});
}

BOOST_AUTO_TEST_CASE(parameters_to_vector_and_back) {
  // PyTorch: [1..7], then a = [[0, 1], [2, 3]], b = [4, 5, 6] from arange(7).
  Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}}).to(kFloat32);
  Tensor b = tensor({5.0, 6.0, 7.0}).to(kFloat32);
  const Tensor v = U::parameters_to_vector({a, b});
  BOOST_TEST(v.sizes().vec() == std::vector<int64_t>{7}, boost::test_tools::per_element());
  check_values(v, {1, 2, 3, 4, 5, 6, 7});
  const Tensor a_handle = a;
  U::vector_to_parameters(arange(7.0).to(kFloat32), {a, b});
  check_values(a, {0, 1, 2, 3});
  check_values(b, {4, 5, 6});
  BOOST_CHECK(a_handle.is_same(a));  // the same tensor, updated in place
  // Gradients flow from the vector back to the parameters.
  nn::Linear lin(2, 3);
  const Tensor flat = U::parameters_to_vector(lin->parameters());
  BOOST_CHECK_EQUAL(flat.numel(), 9);
  (flat * arange(9.0).to(kFloat32)).sum().backward();
  check_values(lin->weight.grad(), {0, 1, 2, 3, 4, 5});
  check_values(lin->bias.grad(), {6, 7, 8});
  // Values into a module, without recording gradients; the parameters still require grad.
  U::vector_to_parameters(full({9}, 0.25), lin->parameters());
  check_values(lin->weight, std::vector<double>(6, 0.25));
  BOOST_CHECK(lin->weight.requires_grad());
  BOOST_CHECK(!lin->weight.grad_fn());
}

BOOST_AUTO_TEST_CASE(convert_errors) {
  Tensor a = zeros({2, 2});
  Tensor b = zeros({3});
  BOOST_CHECK_THROW(U::parameters_to_vector({}), ValueError);
  BOOST_CHECK_THROW(U::vector_to_parameters(zeros({6}), {a, b}), ShapeError);
  BOOST_CHECK_THROW(U::vector_to_parameters(zeros({8}), {a, b}), ShapeError);
  BOOST_CHECK_THROW(U::vector_to_parameters(zeros({7, 1}), {a, b}), ShapeError);
  check_values(a, {0, 0, 0, 0});
}
