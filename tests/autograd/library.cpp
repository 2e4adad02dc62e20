// Custom operators (TORCH_LIBRARY, the Dispatcher) and the autograd-not-implemented fallbacks:
// schema parsing against tests/reference/custom_ops.py (PyTorch 1.13's parser), typed calls
// whose results equal the kernel called directly, the fallback's graph (a NotImplemented node
// whose backward throws, edges to the inputs that require grad, none when nothing does),
// in-place and view annotations, RAII deregistration, and the errors for misuse.
#define BOOST_TEST_MODULE library
#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <string>
#include <tuple>
#include <vector>

// A program that only says `using namespace xgrad::autograd;` finds callOpUnboxed by
// argument-dependent lookup, as LibTorch's tests do (they include ATen's test helpers).
namespace adl_check {
using namespace xgrad::autograd;
inline xgrad::Tensor call_two(const xgrad::OperatorHandle& h, const xgrad::Tensor& a, const xgrad::Tensor& b) {
  return callOpUnboxed<xgrad::Tensor, const xgrad::Tensor&, const xgrad::Tensor&>(h, a, b);
}
}  // namespace adl_check

using namespace xgrad;
using xgrad::testing::check_values;
using xgrad::testing::contains;
using xgrad::testing::expect_error;
using xgrad::testing::what_of;

namespace {

Tensor my_add(const Tensor& self, const Tensor& other) { return self + other; }
Tensor my_mul(const Tensor& self, const Tensor& other) { return self * other; }
int64_t ret_int(const Tensor& /*self*/, const Tensor& /*other*/) { return 12; }
std::tuple<Tensor, Tensor, int64_t> ret_tuple(const Tensor& self, const Tensor& other) {
  return {self - other, self + other, 12};
}
std::vector<Tensor> ret_vector(const Tensor& self, const Tensor& other) { return {self + other, self - other}; }
Tensor opt_op(const Tensor& self, const optional<Tensor>& other) {
  return other.has_value() ? self + *other : self.clone();
}
Tensor tensorlist_op(const Tensor& self, TensorList others) {
  Tensor r = self.clone();
  for (const auto& t : others) r.add_(t);
  return r;
}
Tensor inplace_op(const Tensor& self, const Tensor& other) { return self.add_(other); }
Tensor& inplace_ref(Tensor& self, const Tensor& other) { return self.mul_(other); }
std::tuple<Tensor, Tensor> two_inplace(const Tensor& self, const Tensor& other) {
  other.add_(self);
  self.add_(other);
  return {self, other};
}
Tensor view_op(const Tensor& self, const Tensor& /*other*/) { return self.alias(); }
std::vector<Tensor> view_vector(const Tensor& self, const Tensor& /*other*/) { return {self.alias(), self.alias()}; }
std::tuple<Tensor, Tensor> two_views(const Tensor& self, const Tensor& other) { return {self.alias(), other.alias()}; }
std::tuple<Tensor, Tensor> second_view(const Tensor& self, const Tensor& other) { return {self.clone(), other.alias()}; }
Tensor fake_view(const Tensor& self, const Tensor& /*other*/) { return self.clone(); }
Tensor returns_input(const Tensor& self, const Tensor& /*other*/) { return self; }
Tensor returns_twice(const Tensor& self) { return self * 2; }
// Every supported argument type, through the boxed path: self * s summed over `dims` when
// `flag`, plus eps, plus k (or 0), times the length of `mode`.
Tensor many_types(const Tensor& self, const Scalar& s, IntArrayRef dims, bool flag, const std::string& mode,
                  double eps, optional<int64_t> k) {
  Tensor r = self * s;
  if (flag) r = r.sum(dims);
  return (r + eps + static_cast<double>(k.value_or(0))) * static_cast<double>(mode.size());
}

// The registration LibTorch's tests make: schema, CPU kernel, both fallbacks.
struct TestOp {
  Library def;
  Library cpu;
  Library autograd;
  Library inplace_or_view;
  OperatorHandle handle;
  // `fragment`: define in a TORCH_LIBRARY_FRAGMENT library, beside another TestOp's DEF one.
  TestOp(const std::string& name, const std::string& schema, CppFunction kernel, bool fragment = false)
      : def(fragment ? Library(Library::FRAGMENT, "_test", nullopt, __FILE__, __LINE__) : MAKE_TORCH_LIBRARY(_test)),
        cpu(MAKE_TORCH_LIBRARY_IMPL(_test, CPU)),
        autograd(MAKE_TORCH_LIBRARY_IMPL(_test, Autograd)),
        inplace_or_view(MAKE_TORCH_LIBRARY_IMPL(_test, ADInplaceOrView)),
        handle(register_all(name, schema, std::move(kernel))) {}

