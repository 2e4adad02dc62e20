#define BOOST_TEST_MODULE nn_container
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <string>
#include <tuple>

// src/nn/modules/container.cpp: AnyValue, AnyModule, and Sequential of modules whose forward takes
// or returns something other than one Tensor (LibTorch's SequentialImpl::forward<ReturnType>).
// Values are worked by hand (integer chains) or compared with the same modules called directly.

using namespace xgrad;
using xgrad::testing::contains;
using xgrad::testing::what_of;
namespace nn = xgrad::nn;
using xgrad::testing::check_close;
using xgrad::testing::check_sizes;

namespace {


// forward(int) -> int: adds `step`.
struct AddIntImpl : nn::Module {
  explicit AddIntImpl(int s) : step(s) {}
  int forward(int value) { return value + step; }
  int step;
};
XGRAD_MODULE(AddInt);

// forward() -> int: no input at all.
struct FiveImpl : nn::Module {
  int forward() { return 5; }
};

// forward(Tensor, Tensor) -> Tensor.
struct AddImpl : nn::Module {
  Tensor forward(const Tensor& a, const Tensor& b) { return a + b; }
};

// forward(Tensor) -> (Tensor, Tensor): the tensor and its double.
struct SplitImpl : nn::Module {
  std::tuple<Tensor, Tensor> forward(Tensor x) { return {x, x * 2}; }
};

// forward((Tensor, Tensor)) -> Tensor: consumes SplitImpl's result.
struct JoinImpl : nn::Module {
  Tensor forward(const std::tuple<Tensor, Tensor>& p) { return std::get<0>(p) - std::get<1>(p); }
};

// forward(Tensor) -> int64_t.
struct CountImpl : nn::Module {
  int64_t forward(const Tensor& x) { return x.numel(); }
};

// forward(int64_t&) -> int64_t: a non-const reference parameter.
struct IncrementImpl : nn::Module {
  int64_t forward(int64_t& v) { return ++v; }
};

// A module without forward().
struct NoForwardImpl : nn::Module {};

// forward(int, int = 2, double = 3.0) with its defaults declared (LibTorch's documentation
// example of FORWARD_HAS_DEFAULT_ARGS).
struct DefaultsImpl : nn::Module {
  Tensor forward(int a, int b = 2, double c = 3.0) { return tensor(a + b + c); }

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, nn::AnyValue(2)}, {2, nn::AnyValue(3.0)})
};

// The same forward without the declaration.
struct UndeclaredDefaultsImpl : nn::Module {
  Tensor forward(int a, int b = 2, double c = 3.0) { return tensor(a + b + c); }
};

// A declaration that does not name the trailing arguments.
struct WrongDefaultsImpl : nn::Module {
  Tensor forward(int a, int b = 2, double c = 3.0) { return tensor(a + b + c); }

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, nn::AnyValue(2)})
};

}  // namespace

// ---- AnyValue -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(any_value_holds_any_type) {
  nn::AnyValue v(42);
  BOOST_TEST(v.get<int>() == 42);
  BOOST_TEST(v.try_get<int>() != nullptr);
  BOOST_TEST(v.try_get<float>() == nullptr);
  BOOST_TEST(v.try_get<int64_t>() == nullptr);  // exact types, as LibTorch
  BOOST_TEST((v.type_info() == typeid(int)));
  *v.try_get<int>() = 7;
  BOOST_TEST(v.get<int>() == 7);

  const std::string msg = what_of([&] { v.get<float>(); });
  BOOST_TEST(contains(msg, "attempted to cast AnyValue to float, but its actual type is int"), msg);
  BOOST_CHECK_THROW(v.get<float>(), TypeError);

  nn::AnyValue copy = v;  // copies the value
  *copy.try_get<int>() = 9;
  BOOST_TEST(v.get<int>() == 7);
  BOOST_TEST(copy.get<int>() == 9);

  nn::AnyValue t(ones({2}));
  BOOST_TEST(t.get<Tensor>().sum().item<float>() == 2.0f);
  nn::AnyValue moved = std::move(t);
  BOOST_TEST(moved.try_get<Tensor>() != nullptr);
  BOOST_CHECK_THROW((void)t.type_info(), ValueError);  // NOLINT: reading a moved-from AnyValue

  nn::AnyValue s("text");  // decays to const char*
  BOOST_TEST(std::string(s.get<const char*>()) == "text");
}

