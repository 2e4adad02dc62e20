#define BOOST_TEST_MODULE module
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <functional>
#include <sstream>
#include <string>
#include <vector>

// nn::Module: registration and dotted names, traversal, holders, train/eval, zero_grad, to(),
// printing (strings from tests/reference/nn.py, PyTorch 1.13).

using namespace xgrad;
using xgrad::testing::what_of;
using xgrad::testing::contains;
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

template <typename Holder>
  requires nn::is_module_holder_v<Holder>
std::string str(const Holder& h) {
  return str(*h);
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
  // name() is LibTorch's (the qualified type), short_name() PyTorch's class name.
  BOOST_CHECK_EQUAL(net->name(), "(anonymous namespace)::NetImpl");
  BOOST_CHECK_EQUAL(net->short_name(), "Net");
  BOOST_CHECK_EQUAL(net->fc->name(), "xgrad::nn::LinearImpl");
  BOOST_CHECK_EQUAL(net->fc->short_name(), "Linear");
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
  BOOST_CHECK_EQUAL(m.name(), "xgrad::nn::Module");
  BOOST_CHECK_EQUAL(m.short_name(), "Module");
  // An undefined parameter is registered but not listed (PyTorch's None parameter).
  m.register_parameter("none", Tensor());
  BOOST_CHECK_EQUAL(m.parameters(false).size(), 2u);
}

namespace outer {
struct Unit : nn::Module {};
template <typename T>
struct BoxImpl : nn::Module {};
struct Named : nn::Module {
  Named() : nn::Module("Foo") {}
};
}  // namespace outer

BOOST_AUTO_TEST_CASE(name_is_libtorchs_short_name_pytorchs) {
  // LibTorch's name(): the demangled type, namespaces and "Impl" kept; computed lazily, so
  // asked twice.
  outer::Unit unit;
  BOOST_CHECK_EQUAL(unit.name(), "outer::Unit");
  BOOST_CHECK_EQUAL(unit.name(), "outer::Unit");
  BOOST_CHECK_EQUAL(unit.short_name(), "Unit");
  BOOST_CHECK_EQUAL(outer::Named().name(), "Foo");
  BOOST_CHECK_EQUAL(outer::Named().short_name(), "Foo");
  outer::BoxImpl<nn::LinearImpl> box;
  BOOST_CHECK_EQUAL(box.name(), "outer::BoxImpl<xgrad::nn::LinearImpl>");
  BOOST_CHECK_EQUAL(box.short_name(), "Box");
  BOOST_CHECK_EQUAL(nn::Sequential()->name(), "xgrad::nn::SequentialImpl");
  // Printing and errors use the short name.
  BOOST_CHECK_EQUAL(str(nn::Linear(2, 3)), "Linear(in_features=2, out_features=3, bias=True)");
  try {
    unit.register_parameter("a.b", ones({1}));
    BOOST_FAIL("expected ValueError");
  } catch (const ValueError& e) {
    BOOST_TEST(std::string(e.what()).rfind("Unit: Parameter name", 0) == 0, e.what());
  }
}

namespace {

struct TestModelImpl : nn::Module {};

struct WarningCollector : WarningHandler {
  std::vector<std::string> seen;
  void process(const SourceLocation&, const std::string& msg, bool) override { seen.push_back(msg); }
};
}  // namespace

