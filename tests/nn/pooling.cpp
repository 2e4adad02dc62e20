#define BOOST_TEST_MODULE nn_pooling
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <sstream>

// The pooling modules (src/nn/modules/pooling.cpp): LibTorch's shortcut constructors
// (`MaxPool2d(2)`, `AdaptiveAvgPool2d(1)`), nn::AdaptiveMaxPool2d (forward, forward_with_indices,
// None entries of output_size) and AdaptiveAvgPool2d's None entries, against PyTorch 1.13 values
// from tests/reference/pool_modules.py, plus gradcheck, grad_fn names, printing and errors.

using namespace xgrad;
namespace nn = xgrad::nn;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

namespace {

#include "reference/pool_modules.inc"

// The script's input: x[i] = ((i * 7) % 210) / 210 - 0.5, shape [2, 3, 5, 7], float64 (no ties).
Tensor reference_input() {
  std::vector<double> v(210);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>((i * 7) % 210) / 210.0 - 0.5;
  return tensor(v, kFloat64).reshape({2, 3, 5, 7}).requires_grad_();
}

// The script's loss weights: w[j] = 1 + (j % 3).
Tensor weights_like(const Tensor& out) {
  std::vector<double> w(static_cast<size_t>(out.numel()));
  for (size_t j = 0; j < w.size(); ++j) w[j] = 1.0 + static_cast<double>(j % 3);
  return tensor(w, kFloat64).reshape(out.sizes().vec());
}

// Runs `pool` on the reference input, checks values and input gradient against PyTorch.
template <typename Pool>
void check_against_pytorch(Pool& pool, const std::vector<int64_t>& out_sizes, const std::vector<double>& out,
                           const std::vector<double>& grad, const char* grad_fn) {
  auto x = reference_input();
  auto y = pool(x);
  check_sizes(y, out_sizes);
  check_values(y, out, 1e-12, 1e-12);
  BOOST_TEST(y.grad_fn()->name() == grad_fn);
  (y * weights_like(y)).sum().backward();
  check_values(x.grad(), grad, 1e-12, 1e-12);
}

template <typename M>
std::string str(const M& holder) {
  std::ostringstream os;
  os << *holder;
  return os.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(shortcut_constructors_take_the_required_argument) {
  // LibTorch: the options' required argument alone builds the module.
  nn::MaxPool2d max2(2);
  BOOST_TEST((max2->options == nn::MaxPool2dOptions(2)));
  BOOST_TEST(max2->options.stride()[1] == 2);
  nn::MaxPool2d max32(ExpandingArray<2>({3, 2}));
  BOOST_TEST((max32->options == nn::MaxPool2dOptions({3, 2})));
  nn::AvgPool2d avg2(2);
  BOOST_TEST((avg2->options == nn::AvgPool2dOptions(2)));
  nn::AdaptiveAvgPool2d gap(1);
  BOOST_TEST(*gap->options.output_size()[0] == 1);
  BOOST_TEST(*gap->options.output_size()[1] == 1);
  nn::AdaptiveMaxPool2d gmp(1);
  BOOST_TEST(*gmp->options.output_size()[1] == 1);
  nn::AdaptiveMaxPool2d half(nn::AdaptiveMaxPool2dOptions({std::nullopt, 3}));
  BOOST_TEST(!half->options.output_size()[0].has_value());
  BOOST_TEST(*half->options.output_size()[1] == 3);
  // Temporaries, as written inside Sequential(...) and register_module(...).
  nn::Sequential seq(nn::MaxPool2d(2), nn::AvgPool2d(1), nn::AdaptiveAvgPool2d(1), nn::AdaptiveMaxPool2d(1));
  check_sizes(seq->forward(ones({1, 2, 4, 4})), {1, 2, 1, 1});
}

BOOST_AUTO_TEST_CASE(adaptive_max_pool2d_matches_pytorch) {
  nn::AdaptiveMaxPool2d pool(nn::AdaptiveMaxPool2dOptions({3, 4}));
  check_against_pytorch(pool, {2, 3, 3, 4}, amp_3x4_out, amp_3x4_grad, "AdaptiveMaxPool2DBackward0");
  auto [v, idx] = pool->forward_with_indices(reference_input());
  BOOST_TEST(idx.dtype() == kInt64);
  check_values(idx, amp_3x4_indices, 0, 0);
  check_values(v, amp_3x4_out, 1e-12, 1e-12);

  nn::AdaptiveMaxPool2d global(1);
  check_against_pytorch(global, {2, 3, 1, 1}, amp_1_out, amp_1_grad, "AdaptiveMaxPool2DBackward0");
  check_values(std::get<1>(global->forward_with_indices(reference_input())), amp_1_indices, 0, 0);
}

BOOST_AUTO_TEST_CASE(none_entries_keep_the_input_size) {
  // PyTorch: nn.AdaptiveMaxPool2d((None, 2)) keeps H = 5.
  nn::AdaptiveMaxPool2d amp(nn::AdaptiveMaxPool2dOptions({std::nullopt, 2}));
  check_against_pytorch(amp, {2, 3, 5, 2}, amp_none_2_out, amp_none_2_grad, "AdaptiveMaxPool2DBackward0");
  check_values(std::get<1>(amp->forward_with_indices(reference_input())), amp_none_2_indices, 0, 0);
  nn::AdaptiveAvgPool2d aap(nn::AdaptiveAvgPool2dOptions({3, std::nullopt}));
  check_against_pytorch(aap, {2, 3, 3, 7}, aap_3_none_out, aap_3_none_grad, "AdaptiveAvgPool2DBackward0");
  // Unbatched [C, H, W] input: the None entry still refers to H and W.
  check_sizes(amp(zeros({3, 6, 4})), {3, 6, 2});
  check_sizes(aap(zeros({3, 6, 4})), {3, 3, 4});
  // Both None: the identity size.
  nn::AdaptiveMaxPool2d same(nn::AdaptiveMaxPool2dOptions(std::nullopt));
  auto x = reference_input();
  check_values(same(x), x.to_vector<double>(), 0, 0);
}

BOOST_AUTO_TEST_CASE(shortcut_constructed_max_and_avg_pool_match_pytorch) {
  nn::MaxPool2d max2(2);
  check_against_pytorch(max2, {2, 3, 2, 3}, maxpool_2_out, maxpool_2_grad, "MaxPool2DWithIndicesBackward0");
  nn::AvgPool2d avg2(2);
  check_against_pytorch(avg2, {2, 3, 2, 3}, avgpool_2_out, avgpool_2_grad, "AvgPool2DBackward0");
}

BOOST_AUTO_TEST_CASE(adaptive_max_pool2d_module_gradcheck) {
  // float64 finite differences, no ties in the input.
  auto x = reference_input().detach().narrow(0, 0, 1).contiguous().requires_grad_();
  for (auto opts : {nn::AdaptiveMaxPool2dOptions({3, 4}), nn::AdaptiveMaxPool2dOptions({std::nullopt, 2}),
                    nn::AdaptiveMaxPool2dOptions(1)}) {
    nn::AdaptiveMaxPool2d pool(opts);
    BOOST_TEST(autograd::gradcheck([&](const autograd::variable_list& in) { return pool(in[0]); }, {x}));
    BOOST_TEST(autograd::gradcheck(
        [&](const autograd::variable_list& in) { return std::get<0>(pool->forward_with_indices(in[0])); }, {x}));
  }
  nn::AdaptiveAvgPool2d avg(nn::AdaptiveAvgPool2dOptions({std::nullopt, 3}));
  BOOST_TEST(autograd::gradcheck([&](const autograd::variable_list& in) { return avg(in[0]); }, {x}));
}

BOOST_AUTO_TEST_CASE(printing_matches_pytorch) {
  // repr(nn.AdaptiveMaxPool2d((None, 2))) and repr(nn.AdaptiveMaxPool2d((3, 4))).
  BOOST_TEST(str(nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions({std::nullopt, 2}))) ==
             "AdaptiveMaxPool2d(output_size=(None, 2))");
  BOOST_TEST(str(nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions({3, 4}))) ==
             "AdaptiveMaxPool2d(output_size=(3, 4))");
  BOOST_TEST(str(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({3, std::nullopt}))) ==
             "AdaptiveAvgPool2d(output_size=(3, None))");
  BOOST_TEST(str(nn::MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
}

BOOST_AUTO_TEST_CASE(errors_name_the_module_and_values) {
  BOOST_CHECK_THROW(nn::AdaptiveMaxPool2d(-1), ValueError);
  BOOST_CHECK_THROW(nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions({2, -3})), ValueError);
  nn::AdaptiveMaxPool2d pool(2);
  try {
    pool(zeros({4, 4}));
    BOOST_FAIL("a 2-D input must throw");
  } catch (const ShapeError& e) {
    BOOST_TEST(std::string(e.what()).find("adaptive_max_pool2d") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("[4, 4]") != std::string::npos);
  }
  BOOST_CHECK_THROW(pool(zeros({1, 2, 3, 3}, kInt64)), TypeError);
  BOOST_CHECK_THROW(pool->forward_with_indices(Tensor()), ValueError);
  BOOST_CHECK_THROW(nn::MaxPool2d(0), ValueError);
  BOOST_CHECK_THROW(nn::AvgPool2d(nn::AvgPool2dOptions({2, -1})), ValueError);
}