// ---- AnyModule ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(any_module_calls_forward_of_any_signature) {
  manual_seed(0);
  nn::Linear linear(3, 4);
  nn::AnyModule any(linear);
  auto x = randn({2, 3});
  check_close(any.forward(x), linear(x), 0, 0);  // ReturnType defaults to Tensor
  check_close(any.any_forward(x).get<Tensor>(), linear(x), 0, 0);
  BOOST_TEST(any.ptr().get() == linear.ptr().get());
  BOOST_TEST((any.type_info() == typeid(nn::LinearImpl)));
  BOOST_TEST(&any.get<nn::LinearImpl>() == linear.get());
  nn::Linear again = any.get<nn::Linear>();
  BOOST_TEST(again.get() == linear.get());
  BOOST_TEST(any.ptr<nn::LinearImpl>().get() == linear.get());
  BOOST_CHECK_THROW(any.ptr<nn::ReLUImpl>(), TypeError);
  BOOST_CHECK_THROW(any.get<nn::ReLU>(), TypeError);

  nn::AnyModule five(std::make_shared<FiveImpl>());
  BOOST_TEST(five.forward<int>() == 5);
  nn::AnyModule add(AddImpl{});  // an Impl by value
  check_close(add.forward(ones({2}), ones({2})), full({2}, 2.0), 0, 0);
  nn::AnyModule count(std::make_shared<CountImpl>());
  BOOST_TEST(count.forward<int64_t>(ones({3, 5})) == 15);
  nn::AnyModule inc(std::make_shared<IncrementImpl>());
  BOOST_TEST(inc.forward<int64_t>(int64_t{41}) == 42);

  // Copies share the module.
  nn::AnyModule copy = any;
  BOOST_TEST(copy.ptr().get() == any.ptr().get());
  copy.set(nn::ReLU());
  BOOST_TEST((copy.type_info() == typeid(nn::ReLUImpl)));
  BOOST_TEST(any.ptr().get() == linear.get());
}

BOOST_AUTO_TEST_CASE(any_module_errors) {
  nn::AnyModule add(AddImpl{});
  std::string msg = what_of([&] { add.forward(ones({2})); });
  BOOST_TEST(contains(msg, "Add.forward: expected 2 argument(s), but received 1"), msg);
  msg = what_of([&] { add.forward(ones({2}), 3); });
  BOOST_TEST(contains(msg, "Add.forward: argument 1 must be a xgrad::Tensor, but received a int"), msg);
  BOOST_CHECK_THROW(add.forward(ones({2})), TypeError);
  nn::AnyModule count(std::make_shared<CountImpl>());
  msg = what_of([&] { count.forward<float>(ones({2})); });
  BOOST_TEST(contains(msg, "cast AnyValue to float, but its actual type is long"), msg);
  nn::AnyModule add_int(AddInt(1));
  BOOST_CHECK_THROW(add_int.forward<int>(int64_t{1}), TypeError);  // int64_t is not int

  nn::AnyModule empty;
  BOOST_TEST(empty.is_empty());
  BOOST_CHECK_THROW(empty.forward(ones({1})), ValueError);
  BOOST_CHECK_THROW(empty.ptr(), ValueError);
  BOOST_CHECK_THROW((void)empty.type_info(), ValueError);
  BOOST_CHECK_THROW(nn::AnyModule(std::shared_ptr<nn::LinearImpl>()), ValueError);
}