 private:
  OperatorHandle register_all(const std::string& name, const std::string& schema, CppFunction kernel) {
    def.def(schema);
    cpu.impl(name, DispatchKey::CPU, std::move(kernel));
    autograd.impl(name, DispatchKey::Autograd, autograd::autogradNotImplementedFallback());
    inplace_or_view.impl(name, DispatchKey::ADInplaceOrView, autograd::autogradNotImplementedInplaceOrViewFallback());
    return Dispatcher::singleton().findSchemaOrThrow(("_test::" + name).c_str(), "");
  }
};

Tensor one(double v, bool requires_grad = false) { return tensor({v}).set_requires_grad(requires_grad); }

}  // namespace

// A registration at static initialisation, as users write it.
TORCH_LIBRARY(xgrad_static_ops, m) { m.def("xgrad_static_ops::mul(Tensor self, Tensor other) -> Tensor"); }
TORCH_LIBRARY_IMPL(xgrad_static_ops, CPU, m) { m.impl("mul", TORCH_FN(my_mul)); }
TORCH_LIBRARY_FRAGMENT(xgrad_static_ops, m) {
  m.def("xgrad_static_ops::neg(Tensor self) -> Tensor");
  m.impl("neg", kCPU, [](const Tensor& x) { return -x; });
  m.def("xgrad_static_ops::twice(Tensor self) -> Tensor");
  m.impl("twice", dispatch(DispatchKey::CPU, TORCH_FN(returns_twice)));
}

// ---- schemas ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(schema_parsing_matches_pytorch) {
  // Expected values: tests/reference/custom_ops.py.
  auto s = parse_schema("_test::two_arg_inplace_op(Tensor(a!) self, Tensor(b!) other) -> (Tensor(a!), Tensor(b!))");
  BOOST_TEST(s.name == "_test::two_arg_inplace_op");
  BOOST_TEST(s.overload_name == "");
  BOOST_REQUIRE(s.arguments.size() == 2u);
  BOOST_TEST(s.arguments[0].name == "self");
  BOOST_TEST(s.arguments[0].type == "Tensor");
  BOOST_REQUIRE(s.arguments[0].alias_info() != nullptr);
  BOOST_TEST(s.arguments[0].alias_info()->set == "a");
  BOOST_TEST(s.arguments[0].alias_info()->isWrite());
  BOOST_TEST(s.arguments[1].alias_info()->set == "b");
  BOOST_REQUIRE(s.returns.size() == 2u);
  BOOST_TEST(s.returns[1].alias_info()->set == "b");
  BOOST_TEST(s.returns[1].alias_info()->isWrite());
  BOOST_TEST(s.str() == "_test::two_arg_inplace_op(Tensor(a!) self, Tensor(b!) other) -> (Tensor(a!), Tensor(b!))");

  s = parse_schema("_test::opt_op(Tensor self, Tensor? other) -> Tensor");
  BOOST_TEST(s.arguments[1].type == "Tensor?");
  BOOST_TEST(s.arguments[1].alias_info() == nullptr);
  BOOST_REQUIRE(s.returns.size() == 1u);
  BOOST_TEST(s.returns[0].type == "Tensor");
  BOOST_TEST(s.str() == "_test::opt_op(Tensor self, Tensor? other) -> Tensor");

  s = parse_schema("_test::ret_tuple_non_tensor(Tensor self, Tensor other) -> (Tensor, Tensor, int)");
  BOOST_REQUIRE(s.returns.size() == 3u);
  BOOST_TEST(s.returns[2].type == "int");

  s = parse_schema("_test::ret_tensor_vector_view(Tensor(a) self, Tensor other) -> Tensor[](a)");
  BOOST_TEST(!s.arguments[0].alias_info()->isWrite());
  BOOST_TEST(s.returns[0].type == "Tensor[]");
  BOOST_TEST(s.returns[0].alias_info()->set == "a");
  BOOST_TEST(!s.returns[0].alias_info()->isWrite());
  // LibTorch's own spelling of the same, alias before the brackets.
  BOOST_TEST(parse_schema("_test::v(Tensor(a) self) -> Tensor(a)[]").returns[0].type == "Tensor[]");

  s = parse_schema("_test::tensorlist_op(Tensor self, Tensor[] other) -> Tensor");
  BOOST_TEST(s.arguments[1].type == "Tensor[]");
  BOOST_TEST(s.arguments[1].is_tensor_list());

  s = parse_schema(
      "myops::f.out(Tensor self, *, Scalar alpha=1, int[2] size=[1, 2], bool keepdim=False, str mode=\"mean\", "
      "SymInt n=3, Tensor? w=None, int? k=None) -> (Tensor values, Tensor indices)");
  BOOST_TEST(s.name == "myops::f");
  BOOST_TEST(s.overload_name == "out");
  BOOST_TEST(s.full_name() == "myops::f.out");
  const std::vector<std::tuple<std::string, std::string, std::string>> want{
      {"self", "Tensor", "-"},     {"alpha", "Scalar", "1"}, {"size", "int[]", "[1, 2]"}, {"keepdim", "bool", "False"},
      {"mode", "str", "\"mean\""}, {"n", "int", "3"},        {"w", "Tensor?", "None"},    {"k", "int?", "None"}};
  BOOST_REQUIRE(s.arguments.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    BOOST_TEST_INFO("argument " << i);
    BOOST_TEST(s.arguments[i].name == std::get<0>(want[i]));
    BOOST_TEST(s.arguments[i].type == std::get<1>(want[i]));
    BOOST_TEST(s.arguments[i].default_value.value_or("-") == std::get<2>(want[i]));
    BOOST_TEST(s.arguments[i].kwarg_only == (i > 0));
  }
  BOOST_TEST(s.returns[0].name == "values");
  BOOST_TEST(s.returns[1].name == "indices");

  s = parse_schema("a::b() -> ()");
  BOOST_TEST(s.arguments.empty());
  BOOST_TEST(s.returns.empty());
  BOOST_TEST(s.str() == "a::b() -> ()");
  s = parse_schema("a::c(Tensor x) -> Tensor[]");
  BOOST_TEST(s.returns[0].type == "Tensor[]");
  // A bare name (for def(name, fn)).
  s = parse_schema("a::d.overload");
  BOOST_TEST(s.full_name() == "a::d.overload");
}

