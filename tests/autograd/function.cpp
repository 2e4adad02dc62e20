#define BOOST_TEST_MODULE function
#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <optional>

using namespace xgrad;
using autograd::AutogradContext;
using autograd::variable_list;
using xgrad::testing::check_values;
using xgrad::testing::expect_error;

namespace {

// y = a * x^2 with a non-tensor argument kept in saved_data.
struct ScaledSquare : autograd::Function<ScaledSquare> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double a) {
    ctx->save_for_backward({x});
    ctx->saved_data["a"] = a;
    return x * x * a;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto x = ctx->get_saved_variables()[0];
    return {g[0] * x * (2.0 * ctx->saved_data["a"].toDouble()), Tensor()};  // one per argument
  }
};

int calls_for_b = 0;
// Records whether backward was asked for the gradient of its second input.
struct Mul2 : autograd::Function<Mul2> {
  static std::string_view name() { return "Mul2Backward"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
    ctx->save_for_backward({a, b});
    return a * b;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = g[0] * s[1];
    if (ctx->needs_input_grad(1)) {
      ++calls_for_b;
      gb = g[0] * s[0];
    }
    return {ga, gb};
  }
};

// Two outputs, the second non-differentiable (like max with indices).
struct MaxWithIndex : autograd::Function<MaxWithIndex> {
  static variable_list forward(AutogradContext* ctx, const Tensor& x) {
    auto idx = x.argmax();
    ctx->save_for_backward({x, idx});
    auto out = x.max();
    ctx->mark_non_differentiable({idx});
    return {out, idx};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    auto grad = zeros_like(s[0]);
    grad.view({-1}).narrow(0, s[1].item<int64_t>(), 1).fill_(g[0].item<double>());
    return {grad};
  }
};

struct WrongCount : autograd::Function<WrongCount> {
  static Tensor forward(AutogradContext*, const Tensor& x, const Tensor& y) { return x + y; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

struct WrongShape : autograd::Function<WrongShape> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x.sum(); }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }  // should expand
};

struct Identity : autograd::Function<Identity> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2.0}; }
};

// The reference values below come from tests/reference/custom_function.cpp (LibTorch 1.13), whose
// output is tests/reference/custom_function.out; each test names the line it checks.

// pytorch/examples style: one tensor and two scalars; backward returns one entry per argument.
struct AffineScalar : autograd::Function<AffineScalar> {
  static Tensor forward(AutogradContext* ctx, Tensor x, double a, int64_t b) {
    ctx->saved_data["a"] = a;
    return x * a + static_cast<double>(b);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * ctx->saved_data["a"].toDouble(), Tensor(), Tensor()};
  }
};

// xgrad's shorter form: one gradient per tensor input only (LibTorch rejects it).
struct AffineScalarShort : autograd::Function<AffineScalarShort> {
  static Tensor forward(AutogradContext*, Tensor x, double a, int64_t) { return x * a; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 3.0}; }
};

struct ExtraTrailing : autograd::Function<ExtraTrailing> {
  static Tensor forward(AutogradContext*, Tensor x) { return x * 2.0; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2.0, Tensor(), Tensor()}; }
};

struct ExtraDefined : autograd::Function<ExtraDefined> {
  static Tensor forward(AutogradContext*, Tensor x) { return x * 2.0; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2.0, g[0]}; }
};

struct DefinedForScalar : autograd::Function<DefinedForScalar> {
  static Tensor forward(AutogradContext*, Tensor x, double a) { return x * a; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0], g[0]}; }
};

// y = x * w (+ bias when given); records needs_input_grad over the tensor inputs.
std::string needs_log;
struct OptionalBias : autograd::Function<OptionalBias> {
  static Tensor forward(AutogradContext* ctx, Tensor x, std::optional<Tensor> bias, Tensor w) {
    ctx->save_for_backward({x, w});
    const bool has_bias = bias.has_value() && bias->defined();
    ctx->saved_data["has_bias"] = has_bias;
    auto y = x * w;
    return has_bias ? y + *bias : y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    // The tensor inputs are (x, bias, w) with a bias and (x, w) without.
    needs_log.clear();
    for (size_t i = 0; i < (has_bias ? 3u : 2u); ++i) needs_log += ctx->needs_input_grad(i) ? '1' : '0';
    if (has_bias) return {g[0] * s[1], g[0], g[0] * s[0]};
    return {g[0] * s[1], Tensor(), g[0] * s[0]};
  }
};

