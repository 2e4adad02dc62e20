#define BOOST_TEST_MODULE modules
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <cmath>
#include <sstream>

// The built-in modules: printing (strings from tests/reference/nn.py, PyTorch 1.13), default
// initialisation bounds, forward through the functional ops, argument checks at construction,
// Sequential, and the loss modules.

using namespace xgrad;
namespace nn = xgrad::nn;
namespace F = xgrad::nn::functional;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

namespace {

template <typename M>
std::string str(const M& holder) {
  std::ostringstream os;
  os << *holder;
  return os.str();
}

double max_abs(const Tensor& t) {
  double m = 0.0;
  for (double v : t.to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

double mean_of(const Tensor& t) {
  const auto v = t.to_vector<double>();
  double s = 0.0;
  for (double e : v) s += e;
  return s / static_cast<double>(v.size());
}

}  // namespace

BOOST_AUTO_TEST_CASE(printing_matches_pytorch) {
  BOOST_CHECK_EQUAL(str(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2))),
                    "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))");
  BOOST_CHECK_EQUAL(str(nn::Conv2d(nn::Conv2dOptions(1, 1, {1, 2}).bias(false))),
                    "Conv2d(1, 1, kernel_size=(1, 2), stride=(1, 1), bias=False)");
  BOOST_CHECK_EQUAL(
      str(nn::Conv2d(nn::Conv2dOptions(4, 8, {3, 5}).stride({3, 4}).padding({0, 1}).dilation(2).groups(2))),
      "Conv2d(4, 8, kernel_size=(3, 5), stride=(3, 4), padding=(0, 1), dilation=(2, 2), groups=2)");
  BOOST_CHECK_EQUAL(str(nn::Conv2d(nn::Conv2dOptions(2, 2, 3).padding(xgrad::kSame))),
                    "Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)");
  BOOST_CHECK_EQUAL(str(nn::Linear(400, 120)), "Linear(in_features=400, out_features=120, bias=True)");
  BOOST_CHECK_EQUAL(str(nn::Linear(nn::LinearOptions(3, 2).bias(false))),
                    "Linear(in_features=3, out_features=2, bias=False)");
  BOOST_CHECK_EQUAL(str(nn::MaxPool2d(nn::MaxPool2dOptions(3).padding(1).stride(2))),
                    "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)");
  // PyTorch prints padding=(1, 1) here because Python kept the tuple; an ExpandingArray cannot
  // tell `1` from `{1, 1}`, so equal pooling sizes print as one number.
  BOOST_CHECK_EQUAL(str(nn::MaxPool2d(nn::MaxPool2dOptions({2, 3}).padding({1, 1}).stride({2, 3}))),
                    "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=1, dilation=1, ceil_mode=False)");
  BOOST_CHECK_EQUAL(str(nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2))), "AvgPool2d(kernel_size=2, stride=2, padding=0)");
  BOOST_CHECK_EQUAL(str(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1}))),
                    "AdaptiveAvgPool2d(output_size=(1, 1))");
  BOOST_CHECK_EQUAL(str(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({std::nullopt, 7}))),
                    "AdaptiveAvgPool2d(output_size=(None, 7))");
  BOOST_CHECK_EQUAL(str(nn::Dropout(0.5)), "Dropout(p=0.5, inplace=False)");
  BOOST_CHECK_EQUAL(str(nn::Dropout(nn::DropoutOptions().p(1.0))), "Dropout(p=1.0, inplace=False)");
  BOOST_CHECK_EQUAL(str(nn::ReLU()), "ReLU()");
  BOOST_CHECK_EQUAL(str(nn::ReLU(nn::ReLUOptions(true))), "ReLU(inplace=True)");
  BOOST_CHECK_EQUAL(str(nn::Sigmoid()), "Sigmoid()");
  BOOST_CHECK_EQUAL(str(nn::Tanh()), "Tanh()");
  // The activations of tests/reference/activation_cnn.py's set; strings as PyTorch 1.13 prints
  // nn.LeakyReLU(), nn.ELU(0.5, True), nn.GELU('tanh'), nn.Softplus(0.5, 3), ...
  BOOST_CHECK_EQUAL(str(nn::LeakyReLU()), "LeakyReLU(negative_slope=0.01)");
  BOOST_CHECK_EQUAL(str(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true))),
                    "LeakyReLU(negative_slope=0.2, inplace=True)");
  BOOST_CHECK_EQUAL(str(nn::ELU()), "ELU(alpha=1.0)");
  BOOST_CHECK_EQUAL(str(nn::ELU(nn::ELUOptions().alpha(0.5).inplace(true))), "ELU(alpha=0.5, inplace=True)");
  BOOST_CHECK_EQUAL(str(nn::GELU()), "GELU(approximate='none')");
  BOOST_CHECK_EQUAL(str(nn::GELU(nn::GELUOptions().approximate("tanh"))), "GELU(approximate='tanh')");
  BOOST_CHECK_EQUAL(str(nn::SiLU()), "SiLU()");
  BOOST_CHECK_EQUAL(str(nn::Softplus()), "Softplus(beta=1, threshold=20)");
  BOOST_CHECK_EQUAL(str(nn::Softplus(nn::SoftplusOptions().beta(0.5).threshold(3))), "Softplus(beta=0.5, threshold=3)");
  BOOST_CHECK_EQUAL(str(nn::Hardtanh()), "Hardtanh(min_val=-1.0, max_val=1.0)");
  BOOST_CHECK_EQUAL(str(nn::Hardtanh(nn::HardtanhOptions().min_val(-2.5).max_val(3.5).inplace(true))),
                    "Hardtanh(min_val=-2.5, max_val=3.5, inplace=True)");
  BOOST_CHECK_EQUAL(str(nn::LogSigmoid()), "LogSigmoid()");
  BOOST_CHECK_EQUAL(str(nn::Flatten()), "Flatten(start_dim=1, end_dim=-1)");
  BOOST_CHECK_EQUAL(str(nn::Softmax(1)), "Softmax(dim=1)");
  BOOST_CHECK_EQUAL(str(nn::MSELoss()), "MSELoss()");
  BOOST_CHECK_EQUAL(str(nn::CrossEntropyLoss()), "CrossEntropyLoss()");
  BOOST_CHECK_EQUAL(str(nn::L1Loss()), "L1Loss()");
  BOOST_CHECK_EQUAL(str(nn::NLLLoss()), "NLLLoss()");
  BOOST_CHECK_EQUAL(str(nn::BCEWithLogitsLoss()), "BCEWithLogitsLoss()");
  BOOST_CHECK_EQUAL(str(nn::SmoothL1Loss()), "SmoothL1Loss()");
  BOOST_CHECK_EQUAL(str(nn::HuberLoss()), "HuberLoss()");
}