BOOST_AUTO_TEST_CASE(bad_schemas_name_the_position) {
  // PyTorch rejects each of these too (tests/reference/custom_ops.py).
  expect_error<ValueError>([] { parse_schema("_test::f(Tensor self, Tensor other -> Tensor"); },
                           {"parse_schema", "expected ',' or ')' in the arguments", "position 35"});
  expect_error<ValueError>([] { parse_schema("_test::f(Tensr self) -> Tensor"); },
                           {"unknown type 'Tensr'", "position 9"});
  expect_error<ValueError>([] { parse_schema("_test::f(Tensor self) Tensor"); }, {"expected '->'", "position 22"});
  expect_error<ValueError>([] { parse_schema("_test::f(Tensor(a self) -> Tensor"); }, {"expected ')'", "position 18"});
  expect_error<ValueError>([] { parse_schema("_test::f(Tensor self, int self) -> Tensor"); },
                           {"argument name 'self' appears twice"});
  expect_error<ValueError>([] { parse_schema("_test::f(Tensor) -> Tensor"); }, {"expected an argument name"});
}

// ---- registration and calls ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(static_registration_and_typed_call) {
  auto op = Dispatcher::singleton().findSchemaOrThrow("xgrad_static_ops::mul", "");
  BOOST_TEST(op.schema().str() == "xgrad_static_ops::mul(Tensor self, Tensor other) -> Tensor");
  auto a = tensor({1.5, -2.0});
  auto b = tensor({2.0, 4.0});
  auto typed = op.typed<Tensor(const Tensor&, const Tensor&)>();
  check_values(typed.call(a, b), {3.0, -8.0});
  check_values(adl_check::call_two(op, a, b), {3.0, -8.0});
  // A fragment's definitions, with kernels given by device and by torch::dispatch.
  auto neg = Dispatcher::singleton().findSchemaOrThrow("xgrad_static_ops::neg", "");
  check_values(callOpUnboxed<Tensor, const Tensor&>(neg, a), {-1.5, 2.0});
  auto twice = Dispatcher::singleton().findSchemaOrThrow("xgrad_static_ops::twice", "");
  check_values(callOpUnboxed<Tensor, const Tensor&>(twice, a), {3.0, -4.0});
  const auto names = Dispatcher::singleton().operator_names();
  BOOST_TEST(std::count(names.begin(), names.end(), "xgrad_static_ops::neg") == 1);
}

BOOST_AUTO_TEST_CASE(cpu_kernel_without_autograd_kernel_records_its_own_ops) {
  // With no Autograd kernel the CPU kernel runs with grad mode as it is (LibTorch 1.13's
  // autograd fallthrough): its ops are recorded and differentiate as usual.
  auto lib = MAKE_TORCH_LIBRARY(_test);
  lib.def("_test::plain(Tensor self, Tensor other) -> Tensor");
  auto cpu = MAKE_TORCH_LIBRARY_IMPL(_test, CPU);
  cpu.impl("plain", TORCH_FN(my_mul));
  auto op = Dispatcher::singleton().findSchemaOrThrow("_test::plain", "");
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto w = tensor({3.0, -1.0});
  auto y = callOpUnboxed<Tensor, const Tensor&, const Tensor&>(op, x, w);
  BOOST_REQUIRE(y.grad_fn() != nullptr);
  BOOST_TEST(y.grad_fn()->name() == "MulBackward0");
  y.sum().backward();
  check_values(x.grad(), {3.0, -1.0});
}