// out = sum_i scale * (i + 1) * xs_i, the list as a TensorList.
struct WeightedSumList : autograd::Function<WeightedSumList> {
  static Tensor forward(AutogradContext* ctx, double scale, TensorList xs) {
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["n"] = static_cast<int64_t>(xs.size());
    Tensor out = zeros_like(xs[0]);
    for (size_t i = 0; i < xs.size(); ++i) out = out + xs[i] * (scale * static_cast<double>(i + 1));
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const double scale = ctx->saved_data["scale"].toDouble();
    variable_list out{Tensor()};
    for (int64_t i = 0; i < ctx->saved_data["n"].toInt(); ++i) out.push_back(g[0] * (scale * static_cast<double>(i + 1)));
    return out;
  }
};

// out = xs_0 + 2 xs_1 (* gate when given), the list as a std::vector<Tensor>, followed by an
// optional tensor: gradients are one per element, then the optional's.
struct VectorThenOptional : autograd::Function<VectorThenOptional> {
  static Tensor forward(AutogradContext* ctx, std::vector<Tensor> xs, std::optional<Tensor> gate) {
    ctx->save_for_backward({xs[0], xs[1], gate.value_or(Tensor())});
    auto s = xs[0] + xs[1] * 2.0;
    return gate ? s * *gate : s;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    if (!s[2].defined()) return {g[0], g[0] * 2.0, Tensor()};
    return {g[0] * s[2], g[0] * s[2] * 2.0, g[0] * (s[0] + s[1] * 2.0)};
  }
};

// Doubles its input in place and returns it (mark_dirty).
struct DoubleInplace : autograd::Function<DoubleInplace> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.mul_(2.0);
    ctx->mark_dirty({x});
    return x;
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2.0}; }
};

// Marks its input dirty but returns a new tensor.
struct DirtyNotReturned : autograd::Function<DirtyNotReturned> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.mul_(2.0);
    ctx->mark_dirty({x});
    return x * 1.0;
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2.0}; }
};

// (sorted values, indices) of a 1-d tensor, indices non-differentiable; logs what backward got.
std::string sort_log;
struct SortWithIndices : autograd::Function<SortWithIndices> {
  static variable_list forward(AutogradContext* ctx, const Tensor& x, bool materialize) {
    ctx->set_materialize_grads(materialize);
    auto v = x.to_vector<double>();
    std::vector<int64_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return v[a] < v[b]; });
    auto idx = tensor(order);
    auto values = x.index_select(0, idx);
    ctx->mark_non_differentiable({idx});
    ctx->save_for_backward({idx});
    return {values, idx};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    sort_log = std::string(g[0].defined() ? "values grad defined" : "values grad undefined") + ", " +
               (g[1].defined() ? fmt::format("indices grad defined {}", g[1].abs().sum().item<double>())
                               : std::string("indices grad undefined"));
    auto idx = ctx->get_saved_variables()[0].to_vector<int64_t>();
    auto gv = g[0].to_vector<double>();
    std::vector<double> gx(gv.size());
    for (size_t i = 0; i < gv.size(); ++i) gx[static_cast<size_t>(idx[i])] = gv[i];
    return {tensor(gx, g[0].dtype()), Tensor()};
  }
};

