#define BOOST_TEST_MODULE nn_clone
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// nn::Cloneable and Module::clone() (LibTorch's deep copy; PyTorch's copy.deepcopy(model)):
// a clone has the same structure and values in new tensors and modules, its own members point at
// its own registrations, plain members are copied, and the original is untouched by changes to
// the clone. Built-in modules, containers and AnyModule clone too.

using namespace xgrad;
namespace nn = xgrad::nn;
using xgrad::testing::check_close;

namespace {

bool same_tensor(const Tensor& a, const Tensor& b) { return a.unsafeGetTensorImpl() == b.unsafeGetTensorImpl(); }

struct LeafImpl : nn::Cloneable<LeafImpl> {
  LeafImpl() { reset(); }
  void reset() override {
    weight = register_parameter("weight", ones({2, 2}));
    count = register_buffer("count", zeros({1}, kInt64));
  }
  Tensor forward(const Tensor& x) { return x.matmul(weight); }
  Tensor weight, count;
  int value = 0;
};
XGRAD_MODULE(Leaf);

struct TreeImpl : nn::Cloneable<TreeImpl> {
  TreeImpl() { reset(); }
  void reset() override {
    leaf = register_module("leaf", Leaf());
    body = register_module("body", nn::Sequential(nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 2)));
    norm = register_module("norm", nn::BatchNorm1d(2));
  }
  Tensor forward(const Tensor& x) { return norm(body(leaf(x))); }
  Leaf leaf{nullptr};
  nn::Sequential body{nullptr};
  nn::BatchNorm1d norm{nullptr};
};
XGRAD_MODULE(Tree);

struct PlainImpl : nn::Module {
  Tensor forward(const Tensor& x) { return x; }
};

// reset() registers a name the constructor did not.
struct DriftingImpl : nn::Cloneable<DriftingImpl> {
  DriftingImpl() { reset(); }
  void reset() override { register_parameter(fresh ? "a" : "b", ones({1})); }
  bool fresh = true;
};

}  // namespace

BOOST_AUTO_TEST_CASE(clone_copies_values_into_new_tensors) {
  auto leaf = std::make_shared<LeafImpl>();
  {
    NoGradGuard no_grad;
    leaf->weight.add_(1.0);
  }
  leaf->value = 123;
  auto copy = std::dynamic_pointer_cast<LeafImpl>(leaf->clone());
  BOOST_REQUIRE(copy != nullptr);
  BOOST_TEST(copy->value == 123);
  BOOST_TEST(!same_tensor(copy->weight, leaf->weight));
  // The clone's member is its registered parameter, holding the original's values.
  BOOST_TEST(same_tensor(copy->weight, copy->named_parameters()["weight"]));
  BOOST_TEST(same_tensor(copy->count, copy->named_buffers()["count"]));
  check_close(copy->weight, full({2, 2}, 2.0), 0, 0);
  BOOST_TEST(copy->weight.requires_grad());
  BOOST_TEST(copy->count.dtype() == kInt64);
  // Independent afterwards.
  {
    NoGradGuard no_grad;
    copy->weight.add_(5.0);
    copy->count.fill_(3);
  }
  check_close(leaf->weight, full({2, 2}, 2.0), 0, 0);
  BOOST_TEST(leaf->count.item<int64_t>() == 0);
}

BOOST_AUTO_TEST_CASE(clone_recurses_into_submodules_and_builtins) {
  manual_seed(0);
  Tree tree;
  auto x = randn({4, 2});
  tree(x);  // one training step of BatchNorm: running statistics are no longer the defaults
  tree->eval();
  auto copy = std::dynamic_pointer_cast<TreeImpl>(tree->clone());
  BOOST_REQUIRE(copy != nullptr);
  BOOST_TEST(!copy->is_training());
  // Same structure and names, new tensors, same values.
  const auto a = tree->named_parameters(), b = copy->named_parameters();
  BOOST_TEST(a.keys() == b.keys(), boost::test_tools::per_element());
  for (const auto& item : a) {
    BOOST_TEST(!same_tensor(item.value(), b[item.key()]));
    check_close(item.value(), b[item.key()], 0, 0);
  }
  const auto ab = tree->named_buffers(), bb = copy->named_buffers();
  BOOST_TEST(ab.keys() == bb.keys(), boost::test_tools::per_element());
  for (const auto& item : ab) {
    BOOST_TEST(!same_tensor(item.value(), bb[item.key()]));
    check_close(item.value(), bb[item.key()], 0, 0);
  }
  // The copy's holders point at its own submodules, which are new objects.
  BOOST_TEST(copy->leaf.get() != tree->leaf.get());
  BOOST_TEST(copy->leaf.get() == copy->named_children()["leaf"].get());
  BOOST_TEST(copy->body.get() == copy->named_children()["body"].get());
  BOOST_TEST(copy->body->ptr(0).get() != tree->body->ptr(0).get());
  BOOST_TEST(same_tensor(copy->norm->running_mean, bb["norm.running_mean"]));
  check_close(Tree(copy)(x), tree(x), 0, 0);
  // Training the copy leaves the original alone.
  copy->train();
  copy->forward(x * 3).sum().backward();
  BOOST_TEST(!tree->leaf->weight.grad().defined());
  BOOST_TEST(copy->norm->num_batches_tracked.item<int64_t>() == 2);
  BOOST_TEST(tree->norm->num_batches_tracked.item<int64_t>() == 1);
}

