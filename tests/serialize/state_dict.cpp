#define BOOST_TEST_MODULE state_dict
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"
#include "serialize/errors.hpp"

// Module::state_dict / load_state_dict (src/nn/state_dict.cpp) and StateDict::merge / extract
// (src/serialize/state_dict.cpp). Names, order and error messages are PyTorch 1.13's, printed
// by tests/reference/checkpoint.py.

using namespace xgrad;
namespace nn = xgrad::nn;
using xgrad::testing::expect_error;

namespace {

// tests/reference/checkpoint.py's Net (as tests/reference/nn.py): a parameter and a buffer of
// its own, registered after two children.
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

// A BatchNorm-like module: an int64 "num_batches_tracked" buffer next to float buffers.
struct NormImpl : nn::Module {
  NormImpl() {
    weight = register_parameter("weight", ones({3}));
    running_mean = register_buffer("running_mean", zeros({3}));
    num_batches_tracked = register_buffer("num_batches_tracked", full({}, int64_t{0}, kInt64));
  }
  Tensor forward(const Tensor& x) { return x * weight; }
  Tensor weight, running_mean, num_batches_tracked;
};
XGRAD_MODULE(Norm);

}  // namespace

BOOST_AUTO_TEST_CASE(state_dict_has_pytorch_names_and_order) {
  Net net;
  // PyTorch: ['scale', 'steps', 'features.0.weight', 'features.0.bias', 'fc.weight', 'fc.bias']
  const std::vector<std::string> expected = {"scale", "steps", "features.0.weight", "features.0.bias", "fc.weight",
                                             "fc.bias"};
  const StateDict sd = net->state_dict();
  BOOST_TEST(sd.tensors.keys() == expected, boost::test_tools::per_element());
  BOOST_CHECK(sd.metadata.empty());
  // Detached handles on the module's storage: no copy, no graph.
  BOOST_CHECK(sd.tensors["fc.weight"].unsafeGetTensorImpl()->storage == net->fc->weight.unsafeGetTensorImpl()->storage);
  BOOST_CHECK(!sd.tensors["fc.weight"].requires_grad());

  nn::Sequential seq(nn::Linear(2, 3), Norm(), nn::ReLU(), nn::Sequential(Norm()));
  const std::vector<std::string> seq_keys = {"0.weight",           "0.bias",
                                             "1.weight",           "1.running_mean",
                                             "1.num_batches_tracked", "3.0.weight",
                                             "3.0.running_mean",   "3.0.num_batches_tracked"};
  const StateDict s2 = seq->state_dict();
  BOOST_TEST(s2.tensors.keys() == seq_keys, boost::test_tools::per_element());
  BOOST_CHECK(s2.tensors["1.num_batches_tracked"].dtype() == kInt64);
}