// (2x, 3x); logs which incoming gradients are defined.
std::string two_log;
struct TwoOutputs : autograd::Function<TwoOutputs> {
  static variable_list forward(AutogradContext* ctx, const Tensor& x, bool materialize) {
    ctx->set_materialize_grads(materialize);
    return {x * 2.0, x * 3.0};
  }
  static variable_list backward(AutogradContext*, variable_list g) {
    two_log = std::string(g[0].defined() ? "g0 defined" : "g0 undefined") + ", " +
              (g[1].defined() ? "g1 defined" : "g1 undefined");
    Tensor gx;
    if (g[0].defined()) gx = g[0] * 2.0;
    if (g[1].defined()) gx = gx.defined() ? gx + g[1] * 3.0 : g[1] * 3.0;
    return {gx, Tensor()};
  }
};

struct UndefinedGrad : autograd::Function<UndefinedGrad> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 5.0; }
  static variable_list backward(AutogradContext*, variable_list) { return {Tensor()}; }
};

// Asks for the gradient of a tensor input it does not have.
struct ProbeOutOfRange : autograd::Function<ProbeOutOfRange> {
  static Tensor forward(AutogradContext*, const Tensor& x, double) { return x * 1.0; }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    (void)ctx->needs_input_grad(1);  // argument 1 is a double: one tensor input only
    return {g[0]};
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(custom_function_with_saved_data) {
  auto x = tensor({1.0, -2.0}).requires_grad_();
  auto y = ScaledSquare::apply(x, 3.0);
  check_values(y, {3.0, 12.0});
  BOOST_TEST(y.grad_fn()->name() == "ScaledSquareBackward");
  y.sum().backward();
  check_values(x.grad(), {6.0, -12.0});
}

BOOST_AUTO_TEST_CASE(custom_function_composes_with_builtins) {
  auto x = tensor({0.5, 1.5}, kFloat64).requires_grad_();
  BOOST_TEST(autograd::gradcheck(
      [](const variable_list& in) { return (ScaledSquare::apply(in[0].exp(), 0.7) * in[0]).sum(); }, {x}));
}

BOOST_AUTO_TEST_CASE(gradients_nobody_asked_for_are_skipped) {
  calls_for_b = 0;
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({3.0, 4.0});  // no grad wanted
  auto y = Mul2::apply(a, b);
  BOOST_TEST(y.grad_fn()->name() == "Mul2Backward");
  y.sum().backward();
  check_values(a.grad(), {3.0, 4.0});
  BOOST_TEST(calls_for_b == 0);
}

BOOST_AUTO_TEST_CASE(no_graph_when_no_input_requires_grad) {
  auto y = Mul2::apply(tensor({1.0}), tensor({2.0}));
  BOOST_TEST(!y.requires_grad());
  BOOST_TEST(!y.grad_fn());
}

BOOST_AUTO_TEST_CASE(non_differentiable_outputs) {
  auto x = tensor({1.0, 5.0, 2.0}).requires_grad_();
  auto out = MaxWithIndex::apply(x);
  BOOST_TEST(out[0].requires_grad());
  BOOST_TEST(!out[1].requires_grad());
  BOOST_TEST(out[1].item<int64_t>() == 1);
  out[0].backward();
  check_values(x.grad(), {0.0, 1.0, 0.0});
}

BOOST_AUTO_TEST_CASE(returning_an_input_does_not_rewrite_its_history) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = Identity::apply(x);
  BOOST_TEST(x.is_leaf());
  BOOST_TEST(!y.is_leaf());
  y.sum().backward();
  check_values(x.grad(), {2.0, 2.0});
}

BOOST_AUTO_TEST_CASE(wrong_number_of_gradients_is_reported) {
  auto x = tensor({1.0}).requires_grad_();
  auto y = tensor({1.0}).requires_grad_();
  auto z = WrongCount::apply(x, y);
  BOOST_CHECK_THROW(z.sum().backward(), AutogradError);
}

BOOST_AUTO_TEST_CASE(wrong_gradient_shape_is_reported) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = WrongShape::apply(x);
  try {
    y.backward();
    BOOST_FAIL("expected ShapeError");
  } catch (const ShapeError& e) {
    // LibTorch's wording ("expected shape"), naming the node and both sizes.
    const std::string what = e.what();
    BOOST_TEST(what.find("Function WrongShapeBackward returned an invalid gradient at index 0 - got [] but expected "
                         "shape [2]") != std::string::npos,
               what);
  }
}