BOOST_AUTO_TEST_CASE(registration_errors_contain_libtorch_text) {
  // LibTorch code matches LibTorch's phrases by substring; xgrad's messages also name the module.
  TestModelImpl m;
  m.register_parameter("p", ones({5}));
  m.register_buffer("b", ones({5}));
  m.register_module("linear", nn::Linear(3, 4));
  const std::vector<std::pair<std::function<void()>, std::string>> cases = {
      {[&] { m.register_parameter("p", ones({5})); }, "TestModel: Parameter 'p' already defined"},
      {[&] { m.register_buffer("b", ones({5})); }, "TestModel: Buffer 'b' already defined"},
      {[&] { m.register_module("linear", nn::Linear(3, 4)); }, "TestModel: Submodule 'linear' already defined"},
      {[&] { m.register_parameter("name.with.dot", ones({5})); },
       "Parameter name must not contain a dot (got 'name.with.dot')"},
      {[&] { m.register_buffer("name.with.dot", ones({5})); }, "Buffer name must not contain a dot (got 'name.with.dot')"},
      {[&] { m.register_module("name.with.dot", nn::Linear(3, 4)); },
       "Submodule name must not contain a dot (got 'name.with.dot')"},
      {[&] { m.register_parameter("", ones({5})); }, "Parameter name must not be empty"},
      {[&] { m.register_buffer("", ones({5})); }, "Buffer name must not be empty"},
      {[&] { m.register_module("", nn::Linear(3, 4)); }, "Submodule name must not be empty"},
      {[&] { m.replace_module("other", nn::Linear(3, 4)); }, "Submodule 'other' is not defined"},
      {[&] { m.unregister_module("other"); }, "No Module with name `other` is registered (submodules: [linear])"},
      {[&] { m.modules(); }, "It looks like you attempted to retrieve your top-level module as a shared_ptr"},
      {[&] { m.clone(); }, "clone() has not been implemented"},
  };
  for (const auto& [f, phrase] : cases) {
    const std::string msg = what_of(f);
    BOOST_TEST(contains(msg, phrase), msg << "  (expected to contain: " << phrase << ")");
  }
  BOOST_CHECK_THROW(m.unregister_module("other"), IndexError);
  BOOST_CHECK_THROW(m.replace_module("other", nn::Linear(3, 4)), IndexError);
  BOOST_CHECK_NO_THROW(m.modules(/*include_self=*/false));
}

BOOST_AUTO_TEST_CASE(undefined_parameter_requiring_grad_warns) {
  // LibTorch warns once that requires_grad=true is ignored for an undefined tensor.
  WarningCollector warnings;
  {
    Warning::WarningHandlerGuard guard(&warnings);
    TestModelImpl m;
    m.register_parameter("quiet", Tensor(), /*requires_grad=*/false);
    BOOST_CHECK_EQUAL(warnings.seen.size(), 0u);
    m.register_parameter("none", Tensor());
    BOOST_CHECK_EQUAL(m.parameters().size(), 0u);
  }
  BOOST_REQUIRE_EQUAL(warnings.seen.size(), 1u);
  BOOST_TEST(contains(warnings.seen[0], "Ignoring the `requires_grad=true` function parameter"), warnings.seen[0]);
  BOOST_TEST(contains(warnings.seen[0], "'none'"), warnings.seen[0]);
}

BOOST_AUTO_TEST_CASE(shared_submodule_listed_once) {
  auto m = std::make_shared<nn::Module>();  // modules() hands out the root: it must be owned
  nn::Linear shared(3, 3);
  m->register_module("a", shared);
  m->register_module("b", shared);
  BOOST_CHECK_EQUAL(m->parameters().size(), 2u);
  BOOST_CHECK_EQUAL(m->modules().size(), 2u);
}