BOOST_AUTO_TEST_CASE(def_with_function_is_composite_and_infers_schema) {
  auto lib = MAKE_TORCH_LIBRARY(_test);
  lib.def("_test::composite(Tensor self, Tensor other) -> Tensor", [](const Tensor& a, const Tensor& b) {
    return a * b + a;
  });
  lib.def("inferred", TORCH_FN(ret_tuple));
  auto op = Dispatcher::singleton().findSchemaOrThrow("_test::composite", "");
  auto x = tensor({2.0, -1.0}).requires_grad_();
  auto w = tensor({0.5, 3.0});
  auto y = op.typed<Tensor(const Tensor&, const Tensor&)>().call(x, w);
  check_values(y, {3.0, -4.0});
  BOOST_TEST(y.grad_fn()->name() == "AddBackward0");
  y.sum().backward();
  check_values(x.grad(), {1.5, 4.0});  // d(x*w + x)/dx = w + 1

  auto inferred = Dispatcher::singleton().findSchemaOrThrow("_test::inferred", "");
  BOOST_TEST(inferred.schema().str() == "_test::inferred(Tensor _0, Tensor _1) -> (Tensor, Tensor, int)");
  auto [d, s, n] = callOpUnboxed<std::tuple<Tensor, Tensor, int64_t>, const Tensor&, const Tensor&>(inferred, w, w);
  check_values(d, {0.0, 0.0});
  check_values(s, {1.0, 6.0});
  BOOST_TEST(n == 12);
}

BOOST_AUTO_TEST_CASE(library_destruction_removes_registrations) {
  {
    auto lib = MAKE_TORCH_LIBRARY(_test);
    lib.def("_test::scoped(Tensor self, Tensor other) -> Tensor");
    BOOST_TEST(Dispatcher::singleton().findSchema("_test::scoped", "").has_value());
  }
  BOOST_TEST(!Dispatcher::singleton().findSchema("_test::scoped", "").has_value());
  expect_error<ValueError>([] { Dispatcher::singleton().findSchemaOrThrow("_test::scoped", ""); },
                           {"Could not find schema for _test::scoped"});

  // A handle outliving its definition fails cleanly; kernels go with their library and an
  // overriding kernel's removal brings back the one before.
  auto lib = MAKE_TORCH_LIBRARY(_test);
  lib.def("_test::k(Tensor self, Tensor other) -> Tensor");
  auto cpu = MAKE_TORCH_LIBRARY_IMPL(_test, CPU);
  cpu.impl("k", TORCH_FN(my_add));
  auto op = Dispatcher::singleton().findSchemaOrThrow("_test::k", "");
  auto a = tensor({2.0});
  auto b = tensor({5.0});
  auto call = [&] { return callOpUnboxed<Tensor, const Tensor&, const Tensor&>(op, a, b); };
  check_values(call(), {7.0});
  {
    auto cpu2 = MAKE_TORCH_LIBRARY_IMPL(_test, CPU);
    cpu2.impl("k", TORCH_FN(my_mul));
    check_values(call(), {10.0});
  }
  check_values(call(), {7.0});
  {
    Library moved = std::move(cpu);  // ownership moves with the object
  }
  expect_error<ValueError>(call, {"_test::k", "no CPU kernel registered", "TORCH_LIBRARY_IMPL(_test, CPU, m)"});
  auto typed = op.typed<Tensor(const Tensor&, const Tensor&)>();
  lib = MAKE_TORCH_LIBRARY(xgrad_other_ns);  // the old library is destroyed by the assignment
  expect_error<ValueError>([&] { typed.call(a, b); }, {"_test::k", "has no schema"});
  // The namespace is free again.
  auto again = MAKE_TORCH_LIBRARY(_test);
  again.def("_test::k(Tensor self) -> Tensor");
  BOOST_TEST(Dispatcher::singleton().findSchemaOrThrow("_test::k", "").schema().arguments.size() == 1u);
}

BOOST_AUTO_TEST_CASE(registration_errors) {
  auto lib = MAKE_TORCH_LIBRARY(_test);
  lib.def("_test::e(Tensor self, Tensor other) -> Tensor");
  expect_error<ValueError>([&] { lib.def("_test::e(Tensor self, Tensor other) -> Tensor"); },
                           {"_test::e", "same name and overload name"});
  expect_error<ValueError>([] { auto second = MAKE_TORCH_LIBRARY(_test); },
                           {"Only a single TORCH_LIBRARY", "_test", "TORCH_LIBRARY_FRAGMENT"});
  expect_error<ValueError>([&] { lib.def("other::e(Tensor self) -> Tensor"); },
                           {"namespace (other)", "does not match", "(_test)"});
  expect_error<ValueError>([&] { lib.def("_test::bad(Tensor self -> Tensor"); }, {"parse_schema", "position"});
  auto cpu = MAKE_TORCH_LIBRARY_IMPL(_test, CPU);
  expect_error<ValueError>([&] { cpu.def("_test::f(Tensor self) -> Tensor"); }, {"not allowed in a TORCH_LIBRARY_IMPL"});
  expect_error<ValueError>([&] { cpu.impl("e", DispatchKey::Autograd, TORCH_FN(my_add)); },
                           {"dispatch key (Autograd)", "inconsistent", "(CPU"});
  // A kernel whose C++ types do not match the schema.
  expect_error<TypeError>([&] { cpu.impl("e", TORCH_FN(opt_op)); },
                          {"CPU kernel of _test::e", "takes (Tensor, Tensor?)", "says (Tensor, Tensor)"});
  expect_error<TypeError>([&] { cpu.impl("e", TORCH_FN(ret_int)); }, {"returns (int)", "-> (Tensor)"});
  // A kernel registered before its schema is checked when the schema comes.
  cpu.impl("later", TORCH_FN(ret_int));
  expect_error<TypeError>([&] { lib.def("_test::later(Tensor self, Tensor other) -> Tensor"); }, {"_test::later"});
  // A typed call with the wrong C++ signature: caught before any kernel is called.
  cpu.impl("e", TORCH_FN(my_add));
  auto op = Dispatcher::singleton().findSchemaOrThrow("_test::e", "");
  expect_error<TypeError>([&] { op.typed<Tensor(const Tensor&, int64_t)>(); },
                          {"wrong signature", "_test::e", "takes (Tensor, int)"});
  expect_error<TypeError>([&] { callOpUnboxed<int64_t, const Tensor&, const Tensor&>(op, one(1), one(2)); },
                          {"wrong signature", "returns (int)"});
  // Same schema types, other C++ spelling (by value): allowed, through the boxed path.
  check_values(callOpUnboxed<Tensor, Tensor, Tensor>(op, one(1), one(2)), {3.0});
}

