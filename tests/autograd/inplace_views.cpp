// In-place ops on views of tensors that require grad, recorded as LibTorch does (CopySlices on the
// base, the view's grad_fn remade as AsStridedBackward0), views whose base was modified in place
// after they were taken, and the view metadata (CreationMeta) with LibTorch's errors for the views
// that may not be modified in place. Numbers from tests/reference/inplace_views.py.
#define BOOST_TEST_MODULE inplace_views
#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

#include <xgrad/autograd/gradcheck.hpp>

#include <functional>
#include <string>
#include <vector>

using namespace xgrad;
using autograd::CreationMeta;
using xgrad::testing::check_values;
using xgrad::testing::expect_error;

namespace {

using Grads = std::vector<double>;

// The reference script's leaves (float64) and loss weights.
struct Case {
  Tensor x = tensor({-0.5, -0.395, -0.28, -0.155, -0.02, 0.125, 0.28, 0.445, 0.62, 0.805, 1.0, 1.205}, kFloat64)
                 .reshape({3, 4})
                 .requires_grad_();
  Tensor w4 = tensor({1.5, -2.0, 0.5, 3.0}, kFloat64).requires_grad_();
  Tensor w3 = tensor({-1.0, 0.25, 2.0}, kFloat64).requires_grad_();
  Tensor c = (arange(12.0).to(kFloat64) + 1).reshape({3, 4}) / 4;
  // y = f(...) (returning an extra loss term in `extra`), L = sum(y * c) + extra, backward; checks y's
  // grad_fn and values and the gradients (an empty list: no gradient).
  void run(const std::function<Tensor(Case&, Tensor& extra)>& f, const std::string& grad_fn, const Grads& y_values,
           const Grads& x_grad, const Grads& w4_grad = {}, const Grads& w3_grad = {}) {
    Tensor extra = zeros({}, kFloat64);
    Tensor y = f(*this, extra);
    BOOST_REQUIRE(y.grad_fn() != nullptr);
    BOOST_TEST(y.grad_fn()->name() == grad_fn);
    check_values(y, y_values, 1e-9, 1e-9);
    ((y * c).sum() + extra).backward();
    check_values(x.grad(), x_grad, 1e-9, 1e-9);
    for (auto [t, g] : {std::pair{w4, &w4_grad}, std::pair{w3, &w3_grad}}) {
      BOOST_TEST(t.grad().defined() == !g->empty());
      if (!g->empty()) check_values(t.grad(), *g, 1e-9, 1e-9);
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(slices_selects_narrow_transpose_and_chained_views) {
  Case().run([](Case& k, Tensor&) { Tensor y = k.x * 1; y.slice(0, 0, 2).mul_(2); return y; }, "CopySlices",
             {-1, -0.79, -0.56, -0.31, -0.04, 0.25, 0.56, 0.89, 0.62, 0.805, 1, 1.205},
             {0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 2.25, 2.5, 2.75, 3});
  Case().run([](Case& k, Tensor&) { Tensor y = k.x * 1; y[1].mul_(k.w4); return y; }, "CopySlices",
             {-0.5, -0.395, -0.28, -0.155, -0.03, -0.25, 0.14, 1.335, 0.62, 0.805, 1, 1.205},
             {0.25, 0.5, 0.75, 1, 1.875, -3, 0.875, 6, 2.25, 2.5, 2.75, 3}, {-0.025, 0.1875, 0.49, 0.89});
  Case().run(
      [](Case& k, Tensor&) {
        Tensor y = k.x * 1;
        y.narrow(1, 1, 2).add_(k.w4.slice(0, 0, 2) * k.w4.slice(0, 2, 4));
        return y;
      },
      "CopySlices", {-0.5, 0.355, -6.28, -0.155, -0.02, 0.875, -5.72, 0.445, 0.62, 1.555, -5, 1.205},
      {0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3}, {2.25, 15.75, 6.75, -10.5});
  Case().run([](Case& k, Tensor&) { Tensor y = k.x * 1; y.select(1, 0).copy_(k.w3); return y; }, "CopySlices",
             {-1, -0.395, -0.28, -0.155, 0.25, 0.125, 0.28, 0.445, 2, 0.805, 1, 1.205},
             {0, 0.5, 0.75, 1, 0, 1.5, 1.75, 2, 0, 2.5, 2.75, 3}, {}, {0.25, 1.25, 2.25});
  Case().run([](Case& k, Tensor&) { Tensor y = k.x.sin(); y.t()[2].mul_(k.w3); return y; }, "CopySlices",
             {-0.4794255386, -0.3848081888, 0.2763556486, -0.1543800993, -0.01999866669, 0.1246747334,
              0.06908891214, 0.4304578803, 0.5810351605, 0.720830643, 1.68294197, 0.9338392167},
             {0.2193956405, 0.4614982822, -0.7207915787, 0.9880115308, 1.249750008, 1.488296501, 0.4204617543,
              1.805221331, 1.831226527, 1.732778088, 2.971662682, 1.073079147},
             {}, {-0.2072667364, 0.483622385, 2.314045208});
  // A view of a view: fill_ of column 1 of rows 1:3.
  Case().run([](Case& k, Tensor&) { Tensor y = k.x * k.x; y.slice(0, 1, 3).select(1, 1).fill_(5.0); return y; },
             "CopySlices", {0.25, 0.156025, 0.0784, 0.024025, 0.0004, 5, 0.0784, 0.198025, 0.3844, 5, 1, 1.452025},
             {-0.25, -0.395, -0.42, -0.31, -0.05, 0, 0.98, 1.78, 2.79, 0, 5.5, 7.23});
  Case().run([](Case& k, Tensor&) { Tensor y = k.x * 2; y.select(1, 2).zero_(); return y; }, "CopySlices",
             {-1, -0.79, 0, -0.31, -0.04, 0.25, 0, 0.89, 1.24, 1.61, 0, 2.41},
             {0.5, 1, 0, 2, 2.5, 3, 0, 4, 4.5, 5, 0, 6});
  // Two in-place ops on overlapping views (a row, then a column).
  Case().run(
      [](Case& k, Tensor&) {
        Tensor y = k.x.sin();
        y[0].mul_(k.w4);
        y.select(1, 3).add_(k.w3);
        return y;
      },
      "CopySlices",
      {-0.7191383079, 0.7696163776, -0.1381778243, -1.463140298, -0.01999866669, 0.1246747334, 0.2763556486,
       0.6804578803, 0.5810351605, 0.720830643, 0.8414709848, 2.933839217},
      {0.3290934607, -0.9229965644, 0.3603957894, 2.964034592, 1.249750008, 1.488296501, 1.681847017, 1.805221331,
       1.831226527, 1.732778088, 1.485831341, 1.073079147},
      {-0.1198563847, -0.1924040944, -0.2072667364, -0.1543800993}, {1, 2, 3});
}

BOOST_AUTO_TEST_CASE(views_used_after_an_inplace_op_get_a_new_history) {
  // The modified view itself is used again: its grad_fn is remade from the base's new history.
  Case().run(
      [](Case& k, Tensor& extra) {
        Tensor y = k.x * 1;
        Tensor v = y[1];
        v.mul_(k.w4);
        BOOST_TEST(v.grad_fn()->name() == "AsStridedBackward0");
        extra = (v * v * tensor({1.0, -1.0, 2.0, 0.5}, kFloat64)).sum();
        return y;
      },
      "CopySlices", {-0.5, -0.395, -0.28, -0.155, -0.03, -0.25, 0.14, 1.335, 0.62, 0.805, 1, 1.205},
      {0.25, 0.5, 0.75, 1, 1.785, -4, 1.155, 10.005, 2.25, 2.5, 2.75, 3}, {-0.0238, 0.25, 0.6468, 1.484075});
  // The base is modified in place after the view was taken (no view is written).
  Case().run(
      [](Case& k, Tensor& extra) {
        Tensor y = k.x * 1;
        Tensor v = y.slice(1, 1, 3);
        y.mul_(y.detach() + 1);
        y.add_(k.w4);
        BOOST_TEST(v.grad_fn()->name() == "AsStridedBackward0");
        extra = v.sin().sum();
        return y;
      },
      "AddBackward0",
      {1.25, -2.238975, 0.2984, 2.869025, 1.4804, -1.859375, 0.8584, 3.643025, 2.5044, -0.546975, 2.5, 5.657025},
      {0.125, -0.07233220428, 1.228181831, 0.845, 1.225, 1.367336296, 3.076670951, 2.89, 3.645, 6.054153655,
       3.897712769, 6.615},
      {3.75, 4.449954426, 6.058313664, 6});
  // A buffer that does not require grad, written through views: it gets a history.
  Case().run(
      [](Case& k, Tensor&) {
        Tensor b = zeros({3, 4}, kFloat64);
        b[2].copy_(k.w4 * k.w4);
        b[0].add_(k.x[0]);
        return b;
      },
      "CopySlices", {-0.5, -0.395, -0.28, -0.155, 0, 0, 0, 0, 2.25, 4, 0.25, 9}, {0.25, 0.5, 0.75, 1, 0, 0, 0, 0, 0, 0, 0, 0},
      {6.75, -10, 2.75, 18});
}

BOOST_AUTO_TEST_CASE(double_backward_and_gradcheck) {
  Case k;
  Tensor y = k.x * k.x;
  y[1].mul_(k.w4);
  const Tensor gw = autograd::grad({(y * k.c).sum()}, {k.w4}, {}, std::nullopt, /*create_graph=*/true)[0];
  check_values(gw, {0.0005, 0.0234375, 0.1372, 0.39605}, 1e-12, 1e-9);
  const Tensor gx = autograd::grad({(gw * gw).sum()}, {k.x})[0];
  check_values(gx, {0, 0, 0, 0, -5e-05, 0.017578125, 0.268912, 1.409938, 0, 0, 0, 0}, 1e-12, 1e-9);
  // grad() fills no .grad (PyTorch 1.13's CopySlices fills w4.grad here: a bug not copied).
  BOOST_TEST(!k.w4.grad().defined());

  const Tensor a = tensor({0.3, -0.7, 1.1, 0.4, -0.2, 0.9}, kFloat64).requires_grad_();
  const Tensor b = tensor({1.2, 0.8, -1.4}, kFloat64).requires_grad_();
  const auto f = [](const autograd::variable_list& in) {
    Tensor y = in[0].reshape({2, 3}).sin();
    y[1].mul_(in[1]);
    y.t()[0].add_(in[0].slice(0, 0, 2));
    Tensor v = y.narrow(1, 1, 2);
    v.div_(in[1].slice(0, 1, 3));
    return y * v.sum();
  };
  BOOST_TEST(autograd::gradcheck(f, {a, b}));
  BOOST_TEST(autograd::gradgradcheck(f, {a, b}));
}

BOOST_AUTO_TEST_CASE(creation_meta_and_refused_views) {
  const Tensor x = tensor({1.0, 2.0, 3.0, 4.0}).requires_grad_();
  const auto meta = [](const Tensor& t) {
    const auto* m = static_cast<autograd::DifferentiableViewMeta*>(t.unsafeGetTensorImpl()->autograd_meta());
    BOOST_REQUIRE(m != nullptr);
    BOOST_TEST(m->has_bw_view());
    return m->get_creation_meta();
  };
  Tensor y = x * 1;
  BOOST_TEST(y.unsafeGetTensorImpl()->autograd_meta() == nullptr);
  BOOST_TEST(y.detach().unsafeGetTensorImpl()->autograd_meta() == nullptr);
  Tensor v = y.narrow(0, 1, 2);
  BOOST_TEST((meta(v) == CreationMeta::DEFAULT));
  // is_view() / _base(): the root of a chain of views; a non-view has no base.
  BOOST_TEST((v.is_view() && v._base().is_same(y) && v.t().is_view() && v.select(0, 1)._base().is_same(y)));
  BOOST_TEST((!y.is_view() && !y.detach().is_view() && !x.is_view()));
  BOOST_CHECK_THROW((void)y._base(), ValueError);
  BOOST_TEST(static_cast<autograd::DifferentiableViewMeta*>(v.unsafeGetTensorImpl()->autograd_meta())->base().is_same(y));
  // A view of a view has the first view's base.
  BOOST_TEST(static_cast<autograd::DifferentiableViewMeta*>(v[0].unsafeGetTensorImpl()->autograd_meta())->base().is_same(y));
  Tensor n;
  {
    NoGradGuard g;
    n = y.narrow(0, 0, 2);
  }
  BOOST_TEST((meta(n) == CreationMeta::NO_GRAD_MODE));
  BOOST_TEST((meta(n.view({2, 1})) == CreationMeta::NO_GRAD_MODE));  // propagated
  BOOST_TEST((n.requires_grad() && n.is_leaf()));
  expect_error<AutogradError>([&] { n.mul_(2); },
                              {"mul_: A view was created in no_grad mode and is being modified inplace with grad mode "
                               "enabled. Given that this use case is ambiguous and error-prone, it is forbidden."});
  // The base modified in place: using the no_grad view is refused (LibTorch's indirect error).
  y.add_(1);
  expect_error<AutogradError>([&] { (void)n.grad_fn(); },
                              {"A view was created in no_grad mode and its base or another view of its base has been "
                               "modified inplace with grad mode enabled."});
  // A view of a leaf that requires grad.
  expect_error<AutogradError>([&] { x[0].mul_(2); },
                              {"mul_: a view of a leaf Variable that requires grad is being used in an in-place"});

  // Views a custom Function returns: IN_CUSTOM_FUNCTION; several differentiable outputs:
  // MULTI_OUTPUT_NODE.
  struct Narrow : autograd::Function<Narrow> {
    static Tensor forward(AutogradContext*, const Tensor& t) { return t.narrow(0, 0, 2); }
    static autograd::variable_list backward(AutogradContext*, autograd::variable_list g) {
      return {cat({g[0], zeros({2})})};
    }
  };
  struct Halves : autograd::Function<Halves> {
    static autograd::variable_list forward(AutogradContext*, const Tensor& t) {
      return {t.narrow(0, 0, 2), t.narrow(0, 2, 2)};
    }
    static autograd::variable_list backward(AutogradContext*, autograd::variable_list g) {
      return {cat({g[0], g[1]})};
    }
  };
  Tensor z = x * 1;
  Tensor c = Narrow::apply(z);
  BOOST_TEST((meta(c) == CreationMeta::IN_CUSTOM_FUNCTION));
  expect_error<AutogradError>([&] { c.add_(1); },
                              {"add_: Output 0 of NarrowBackward is a view and is being modified inplace. This view was "
                               "created inside a custom Function"});
  const auto halves = Halves::apply(z);
  BOOST_TEST((meta(halves[1]) == CreationMeta::MULTI_OUTPUT_NODE));
  expect_error<AutogradError>([&] { halves[1].mul_(2); },
                              {"mul_: Output 1 of HalvesBackward is a view and is being modified inplace. This view is "
                               "the output of a function that returns multiple views."});
  // The custom Function's gradient still flows (no in-place happened).
  (c.sum() + halves[1].sum() * 2).backward();
  check_values(x.grad(), {1, 1, 2, 2});
  // A view reaching outside its base (as_strided past a tensor that covers part of its storage)
  // cannot be rewritten into the base's history: a typed error, before anything is written.
  Tensor part = make_view(zeros({4}), {2}, {1}, 0);  // make_view: a plain tensor, no view metadata
  BOOST_TEST(part.unsafeGetTensorImpl()->autograd_meta() == nullptr);
  part.copy_(x.slice(0, 0, 2));
  Tensor wide = part.as_strided({4}, {1}, 0);
  expect_error<AutogradError>([&] { wide.mul_(2); }, {"mul_: in-place operation on a view", "not an element of its base"});
  check_values(wide, {1, 2, 0, 0});
  // An op whose result has another dtype than the view (converted back: its node is not the op's).
  Tensor f = x * 1;
  expect_error<AutogradError>([&] { f.narrow(0, 0, 2).add_(tensor({1.0, 2.0}, kFloat64).requires_grad_()); },
                              {"add_: in-place operation on a view", "does not take the view as its first input"});
  check_values(f, {1, 2, 3, 4});  // refused before anything was written
}