BOOST_AUTO_TEST_CASE(saved_variables_are_freed_after_backward) {
  auto x = tensor({1.0}).requires_grad_();
  auto y = ScaledSquare::apply(x, 2.0);
  y.sum().backward();
  BOOST_CHECK_THROW(y.sum().backward(), AutogradError);
}

// ---- argument flattening and the count of gradients (LibTorch's extract_vars rules) ----------

BOOST_AUTO_TEST_CASE(pytorch_examples_style_scalar_arguments_get_undefined_gradients) {
  // custom_function.out: "affine_scalar y: [7, -2]", "affine_scalar x.grad: [3, 3]"
  auto x = tensor({1.0, -2.0}).requires_grad_();
  auto y = AffineScalar::apply(x, 3.0, int64_t{4});
  check_values(y, {7.0, -2.0});
  y.sum().backward();
  check_values(x.grad(), {3.0, 3.0});
}

BOOST_AUTO_TEST_CASE(one_gradient_per_tensor_input_is_accepted_too) {
  // LibTorch rejects this count ("expected 3, got 1"); xgrad keeps it for its built-in ops.
  auto x = tensor({1.0, -2.0}).requires_grad_();
  AffineScalarShort::apply(x, 3.0, int64_t{4}).sum().backward();
  check_values(x.grad(), {3.0, 3.0});
}

BOOST_AUTO_TEST_CASE(extra_trailing_undefined_gradients_are_ignored) {
  // custom_function.out: "extra_trailing x.grad: [2, 2]"
  auto x = tensor({1.0, 2.0}).requires_grad_();
  ExtraTrailing::apply(x).sum().backward();
  check_values(x.grad(), {2.0, 2.0});
}

BOOST_AUTO_TEST_CASE(wrong_gradient_counts_and_defined_gradients_for_scalars_are_errors) {
  auto x = tensor({1.0}).requires_grad_();
  auto y = tensor({1.0}).requires_grad_();
  // Two tensor inputs, one gradient.
  expect_error<AutogradError>([&] { WrongCount::apply(x, y).sum().backward(); },
                              {"WrongCountBackward", "incorrect number of gradients: 1, expected 2"});
  // An extra trailing gradient that is defined.
  expect_error<AutogradError>([&] { ExtraDefined::apply(x).sum().backward(); },
                              {"ExtraDefinedBackward", "incorrect number of gradients: 2, expected 1"});
  // custom_function.out: "defined_for_scalar: error: ... defined at position 2, but the
  // corresponding forward input was not a Variable" (LibTorch counts from 1, xgrad from 0).
  expect_error<AutogradError>([&] { DefinedForScalar::apply(x, 2.0).sum().backward(); },
                              {"DefinedForScalarBackward", "defined gradient at position 1", "not a tensor input"});
}

BOOST_AUTO_TEST_CASE(optional_tensor_argument_is_an_input_when_it_holds_a_tensor) {
  // custom_function.out: "optional_bias y: [3.5, -1.75]", x.grad [3, -1], b.grad [1, 1],
  // w.grad [1, 2], "optional_bias needs_input_grad: 111"
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({0.5, 0.25}).requires_grad_();
  auto w = tensor({3.0, -1.0}).requires_grad_();
  auto y = OptionalBias::apply(x, std::optional<Tensor>(b), w);
  check_values(y, {3.5, -1.75});
  y.sum().backward();
  check_values(x.grad(), {3.0, -1.0});
  check_values(b.grad(), {1.0, 1.0});
  check_values(w.grad(), {1.0, 2.0});
  BOOST_TEST(needs_log == "111");
  // A bias that is the only input requiring grad still gets its gradient.
  auto b2 = tensor({1.0, 1.0}).requires_grad_();
  OptionalBias::apply(tensor({1.0, 2.0}), std::optional<Tensor>(b2), tensor({3.0, -1.0})).sum().backward();
  check_values(b2.grad(), {1.0, 1.0});
  BOOST_TEST(needs_log == "010");
}