// ---- the autograd fallback ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(out_of_place_op_gets_a_not_implemented_node) {
  TestOp t("my_custom_op", "_test::my_custom_op(Tensor self, Tensor other) -> Tensor", TORCH_FN(my_add));
  auto op = [&](const Tensor& a, const Tensor& b) {
    return callOpUnboxed<Tensor, const Tensor&, const Tensor&>(t.handle, a, b);
  };
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({0.5, -3.0});
  auto out = op(a, b);
  check_values(out, {1.5, -1.0});
  BOOST_REQUIRE(out.grad_fn() != nullptr);
  // Not AddBackward0: the kernel ran below autograd.
  BOOST_TEST(out.grad_fn()->name() == "NotImplemented");
  BOOST_REQUIRE(out.grad_fn()->num_outputs() == 1u);  // one edge: only a requires grad
  BOOST_TEST(out.grad_fn()->next_edge(0).function->name() == "AccumulateGrad");
  expect_error<AutogradError>([&] { out.sum().backward(); },
                              {"_test::my_custom_op", "derivative for _test::my_custom_op is not implemented"});

  auto b2 = tensor({1.0, 1.0}).requires_grad_();
  BOOST_TEST(op(a, b2).grad_fn()->num_outputs() == 2u);

  // Nothing requires grad, or grad mode off: no node.
  auto c = tensor({1.0, 1.0});
  auto out2 = op(b, c);
  BOOST_TEST(out2.grad_fn() == nullptr);
  BOOST_TEST(!out2.requires_grad());
  expect_error<AutogradError>([&] { out2.sum().backward(); },
                              {"element 0 of tensors does not require grad and does not have a grad_fn"});
  {
    NoGradGuard no_grad;
    BOOST_TEST(op(a, b).grad_fn() == nullptr);
  }
}

BOOST_AUTO_TEST_CASE(non_tensor_and_multiple_returns) {
  {
    TestOp t("ret_int", "_test::ret_int(Tensor self, Tensor other) -> int", TORCH_FN(ret_int));
    BOOST_TEST((callOpUnboxed<int64_t, const Tensor&, const Tensor&>(t.handle, one(1, true), one(1))) == 12);
  }
  {
    TestOp t("ret_tuple", "_test::ret_tuple(Tensor self, Tensor other) -> (Tensor, Tensor, int)", TORCH_FN(ret_tuple));
    auto a = one(3, true);
    auto [d, s, n] = callOpUnboxed<std::tuple<Tensor, Tensor, int64_t>, const Tensor&, const Tensor&>(t.handle, a,
                                                                                                         one(1));
    check_values(d, {2.0});
    check_values(s, {4.0});
    BOOST_TEST(n == 12);
    BOOST_REQUIRE(d.grad_fn() != nullptr);
    BOOST_TEST(d.grad_fn() == s.grad_fn());  // one node, two outputs
    BOOST_TEST(d.output_nr() == 0u);
    BOOST_TEST(s.output_nr() == 1u);
    BOOST_TEST(d.grad_fn()->num_inputs() == 2u);
    expect_error<AutogradError>([&] { s.backward(); }, {"is not implemented"});
  }
  {
    TestOp t("ret_vector", "_test::ret_vector(Tensor self, Tensor other) -> Tensor[]", TORCH_FN(ret_vector));
    auto v = callOpUnboxed<std::vector<Tensor>, const Tensor&, const Tensor&>(t.handle, one(3, true), one(1));
    BOOST_REQUIRE(v.size() == 2u);
    check_values(v[0], {4.0});
    check_values(v[1], {2.0});
    BOOST_TEST(v[1].output_nr() == 1u);
    BOOST_TEST(v[1].grad_fn()->name() == "NotImplemented");
    auto w = callOpUnboxed<std::vector<Tensor>, const Tensor&, const Tensor&>(t.handle, one(3), one(1));
    BOOST_TEST(w[0].grad_fn() == nullptr);
  }
}