BOOST_AUTO_TEST_CASE(holders) {
  nn::Linear empty{nullptr};
  BOOST_CHECK(empty.is_empty());
  BOOST_CHECK(!empty);
  BOOST_CHECK_THROW(empty.ptr(), ValueError);
  // LibTorch's phrase, so programs matching on it keep working.
  const std::string msg = xgrad::testing::what_of([&] { (void)empty->weight; });
  BOOST_TEST(xgrad::testing::contains(msg, "Accessing empty ModuleHolder"), msg);
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

BOOST_AUTO_TEST_CASE(apply_overloads_as_libtorch) {
  // Every overload of LibTorch's Module::apply visits the modules in named_modules() order.
  Net net;
  const std::vector<std::string> expected{"net", "net.features", "net.features.0", "net.features.1", "net.fc"};
  const std::vector<std::string> types{"Net", "Sequential", "Conv2d", "ReLU", "Linear"};
  std::vector<std::string> names, seen;
  net->apply([&](const std::string& name, nn::Module& m) { names.push_back(name), seen.push_back(m.short_name()); }, "net");
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST(seen == types, boost::test_tools::per_element());

  // const Module& (on a const module) and (name, const Module&).
  std::shared_ptr<const NetImpl> cnet = net.ptr();
  seen.clear();
  cnet->apply([&](const nn::Module& m) { seen.push_back(m.short_name()); });
  BOOST_TEST(seen == types, boost::test_tools::per_element());
  names.clear();
  cnet->apply([&](const std::string& name, const nn::Module&) { names.push_back(name); }, "net");
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  // On a non-const module a const-reference function is accepted too.
  int count = 0;
  net->apply([&](const nn::Module&) { ++count; });
  BOOST_TEST(count == 5);

  // shared_ptr forms: the pointers are the modules themselves.
  std::vector<std::shared_ptr<nn::Module>> ptrs;
  net->apply([&](const std::shared_ptr<nn::Module>& m) { ptrs.push_back(m); });
  BOOST_REQUIRE_EQUAL(ptrs.size(), 5u);
  BOOST_TEST(ptrs[0].get() == net.get());
  BOOST_TEST(ptrs[4].get() == net->fc.get());
  names.clear();
  net->apply([&](const std::string& name, const std::shared_ptr<nn::Module>& m) {
    names.push_back(name);
    BOOST_TEST(m != nullptr);
  }, "net");
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  names.clear();
  net->apply([&](const std::string& name, const std::shared_ptr<nn::Module>&) { names.push_back(name); });
  BOOST_TEST(names.front() == "");
  BOOST_TEST(names.back() == "fc");

  // A module not owned by a shared_ptr cannot hand itself out as one (LibTorch throws too);
  // the reference forms work on it.
  NetImpl local;
  BOOST_CHECK_THROW(local.apply([](const std::shared_ptr<nn::Module>&) {}), ValueError);
  count = 0;
  local.apply([&](nn::Module&) { ++count; });
  BOOST_TEST(count == 5);

  // apply can change the modules (PyTorch's init idiom).
  net->apply([](nn::Module& m) {
    if (auto* fc = m.as<nn::Linear>()) {
      NoGradGuard guard;
      fc->bias.fill_(0.25);
    }
  });
  check_values(net->fc->bias, {0.25, 0.25});
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

// ---- containers (tests/reference/module_api.py) -------------------------------------------------

namespace {

// PyTorch's `Model` of tests/reference/module_api.py.
struct ModelImpl : nn::Module {
  ModelImpl() {
    layers = register_module("layers", nn::ModuleList(nn::Linear(4, 3), nn::ReLU()));
    layers->insert(1, nn::Linear(nn::LinearOptions(3, 3).bias(false)));
    layers->extend(std::vector<std::shared_ptr<nn::Module>>{nn::Identity().ptr()});
    blocks = register_module("blocks", nn::ModuleDict({{"a", nn::Linear(3, 2)}, {"b", nn::Conv2d(1, 1, 1)}}));
    blocks->update({{"c", nn::Sigmoid()}});
    count = register_buffer("count", zeros({1}));
  }
  nn::ModuleList layers{nullptr};
  nn::ModuleDict blocks{nullptr};
  Tensor count;
};
XGRAD_MODULE(Model);

}  // namespace

BOOST_AUTO_TEST_CASE(module_list_and_dict_print_and_name_as_pytorch) {
  Model m;
  BOOST_CHECK_EQUAL(str(*m),
                    "Model(\n"
                    "  (layers): ModuleList(\n"
                    "    (0): Linear(in_features=4, out_features=3, bias=True)\n"
                    "    (1): Linear(in_features=3, out_features=3, bias=False)\n"
                    "    (2): ReLU()\n"
                    "    (3): Identity()\n"
                    "  )\n"
                    "  (blocks): ModuleDict(\n"
                    "    (a): Linear(in_features=3, out_features=2, bias=True)\n"
                    "    (b): Conv2d(1, 1, kernel_size=(1, 1), stride=(1, 1))\n"
                    "    (c): Sigmoid()\n"
                    "  )\n"
                    ")");
  // PyTorch's state_dict keys: 'count' (the root's buffer) then these parameters.
  const std::vector<std::string> params = {"layers.0.weight", "layers.0.bias",  "layers.1.weight", "blocks.a.weight",
                                           "blocks.a.bias",   "blocks.b.weight", "blocks.b.bias"};
  BOOST_TEST(keys(m->named_parameters()) == params, boost::test_tools::per_element());
  BOOST_TEST(keys(m->named_buffers()) == std::vector<std::string>{"count"}, boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(m->buffers().size(), 1u);
  const std::vector<std::string> mods = {"",         "layers", "layers.0", "layers.1", "layers.2",
                                         "layers.3", "blocks", "blocks.a", "blocks.b", "blocks.c"};
  BOOST_TEST(m->named_modules().keys() == mods, boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(str(nn::ModuleList()), "ModuleList()");  // PyTorch: ModuleList() ModuleDict() Sequential()
  BOOST_CHECK_EQUAL(str(nn::ModuleDict()), "ModuleDict()");
  BOOST_CHECK_EQUAL(str(nn::Sequential()), "Sequential()");
  BOOST_CHECK_EQUAL(str(nn::Identity()), "Identity()");
}

BOOST_AUTO_TEST_CASE(module_list_api) {
  nn::ModuleList list(nn::Linear(2, 2), nn::ReLU());
  BOOST_CHECK_EQUAL(list->size(), 2u);
  BOOST_CHECK(!list->is_empty());
  nn::Tanh tanh;
  list->insert(0, tanh);
  list->insert(3, nn::Sigmoid());  // at the end
  list->push_back(nn::Identity().ptr());
  std::vector<std::string> names;
  for (const auto& mod : *list) names.push_back(mod->short_name());
  BOOST_TEST(names == (std::vector<std::string>{"Tanh", "Linear", "ReLU", "Sigmoid", "Identity"}),
             boost::test_tools::per_element());
  BOOST_TEST(list->named_children().keys() == (std::vector<std::string>{"0", "1", "2", "3", "4"}),
             boost::test_tools::per_element());
  BOOST_CHECK(list[0].get() == tanh.get());
  BOOST_CHECK(list->ptr(0).get() == tanh.get());
  BOOST_CHECK(&list->at<nn::LinearImpl>(1) == list->ptr<nn::LinearImpl>(1).get());
  BOOST_CHECK(&list->at<nn::Linear>(1) == list[1]->as<nn::Linear>());  // a holder type works too
  BOOST_CHECK(list->named_parameters()["1.weight"].is_same(list->at<nn::LinearImpl>(1).weight));
  BOOST_CHECK_THROW(list->at<nn::Conv2dImpl>(1), TypeError);
  BOOST_CHECK_THROW(list->ptr(5), IndexError);
  BOOST_CHECK_THROW(list->insert(7, nn::ReLU()), IndexError);
  nn::ModuleList other(nn::Linear(3, 3));
  list->extend(other);
  list->extend(*list);  // self-extension appends each module once
  BOOST_CHECK_EQUAL(list->size(), 12u);
  BOOST_CHECK_EQUAL(list->children().size(), 12u);  // one entry per registration, as LibTorch
  BOOST_CHECK_EQUAL(list->modules(false).size(), 6u);  // the traversal visits a shared module once
  BOOST_CHECK_EQUAL(list->parameters().size(), 4u);
}

BOOST_AUTO_TEST_CASE(module_dict_api_matches_pytorch) {
  nn::ModuleDict d({{"a", nn::Linear(1, 1)}, {"b", nn::ReLU()}, {"c", nn::Tanh()}});
  nn::Linear replacement(2, 2);
  d->insert("a", replacement);  // PyTorch: d['a'] = ...; keeps its position
  const auto popped = d->pop("b");
  BOOST_CHECK_EQUAL(popped->short_name(), "ReLU");
  d->insert("z", nn::Identity());
  BOOST_TEST(d->keys() == (std::vector<std::string>{"a", "c", "z"}), boost::test_tools::per_element());
  BOOST_TEST(keys(d->named_parameters()) == (std::vector<std::string>{"a.weight", "a.bias"}),
             boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(str(d),
                    "ModuleDict(\n"
                    "  (a): Linear(in_features=2, out_features=2, bias=True)\n"
                    "  (c): Tanh()\n"
                    "  (z): Identity()\n"
                    ")");
  BOOST_CHECK(d["a"].get() == replacement.get());
  BOOST_CHECK(d->contains("c"));
  BOOST_CHECK(!d->contains("b"));
  BOOST_CHECK_EQUAL(d->size(), 3u);
  BOOST_CHECK_EQUAL(d->values().size(), 3u);
  BOOST_CHECK_EQUAL(d->items()[2].first, "z");
  BOOST_CHECK(&d->at<nn::LinearImpl>("a") == replacement.get());
  BOOST_CHECK_THROW(d->at<nn::Conv2dImpl>("a"), TypeError);
  BOOST_CHECK_THROW(d["nope"], IndexError);
  BOOST_CHECK_THROW(d->pop("nope"), IndexError);
  BOOST_CHECK_THROW(d->insert("x.y", nn::ReLU()), ValueError);
  std::vector<std::string> seen;
  for (const auto& item : *d) seen.push_back(item.key());
  BOOST_CHECK_EQUAL(seen.size(), 3u);
  // From pairs / an OrderedDict / another ModuleDict.
  nn::ModuleDict e(std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>>{{"p", nn::ReLU().ptr()}});
  OrderedDict<std::string, std::shared_ptr<nn::Module>> od;
  od.insert("q", nn::Tanh().ptr());
  e->update(od);
  e->update(d);
  BOOST_TEST(e->keys() == (std::vector<std::string>{"p", "q", "a", "c", "z"}), boost::test_tools::per_element());
  // clear() unregisters, as PyTorch (len 0, repr "ModuleDict()", no parameters).
  d->clear();
  BOOST_CHECK_EQUAL(d->size(), 0u);
  BOOST_CHECK(d->empty());
  BOOST_CHECK_EQUAL(str(d), "ModuleDict()");
  BOOST_CHECK_EQUAL(d->parameters().size(), 0u);
}

BOOST_AUTO_TEST_CASE(children_of_a_module_registered_twice) {
  // LibTorch: named_children lists both registrations ["a", "b"] (Python's lists ['a'] only);
  // named_modules visits the shared module once, as PyTorch: ['', 'a'].
  auto s = std::make_shared<nn::Module>();
  nn::Linear shared(2, 2);
  s->register_module("a", shared);
  s->register_module("b", shared);
  BOOST_CHECK_EQUAL(s->children().size(), 2u);
  BOOST_TEST(s->named_children().keys() == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
  BOOST_CHECK(s->named_children()["b"].get() == shared.get());
  BOOST_CHECK_EQUAL(s->parameters().size(), 2u);  // the shared weight and bias, once
  BOOST_TEST(s->named_modules().keys() == (std::vector<std::string>{"", "a"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(identity_returns_its_input) {
  nn::Identity id;
  const Tensor x = ones({2, 3});
  BOOST_CHECK(id(x).is_same(x));
  BOOST_CHECK(id->parameters().empty());
}

BOOST_AUTO_TEST_CASE(buffers_follow_to_and_none_buffers_are_skipped) {
  nn::Module m;
  m.register_buffer("running", zeros({2}));
  m.register_buffer("steps", zeros({1}, kInt64));
  m.register_buffer("none", Tensor());  // PyTorch's register_buffer('none', None)
  BOOST_TEST(keys(m.named_buffers()) == (std::vector<std::string>{"running", "steps"}),
             boost::test_tools::per_element());
  m.to(kFloat64);
  BOOST_CHECK(m.named_buffers()["running"].dtype() == kFloat64);
  BOOST_CHECK(m.named_buffers()["steps"].dtype() == kInt64);  // integer buffers keep their dtype
  BOOST_CHECK(!m.named_buffers()["running"].requires_grad());
}

// An error raised inside a module's forward names the module path and the failing module.
namespace {
struct TwoStageImpl : xgrad::nn::Module {
  TwoStageImpl() {
    features = register_module("features", xgrad::nn::Sequential(xgrad::nn::Conv2d(xgrad::nn::Conv2dOptions(1, 6, 5)),
                                                                   xgrad::nn::ReLU(),
                                                                   xgrad::nn::Conv2d(xgrad::nn::Conv2dOptions(6, 16, 5))));
  }
  xgrad::Tensor forward(const xgrad::Tensor& x) { return features->forward(x); }
  xgrad::nn::Sequential features{nullptr};
};
XGRAD_MODULE(TwoStage);
}  // namespace

BOOST_AUTO_TEST_CASE(errors_inside_forward_name_the_module_path) {
  xgrad::nn::Sequential seq(xgrad::nn::Conv2d(xgrad::nn::Conv2dOptions(1, 6, 5)), xgrad::nn::ReLU(),
                            xgrad::nn::Conv2d(xgrad::nn::Conv2dOptions(6, 16, 5)));
  const auto bad = xgrad::zeros({1, 3, 12, 12});  // 3 channels where the first conv expects 1
  for (int call = 0; call < 2; ++call) {  // seq(x) and seq->forward(x)
    try {
      if (call == 0)
        seq(bad);
      else
        seq->forward(bad);
      BOOST_ERROR("no error");
    } catch (const xgrad::ShapeError& e) {  // the type is kept
      const std::string what = e.what();
      BOOST_TEST(what.rfind("Sequential/0 (Conv2d(1, 6, kernel_size=", 0) == 0, what);
      BOOST_TEST(what.find("): conv2d: input has 3 channels, weight expects 1") != std::string::npos, what);
      BOOST_TEST(e.module_path() == "Sequential/0");
      BOOST_TEST(e.message().rfind("conv2d: ", 0) == 0u);
    }
  }
  // Nested: the outer module's registered names make the path.
  TwoStage net;
  try {
    net(xgrad::zeros({1, 1, 5, 5}));  // 5x5 -> 1x1 after the first conv: too small for the second
    BOOST_ERROR("no error");
  } catch (const xgrad::ShapeError& e) {
    BOOST_TEST(e.module_path() == "TwoStage/features/2", e.what());
    BOOST_TEST(std::string(e.what()).find("(Conv2d(6, 16, kernel_size=") != std::string::npos, e.what());
  }
  // A single module called directly: its description only.
  xgrad::nn::Linear fc(4, 2);
  try {
    fc(xgrad::zeros({3, 5}));
    BOOST_ERROR("no error");
  } catch (const xgrad::ShapeError& e) {
    BOOST_TEST(std::string(e.what()).rfind("Linear(in_features=4, out_features=2, bias=True): linear: ", 0) == 0,
               e.what());
    BOOST_TEST(e.module_path() == "Linear");
  }
  // Outside any module nothing is added.
  try {
    xgrad::nn::functional::linear(xgrad::zeros({3, 5}), xgrad::zeros({2, 4}));
    BOOST_ERROR("no error");
  } catch (const xgrad::ShapeError& e) {
    BOOST_TEST(std::string(e.what()) == e.message());
    BOOST_TEST(e.module_path().empty());
  }
}

// LibTorch: a module not owned by a shared_ptr cannot hand itself out as one; everything that
// gives references (apply, parameters, to) still works on it.
BOOST_AUTO_TEST_CASE(modules_of_a_local_module_need_include_self_false) {
  nn::SequentialImpl local(nn::Linear(2, 3), nn::ReLU());
  BOOST_CHECK_THROW(local.modules(), ValueError);
  BOOST_CHECK_THROW(local.named_modules(), ValueError);
  BOOST_TEST(local.modules(/*include_self=*/false).size() == 2u);
  BOOST_TEST(local.named_modules("", /*include_self=*/false).keys() == (std::vector<std::string>{"0", "1"}),
             boost::test_tools::per_element());
  int visited = 0;
  local.apply([&](nn::Module&) { ++visited; });
  BOOST_TEST(visited == 3);
  BOOST_TEST(local.parameters().size() == 2u);
  local.to(kFloat64);
  BOOST_TEST(local.parameters()[0].dtype() == kFloat64);
  auto owned = std::make_shared<nn::SequentialImpl>(nn::Linear(2, 3));
  BOOST_TEST(owned->modules().size() == 2u);
}