BOOST_AUTO_TEST_CASE(forward_default_arguments) {
  nn::AnyModule any(DefaultsImpl{});
  BOOST_TEST(any.forward(1).item<double>() == 6.0);
  BOOST_TEST(any.forward(1, 5).item<double>() == 9.0);
  BOOST_TEST(any.forward(1, 5, 0.5).item<double>() == 6.5);
  nn::Sequential seq(DefaultsImpl{});
  BOOST_TEST(seq->forward(1).item<double>() == 6.0);
  std::string msg = what_of([&] { any.forward(); });  // a has no default
  BOOST_TEST(contains(msg, "Defaults.forward: expected 3 argument(s), but received 0"), msg);
  msg = what_of([&] { any.forward(1, 2, 3.0, 4); });
  BOOST_TEST(contains(msg, "expected 3 argument(s), but received 4"), msg);
  msg = what_of([&] { any.forward(1, 2.5); });  // b is an int
  BOOST_TEST(contains(msg, "argument 1 must be a int, but received a double"), msg);

  nn::AnyModule undeclared(UndeclaredDefaultsImpl{});
  msg = what_of([&] { undeclared.forward(1); });
  BOOST_TEST(contains(msg, "UndeclaredDefaults.forward: expected 3 argument(s), but received 1; if its forward() "
                           "has default arguments, declare them with the FORWARD_HAS_DEFAULT_ARGS macro"),
             msg);
  nn::AnyModule wrong(WrongDefaultsImpl{});
  msg = what_of([&] { wrong.forward(1); });
  BOOST_TEST(contains(msg, "FORWARD_HAS_DEFAULT_ARGS must list the last 1 argument(s) of forward() (which takes 3) "
                           "in order, but entry 0 has index 1"),
             msg);
  BOOST_CHECK_THROW(wrong.forward(1), TypeError);

  // The recurrent modules declare their state's default, as LibTorch's: the state starts at zero.
  manual_seed(0);
  nn::LSTM lstm(3, 4);
  auto x = randn({5, 2, 3});
  using LstmOut = std::tuple<Tensor, std::tuple<Tensor, Tensor>>;
  auto via_any = nn::AnyModule(lstm).forward<LstmOut>(x);
  check_close(std::get<0>(via_any), std::get<0>(lstm->forward(x)), 0, 0);
  nn::GRU gru(3, 4);
  check_close(std::get<0>(nn::AnyModule(gru).forward<std::tuple<Tensor, Tensor>>(x)), std::get<0>(gru->forward(x)),
              0, 0);
  nn::RNN rnn(3, 4);
  check_close(std::get<1>(nn::AnyModule(rnn).forward<std::tuple<Tensor, Tensor>>(x)), std::get<1>(rnn->forward(x)),
              0, 0);
  auto step = randn({2, 3});
  nn::LSTMCell lstm_cell(3, 4);
  check_close(std::get<1>(nn::AnyModule(lstm_cell).forward<std::tuple<Tensor, Tensor>>(step)),
              std::get<1>(lstm_cell->forward(step)), 0, 0);
  nn::GRUCell gru_cell(3, 4);
  check_close(nn::AnyModule(gru_cell).forward(step), gru_cell->forward(step), 0, 0);
  nn::RNNCell rnn_cell(3, 4);
  check_close(nn::Sequential(rnn_cell)->forward(step), rnn_cell->forward(step), 0, 0);
}

BOOST_AUTO_TEST_CASE(any_module_runs_forward_hooks_and_names_the_module) {
  nn::ReLU relu;
  int calls = 0;
  relu->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { ++calls; });
  nn::AnyModule any(relu);
  any.forward(ones({2}));
  BOOST_TEST(calls == 1);
  nn::AnyModule linear(nn::Linear(3, 2));
  const std::string msg = what_of([&] { linear.forward(ones({2, 5})); });
  BOOST_TEST(contains(msg, "Linear"), msg);
}