BOOST_AUTO_TEST_CASE(optional_and_list_arguments) {
  {
    TestOp t("opt_op", "_test::opt_op(Tensor self, Tensor? other) -> Tensor", TORCH_FN(opt_op));
    auto op = [&](const Tensor& a, const optional<Tensor>& b) {
      return callOpUnboxed<Tensor, const Tensor&, const optional<Tensor>&>(t.handle, a, b);
    };
    auto a = tensor({1.0, 2.0});
    auto b = tensor({10.0, 20.0}).requires_grad_();
    check_values(op(a, b), {11.0, 22.0});
    BOOST_TEST(op(a, b).grad_fn()->name() == "NotImplemented");  // the optional input requires grad
    check_values(op(a, nullopt), {1.0, 2.0});
    BOOST_TEST(op(a, nullopt).grad_fn() == nullptr);
  }
  {
    TestOp t("tensorlist_op", "_test::tensorlist_op(Tensor self, Tensor[] other) -> Tensor", TORCH_FN(tensorlist_op));
    auto a = one(1);
    auto b = one(2);
    auto c = one(4, true);
    std::vector<Tensor> vec{b, c};
    auto out = callOpUnboxed<Tensor, const Tensor&, TensorList>(t.handle, a, vec);
    check_values(out, {7.0});
    expect_error<AutogradError>([&] { autograd::grad({out}, {vec[0]}); },
                                {"One of the differentiated Tensors does not require grad"});
    expect_error<AutogradError>([&] { autograd::grad({out}, {vec[1]}); }, {"is not implemented"});
  }
}

BOOST_AUTO_TEST_CASE(inplace_ops_are_checked_and_recorded) {
  TestOp t("inplace_op", "_test::inplace_op(Tensor(a!) self, Tensor other) -> Tensor(a!)", TORCH_FN(inplace_op));
  auto op = [&](const Tensor& a, const Tensor& b) {
    return callOpUnboxed<Tensor, const Tensor&, const Tensor&>(t.handle, a, b);
  };
  auto a = one(1, true);
  auto b = one(2);
  expect_error<AutogradError>([&] { op(a, b); },
                              {"_test::inplace_op", "a leaf Variable that requires grad is being used in an in-place"});
  check_values(a, {1.0});  // refused before the kernel ran

  // Writing into a tensor that does not require grad from one that does: recorded.
  auto r = op(b, a);
  check_values(b, {3.0});
  BOOST_TEST(r.is_same(b));
  BOOST_REQUIRE(b.grad_fn() != nullptr);
  BOOST_TEST(b.grad_fn()->name() == "NotImplemented");

  // A non-leaf: its version moves on and its history is the node's.
  auto c = a.clone();
  const auto v0 = c._version();
  auto r2 = op(c, one(5));
  check_values(c, {6.0});
  BOOST_TEST(r2.is_same(c));
  BOOST_TEST(c._version() == v0 + 1);  // one write, counted once (as LibTorch's fallbacks)
  BOOST_TEST(c.grad_fn()->name() == "NotImplemented");
  BOOST_TEST(c.grad_fn()->next_edge(0).function->name() == "CloneBackward0");

  // A view made in no_grad mode, written with grad mode on.
  auto base = one(1, true).clone();
  Tensor v_nograd;
  {
    NoGradGuard no_grad;
    v_nograd = base.view(-1);
    op(v_nograd, one(1));  // fine with grad mode off
  }
  expect_error<AutogradError>([&] { op(v_nograd, one(1)); }, {"view was created in no_grad mode"});
  // A view of a tensor that requires grad: recorded in its base's history (CopySlices), and the
  // view's own grad_fn is remade from it, as LibTorch's.
  auto view = base.view(-1);
  auto written = op(view, one(1));
  BOOST_TEST(written.unsafeGetTensorImpl() == view.unsafeGetTensorImpl());
  BOOST_TEST(written.grad_fn()->name().find("AsStridedBackward") != std::string::npos);
  BOOST_TEST(base.grad_fn()->name() == "CopySlices");

  // Nothing requires grad: no node, the version still moves.
  auto d = one(1);
  const auto vd = d._version();
  op(d, one(1));
  BOOST_TEST(d.grad_fn() == nullptr);
  BOOST_TEST(d._version() == vd + 1);
}