BOOST_AUTO_TEST_CASE(empty_optional_is_no_input_and_shifts_needs_input_grad) {
  // custom_function.out: "optional_none x.grad: [3, -1]", "optional_none needs_input_grad: 10"
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto w = tensor({3.0, -1.0});
  auto y = OptionalBias::apply(x, std::nullopt, w);
  BOOST_TEST(y.grad_fn()->num_outputs() == 2u);  // edges for x and w only
  y.sum().backward();
  check_values(x.grad(), {3.0, -1.0});
  BOOST_TEST(needs_log == "10");
  // An optional holding an undefined tensor counts as empty.
  auto x2 = tensor({1.0, 2.0}).requires_grad_();
  OptionalBias::apply(x2, std::optional<Tensor>(Tensor()), w).sum().backward();
  check_values(x2.grad(), {3.0, -1.0});
}

BOOST_AUTO_TEST_CASE(needs_input_grad_out_of_range_is_an_index_error) {
  // custom_function.out: "needs_input_grad out of range: error: Index out of range"
  auto x = tensor({1.0}).requires_grad_();
  expect_error<IndexError>([&] { ProbeOutOfRange::apply(x, 2.0).sum().backward(); },
                           {"needs_input_grad", "index 1", "ProbeOutOfRangeBackward", "1 tensor inputs"});
}

BOOST_AUTO_TEST_CASE(tensor_list_argument_elements_are_inputs) {
  // custom_function.out: "list y: [-0.5, 1.5]", "list a.grad: [0.5, 0.5]", "list b.grad: [1, 1]"
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({-1.0, 0.5}).requires_grad_();
  std::vector<Tensor> xs{a, b};
  auto y = WeightedSumList::apply(0.5, TensorList(xs));
  check_values(y, {-0.5, 1.5});
  y.sum().backward();
  check_values(a.grad(), {0.5, 0.5});
  check_values(b.grad(), {1.0, 1.0});
}

BOOST_AUTO_TEST_CASE(vector_argument_elements_are_inputs) {
  // LibTorch 1.13 silently ignores a std::vector<Tensor> argument ("vector y.requires_grad: 0");
  // xgrad tracks it like a TensorList. By hand: y = (a + 2b) * gate.
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({-1.0, 0.5}).requires_grad_();
  auto gate = tensor({3.0, -2.0}).requires_grad_();
  auto y = VectorThenOptional::apply(std::vector<Tensor>{a, b}, std::optional<Tensor>(gate));
  check_values(y, {-3.0, -6.0});
  y.sum().backward();
  check_values(a.grad(), {3.0, -2.0});
  check_values(b.grad(), {6.0, -4.0});
  check_values(gate.grad(), {-1.0, 3.0});
  // Without the optional: y = a + 2b.
  auto a2 = tensor({1.0, 2.0}).requires_grad_();
  auto b2 = tensor({-1.0, 0.5});
  auto y2 = VectorThenOptional::apply(std::vector<Tensor>{a2, b2}, std::nullopt);
  check_values(y2, {-1.0, 3.0});
  y2.sum().backward();
  check_values(a2.grad(), {1.0, 1.0});
}

BOOST_AUTO_TEST_CASE(list_and_optional_arguments_pass_gradcheck) {
  auto a = tensor({0.3, -1.2}, kFloat64).requires_grad_();
  auto b = tensor({0.7, 0.4}, kFloat64).requires_grad_();
  auto gate = tensor({1.5, -0.5}, kFloat64).requires_grad_();
  BOOST_TEST(autograd::gradcheck(
      [](const variable_list& in) {
        return VectorThenOptional::apply(variable_list{in[0], in[1]}, std::optional<Tensor>(in[2]));
      },
      {a, b, gate}));
  BOOST_TEST(autograd::gradcheck(
      [](const variable_list& in) { return WeightedSumList::apply(0.25, TensorList(in)); }, {a, b, gate}));
}

