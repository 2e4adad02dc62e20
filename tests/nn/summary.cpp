#define BOOST_TEST_MODULE summary
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <sstream>

// xgrad::summary on the book's LeNet: output shapes and parameter counts as PyTorch 1.13 prints
// them (tests/reference/module_api.py, section "lenet shapes"), totals, memory, modes restored,
// hooks removed, errors naming the module.

using namespace xgrad;
namespace nn = xgrad::nn;

namespace {

nn::Sequential lenet() {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::Sigmoid(),
                        nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)), nn::Conv2d(nn::Conv2dOptions(6, 16, 5)),
                        nn::Sigmoid(), nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)), nn::Flatten(),
                        nn::Linear(16 * 5 * 5, 120), nn::Sigmoid(), nn::Linear(120, 84), nn::Sigmoid(),
                        nn::Linear(84, 10));
}

// The table for LeNet; every row's shape and count is PyTorch's.
const char* const kLeNetTable =
    "Layer (type)    Output Shape      Param #\n"
    "=========================================\n"
    "0 (Conv2d)      [1, 6, 28, 28]        156\n"
    "1 (Sigmoid)     [1, 6, 28, 28]          0\n"
    "2 (AvgPool2d)   [1, 6, 14, 14]          0\n"
    "3 (Conv2d)      [1, 16, 10, 10]     2,416\n"
    "4 (Sigmoid)     [1, 16, 10, 10]         0\n"
    "5 (AvgPool2d)   [1, 16, 5, 5]           0\n"
    "6 (Flatten)     [1, 400]                0\n"
    "7 (Linear)      [1, 120]           48,120\n"
    "8 (Sigmoid)     [1, 120]                0\n"
    "9 (Linear)      [1, 84]            10,164\n"
    "10 (Sigmoid)    [1, 84]                 0\n"
    "11 (Linear)     [1, 10]               850\n"
    "=========================================\n"
    "Total params: 61,706\n"
    "Trainable params: 61,706\n"
    "Non-trainable params: 0\n"
    "-----------------------------------------\n"
    "Input size (MB): 0.00\n"
    "Forward pass size (MB): 0.06\n"
    "Params size (MB): 0.24\n"
    "Estimated Total Size (MB): 0.30\n"
    "-----------------------------------------\n";

struct NetImpl : nn::Module {
  NetImpl() {
    features = register_module("features", nn::Sequential(nn::Conv2d(1, 2, 3), nn::ReLU()));
    fc = register_module("fc", nn::Linear(8, 2));
    scale = register_parameter("scale", ones({1}));
    frozen = register_parameter("frozen", ones({3}), /*requires_grad=*/false);
  }
  Tensor forward(const Tensor& x) { return fc(features(x).flatten(1)) * scale; }
  nn::Sequential features{nullptr};
  nn::Linear fc{nullptr};
  Tensor scale, frozen;
};
XGRAD_MODULE(Net);

}  // namespace

BOOST_AUTO_TEST_CASE(lenet_table) {
  nn::Sequential net = lenet();
  const std::string table = summary(net, {1, 1, 28, 28});
  BOOST_CHECK_EQUAL(table, kLeNetTable);
  std::ostringstream os;
  summary(net, {1, 1, 28, 28}, os);  // the stream overload writes the same text
  BOOST_CHECK_EQUAL(os.str(), kLeNetTable);
  BOOST_CHECK_EQUAL(summary(*net, {1, 1, 28, 28}), kLeNetTable);     // an Impl
  BOOST_CHECK_EQUAL(summary(net.ptr(), {1, 1, 28, 28}), kLeNetTable);  // a shared_ptr
}

BOOST_AUTO_TEST_CASE(modes_restored_hooks_removed_no_graph) {
  nn::Sequential net = lenet();
  net->train();
  net[1]->eval();  // a mixed state must come back as it was
  summary(net, {2, 1, 28, 28});
  BOOST_CHECK(net->is_training());
  BOOST_CHECK(!net[1]->is_training());
  BOOST_CHECK(net[0]->is_training());
  for (const auto& m : net->modules()) BOOST_CHECK(!m->has_forward_hooks());
  for (const auto& p : net->parameters()) BOOST_CHECK(!p.grad().defined());
}

BOOST_AUTO_TEST_CASE(nested_model_rows_and_non_trainable) {
  Net net;
  net->to(kFloat64);  // the input follows the first parameter's dtype
  const std::string table = summary(net, {1, 1, 4, 4});
  const std::string expected =
      "Layer (type)          Output Shape   Param #\n"
      "============================================\n"
      "features.0 (Conv2d)   [1, 2, 2, 2]        20\n"
      "features.1 (ReLU)     [1, 2, 2, 2]         0\n"
      "fc (Linear)           [1, 2]              18\n"
      "============================================\n"
      "Total params: 42\n"
      "Trainable params: 39\n"
      "Non-trainable params: 3\n"
      "--------------------------------------------\n"
      "Input size (MB): 0.00\n"
      "Forward pass size (MB): 0.00\n"
      "Params size (MB): 0.00\n"
      "Estimated Total Size (MB): 0.00\n"
      "--------------------------------------------\n";
  BOOST_CHECK_EQUAL(table, expected);
  // A single layer is its own row.
  nn::Linear lin(400, 120);
  BOOST_CHECK(summary(lin, {3, 400}).find("Linear         [3, 120]        48,120\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_names_the_module) {
  nn::Sequential net = lenet();
  try {
    summary(net, {1, 3, 28, 28});
    BOOST_FAIL("expected ShapeError");
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO(msg);
    BOOST_CHECK(msg.rfind("summary(input [1, 3, 28, 28]): 0 (Conv2d): conv2d", 0) == 0);
  }
  try {
    summary(net, {1, 1, 32, 32});  // reaches Linear(400, 120) with 576 features
    BOOST_FAIL("expected ShapeError");
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO(msg);
    BOOST_CHECK(msg.rfind("summary(input [1, 1, 32, 32]): 7 (Linear): ", 0) == 0);
  }
  BOOST_CHECK(net->is_training());
  for (const auto& m : net->modules()) BOOST_CHECK(!m->has_forward_hooks());
  BOOST_CHECK_THROW(summary(net, {1, -1, 28, 28}), ValueError);
}

// A module whose forward calls its children through ->forward() runs no hooks: summary cannot
// see those layers and says so instead of printing a table that silently lacks them.
namespace {
struct DirectImpl : xgrad::nn::Module {
  DirectImpl() {
    conv = register_module("conv", xgrad::nn::Conv2d(xgrad::nn::Conv2dOptions(1, 2, 3)));
    fc = register_module("fc", xgrad::nn::Linear(2 * 26 * 26, 3));
  }
  xgrad::Tensor forward(const xgrad::Tensor& x) { return fc(conv->forward(x).flatten(1)); }
  xgrad::nn::Conv2d conv{nullptr};
  xgrad::nn::Linear fc{nullptr};
};
XGRAD_MODULE(Direct);
}  // namespace

BOOST_AUTO_TEST_CASE(layers_called_through_forward_are_named_as_unseen) {
  Direct net;
  const std::string table = xgrad::summary(net, {1, 1, 28, 28});
  BOOST_TEST(table.find("fc (Linear)") != std::string::npos);
  BOOST_TEST(table.find("Not seen: conv (Conv2d) --") != std::string::npos);
  BOOST_TEST(table.find("Total params: 4,079") != std::string::npos);
}