nn::Sequential lenet() {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::Sigmoid(),
                        nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)), nn::Conv2d(nn::Conv2dOptions(6, 16, 5)),
                        nn::Sigmoid(), nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)), nn::Flatten(),
                        nn::Linear(16 * 5 * 5, 120), nn::Sigmoid(), nn::Linear(120, 84), nn::Sigmoid(),
                        nn::Linear(84, 10));
}

BOOST_AUTO_TEST_CASE(lenet_sequential_prints_and_runs_like_pytorch) {
  auto net = lenet();
  BOOST_CHECK_EQUAL(str(net),
                    "Sequential(\n"
                    "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n"
                    "  (1): Sigmoid()\n"
                    "  (2): AvgPool2d(kernel_size=2, stride=2, padding=0)\n"
                    "  (3): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n"
                    "  (4): Sigmoid()\n"
                    "  (5): AvgPool2d(kernel_size=2, stride=2, padding=0)\n"
                    "  (6): Flatten(start_dim=1, end_dim=-1)\n"
                    "  (7): Linear(in_features=400, out_features=120, bias=True)\n"
                    "  (8): Sigmoid()\n"
                    "  (9): Linear(in_features=120, out_features=84, bias=True)\n"
                    "  (10): Sigmoid()\n"
                    "  (11): Linear(in_features=84, out_features=10, bias=True)\n"
                    ")");
  const std::vector<std::string> names = {"0.weight", "0.bias", "3.weight", "3.bias", "7.weight",
                                          "7.bias",   "9.weight", "9.bias", "11.weight", "11.bias"};
  BOOST_TEST(net->named_parameters().keys() == names, boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(net->size(), 12u);
  check_sizes(net->forward(zeros({2, 1, 28, 28})), {2, 10});
  check_sizes(net(zeros({2, 1, 28, 28})), {2, 10});
  // Indexing and typed access.
  BOOST_CHECK_EQUAL(net[0]->short_name(), "Conv2d");
  check_sizes(net->ptr<nn::Conv2dImpl>(0)->weight, {6, 1, 5, 5});
  check_sizes(net->at<nn::LinearImpl>(11).weight, {10, 84});
  BOOST_CHECK_THROW(net->ptr<nn::LinearImpl>(0), TypeError);
  BOOST_CHECK_THROW(net[12], IndexError);
  // One training step decreases the loss.
  manual_seed(5);
  const Tensor x = randn({8, 1, 28, 28});
  const Tensor y = randint(0, 10, {8});
  nn::CrossEntropyLoss loss_fn;
  const double before = loss_fn(net(x), y).item<double>();
  for (int step = 0; step < 5; ++step) {
    net->zero_grad();
    loss_fn(net(x), y).backward();
    NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.sub_(p.grad() * 0.5);
  }
  BOOST_CHECK_LT(loss_fn(net(x), y).item<double>(), before);
}

BOOST_AUTO_TEST_CASE(sequential_push_back_named_and_nested) {
  nn::Sequential inner(nn::Linear(4, 3), nn::ReLU());
  nn::Sequential seq;
  seq->push_back(inner);
  seq->push_back("head", nn::Linear(3, 2));
  seq->push_back(std::make_shared<nn::TanhImpl>());
  seq->push_back(nn::Functional([](Tensor t) { return t * 2.0; }));
  BOOST_TEST(seq->named_parameters().keys() ==
                 (std::vector<std::string>{"0.0.weight", "0.0.bias", "head.weight", "head.bias"}),
             boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(str(seq),
                    "Sequential(\n"
                    "  (0): Sequential(\n"
                    "    (0): Linear(in_features=4, out_features=3, bias=True)\n"
                    "    (1): ReLU()\n"
                    "  )\n"
                    "  (head): Linear(in_features=3, out_features=2, bias=True)\n"
                    "  (2): Tanh()\n"
                    "  (3): Functional()\n"
                    ")");
  const Tensor x = ones({5, 4});
  const Tensor expected = (seq->ptr<nn::LinearImpl>(1)->forward(inner(x))).tanh() * 2.0;
  BOOST_CHECK(seq(x).allclose(expected));
  BOOST_CHECK_THROW(nn::Sequential()->forward(x), ValueError);
}

BOOST_AUTO_TEST_CASE(named_sequential_and_module_list) {
  nn::Sequential seq({{"conv", nn::Conv2d(nn::Conv2dOptions(1, 2, 3))}, {"act", nn::ReLU()}, {"flat", nn::Flatten()}});
  BOOST_CHECK_EQUAL(str(seq),
                    "Sequential(\n"
                    "  (conv): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n"
                    "  (act): ReLU()\n"
                    "  (flat): Flatten(start_dim=1, end_dim=-1)\n"
                    ")");
  check_sizes(seq(zeros({1, 1, 5, 5})), {1, 18});
  BOOST_TEST(seq->named_parameters().keys() == (std::vector<std::string>{"conv.weight", "conv.bias"}),
             boost::test_tools::per_element());

  nn::ModuleList list(nn::Linear(4, 4), nn::ReLU());
  list->push_back(nn::Linear(4, 2));
  BOOST_CHECK_EQUAL(list->size(), 3u);
  BOOST_CHECK_EQUAL(str(list),
                    "ModuleList(\n"
                    "  (0): Linear(in_features=4, out_features=4, bias=True)\n"
                    "  (1): ReLU()\n"
                    "  (2): Linear(in_features=4, out_features=2, bias=True)\n"
                    ")");
  BOOST_CHECK_EQUAL(list->parameters().size(), 4u);
  Tensor x = ones({3, 4});
  x = list->ptr<nn::LinearImpl>(0)->forward(x);
  x = list->ptr<nn::ReLUImpl>(1)->forward(x);
  check_sizes(list->ptr<nn::LinearImpl>(2)->forward(x), {3, 2});
  BOOST_CHECK_THROW(list[3], IndexError);
  int n = 0;
  for (const auto& m : *list) n += m->short_name() == "Linear";
  BOOST_CHECK_EQUAL(n, 2);
}

BOOST_AUTO_TEST_CASE(default_init_bounds_match_pytorch) {
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias (kaiming_uniform_ with a = sqrt(5)).
  manual_seed(123);
  struct Case {
    Tensor w, b;
    double fan_in;
  };
  nn::Conv2d c1(nn::Conv2dOptions(6, 16, 5));
  nn::Linear l1(400, 120);
  nn::Conv2d c2(nn::Conv2dOptions(4, 8, 3).groups(2));
  for (const auto& c : {Case{c1->weight, c1->bias, 150}, Case{l1->weight, l1->bias, 400}, Case{c2->weight, c2->bias, 18}}) {
    const double bound = 1.0 / std::sqrt(c.fan_in);
    BOOST_TEST_CONTEXT("fan_in " << c.fan_in) {
      BOOST_CHECK_LE(max_abs(c.w), bound);
      BOOST_CHECK_LE(max_abs(c.b), bound);
      // The draw fills the range: the largest |w| is close to the bound, the mean near 0.
      BOOST_CHECK_GT(max_abs(c.w), 0.9 * bound);
      BOOST_CHECK_LT(std::abs(mean_of(c.w)), 0.1 * bound);
      BOOST_CHECK(c.w.requires_grad());
      BOOST_CHECK(c.w.is_leaf());
    }
  }
  check_sizes(c2->weight, {8, 2, 3, 3});
  check_sizes(c2->bias, {8});
  BOOST_CHECK(!nn::Conv2d(nn::Conv2dOptions(1, 1, 2).bias(false))->bias.defined());
  BOOST_CHECK(!nn::Linear(nn::LinearOptions(2, 2).bias(false))->bias.defined());
  BOOST_CHECK_EQUAL(nn::Linear(nn::LinearOptions(2, 2).bias(false))->parameters().size(), 1u);
}

BOOST_AUTO_TEST_CASE(reset_parameters_redraws) {
  nn::Linear lin(5, 5);
  const auto before = lin->weight.to_vector<double>();
  lin->reset_parameters();
  BOOST_CHECK(lin->weight.to_vector<double>() != before);
  lin->reset();  // re-creates the parameters
  BOOST_CHECK_EQUAL(lin->parameters().size(), 2u);
  BOOST_CHECK(lin->named_parameters()["weight"].is_same(lin->weight));
}

BOOST_AUTO_TEST_CASE(forward_matches_functional) {
  manual_seed(9);
  const Tensor x = randn({2, 3, 8, 8});
  nn::Conv2d conv(nn::Conv2dOptions(3, 4, 3).stride(2).padding(1));
  BOOST_CHECK(conv(x).equal(F::conv2d(x, conv->weight, F::Conv2dFuncOptions().bias(conv->bias).stride(2).padding(1))));
  check_sizes(conv(x), {2, 4, 4, 4});
  // The chapter's shape examples.
  const Tensor x8 = zeros({1, 1, 8, 8});
  check_sizes(nn::Conv2d(nn::Conv2dOptions(1, 1, 3).padding(1))(x8), {1, 1, 8, 8});
  check_sizes(nn::Conv2d(nn::Conv2dOptions(1, 1, {5, 3}).padding({2, 1}))(x8), {1, 1, 8, 8});
  check_sizes(nn::Conv2d(nn::Conv2dOptions(1, 1, 3).padding(1).stride(2))(x8), {1, 1, 4, 4});
  check_sizes(nn::Conv2d(nn::Conv2dOptions(1, 1, {3, 5}).padding({0, 1}).stride({3, 4}))(x8), {1, 1, 2, 2});
  // Pools on arange(16) (the chapter's values).
  const Tensor X = arange(16.0, kFloat32).reshape({1, 1, 4, 4});
  check_values(nn::MaxPool2d(nn::MaxPool2dOptions(3))(X), {10});
  check_values(nn::MaxPool2d(nn::MaxPool2dOptions(3).padding(1).stride(2))(X), {5, 7, 13, 15});
  check_values(nn::MaxPool2d(nn::MaxPool2dOptions({2, 3}).padding({1, 1}).stride({2, 3}))(X), {1, 3, 9, 11, 13, 15});
  check_values(nn::AvgPool2d(nn::AvgPool2dOptions(2))(X), {2.5, 4.5, 10.5, 12.5});
  check_values(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1))(X), {7.5});
  const auto [values, indices] = nn::MaxPool2d(nn::MaxPool2dOptions(2))->forward_with_indices(X);
  check_values(values, {5, 7, 13, 15});
  check_values(indices, {5, 7, 13, 15});
  // Linear, Flatten, activations.
  nn::Linear lin(3, 2);
  const Tensor z = randn({4, 3});
  BOOST_CHECK(lin(z).equal(F::linear(z, lin->weight, lin->bias)));
  check_sizes(nn::Flatten()(zeros({2, 3, 4})), {2, 12});
  check_sizes(nn::Flatten(nn::FlattenOptions().start_dim(0))(zeros({2, 3, 4})), {24});
  const Tensor a = from_vector(std::vector<double>{-1.0, 0.5, 2.0}, std::vector<int64_t>{1, 3});
  check_values(nn::ReLU()(a), {0.0, 0.5, 2.0});
  check_values(nn::Sigmoid()(a), {1.0 / (1.0 + std::exp(1.0)), 1.0 / (1.0 + std::exp(-0.5)), 1.0 / (1.0 + std::exp(-2.0))});
  check_values(nn::Tanh()(a), {std::tanh(-1.0), std::tanh(0.5), std::tanh(2.0)});
  check_values(nn::Softmax(1)(a).sum(), {1.0});
  check_values(nn::LogSoftmax(1)(a).exp().sum(), {1.0});
}

