#define BOOST_TEST_MODULE nn_constructors
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <sstream>

// LibTorch's shortcut constructors of every module (issue 9, item 3): a module is built from the
// required arguments of its options struct (`nn::Conv2d(1, 6, 5)`, `nn::MaxPool2d(2)`,
// `nn::BatchNorm2d(6)`, `nn::Dropout(0.5)`), as a temporary, as a named variable and inside
// register_module / Sequential, with the same options as the long form. Also
// `nn::Functional(fn, extra args...)`.

using namespace xgrad;
namespace nn = xgrad::nn;
namespace F = xgrad::nn::functional;
using xgrad::testing::check_close;
using xgrad::testing::check_sizes;

namespace {

template <typename M>
std::string str(const M& holder) {
  std::ostringstream os;
  os << *holder;
  return os.str();
}

// LeNet as LibTorch users write it, every layer from its shortcut constructor.
struct LeNetImpl : nn::Module {
  LeNetImpl()
      : conv1(register_module("conv1", nn::Conv2d(1, 6, 5))),
        pool(register_module("pool", nn::MaxPool2d(2))),
        bn(register_module("bn", nn::BatchNorm2d(6))),
        gap(register_module("gap", nn::AdaptiveAvgPool2d(1))),
        drop(register_module("drop", nn::Dropout(0.5))),
        flat(register_module("flat", nn::Flatten())),
        fc(register_module("fc", nn::Linear(6, 3))),
        out(register_module("out", nn::LogSoftmax(1))) {}
  Tensor forward(const Tensor& x) { return out(fc(flat(drop(gap(bn(pool(relu(conv1(x))))))))); }
  nn::Conv2d conv1;
  nn::MaxPool2d pool;
  nn::BatchNorm2d bn;
  nn::AdaptiveAvgPool2d gap;
  nn::Dropout drop;
  nn::Flatten flat;
  nn::Linear fc;
  nn::LogSoftmax out;
};
XGRAD_MODULE(LeNet);

}  // namespace

BOOST_AUTO_TEST_CASE(every_module_has_the_libtorch_shortcut) {
  BOOST_TEST(str(nn::Conv2d(1, 6, 5)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))");
  BOOST_TEST(str(nn::Conv2d(3, 8, ExpandingArray<2>({3, 5}))) == "Conv2d(3, 8, kernel_size=(3, 5), stride=(1, 1))");
  BOOST_TEST(str(nn::Linear(3, 4)) == "Linear(in_features=3, out_features=4, bias=True)");
  BOOST_TEST(str(nn::BatchNorm2d(6)) ==
             "BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  BOOST_TEST(str(nn::BatchNorm1d(4)) ==
             "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  BOOST_TEST(str(nn::Dropout(0.25)) == "Dropout(p=0.25, inplace=False)");
  BOOST_TEST(str(nn::Dropout()) == "Dropout(p=0.5, inplace=False)");
  BOOST_TEST(str(nn::Flatten()) == "Flatten(start_dim=1, end_dim=-1)");
  BOOST_TEST(str(nn::MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  BOOST_TEST(str(nn::AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)");
  BOOST_TEST(str(nn::AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=(1, 1))");
  BOOST_TEST(str(nn::AdaptiveMaxPool2d(1)) == "AdaptiveMaxPool2d(output_size=(1, 1))");
  BOOST_TEST(str(nn::Softmax(1)) == "Softmax(dim=1)");
  BOOST_TEST(str(nn::LogSoftmax(1)) == "LogSoftmax(dim=1)");
  BOOST_TEST(str(nn::ReLU()) == "ReLU()");
  BOOST_TEST(nn::ReLU(true)->options.inplace());
  BOOST_TEST(nn::MSELoss(kSum)->options.reduction().index() == nn::MSELossOptions(kSum).reduction().index());
  BOOST_TEST(nn::L1Loss(kNone)->options.reduction().index() == nn::L1LossOptions(kNone).reduction().index());
  // The options match the long form.
  BOOST_TEST((nn::Conv2d(1, 6, 5)->options.kernel_size() == nn::Conv2dOptions(1, 6, 5).kernel_size()));
  BOOST_TEST(nn::BatchNorm2d(6)->options.num_features() == 6);
  BOOST_TEST(nn::Dropout(0.5)->options.p() == 0.5);
}

BOOST_AUTO_TEST_CASE(shortcuts_inside_modules_and_sequentials) {
  manual_seed(0);
  LeNet net;
  net->eval();
  auto x = randn({2, 1, 12, 12});
  check_sizes(net(x), {2, 3});
  // The same layers in a Sequential, sharing the modules: the same result.
  nn::Sequential seq(net->conv1, nn::Functional(xgrad::relu), net->pool, net->bn, net->gap, net->drop, net->flat,
                     net->fc, net->out);
  seq->eval();
  check_close(seq->forward(x), net(x), 0, 0);
}

BOOST_AUTO_TEST_CASE(functional_binds_extra_arguments) {
  // LibTorch: nn::Functional(torch::leaky_relu, 0.2) calls leaky_relu(x, 0.2).
  auto x = tensor({-2.0, 3.0});
  nn::Functional leaky(F::leaky_relu, F::LeakyReLUFuncOptions().negative_slope(0.2));
  check_close(leaky(x), tensor({-0.4, 3.0}), 1e-7, 1e-7);
  nn::Functional elu(xgrad::elu, 1.0);
  check_close(elu(x), F::elu(x), 0, 0);
  nn::Functional plain([](Tensor t) { return t * 2; });
  check_close(plain(x), tensor({-4.0, 6.0}), 0, 0);
}