BOOST_AUTO_TEST_CASE(inplace_kernel_returning_a_reference) {
  // LibTorch's in-place kernels take and return Tensor&: the typed call returns a reference to
  // the argument, through the boxed path (fallbacks) and the direct one (CPU kernel only).
  TestOp t("inplace_ref", "_test::inplace_ref(Tensor(a!) self, Tensor other) -> Tensor(a!)", TORCH_FN(inplace_ref));
  auto typed = t.handle.typed<Tensor&(Tensor&, const Tensor&)>();
  auto c = tensor({1.0, 2.0}).requires_grad_().clone();
  Tensor& r = typed.call(c, tensor({3.0, 4.0}));
  BOOST_TEST(&r == &c);
  check_values(c, {3.0, 8.0});
  BOOST_TEST(c.grad_fn()->name() == "NotImplemented");

  auto lib = Library(Library::FRAGMENT, "_test", nullopt, __FILE__, __LINE__);
  lib.def("_test::inplace_ref2(Tensor(a!) self, Tensor other) -> Tensor(a!)");
  auto cpu = MAKE_TORCH_LIBRARY_IMPL(_test, CPU);
  cpu.impl("inplace_ref2", TORCH_FN(inplace_ref));
  auto d = tensor({2.0});
  Tensor& r2 = Dispatcher::singleton()
                   .findSchemaOrThrow("_test::inplace_ref2", "")
                   .typed<Tensor&(Tensor&, const Tensor&)>()
                   .call(d, tensor({5.0}));
  BOOST_TEST(&r2 == &d);
  check_values(d, {10.0});
}

BOOST_AUTO_TEST_CASE(two_written_arguments) {
  TestOp t("two_inplace",
           "_test::two_inplace(Tensor(a!) self, Tensor(b!) other) -> (Tensor(a!), Tensor(b!))", TORCH_FN(two_inplace));
  auto op = [&](const Tensor& a, const Tensor& b) {
    return callOpUnboxed<std::tuple<Tensor, Tensor>, const Tensor&, const Tensor&>(t.handle, a, b);
  };
  auto leaf = one(1, true);
  expect_error<AutogradError>([&] { op(leaf, one(1)); }, {"a leaf Variable that requires grad"});
  expect_error<AutogradError>([&] { op(one(1), leaf); }, {"a leaf Variable that requires grad"});
  auto c = one(1, true).clone();
  auto d = one(2, true).clone();
  const auto vc = c._version(), vd = d._version();
  auto [x, y] = op(c, d);
  check_values(d, {3.0});  // other += self
  check_values(c, {4.0});  // self += other
  BOOST_TEST(c._version() == vc + 1);
  BOOST_TEST(d._version() == vd + 1);
  BOOST_TEST(x.is_same(c));
  BOOST_TEST(y.is_same(d));
  BOOST_TEST(c.grad_fn() == d.grad_fn());
  BOOST_TEST(c.output_nr() == 0u);
  BOOST_TEST(d.output_nr() == 1u);
  BOOST_TEST(c.grad_fn()->num_outputs() == 2u);  // edges to both old histories
}

BOOST_AUTO_TEST_CASE(view_outputs) {
  {
    TestOp t("view_op", "_test::view_op(Tensor(a) self, Tensor other) -> Tensor(a)", TORCH_FN(view_op));
    auto op = [&](const Tensor& a, const Tensor& b) {
      return callOpUnboxed<Tensor, const Tensor&, const Tensor&>(t.handle, a, b);
    };
    auto a = tensor({1.0, 2.0});
    auto out = op(a, one(2));
    BOOST_TEST(out.is_alias_of(a));
    BOOST_TEST(!out.is_same(a));
    BOOST_TEST((out.is_view() && out._base().is_same(a)));
    BOOST_TEST(out.grad_fn() == nullptr);
    auto r = tensor({1.0, 2.0}).requires_grad_();
    auto out2 = op(r, one(2));
    BOOST_TEST(out2.is_alias_of(r));
    BOOST_TEST(out2.grad_fn()->name() == "NotImplemented");
    BOOST_TEST(out2.requires_grad());
    // With grad mode off the output is a view made in no_grad mode, as any view op's: it
    // reports requires_grad (its base does) but has no history, and writing into it with grad
    // mode on is refused.
    Tensor out3;
    {
      NoGradGuard no_grad;
      out3 = op(r, one(2));
    }
    BOOST_TEST(out3.is_alias_of(r));
    BOOST_TEST(out3.grad_fn() == nullptr);
    BOOST_TEST(out3.requires_grad());
    expect_error<AutogradError>([&] { out3.add_(1); }, {"view was created in no_grad mode"});
    // Autograd cannot replay the operator's view on a changed base: writing into the view, or
    // remaking its grad_fn after its base was written, is refused (LibTorch's message).
    auto b1 = tensor({1.0, 2.0}).requires_grad_().clone();
    auto v1 = op(b1, one(2));
    const auto t1 = tensor({1.0, 1.0}).requires_grad_();
    const std::string forbidden = "Mutating the view _test::view_op which does not have a derivative implemented is forbidden";
    expect_error<AutogradError>([&] { v1.add_(t1); }, {forbidden});
    b1.add_(t1);  // the base knows nothing of the operator's view
    expect_error<AutogradError>([&] { (void)v1.grad_fn(); }, {forbidden});
  }
  {
    TestOp t("view_vector", "_test::view_vector(Tensor(a) self, Tensor other) -> Tensor[](a)", TORCH_FN(view_vector));
    auto a = one(1);
    auto out = callOpUnboxed<std::vector<Tensor>, const Tensor&, const Tensor&>(t.handle, a, one(1));
    BOOST_REQUIRE(out.size() == 2u);
    for (const auto& o : out) {
      BOOST_TEST(o.is_alias_of(a));
      BOOST_TEST((o.is_view() && o._base().is_same(a)));
    }
  }
  {
    TestOp t("two_views", "_test::two_views(Tensor(a) self, Tensor(b) other) -> (Tensor(a), Tensor(b))",
             TORCH_FN(two_views));
    expect_error<AutogradError>(
        [&] { callOpUnboxed<std::tuple<Tensor, Tensor>, const Tensor&, const Tensor&>(t.handle, one(1, true), one(1)); },
        {"Expected only a single output in the operator schema to have a non-write alias annotation"});
  }
  {
    TestOp t("second_view", "_test::second_view(Tensor self, Tensor(b) other) -> (Tensor, Tensor(b))",
             TORCH_FN(second_view));
    expect_error<AutogradError>(
        [&] { callOpUnboxed<std::tuple<Tensor, Tensor>, const Tensor&, const Tensor&>(t.handle, one(1, true), one(1)); },
        {"can only create view relationships between the first"});
  }
  {
    TestOp t("fake_view", "_test::fake_view(Tensor(a) self, Tensor other) -> Tensor(a)", TORCH_FN(fake_view));
    expect_error<AutogradError>(
        [&] { callOpUnboxed<Tensor, const Tensor&, const Tensor&>(t.handle, one(1), one(1)); },
        {"_test::fake_view", "does not share its memory"});
  }
  {
    TestOp t("returns_input", "_test::returns_input(Tensor self, Tensor other) -> Tensor", TORCH_FN(returns_input));
    auto a = one(1, true).clone();
    expect_error<AutogradError>([&] { callOpUnboxed<Tensor, const Tensor&, const Tensor&>(t.handle, a, one(1)); },
                                {"_test::returns_input", "returned one of its arguments itself"});
  }
}