BOOST_AUTO_TEST_CASE(containers_and_any_module_clone) {
  manual_seed(0);
  nn::Sequential seq({{"fc", nn::Linear(3, 2)}, {"act", nn::Tanh()}});
  auto seq_copy = std::dynamic_pointer_cast<nn::SequentialImpl>(seq->clone());
  BOOST_REQUIRE(seq_copy != nullptr);
  BOOST_TEST(seq_copy->named_children().keys() == (std::vector<std::string>{"fc", "act"}),
             boost::test_tools::per_element());
  auto x = randn({2, 3});
  check_close(seq_copy->forward(x), seq->forward(x), 0, 0);
  BOOST_TEST(seq_copy->ptr(0).get() != seq->ptr(0).get());

  nn::ModuleList list(nn::Linear(2, 2), nn::ReLU());
  auto list_copy = std::dynamic_pointer_cast<nn::ModuleListImpl>(list->clone());
  BOOST_TEST(list_copy->size() == 2u);
  BOOST_TEST(list_copy->ptr(0).get() != list->ptr(0).get());
  check_close(list_copy->at<nn::LinearImpl>(0).weight, list->at<nn::LinearImpl>(0).weight, 0, 0);

  nn::ModuleDict dict({{"a", nn::Linear(2, 2)}, {"b", nn::Conv2d(1, 2, 3)}});
  auto dict_copy = std::dynamic_pointer_cast<nn::ModuleDictImpl>(dict->clone());
  BOOST_TEST(dict_copy->keys() == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
  check_close(dict_copy->at<nn::Conv2dImpl>("b").weight, dict->at<nn::Conv2dImpl>("b").weight, 0, 0);
  BOOST_TEST(!same_tensor(dict_copy->at<nn::Conv2dImpl>("b").weight, dict->at<nn::Conv2dImpl>("b").weight));

  nn::AnyModule any(nn::Linear(3, 2));
  nn::AnyModule any_copy = any.clone();
  BOOST_TEST(any_copy.ptr().get() != any.ptr().get());
  check_close(any_copy.forward(x), any.forward(x), 0, 0);
}

BOOST_AUTO_TEST_CASE(clone_keeps_converted_dtypes_and_options) {
  nn::Conv2d conv(nn::Conv2dOptions(2, 3, 3).padding(1).bias(false));
  conv->to(kFloat64);
  auto copy = std::dynamic_pointer_cast<nn::Conv2dImpl>(conv->clone());
  BOOST_TEST(copy->weight.dtype() == kFloat64);
  BOOST_TEST(!copy->bias.defined());
  BOOST_TEST(copy->repr() == conv->repr());
}

BOOST_AUTO_TEST_CASE(clone_errors) {
  PlainImpl plain;
  BOOST_CHECK_THROW(plain.clone(), TypeError);
  try {
    plain.clone();
  } catch (const TypeError& e) {
    BOOST_TEST(std::string(e.what()).find("Cloneable") != std::string::npos);
  }
  // A Cloneable holding a submodule that is not: the submodule cannot be cloned.
  struct HolderImpl : nn::Cloneable<HolderImpl> {
    HolderImpl() { reset(); }
    void reset() override { register_module("plain", std::make_shared<PlainImpl>()); }
  };
  BOOST_CHECK_THROW(std::make_shared<HolderImpl>()->clone(), TypeError);
  // reset() registering other names than the original has.
  auto drifting = std::make_shared<DriftingImpl>();
  drifting->fresh = false;
  BOOST_CHECK_THROW(drifting->clone(), ValueError);
}

// LibTorch's signature: clone(const optional<Device>& device = nullopt). A user module may
// override it; a clone to the CPU is a clone, any other device is refused naming the module.
BOOST_AUTO_TEST_CASE(clone_takes_an_optional_device) {
  struct CustomImpl : nn::Module {
    std::shared_ptr<nn::Module> clone(const optional<Device>& device = nullopt) const override {
      ++calls;
      last_device = device;
      return nullptr;
    }
    mutable int calls = 0;
    mutable optional<Device> last_device;
  };
  CustomImpl custom;
  BOOST_CHECK(custom.clone() == nullptr);
  BOOST_CHECK(!custom.last_device.has_value());
  const nn::Module& base = custom;
  BOOST_CHECK(base.clone(Device(kCPU)) == nullptr);  // dispatches to the override
  BOOST_CHECK_EQUAL(custom.calls, 2);
  BOOST_CHECK(custom.last_device == Device(kCPU));

  nn::Linear linear(3, 2);
  auto copy = std::dynamic_pointer_cast<nn::LinearImpl>(linear->clone(Device(kCPU)));
  BOOST_REQUIRE(copy != nullptr);
  BOOST_CHECK(!same_tensor(copy->weight, linear->weight));
  BOOST_CHECK(copy->weight.equal(linear->weight));
  const std::string msg = xgrad::testing::what_of([&] { linear->clone(Device(kCUDA, 0)); });
  BOOST_TEST(xgrad::testing::contains(msg, "Linear.clone"), msg);
  BOOST_TEST(xgrad::testing::contains(msg, "cuda:0"), msg);
  BOOST_CHECK_THROW(linear->clone(Device("cuda")), ValueError);
  nn::Sequential seq(nn::Linear(2, 2));
  BOOST_CHECK_THROW(seq->clone(Device(kCUDA)), ValueError);
  BOOST_CHECK(seq->clone(Device(kCPU)) != nullptr);
}