BOOST_AUTO_TEST_CASE(construction_checks_name_the_module) {
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(0, 6, 5)), ValueError);
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(3, 0, 5)), ValueError);
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(3, 6, 5).groups(2)), ValueError);  // 3 % 2
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(4, 6, 5).groups(4)), ValueError);  // 6 % 4
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(4, 4, 5).groups(0)), ValueError);
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(1, 1, {0, 3})), ValueError);
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(1, 1, 3).stride(0)), ValueError);
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(1, 1, 3).padding(-1)), ValueError);
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(1, 1, 3).dilation(0)), ValueError);
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(1, 1, 3).padding(xgrad::kSame).stride(2)), ValueError);
  BOOST_CHECK_THROW(nn::Conv2d(nn::Conv2dOptions(1, 1, 3).padding_mode(xgrad::kReflect)), ValueError);
  try {
    nn::Conv2d(nn::Conv2dOptions(3, 6, 5).groups(2));
    BOOST_FAIL("expected ValueError");
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO(msg);
    BOOST_CHECK(msg.find("Conv2d") != std::string::npos && msg.find("groups") != std::string::npos);
  }
  BOOST_CHECK_THROW(nn::Linear(-1, 3), ValueError);
  BOOST_CHECK_THROW(nn::Dropout(1.5), ValueError);
  BOOST_CHECK_THROW(nn::MaxPool2d(nn::MaxPool2dOptions(0)), ValueError);
  BOOST_CHECK_THROW(nn::AvgPool2d(nn::AvgPool2dOptions(2).padding(2)), ValueError);
  BOOST_CHECK_THROW(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(2.0)), ValueError);
  BOOST_CHECK_THROW(nn::HuberLoss(nn::HuberLossOptions().delta(-1.0)), ValueError);
  BOOST_CHECK_THROW(nn::SmoothL1Loss(nn::SmoothL1LossOptions().beta(-1.0)), ValueError);
  // Runtime errors of the forward name the op.
  nn::Conv2d conv(nn::Conv2dOptions(6, 16, 5));
  BOOST_CHECK_THROW(conv(zeros({2, 3, 14, 14})), ShapeError);
  nn::Linear lin(4, 2);
  BOOST_CHECK_THROW(lin(zeros({2, 5})), ShapeError);
}