BOOST_AUTO_TEST_CASE(tied_parameters_appear_under_every_name) {
  struct TiedImpl : nn::Module {
    TiedImpl() {
      a = register_module("a", nn::Linear(2, 2));
      b = register_module("b", a);  // the same module twice
    }
    nn::Linear a{nullptr}, b{nullptr};
  };
  auto tied = std::make_shared<TiedImpl>();
  BOOST_TEST(tied->state_dict().tensors.keys() == (std::vector<std::string>{"a.weight", "a.bias", "b.weight", "b.bias"}),
             boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(tied->named_parameters().size(), 2u);  // parameters() stays deduplicated
}

BOOST_AUTO_TEST_CASE(load_state_dict_copies_in_place) {
  manual_seed(0);
  Net src, dst;
  Tensor weight_handle = dst->fc->weight;  // as an optimizer holds it
  const auto* impl_before = weight_handle.unsafeGetTensorImpl();
  const auto version = weight_handle._version();
  src->steps.fill_(4);
  dst->load_state_dict(src->state_dict());
  for (const auto& item : src->state_dict().tensors)
    testing::check_close(dst->state_dict().tensors[item.key()], item.value(), 0, 0);
  BOOST_CHECK(weight_handle.unsafeGetTensorImpl() == impl_before);
  testing::check_close(weight_handle, src->fc->weight, 0, 0);
  BOOST_CHECK(weight_handle.requires_grad() && weight_handle.is_leaf());
  BOOST_CHECK_GT(weight_handle._version(), version);
  testing::check_values(dst->steps, {4});
  // Loading a module's own state dict (same storage) is harmless.
  dst->load_state_dict(dst->state_dict());
  testing::check_close(dst->fc->weight, src->fc->weight, 0, 0);
  // float64 values load into float32 parameters, converted (as PyTorch's copy_).
  StateDict sd = src->state_dict();
  sd.tensors["scale"] = full({1}, 2.5, kFloat64);
  dst->load_state_dict(sd);
  BOOST_CHECK(dst->scale.dtype() == kFloat32);
  testing::check_values(dst->scale, {2.5});
}

BOOST_AUTO_TEST_CASE(strict_errors_list_every_problem_as_pytorch_and_change_nothing) {
  Net net;
  const Tensor before = net->fc->bias.clone();
  StateDict bad = net->state_dict();
  bad.tensors.erase("fc.bias");
  bad.tensors.erase("steps");
  bad.tensors.insert("fc2.weight", zeros({2, 8}));
  bad.tensors.insert("extra", zeros({1}));
  bad.tensors["fc.weight"] = zeros({3, 8});
  bad.tensors["features.0.bias"] = zeros({3});
  bad.tensors["scale"] = full({1}, 9.0);
  // PyTorch 1.13, tests/reference/checkpoint.py:
  const std::string pytorch =
      "Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: \"steps\", \"fc.bias\". \n\t"
      "Unexpected key(s) in state_dict: \"fc2.weight\", \"extra\". \n\tsize mismatch for features.0.bias: copying a "
      "param with shape torch.Size([3]) from checkpoint, the shape in current model is torch.Size([2]).\n\tsize "
      "mismatch for fc.weight: copying a param with shape torch.Size([3, 8]) from checkpoint, the shape in current "
      "model is torch.Size([2, 8]).";
  BOOST_CHECK_EQUAL(expect_error<ValueError>([&] { net->load_state_dict(bad); }, {}), pytorch);
  testing::check_values(net->scale, {1});  // nothing was loaded
  // strict=false still refuses mis-shaped tensors (PyTorch's message again).
  const std::string pytorch_non_strict =
      "Error(s) in loading state_dict for Net:\n\tsize mismatch for features.0.bias: copying a param with shape "
      "torch.Size([3]) from checkpoint, the shape in current model is torch.Size([2]).\n\tsize mismatch for "
      "fc.weight: copying a param with shape torch.Size([3, 8]) from checkpoint, the shape in current model is "
      "torch.Size([2, 8]).";
  BOOST_CHECK_EQUAL(expect_error<ValueError>([&] { net->load_state_dict(bad, false); }, {}), pytorch_non_strict);
  testing::check_values(net->scale, {1});
  // Without the mis-shaped ones, strict=false loads what matches and ignores the rest.
  bad.tensors.erase("fc.weight");
  bad.tensors.erase("features.0.bias");
  net->load_state_dict(bad, false);
  testing::check_values(net->scale, {9});
  testing::check_close(net->fc->bias, before, 0, 0);
  expect_error<ValueError>([&] { net->load_state_dict(bad); },
                           {"Missing key(s) in state_dict: \"steps\", \"features.0.bias\", \"fc.weight\", \"fc.bias\". ",
                            "Unexpected key(s) in state_dict: \"fc2.weight\", \"extra\". "});
}

BOOST_AUTO_TEST_CASE(dtype_changes_other_than_float_precision_are_refused) {
  Norm norm;
  StateDict sd = norm->state_dict();
  sd.tensors["num_batches_tracked"] = full({}, 3.0);
  sd.tensors["running_mean"] = tensor({int64_t{1}, int64_t{2}, int64_t{3}});
  const std::string msg = expect_error<ValueError>(
      [&] { norm->load_state_dict(sd); },
      {"Error(s) in loading state_dict for Norm:",
       "dtype mismatch for running_mean: copying a param of dtype torch.int64 from checkpoint, the dtype in current "
       "model is torch.float32.",
       "dtype mismatch for num_batches_tracked: copying a param of dtype torch.float32 from checkpoint, the dtype in "
       "current model is torch.int64."});
  BOOST_CHECK_EQUAL(norm->num_batches_tracked.item<int64_t>(), 0);
  sd = norm->state_dict();
  sd.tensors["num_batches_tracked"] = full({}, int64_t{12}, kInt64);
  norm->load_state_dict(sd);
  BOOST_CHECK_EQUAL(norm->num_batches_tracked.item<int64_t>(), 12);
  sd.tensors["weight"] = Tensor();
  expect_error<ValueError>([&] { norm->load_state_dict(sd); }, {"undefined tensor for weight"});
}

BOOST_AUTO_TEST_CASE(merge_and_extract_combine_state_dicts) {
  Net net;
  StateDict opt;
  opt.tensors.insert("state.0.momentum_buffer", ones({2}));
  opt.metadata["param_groups.0.lr"] = "0.1";
  StateDict ckpt;
  ckpt.merge(net->state_dict(), "model").merge(opt, "optimizer");
  ckpt.metadata["epoch"] = "4";
  BOOST_CHECK(ckpt.tensors.contains("model.fc.weight"));
  BOOST_CHECK(ckpt.tensors.contains("optimizer.state.0.momentum_buffer"));
  BOOST_CHECK_EQUAL(ckpt.metadata.at("optimizer.param_groups.0.lr"), "0.1");
  BOOST_CHECK(ckpt.has_prefix("model") && ckpt.has_prefix("optimizer") && !ckpt.has_prefix("mod"));

  const StateDict model = ckpt.extract("model");
  BOOST_TEST(model.tensors.keys() == net->state_dict().tensors.keys(), boost::test_tools::per_element());
  BOOST_CHECK(model.metadata.empty());
  BOOST_CHECK(model.tensors["fc.bias"].unsafeGetTensorImpl()->storage == net->fc->bias.unsafeGetTensorImpl()->storage);
  const StateDict o = ckpt.extract("optimizer");
  BOOST_CHECK_EQUAL(o.tensors.size(), 1u);
  BOOST_CHECK_EQUAL(o.metadata.at("param_groups.0.lr"), "0.1");
  BOOST_CHECK(ckpt.extract("scheduler").tensors.empty());
  net->load_state_dict(model);  // strict: exactly the model's names

  expect_error<ValueError>([&] { ckpt.merge(opt, "optimizer"); },
                           {"names already present under prefix 'optimizer': 'optimizer.state.0.momentum_buffer', "
                            "'optimizer.param_groups.0.lr'"});
  BOOST_CHECK_EQUAL(ckpt.tensors.size(), net->state_dict().tensors.size() + 1);  // unchanged
  expect_error<ValueError>([&] { ckpt.merge(opt, ""); }, {"prefix must not be empty"});
  expect_error<ValueError>([&] { ckpt.merge(opt, "a.b"); }, {"must not contain a dot"});
}