// ---- undefined gradients ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(undefined_gradient_for_an_input_leaves_its_grad_undefined) {
  // custom_function.out: "undefined_grad x.grad: undefined",
  // "undefined_grad plus other path z.grad: [2, 2]"
  auto x = tensor({1.0, 2.0}).requires_grad_();
  UndefinedGrad::apply(x).sum().backward();
  BOOST_TEST(!x.grad().defined());
  auto z = tensor({1.0, 2.0}).requires_grad_();
  (UndefinedGrad::apply(z) + z * 2.0).sum().backward();
  check_values(z.grad(), {2.0, 2.0});
  // Through a chain: an undefined gradient reaching a built-in node stays nothing.
  auto u = tensor({1.0, 2.0}).requires_grad_();
  UndefinedGrad::apply(u.exp()).sum().backward();
  BOOST_TEST(!u.grad().defined());
}

BOOST_AUTO_TEST_CASE(materialize_grads_off_passes_undefined_gradients) {
  // custom_function.out: "two_outputs materialize=1: g0 defined, g1 defined",
  // "two_outputs materialize=0: g0 undefined, g1 defined", x.grad [3, 3] both times
  for (bool materialize : {true, false}) {
    auto x = tensor({1.0, 2.0}).requires_grad_();
    auto out = TwoOutputs::apply(x, materialize);
    out[1].sum().backward();
    BOOST_TEST(two_log == (materialize ? "g0 defined, g1 defined" : "g0 undefined, g1 defined"));
    check_values(x.grad(), {3.0, 3.0});
  }
}

// ---- mark_non_differentiable -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(non_differentiable_indices_of_a_sort) {
  // custom_function.out: indices do not require grad; backward gets zeros for them
  // ("indices grad defined 0.000000") or, with materialize off, nothing; x.grad [100, 1, 10].
  for (bool materialize : {true, false}) {
    auto x = tensor({3.0, 1.0, 2.0}).requires_grad_();
    auto out = SortWithIndices::apply(x, materialize);
    check_values(out[0], {1.0, 2.0, 3.0});
    BOOST_TEST(out[0].requires_grad());
    BOOST_TEST(!out[1].requires_grad());
    BOOST_TEST(out[1].to_vector<int64_t>() == (std::vector<int64_t>{1, 2, 0}), boost::test_tools::per_element());
    (out[0] * tensor({1.0, 10.0, 100.0})).sum().backward();
    BOOST_TEST(sort_log == (materialize ? "values grad defined, indices grad defined 0"
                                        : "values grad defined, indices grad undefined"));
    check_values(x.grad(), {100.0, 1.0, 10.0});
  }
}

// ---- mark_dirty ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mark_dirty_on_a_leaf_that_requires_grad_is_an_error) {
  // custom_function.out: "dirty_leaf: error: a leaf Variable that requires grad has been used
  // in an in-place operation."
  auto x = tensor({1.0, 2.0}).requires_grad_();
  expect_error<AutogradError>([&] { DoubleInplace::apply(x); },
                              {"DoubleInplaceBackward", "a leaf Variable that requires grad", "in-place operation"});
  // Without a graph (no grad mode), a leaf may be modified.
  auto y = tensor({1.0, 2.0}).requires_grad_();
  {
    NoGradGuard no_grad;
    DoubleInplace::apply(y);
  }
  check_values(y, {2.0, 4.0});
  BOOST_TEST(y.is_leaf());
}

BOOST_AUTO_TEST_CASE(mark_dirty_rewrites_the_inputs_history) {
  // custom_function.out: "dirty same impl: 1, version bump: 2, x.grad_fn: ...DoubleInplace",
  // "dirty x: [3, -9]", "dirty a.grad: [18, -54]"
  auto a = tensor({1.0, -3.0}).requires_grad_();
  auto x = a * 1.5;
  const auto v0 = x._version();
  auto y = DoubleInplace::apply(x);
  BOOST_TEST(y.unsafeGetTensorImpl() == x.unsafeGetTensorImpl());
  BOOST_TEST(x._version() - v0 == 2u);  // mul_ in forward, then mark_dirty
  BOOST_TEST(x.grad_fn()->name() == "DoubleInplaceBackward");
  check_values(x, {3.0, -9.0});
  (x * x).sum().backward();
  check_values(a.grad(), {18.0, -54.0});
}