BOOST_AUTO_TEST_CASE(loss_modules_forward_to_functional) {
  manual_seed(2);
  const Tensor x = randn({4, 3}), y = randn({4, 3}), p = rand({4, 3});
  const Tensor t = from_vector(std::vector<int64_t>{0, 2, 1, 2});
  const Tensor w = from_vector(std::vector<float>{0.2f, 1.0f, 3.0f});
  BOOST_CHECK(nn::MSELoss()(x, y).equal(F::mse_loss(x, y)));
  BOOST_CHECK(nn::MSELoss(nn::MSELossOptions(xgrad::kSum))(x, y).equal(F::mse_loss(x, y, xgrad::kSum)));
  BOOST_CHECK(nn::MSELoss(xgrad::kNone)(x, y).equal(F::mse_loss(x, y, xgrad::kNone)));
  BOOST_CHECK(nn::L1Loss()(x, y).equal(F::l1_loss(x, y)));
  BOOST_CHECK(nn::SmoothL1Loss(nn::SmoothL1LossOptions().beta(0.3))(x, y)
                  .equal(F::smooth_l1_loss(x, y, F::SmoothL1LossFuncOptions().beta(0.3))));
  BOOST_CHECK(nn::HuberLoss(nn::HuberLossOptions().delta(0.3))(x, y)
                  .equal(F::huber_loss(x, y, F::HuberLossFuncOptions().delta(0.3))));
  nn::CrossEntropyLoss ce(nn::CrossEntropyLossOptions().weight(w).label_smoothing(0.1));
  BOOST_CHECK(ce(x, t).equal(F::cross_entropy(x, t, F::CrossEntropyFuncOptions().weight(w).label_smoothing(0.1))));
  BOOST_TEST(ce->named_buffers().keys() == std::vector<std::string>{"weight"}, boost::test_tools::per_element());
  BOOST_CHECK(nn::CrossEntropyLoss()->buffers().empty());
  nn::NLLLoss nll(nn::NLLLossOptions().weight(w).ignore_index(2));
  BOOST_CHECK(nll(x, t).equal(F::nll_loss(x, t, F::NLLLossFuncOptions().weight(w).ignore_index(2))));
  nn::BCEWithLogitsLoss bce(nn::BCEWithLogitsLossOptions().pos_weight(w));
  BOOST_CHECK(bce(x, p).equal(F::binary_cross_entropy_with_logits(
      x, p, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(w))));
  BOOST_TEST(bce->named_buffers().keys() == std::vector<std::string>{"pos_weight"}, boost::test_tools::per_element());
  // to(kFloat64) converts the weight buffer too.
  ce->to(kFloat64);
  BOOST_CHECK(ce->weight.dtype() == kFloat64);
  BOOST_CHECK_NO_THROW(ce(x.to(kFloat64), t));
}