// ---- Sequential of non-Tensor modules -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sequential_chains_any_types) {
  // 1 -> 2 -> 4 -> 7.
  nn::Sequential seq(AddIntImpl(1), AddInt(2), std::make_shared<AddIntImpl>(3));
  BOOST_TEST(seq->forward<int>(1) == 7);
  BOOST_TEST(seq->size() == 3u);
  // A zero-argument first module.
  nn::Sequential from_nothing(FiveImpl{}, AddIntImpl(10));
  BOOST_TEST(from_nothing->forward<int>() == 15);
  // The wrong return type names both types, as LibTorch.
  const std::string msg = what_of([&] { seq->forward<float>(1); });
  BOOST_TEST(contains(msg, "The type of the return value is int, but you asked for type float"), msg);
  BOOST_CHECK_THROW(seq->forward<float>(1), TypeError);
  // AnyValue: the last result itself.
  BOOST_TEST(seq->forward<nn::AnyValue>(0).get<int>() == 6);
  // An argument of the wrong type for the first module.
  BOOST_CHECK_THROW(seq->forward<int>(ones({1})), TypeError);
  // Iteration over the modules, as AnyModules.
  int total = 0;
  for (auto& m : *seq) total += m.get<AddIntImpl>().step;
  BOOST_TEST(total == 6);
}

BOOST_AUTO_TEST_CASE(sequential_errors_contain_libtorch_text) {
  // LibTorch code matches these phrases by substring; xgrad's messages add the values.
  nn::Sequential seq(nn::Linear(2, 2), nn::ReLU(), nn::Linear(2, 1));
  std::string msg = what_of([&] { seq->ptr(4); });
  BOOST_TEST(contains(msg, "Index out of range"), msg);
  BOOST_TEST(contains(msg, "index 4 for a Sequential of 3 modules"), msg);
  BOOST_CHECK_THROW(seq->at<nn::LinearImpl>(3), IndexError);
  BOOST_TEST(contains(what_of([&] { seq[3]; }), "Index out of range"));
  nn::Sequential empty;
  msg = what_of([&] { empty->forward(ones({1})); });
  BOOST_TEST(contains(msg, "Cannot call forward() on an empty Sequential"), msg);
  BOOST_CHECK_THROW(empty->forward(ones({1})), ValueError);
  nn::ModuleList list{nn::ReLU()};
  BOOST_TEST(contains(what_of([&] { list->ptr(1); }), "Index out of range"));
  BOOST_TEST(contains(what_of([&] { list->insert(2, nn::ReLU()); }), "Index out of range"));
}

BOOST_AUTO_TEST_CASE(sequential_of_tensor_tuples_and_counts) {
  manual_seed(0);
  auto a = randn({2, 3}), b = randn({2, 3});
  // Two inputs, then a tuple in the middle, then an int64 at the end:
  // (a + b) -> (s, 2 s) -> s - 2 s = -s -> numel.
  nn::Sequential seq(AddImpl{}, SplitImpl{}, JoinImpl{});
  check_close(seq->forward(a, b), -(a + b), 1e-6, 1e-6);
  check_close(seq(a, b), -(a + b), 1e-6, 1e-6);  // the holder's call
  seq->push_back(nn::AnyModule(std::make_shared<CountImpl>()));
  BOOST_TEST(seq->forward<int64_t>(a, b) == 6);
  // The tuple itself as the result.
  nn::Sequential split(nn::Linear(3, 3), SplitImpl{});
  auto [x, x2] = split->forward<std::tuple<Tensor, Tensor>>(a);
  check_close(x2, x * 2, 0, 0);
  // forward() asks for a Tensor: here the result is a tuple.
  const std::string msg = what_of([&] { split->forward(a); });
  BOOST_TEST(contains(msg, "but you asked for type xgrad::Tensor"), msg);
}