BOOST_AUTO_TEST_CASE(mark_dirty_invalidates_tensors_saved_before) {
  // custom_function.out: "dirty_saved_by_exp: error: one of the variables needed for gradient
  // computation has been modified by an inplace operation"
  auto a = tensor({0.0, 1.0}).requires_grad_();
  auto x = a.exp();  // ExpBackward saves its output x
  auto y = DoubleInplace::apply(x);
  expect_error<AutogradError>([&] { y.sum().backward(); }, {"modified by an inplace operation", "output 0 of ExpBackward0"});
}

BOOST_AUTO_TEST_CASE(mark_dirty_input_must_be_returned) {
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto x = a * 1.0;
  expect_error<AutogradError>([&] { DirtyNotReturned::apply(x); },
                              {"DirtyNotReturnedBackward", "mark_dirty", "not returned"});
}

BOOST_AUTO_TEST_CASE(a_saved_input_modified_in_place_after_forward_is_an_error) {
  // ScaledSquare saved x; changing x afterwards (allowed under NoGradGuard) makes its backward
  // refuse to run rather than use the new values.
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = ScaledSquare::apply(x, 2.0);
  {
    NoGradGuard no_grad;
    x.mul_(3.0);
  }
  expect_error<AutogradError>([&] { y.sum().backward(); },
                              {"saved tensor #0", "modified by an inplace operation", "expected version 0"});
}

// ---- needs_input_grad over index ranges (LibTorch's IndexRange) ----------------------------
namespace {
// a + b + c, logging needs_input_grad for single indices and ranges.
std::string ranges_log;
struct ThreeInputs : autograd::Function<ThreeInputs> {
  static Tensor forward(AutogradContext*, const Tensor& a, const Tensor& b, const Tensor& c) { return a + b + c; }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    using autograd::IndexRange;
    auto bit = [](bool v) { return v ? '1' : '0'; };
    ranges_log = {bit(ctx->needs_input_grad(0)), bit(ctx->needs_input_grad(1)), bit(ctx->needs_input_grad(2)), ' ',
                  bit(ctx->needs_input_grad({IndexRange{1, 2}})), bit(ctx->needs_input_grad({IndexRange{0, 2}})),
                  bit(ctx->needs_input_grad({IndexRange{1, 2}, IndexRange{2, 3}})),
                  bit(ctx->needs_input_grad({IndexRange{2, 2}})), bit(ctx->needs_input_grad({}))};
    return {g[0], g[0], g[0]};
  }
};
// needs_input_grad with a range past the inputs, from backward.
struct BadRange : autograd::Function<BadRange> {
  static Tensor forward(AutogradContext*, const Tensor& a) { return a * 1.0; }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    ctx->needs_input_grad({autograd::IndexRange{0, 2}});
    return g;
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(needs_input_grad_over_index_ranges) {
  // tests/reference/autograd_api.py: "needs_input_grad (True, False, True)" for (a, b, c) with
  // b not requiring grad; a range is needed when any index in it is.
  auto a = ones({2}).requires_grad_();
  auto b = ones({2});
  auto c = ones({2}).requires_grad_();
  ThreeInputs::apply(a, b, c).sum().backward();
  BOOST_TEST(ranges_log == "101 01100");
  // Limited to b and c's branch... only c: input 0 is not needed now.
  ThreeInputs::apply(a, b, c).sum().backward({}, std::nullopt, false, {c});
  BOOST_TEST(ranges_log == "001 00100");
  expect_error<IndexError>([&] { BadRange::apply(a).sum().backward(); },
                           {"needs_input_grad", "[0, 2)", "1 tensor inputs"});
}