// LibTorch names of issue 9: ReLU6, Dropout2d, Unflatten, BCELoss and the TORCH_MODULE macro.
// Values from tests/reference/names.py (PyTorch 1.13).
namespace {
class TinyNetImpl : public nn::Cloneable<TinyNetImpl> {
 public:
  TinyNetImpl() { reset(); }
  void reset() override { fc = register_module("fc", nn::Linear(2, 1)); }
  Tensor forward(const Tensor& x) { return fc(x); }
  nn::Linear fc{nullptr};
};
TORCH_MODULE(TinyNet);  // LibTorch's spelling of XGRAD_MODULE
}  // namespace

BOOST_AUTO_TEST_CASE(torch_module_macro_defines_a_holder) {
  TinyNet net;
  check_sizes(net(ones({3, 2})), {3, 1});
  BOOST_CHECK_EQUAL(net->parameters().size(), 2u);
  static_assert(std::is_base_of_v<nn::ModuleHolder<TinyNetImpl>, TinyNet>);
}

BOOST_AUTO_TEST_CASE(relu6_module) {
  nn::ReLU6 relu6;
  check_values(relu6(tensor({-1.0, 3.0, 7.5})), {0, 3, 6});
  nn::ReLU6 in_place(true);
  Tensor x = tensor({-1.0, 8.0});
  BOOST_TEST(in_place(x).is_same(x));
  check_values(x, {0, 6});
  std::ostringstream a, b;
  a << *relu6;
  b << *in_place;
  BOOST_CHECK_EQUAL(a.str(), "ReLU6()");
  BOOST_CHECK_EQUAL(b.str(), "ReLU6(inplace=True)");
}