BOOST_AUTO_TEST_CASE(custom_op_called_inside_a_kernel_runs_below_autograd) {
  TestOp inner("inner", "_test::inner(Tensor self, Tensor other) -> Tensor", TORCH_FN(my_add));
  static bool inner_had_grad_fn = true;
  static OperatorHandle* inner_handle = nullptr;
  inner_handle = &inner.handle;
  auto outer_kernel = [](const Tensor& a, const Tensor& b) {
    Tensor r = callOpUnboxed<Tensor, const Tensor&, const Tensor&>(*inner_handle, a, b);
    inner_had_grad_fn = r.grad_fn() != nullptr;
    return r * 2;
  };
  TestOp outer("outer", "_test::outer(Tensor self, Tensor other) -> Tensor", outer_kernel, /*fragment=*/true);
  auto out = callOpUnboxed<Tensor, const Tensor&, const Tensor&>(outer.handle, one(1, true), one(2));
  check_values(out, {6.0});
  BOOST_TEST(!inner_had_grad_fn);
  BOOST_TEST(out.grad_fn()->name() == "NotImplemented");
  BOOST_TEST(out.grad_fn()->next_edge(0).function->name() == "AccumulateGrad");
}

BOOST_AUTO_TEST_CASE(every_argument_type_through_the_boxed_path) {
  TestOp t("many_types",
           "_test::many_types(Tensor self, Scalar s, int[] dims, bool flag, str mode, float eps, int? k) -> Tensor",
           TORCH_FN(many_types));
  auto typed = t.handle.typed<Tensor(const Tensor&, const Scalar&, IntArrayRef, bool, const std::string&, double,
                                     optional<int64_t>)>();
  auto x = tensor({{1.0, 2.0}, {3.0, 4.0}}).requires_grad_();
  const std::vector<int64_t> dims{1};
  // (x * 2).sum(1) = [6, 14]; + 0.5 + 3 = [9.5, 17.5]; * len("ab") = [19, 35]
  auto y = typed.call(x, 2, dims, true, "ab", 0.5, 3);
  check_values(y, {19.0, 35.0});
  BOOST_TEST(y.grad_fn()->name() == "NotImplemented");
  check_values(typed.call(x, 2, dims, false, "a", 0.0, nullopt), {2.0, 4.0, 6.0, 8.0});
  check_values(y, {19.0, 35.0});
}

BOOST_AUTO_TEST_CASE(concurrent_calls) {
  TestOp t("concurrent", "_test::concurrent(Tensor self, Tensor other) -> Tensor", TORCH_FN(my_mul));
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 200; ++n) {
        auto a = tensor({double(i), double(n)}).requires_grad_(n % 2 == 0);
        auto out = callOpUnboxed<Tensor, const Tensor&, const Tensor&>(t.handle, a, tensor({2.0, 3.0}));
        const auto v = out.to_vector<double>();
        const bool graph_ok = (n % 2 == 0) == (out.grad_fn() != nullptr);
        if (v[0] != 2.0 * i || v[1] != 3.0 * n || !graph_ok) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(bad.load() == 0);
}
