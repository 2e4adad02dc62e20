#define BOOST_TEST_MODULE module
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <sstream>

// nn::Module: registration and dotted names, traversal, holders, train/eval, zero_grad, to(),
// printing (strings from tests/reference/nn.py, PyTorch 1.13).

using namespace xgrad;
namespace nn = xgrad::nn;
using xgrad::testing::check_values;

namespace {

// PyTorch's `Net` of tests/reference/nn.py.
struct NetImpl : nn::Module {
  NetImpl() {
    features = register_module("features", nn::Sequential(nn::Conv2d(1, 2, 3), nn::ReLU()));
    fc = register_module("fc", nn::Linear(8, 2));
    scale = register_parameter("scale", ones({1}));
    steps = register_buffer("steps", zeros({1}));
  }
  Tensor forward(const Tensor& x) { return fc(features(x).flatten(1)) * scale; }
  nn::Sequential features{nullptr};
  nn::Linear fc{nullptr};
  Tensor scale, steps;
};
XGRAD_MODULE(Net);

std::vector<std::string> keys(const OrderedDict<std::string, Tensor>& d) { return d.keys(); }

std::string str(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(named_parameters_buffers_and_modules_match_pytorch) {
  Net net;
  const std::vector<std::string> params = {"scale", "features.0.weight", "features.0.bias", "fc.weight", "fc.bias"};
  BOOST_TEST(keys(net->named_parameters()) == params, boost::test_tools::per_element());
  BOOST_TEST(keys(net->named_parameters(false)) == std::vector<std::string>{"scale"}, boost::test_tools::per_element());
  BOOST_TEST(keys(net->named_buffers()) == std::vector<std::string>{"steps"}, boost::test_tools::per_element());
  const std::vector<std::string> mods = {"", "features", "features.0", "features.1", "fc"};
  BOOST_TEST(net->named_modules().keys() == mods, boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(net->modules().size(), 5u);
  BOOST_CHECK_EQUAL(net->modules(false).size(), 4u);
  BOOST_CHECK_EQUAL(net->children().size(), 2u);
  BOOST_TEST(net->named_children().keys() == (std::vector<std::string>{"features", "fc"}),
             boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(net->parameters().size(), 5u);
  // Handles: the dictionary entry, the member and the holder's parameter are the same tensor.
  BOOST_CHECK(net->named_parameters()["fc.weight"].is_same(net->fc->weight));
  BOOST_CHECK(net->parameters()[0].is_same(net->scale));
  BOOST_CHECK(net->scale.requires_grad());
  BOOST_CHECK(!net->steps.requires_grad());
  BOOST_CHECK(net->modules()[0].get() == net.get());
  BOOST_CHECK_EQUAL(net->name(), "Net");
  BOOST_CHECK_EQUAL(net->fc->name(), "Linear");
  BOOST_CHECK_THROW(net->named_parameters()["nope"], IndexError);
}

BOOST_AUTO_TEST_CASE(registration_errors) {
  nn::Module m;
  m.register_parameter("w", zeros({2}));
  BOOST_CHECK_THROW(m.register_parameter("w", zeros({2})), ValueError);
  BOOST_CHECK_THROW(m.register_parameter("", zeros({2})), ValueError);
  BOOST_CHECK_THROW(m.register_parameter("a.b", zeros({2})), ValueError);
  BOOST_CHECK_THROW(m.register_buffer("w", zeros({2})), ValueError);
  BOOST_CHECK_THROW(m.register_parameter("i", zeros({2}, kInt64)), TypeError);
  m.register_parameter("frozen", zeros({2}), /*requires_grad=*/false);
  BOOST_CHECK(!m.named_parameters()["frozen"].requires_grad());
  m.register_module("lin", nn::Linear(2, 2));
  BOOST_CHECK_THROW(m.register_module("lin", nn::Linear(2, 2)), ValueError);
  BOOST_CHECK_THROW(m.register_module("x", nn::Linear(nullptr)), ValueError);
  BOOST_CHECK_EQUAL(m.name(), "Module");
  // An undefined parameter is registered but not listed (PyTorch's None parameter).
  m.register_parameter("none", Tensor());
  BOOST_CHECK_EQUAL(m.parameters(false).size(), 2u);
}

BOOST_AUTO_TEST_CASE(shared_submodule_listed_once) {
  nn::Module m;
  nn::Linear shared(3, 3);
  m.register_module("a", shared);
  m.register_module("b", shared);
  BOOST_CHECK_EQUAL(m.parameters().size(), 2u);
  BOOST_CHECK_EQUAL(m.modules().size(), 2u);
}

BOOST_AUTO_TEST_CASE(holders) {
  nn::Linear empty{nullptr};
  BOOST_CHECK(empty.is_empty());
  BOOST_CHECK(!empty);
  BOOST_CHECK_THROW(empty.ptr(), ValueError);
  nn::Linear a(4, 2);
  nn::Linear b = a;  // copies share the module
  BOOST_CHECK(a.get() == b.get());
  BOOST_CHECK(a.ptr() == b.ptr());
  const Tensor x = ones({3, 4});
  BOOST_CHECK(a(x).equal(a->forward(x)));
  Net net;  // default-constructed holder builds the Impl
  BOOST_CHECK(!net.is_empty());
  BOOST_CHECK_EQUAL(net(zeros({1, 1, 4, 4})).size(1), 2);
  // as<>: the module seen as its concrete type.
  std::shared_ptr<nn::Module> base = net->fc.ptr();
  BOOST_CHECK(base->as<nn::Linear>() == net->fc.get());
  BOOST_CHECK(base->as<nn::Conv2dImpl>() == nullptr);
}

BOOST_AUTO_TEST_CASE(train_eval_propagates_and_drives_dropout) {
  nn::Sequential seq(nn::Linear(4, 4), nn::Dropout(0.5));
  BOOST_CHECK(seq->is_training());
  seq->eval();
  BOOST_CHECK(!seq->is_training());
  BOOST_CHECK(!seq[1]->is_training());
  const Tensor x = ones({2, 4});
  manual_seed(0);
  BOOST_CHECK(seq(x).equal(seq[0]->as<nn::Linear>()->forward(x)));  // dropout is the identity
  seq->train();
  BOOST_CHECK(seq[1]->is_training());
  nn::Dropout drop(0.5);
  const auto y = drop(ones({1000})).to_vector<double>();
  BOOST_CHECK(std::count(y.begin(), y.end(), 0.0) > 300);  // active in training
  drop->eval();
  check_values(drop(ones({3})), {1, 1, 1});
}

BOOST_AUTO_TEST_CASE(zero_grad_default_zeroes_and_set_to_none_resets) {
  nn::Linear lin(3, 2);
  lin(ones({4, 3})).sum().backward();
  BOOST_REQUIRE(lin->weight.grad().defined());
  lin->zero_grad();  // LibTorch 1.13: set_to_none = false
  BOOST_REQUIRE(lin->weight.grad().defined());
  check_values(lin->weight.grad(), std::vector<double>(6, 0.0));
  check_values(lin->bias.grad(), {0.0, 0.0});
  lin(ones({4, 3})).sum().backward();
  check_values(lin->bias.grad(), {4.0, 4.0});  // accumulates into the zeroed gradient
  lin->zero_grad(true);
  BOOST_CHECK(!lin->weight.grad().defined());
  BOOST_CHECK(!lin->bias.grad().defined());
}

BOOST_AUTO_TEST_CASE(to_dtype_converts_in_place) {
  Net net;
  const Tensor w = net->fc->weight;  // a handle kept outside the module
  const auto before = w.to_vector<double>();
  net->to(kFloat64);
  BOOST_CHECK(w.dtype() == kFloat64);
  BOOST_CHECK(net->fc->weight.dtype() == kFloat64);
  BOOST_CHECK(net->steps.dtype() == kFloat64);
  BOOST_CHECK(net->named_parameters()["features.0.weight"].dtype() == kFloat64);
  BOOST_CHECK(w.requires_grad());
  check_values(w, before, 0.0, 0.0);
  BOOST_CHECK(net(zeros({1, 1, 4, 4}, kFloat64)).dtype() == kFloat64);
  BOOST_CHECK_THROW(net->to(kInt64), TypeError);
}

BOOST_AUTO_TEST_CASE(printing_matches_pytorch) {
  Net net;
  BOOST_CHECK_EQUAL(str(*net),
                    "Net(\n"
                    "  (features): Sequential(\n"
                    "    (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n"
                    "    (1): ReLU()\n"
                    "  )\n"
                    "  (fc): Linear(in_features=8, out_features=2, bias=True)\n"
                    ")");
  BOOST_CHECK_EQUAL(fmt::format("{}", *net->fc), "Linear(in_features=8, out_features=2, bias=True)");
  BOOST_CHECK_EQUAL(fmt::format("{}", net->fc), "Linear(in_features=8, out_features=2, bias=True)");
  std::ostringstream os;
  os << net->features;
  BOOST_CHECK_EQUAL(os.str(), "Sequential(\n  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n  (1): ReLU()\n)");
  BOOST_CHECK_EQUAL(str(nn::Module()), "Module()");
}

BOOST_AUTO_TEST_CASE(apply_visits_every_module) {
  Net net;
  std::vector<std::string> names;
  net->apply([&](const std::string& name, nn::Module&) { names.push_back(name); });
  BOOST_TEST(names == (std::vector<std::string>{"", "features", "features.0", "features.1", "fc"}),
             boost::test_tools::per_element());
  int count = 0;
  net->apply([&](nn::Module&) { ++count; });
  BOOST_CHECK_EQUAL(count, 5);
}

BOOST_AUTO_TEST_CASE(training_a_module_end_to_end) {
  // The chapter's kernel-learning loop: Conv2d(1, 1, (1, 2), bias=False) learns [1, -1].
  manual_seed(42);
  nn::Conv2d conv(nn::Conv2dOptions(1, 1, {1, 2}).bias(false));
  Tensor X = ones({6, 8});
  X.index_put_({indexing::Slice(), indexing::Slice(2, 6)}, 0.0);
  const Tensor K = from_vector(std::vector<float>{1.f, -1.f}, std::vector<int64_t>{1, 2});
  const Tensor Y = nn::functional::conv2d(X.reshape({1, 1, 6, 8}), K.reshape({1, 1, 1, 2}));
  const Tensor Xb = X.reshape({1, 1, 6, 8});
  for (int i = 0; i < 30; ++i) {
    Tensor l = (conv(Xb) - Y).pow(2.0);
    conv->zero_grad();
    l.sum().backward();
    NoGradGuard no_grad;
    conv->weight.sub_(conv->weight.grad() * 3e-2);
  }
  check_values(conv->weight.reshape({2}), {1.0, -1.0}, 5e-2);
}