BOOST_AUTO_TEST_CASE(sequential_of_modules_keeps_tensor_behaviour) {
  manual_seed(0);
  nn::Linear l1(10, 3), l2(3, 5);
  nn::Sequential seq(l1, nn::ReLU(), l2);
  auto x = randn({4, 10}, TensorOptions().requires_grad(true));
  auto y = seq->forward(x);
  check_close(y, l2(relu(l1(x))), 0, 0);
  y.sum().backward();
  BOOST_TEST(x.grad().defined());
  // Forward hooks of the children run when the Sequential calls them.
  int calls = 0;
  auto handle = l2->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { ++calls; });
  seq(x);
  seq->forward(x);
  BOOST_TEST(calls == 2);
  handle.remove();
  // Empty Sequential.
  nn::Sequential empty;
  BOOST_CHECK_THROW(empty->forward(x), ValueError);
  BOOST_CHECK_THROW(empty->forward<int>(), ValueError);
}

BOOST_AUTO_TEST_CASE(nested_and_named_sequentials_of_any_types) {
  nn::Sequential inner(AddIntImpl(1), AddIntImpl(2));
  nn::Sequential outer(inner, AddIntImpl(10));
  BOOST_TEST(outer->forward<int>(0) == 13);
  nn::Sequential named({{"add", AddImpl{}}, {"count", std::make_shared<CountImpl>()}});
  BOOST_TEST(named->forward<int64_t>(ones({2, 2}), ones({2, 2})) == 4);
  BOOST_TEST(named->named_children().keys() == (std::vector<std::string>{"add", "count"}),
             boost::test_tools::per_element());
  nn::Sequential extended(AddIntImpl(1));
  extended->extend(*inner);
  extended->extend(*extended);  // itself: each module appended once
  BOOST_TEST(extended->size() == 6u);
  BOOST_TEST(extended->forward<int>(0) == 8);
  // extend from a range of shared_ptrs and from a holder; push_back of an AnyModule by name.
  std::vector<std::shared_ptr<AddIntImpl>> more{std::make_shared<AddIntImpl>(100), std::make_shared<AddIntImpl>(200)};
  extended->extend(more);
  extended->extend(nn::Sequential(AddIntImpl(1000)));
  nn::AnyModule last(AddInt(5000));
  extended->push_back("last", last);
  BOOST_TEST(extended->size() == 10u);
  BOOST_TEST(extended->named_children().keys().back() == "last");
  BOOST_TEST(extended->named_children().size() == 10u);  // every registration, as LibTorch
  BOOST_TEST(extended->forward<int>(0) == 6308);
  // A nested Sequential of Tensor modules, called with one Tensor.
  nn::Sequential tensors{nn::Sequential(nn::ReLU(), nn::Sigmoid()), nn::Identity()};
  check_close(tensors->forward(zeros({3})), full({3}, 0.5), 0, 0);
  // A module without forward() cannot be put in a named Sequential (runtime check).
  BOOST_CHECK_THROW(nn::Sequential({{"none", NoForwardImpl{}}}), TypeError);
}

// One module pushed twice (unnamed, then named) is held and listed twice, as LibTorch's
// Sequential: size() and named_children() agree, and its forward runs it twice.
BOOST_AUTO_TEST_CASE(sequential_holds_a_module_pushed_twice) {
  nn::AnyModule add(AddInt(3));
  nn::Sequential seq;
  seq->push_back(add);
  seq->push_back("again", add);
  BOOST_TEST(seq->size() == 2u);
  BOOST_TEST(seq->named_children().keys() == (std::vector<std::string>{"0", "again"}), boost::test_tools::per_element());
  BOOST_CHECK(seq->named_children()[1].value().get() == seq->ptr(0).get());
  BOOST_TEST(seq->forward<int>(1) == 7);
  BOOST_TEST(seq->modules(false).size() == 1u);  // the recursive traversal visits it once
}

BOOST_AUTO_TEST_CASE(errors_inside_a_chain_name_the_module) {
  nn::Sequential seq(AddImpl{}, SplitImpl{}, AddIntImpl(1));
  const std::string msg = what_of([&] { seq->forward<int>(ones({1}), ones({1})); });
  // AddInt receives SplitImpl's tuple.
  BOOST_TEST(contains(msg, "AddInt.forward: argument 0 must be a int"), msg);
  BOOST_TEST(contains(msg, "Sequential"), msg);
}