BOOST_AUTO_TEST_CASE(dropout2d_module) {
  nn::Dropout2d drop(nn::Dropout2dOptions(0.5));
  manual_seed(7);
  check_values(drop(ones({2, 3, 2, 2})), {2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  drop->eval();
  const Tensor x = ones({2, 2, 10, 10});
  BOOST_TEST(drop(x).sum().item<double>() == 400.0);
  std::ostringstream s;
  s << *drop;
  BOOST_CHECK_EQUAL(s.str(), "Dropout2d(p=0.5, inplace=False)");
  // p outside [0, 1]: a ValueError naming the module and the value.
  try {
    nn::Dropout2d bad(1.5);
    BOOST_ERROR("Dropout2d(1.5) did not throw");
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("Dropout2d") != std::string::npos, msg);
    BOOST_TEST(msg.find("1.5") != std::string::npos, msg);
  }
  BOOST_CHECK_THROW(nn::Dropout2d(nn::Dropout2dOptions().p(-0.1)), ValueError);
}

BOOST_AUTO_TEST_CASE(unflatten_module) {
  nn::Unflatten unflatten(nn::UnflattenOptions(0, {2, 2}));
  const Tensor out = unflatten->forward(tensor({1, 2, 3, 4}));
  BOOST_CHECK(xgrad::equal(out, tensor({{1, 2}, {3, 4}})));
  const Tensor base = arange(12.).reshape({2, 6});
  const Tensor y = nn::Unflatten(1, std::vector<int64_t>{2, -1})(base);
  check_sizes(y, {2, 2, 3});
  check_values(y, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  BOOST_CHECK(y.data_ptr() == base.data_ptr());  // a view, as PyTorch
  check_sizes(nn::Unflatten(-1, std::vector<int64_t>{3, 1, 2})(base), {2, 3, 1, 2});
  Tensor g = ones({2, 6}).requires_grad_();
  (nn::Unflatten(1, std::vector<int64_t>{3, 2})(g) * 2.0).sum().backward();
  check_values(g.grad(), std::vector<double>(12, 2.0));
  std::ostringstream s;
  s << *unflatten;
  BOOST_CHECK_EQUAL(s.str(), "Unflatten(dim=0, unflattened_size={2, 2})");
  BOOST_CHECK_THROW(nn::Unflatten(1, std::vector<int64_t>{5, 2})(base), ShapeError);
  BOOST_CHECK_THROW(nn::Unflatten(1, std::vector<int64_t>{-1, -1})(base), ValueError);
  BOOST_CHECK_THROW(nn::Unflatten(2, std::vector<int64_t>{1, 1})(base), IndexError);
  BOOST_CHECK_THROW(nn::Unflatten(1, std::vector<int64_t>{5, -1})(base), ShapeError);
  // Named dimensions: accepted by the options, a typed error in forward (no named tensors).
  nn::Unflatten named(nn::UnflattenOptions("B", {{"B1", 2}, {"B2", 3}}));
  BOOST_CHECK_THROW(named(base), ValueError);
}

BOOST_AUTO_TEST_CASE(bce_loss_module_forwards_to_functional) {
  manual_seed(3);
  const Tensor input = randn({5, 6}).requires_grad_();
  const Tensor target = empty({5, 6}).random_(2);
  nn::BCELoss loss;
  const Tensor out = loss->forward(sigmoid(input), target);
  BOOST_CHECK(out.equal(F::binary_cross_entropy(sigmoid(input), target)));
  BOOST_CHECK_EQUAL(out.dim(), 0);
  out.backward();
  check_sizes(input.grad(), {5, 6});
  BOOST_CHECK(nn::BCELoss()->buffers().empty());
  const Tensor w = rand({6});
  BOOST_CHECK(nn::BCELoss(nn::BCELossOptions().weight(w).reduction(xgrad::kSum))(sigmoid(input), target)
                  .equal(F::binary_cross_entropy(sigmoid(input), target,
                                                 F::BinaryCrossEntropyFuncOptions().weight(w).reduction(xgrad::kSum))));
}
