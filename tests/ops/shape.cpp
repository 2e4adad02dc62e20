#define BOOST_TEST_MODULE shape
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// Reference values: tests/reference/shape.py (PyTorch 1.13).

using namespace xgrad;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

namespace {

// 0, 1, ..., 23 as a [2, 3, 4] float32 tensor (PyTorch's `torch.arange(24.).view(2, 3, 4)`).
Tensor x24() { return arange(24, kFloat32).view({2, 3, 4}); }

Tensor leaf64(IntArrayRef sizes) { return randn(sizes, kFloat64).requires_grad_(); }

bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl()->storage == b.impl()->storage; }

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "None"; }

void check_strides(const Tensor& t, const std::vector<int64_t>& strides) {
  BOOST_TEST(t.strides().vec() == strides, boost::test_tools::per_element());
}

void gradcheck1(const std::function<Tensor(const autograd::variable_list&)>& fn, const autograd::variable_list& in) {
  BOOST_CHECK(autograd::gradcheck(fn, in));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(views)

BOOST_AUTO_TEST_CASE(view_shares_storage_and_infers_minus_one) {
  Tensor x = arange(12, kFloat32);
  Tensor v = x.view({3, -1});
  check_sizes(v, {3, 4});
  check_strides(v, {4, 1});
  BOOST_CHECK(shares_storage(x, v));
  // A write through the view is visible in the base.
  v.data_ptr<float>()[5] = 100.f;
  BOOST_CHECK_EQUAL(x.data_ptr<float>()[5], 100.f);
  {
    NoGradGuard g;
    v.select(0, 2).fill_(-1.0);
  }
  check_values(x, {0, 1, 2, 3, 4, 100, 6, 7, -1, -1, -1, -1});
  check_sizes(x.view({2, 1, 6}), {2, 1, 6});
  check_sizes(x.view({-1}), {12});
  check_sizes(arange(1, kFloat32).view({}), {});
  check_sizes(x.view_as(zeros({4, 3})), {4, 3});
}

BOOST_AUTO_TEST_CASE(view_errors_name_the_problem) {
  Tensor x = x24();
  BOOST_CHECK_THROW(x.view({5, -1}), ShapeError);
  BOOST_CHECK_THROW(x.view({-1, -1}), ShapeError);
  BOOST_CHECK_THROW(x.view({7, 4}), ShapeError);
  BOOST_CHECK_THROW(x.view({-2, 12}), ShapeError);
  BOOST_CHECK_THROW(zeros({0, 3}).view({-1, 0}), ShapeError);
  // A transposed tensor cannot be flattened without a copy: PyTorch's hint to use reshape.
  try {
    x.transpose(0, 1).view({-1});
    BOOST_FAIL("view of a transposed tensor should throw");
  } catch (const ShapeError& e) {
    BOOST_TEST(std::string(e.what()).find("Use .reshape(...) instead") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("view") == 0);
  }
  // ... but dimensions that stay contiguous may still be split or merged.
  Tensor t = x.transpose(0, 1);  // [3, 2, 4], strides [4, 12, 1]
  check_sizes(t.view({3, 2, 2, 2}), {3, 2, 2, 2});
  check_strides(t.view({3, 2, 2, 2}), {4, 12, 2, 1});
  BOOST_CHECK_THROW(t.view({6, 4}), ShapeError);
}

BOOST_AUTO_TEST_CASE(reshape_views_when_possible_else_copies) {
  Tensor x = x24();
  Tensor r = x.reshape({6, 4});
  BOOST_CHECK(shares_storage(x, r));
  Tensor tr = x.transpose(1, 2);
  BOOST_CHECK(!tr.is_contiguous());
  Tensor c = tr.reshape({6, 4});
  BOOST_CHECK(!shares_storage(x, c));
  BOOST_CHECK(c.is_contiguous());
  check_sizes(c, {6, 4});
  check_values(c, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23});
  check_sizes(reshape(x, {-1}), {24});
  check_sizes(x.reshape_as(zeros({4, 6})), {4, 6});
  BOOST_CHECK_THROW(x.reshape({5, 5}), ShapeError);
}

BOOST_AUTO_TEST_CASE(flatten_ranges) {
  Tensor x = x24();
  check_sizes(x.flatten(), {24});
  check_sizes(x.flatten(1), {2, 12});
  check_sizes(x.flatten(0, 1), {6, 4});
  check_sizes(x.flatten(-2, -1), {2, 12});
  check_sizes(flatten(x, 1, 1), {2, 3, 4});
  check_sizes(tensor(3.).flatten(), {1});
  check_values(x.flatten(1), {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23});
  // Flattening a transposed tensor copies.
  check_values(x.transpose(0, 2).flatten(),
               {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23});
  BOOST_CHECK_THROW(x.flatten(2, 1), ValueError);
  BOOST_CHECK_THROW(x.flatten(0, 3), IndexError);
}

BOOST_AUTO_TEST_CASE(transpose_and_t_are_strided_views) {
  Tensor x = x24();
  Tensor tr = x.transpose(0, 2);
  check_sizes(tr, {4, 3, 2});
  check_strides(tr, {1, 4, 12});
  BOOST_CHECK(!tr.is_contiguous());
  BOOST_CHECK(shares_storage(x, tr));
  check_values(tr, {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23});
  check_values(tr.contiguous(), {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23});
  BOOST_CHECK(tr.contiguous().is_contiguous());
  check_sizes(transpose(x, -1, 0), {4, 3, 2});
  check_sizes(x.transpose(1, 1), {2, 3, 4});
  BOOST_CHECK_THROW(x.transpose(0, 3), IndexError);

  Tensor m = arange(6, kFloat32).view({2, 3});
  check_sizes(m.t(), {3, 2});
  check_strides(m.t(), {1, 3});
  check_values(t(m), {0, 3, 1, 4, 2, 5});
  check_sizes(arange(3, kFloat32).t(), {3});
  BOOST_CHECK_THROW(x.t(), ShapeError);
}

BOOST_AUTO_TEST_CASE(permute_reorders_dims) {
  Tensor x = x24();
  Tensor p = x.permute({2, 0, 1});
  check_sizes(p, {4, 2, 3});
  check_strides(p, {1, 12, 4});
  check_values(p, {0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23});
  check_sizes(permute(x, {-1, -2, -3}), {4, 3, 2});
  BOOST_CHECK_THROW(x.permute({0, 0, 1}), ValueError);
  BOOST_CHECK_THROW(x.permute({0, 1}), ShapeError);
  BOOST_CHECK_THROW(x.permute({0, 1, 3}), IndexError);
}

BOOST_AUTO_TEST_CASE(squeeze_unsqueeze) {
  Tensor x = zeros({2, 1, 3, 1});
  check_sizes(x.squeeze(), {2, 3});
  check_sizes(x.squeeze(1), {2, 3, 1});
  check_sizes(x.squeeze(-1), {2, 1, 3});
  check_sizes(x.squeeze(0), {2, 1, 3, 1});  // not of size 1: unchanged
  check_sizes(squeeze(x), {2, 3});
  check_sizes(squeeze(x, 3), {2, 1, 3});
  BOOST_CHECK_THROW(x.squeeze(4), IndexError);
  check_sizes(x.unsqueeze(0), {1, 2, 1, 3, 1});
  check_sizes(x.unsqueeze(4), {2, 1, 3, 1, 1});
  check_sizes(x.unsqueeze(-1), {2, 1, 3, 1, 1});
  check_sizes(unsqueeze(x, -5), {1, 2, 1, 3, 1});
  BOOST_CHECK_THROW(x.unsqueeze(5), IndexError);
  BOOST_CHECK_THROW(x.unsqueeze(-6), IndexError);
  check_sizes(tensor(2.).unsqueeze(0), {1});
  check_sizes(tensor(2.).squeeze(), {});
  Tensor u = x24().unsqueeze(1);
  check_strides(u, {12, 12, 4, 1});
  BOOST_CHECK(shares_storage(u, u.squeeze()));
}

BOOST_AUTO_TEST_CASE(narrow_slice_select) {
  Tensor x = x24();
  Tensor n = x.narrow(2, 1, 2);
  check_sizes(n, {2, 3, 2});
  check_values(n, {1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22});
  check_values(narrow(x, -1, -3, 2), {1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22});
  BOOST_CHECK_THROW(x.narrow(1, 2, 2), IndexError);
  BOOST_CHECK_THROW(x.narrow(1, 4, 0), IndexError);
  BOOST_CHECK_THROW(x.narrow(1, 0, -1), IndexError);
  BOOST_CHECK_THROW(x.narrow(3, 0, 1), IndexError);
  check_sizes(x.narrow(1, 3, 0), {2, 0, 4});

  // x[:, -2:, 1::2]
  Tensor s = x.slice(1, -2).slice(2, 1, std::nullopt, 2);
  check_sizes(s, {2, 2, 2});
  check_strides(s, {12, 4, 2});
  check_values(s, {5, 7, 9, 11, 17, 19, 21, 23});
  // Python clamps out-of-range bounds: x[:, 1:100:2, -100:2]
  Tensor c = x.slice(1, 1, 100, 2).slice(2, -100, 2);
  check_sizes(c, {2, 1, 2});
  check_values(c, {4, 5, 16, 17});
  check_sizes(x.slice(1, 2, 1), {2, 0, 4});
  check_sizes(x.slice(), {2, 3, 4});
  BOOST_CHECK_THROW(x.slice(1, 0, 3, 0), ValueError);
  BOOST_CHECK_THROW(x.slice(1, 0, 3, -1), ValueError);
  BOOST_CHECK_THROW(x.slice(-4), IndexError);

  Tensor sel = x.select(1, -1);
  check_sizes(sel, {2, 4});
  check_values(sel, {8, 9, 10, 11, 20, 21, 22, 23});
  check_values(x[1][2], {20, 21, 22, 23});
  check_values(select(x, 2, 3), {3, 7, 11, 15, 19, 23});
  BOOST_CHECK_THROW(x.select(1, 3), IndexError);
  BOOST_CHECK_THROW(x.select(1, -4), IndexError);
  BOOST_CHECK_THROW(x[2], IndexError);
  BOOST_CHECK_THROW(tensor(1.).select(0, 0), IndexError);
}

BOOST_AUTO_TEST_CASE(writes_through_slices_reach_the_base) {
  // The chapter's `X = ones(6, 8); X[:, 2:6] = 0`.
  Tensor X = ones({6, 8});
  {
    NoGradGuard g;
    X.slice(1, 2, 6).fill_(0);
  }
  for (int64_t i = 0; i < 6; ++i) check_values(X[i], {1, 1, 0, 0, 0, 0, 1, 1});
  Tensor y = zeros({3, 4});
  y.select(1, 2).copy_(tensor({1.f, 2.f, 3.f}));
  y.narrow(0, 0, 1).copy_(tensor({{7.f, 7.f, 7.f, 7.f}}));
  check_values(y, {7, 7, 7, 7, 0, 0, 2, 0, 0, 0, 3, 0});
  BOOST_CHECK_GE(y._version(), 2u);
}

BOOST_AUTO_TEST_CASE(expand_uses_zero_strides) {
  Tensor x = x24();
  Tensor e = x.slice(1, 0, 1).expand({2, 3, 4});
  check_strides(e, {12, 0, 1});
  check_values(e, {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15});
  Tensor f = x.select(0, 0).slice(1, 0, 1).expand({2, -1, 4});
  check_sizes(f, {2, 3, 4});
  check_strides(f, {0, 4, 0});
  check_values(f, {0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8});
  check_sizes(tensor(5.).expand({2, 2}), {2, 2});
  check_sizes(arange(3, kFloat32).expand_as(zeros({2, 3})), {2, 3});
  BOOST_CHECK(shares_storage(x, e));
  BOOST_CHECK_THROW(x.expand({3, 3, 4}), ShapeError);
  BOOST_CHECK_THROW(x.expand({3, 4}), ShapeError);
  BOOST_CHECK_THROW(x.expand({-1, 2, 3, 4}), ShapeError);
  BOOST_CHECK_THROW(zeros({1}).expand({-2}), ShapeError);
}

BOOST_AUTO_TEST_CASE(grad_fn_names_follow_pytorch) {
  Tensor x = randn({2, 3, 4}, requires_grad());
  BOOST_CHECK_EQUAL(grad_fn_name(x.view({6, 4})), "ViewBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.reshape({6, 4})), "ReshapeAliasBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.transpose(0, 1).reshape({6, 4})), "UnsafeViewBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.flatten()), "ReshapeAliasBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.narrow(1, 0, 2)), "SliceBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.slice(1, 1)), "SliceBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.select(1, 0)), "SelectBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.slice(1, 0, 1).expand({2, 5, 4})), "ExpandBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.slice(1, 0, 1).squeeze()), "SqueezeBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.slice(1, 0, 1).squeeze(1)), "SqueezeBackward1");
  BOOST_CHECK_EQUAL(grad_fn_name(x.unsqueeze(0)), "UnsqueezeBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.transpose(0, 1)), "TransposeBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x[0].t()), "TBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.permute({2, 0, 1})), "PermuteBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(x.index_select(1, tensor({0, 0}))), "IndexSelectBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(cat({x, x})), "CatBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(stack({x, x})), "StackBackward0");
  // Views of tensors that don't require grad record nothing.
  BOOST_CHECK_EQUAL(grad_fn_name(x.detach().view({-1})), "None");
  NoGradGuard g;
  BOOST_CHECK_EQUAL(grad_fn_name(x.view({-1})), "None");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(copies)

BOOST_AUTO_TEST_CASE(index_select_values_and_errors) {
  Tensor x = x24();
  Tensor s = x.index_select(2, tensor({3, 0, 3}));
  check_sizes(s, {2, 3, 3});
  check_values(s, {3, 0, 3, 7, 4, 7, 11, 8, 11, 15, 12, 15, 19, 16, 19, 23, 20, 23});
  check_values(index_select(x, 0, tensor({-1})), {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23});
  // Works on strided input and bool/int64 data.
  check_values(x.transpose(0, 2).index_select(0, tensor({1})), {1, 13, 5, 17, 9, 21});
  check_values(tensor({true, false, true}).index_select(0, tensor({2, 1})), {1, 0});
  check_sizes(x.index_select(1, tensor({2})), {2, 1, 4});
  check_sizes(x.index_select(1, tensor(2)), {2, 1, 4});
  BOOST_CHECK_THROW(x.index_select(1, tensor({3})), IndexError);
  BOOST_CHECK_THROW(x.index_select(1, tensor({-4})), IndexError);
  BOOST_CHECK_THROW(x.index_select(3, tensor({0})), IndexError);
  BOOST_CHECK_THROW(x.index_select(1, tensor({0.f})), TypeError);
  BOOST_CHECK_THROW(x.index_select(1, tensor({{0, 1}})), ShapeError);
}

BOOST_AUTO_TEST_CASE(cat_values_and_errors) {
  Tensor a = arange(6, kFloat32).view({2, 3});
  Tensor b = arange(10, 14, 1, kFloat32).view({2, 2});
  check_values(cat({a, b}, 1), {0, 1, 2, 10, 11, 3, 4, 5, 12, 13});
  check_values(cat({a, a + 10}), {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15});
  check_values(cat({a, a.t().t()}, -1), {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
  // A legacy 1-D empty tensor is skipped.
  Tensor skip = cat({a, empty({0})}, 0);
  check_sizes(skip, {2, 3});
  check_values(skip, {0, 1, 2, 3, 4, 5});
  // Mixed dtypes promote as PyTorch does.
  Tensor mixed = cat({tensor({1, 2}), tensor({0.5f})});
  BOOST_CHECK(mixed.dtype() == kFloat32);
  check_values(mixed, {1, 2, 0.5});
  check_sizes(cat({zeros({2, 0}), zeros({2, 3})}, 1), {2, 3});

  BOOST_CHECK_THROW(cat({a, b}, 0), ShapeError);
  BOOST_CHECK_THROW(cat({a, zeros({2, 3, 1})}), ShapeError);
  BOOST_CHECK_THROW(cat({tensor(1.), tensor(2.)}), ShapeError);
  BOOST_CHECK_THROW(cat({a, a}, 2), IndexError);
  BOOST_CHECK_THROW(cat(std::vector<Tensor>{}), ValueError);
  BOOST_CHECK_THROW(cat({a, Tensor()}), ValueError);
}

BOOST_AUTO_TEST_CASE(stack_values_and_errors) {
  Tensor a = arange(6, kFloat32).view({2, 3});
  Tensor b = a + 10;
  check_sizes(stack({a, b}), {2, 2, 3});
  check_values(stack({a, b}), {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15});
  check_values(stack({a, b}, 1), {0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15});
  check_sizes(stack({a, b}, -1), {2, 3, 2});
  check_values(stack({a, b}, -1), {0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15});
  check_sizes(stack({tensor(1.), tensor(2.)}), {2});
  BOOST_CHECK_THROW(stack({a, zeros({3, 2})}), ShapeError);
  BOOST_CHECK_THROW(stack({a, b}, 3), IndexError);
  BOOST_CHECK_THROW(stack(std::vector<Tensor>{}), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradients)

BOOST_AUTO_TEST_CASE(index_select_repeated_indices_accumulate) {
  Tensor w = arange(6, kFloat32).view({2, 3}).detach().requires_grad_();
  Tensor y = w.index_select(1, tensor({2, 0, 2, 2}));
  (y * arange(8, kFloat32).view({2, 4})).sum().backward();
  check_values(w.grad(), {1, 0, 5, 5, 0, 17});
}

BOOST_AUTO_TEST_CASE(expand_gradient_sums_over_broadcast_dims) {
  Tensor w = arange(4, kFloat32).view({1, 4}).detach().requires_grad_();
  (w.expand({3, 2, 4}) * arange(24, kFloat32).view({3, 2, 4})).sum().backward();
  check_sizes(w.grad(), {1, 4});
  check_values(w.grad(), {60, 66, 72, 78});
}

BOOST_AUTO_TEST_CASE(slice_gradient_scatters_into_zeros) {
  Tensor w = arange(12, kFloat32).view({3, 4}).detach().requires_grad_();
  (w.slice(0, 1).slice(1, std::nullopt, std::nullopt, 3) * tensor({{1.f, 2.f}, {3.f, 4.f}})).sum().backward();
  check_values(w.grad(), {0, 0, 0, 0, 1, 0, 0, 2, 3, 0, 0, 4});
}

BOOST_AUTO_TEST_CASE(gradcheck_views) {
  using autograd::variable_list;
  Tensor x = leaf64({2, 3, 4});
  gradcheck1([](const variable_list& in) { return in[0].view({4, -1}); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].reshape({6, 4}); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].transpose(1, 2).reshape({6, 4}); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].flatten(1); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].transpose(0, 2); }, {x});
  gradcheck1([](const variable_list& in) { return in[0][1].t(); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].permute({2, 0, 1}); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].unsqueeze(2).unsqueeze(-1); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].slice(1, 0, 1).squeeze(); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].slice(1, 0, 1).squeeze(1); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].narrow(2, 1, 2); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].slice(2, -3, std::nullopt, 2); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].select(1, -1); }, {x});
  gradcheck1([](const variable_list& in) { return in[0].slice(1, 1, 2).expand({3, 2, 5, 4}); }, {x});
  // A non-contiguous leaf (stride != sizes) goes through the same paths.
  Tensor nc = randn({4, 3}, kFloat64).t().detach().requires_grad_();
  BOOST_CHECK(!nc.is_contiguous());
  gradcheck1([](const variable_list& in) { return in[0].reshape({-1}); }, {nc});
  gradcheck1([](const variable_list& in) { return in[0].select(0, 1).unsqueeze(0).expand({2, 4}); }, {nc});
}

BOOST_AUTO_TEST_CASE(gradcheck_copies) {
  using autograd::variable_list;
  Tensor x = leaf64({2, 3, 4});
  Tensor idx = tensor({2, 0, 2, -1});
  gradcheck1([idx](const variable_list& in) { return in[0].index_select(1, idx); }, {x});
  gradcheck1([idx](const variable_list& in) { return in[0].index_select(2, idx); }, {x});
  Tensor a = leaf64({2, 3});
  Tensor b = leaf64({2, 2});
  Tensor c = leaf64({2, 3});
  gradcheck1([](const variable_list& in) { return cat({in[0], in[1], in[0]}, 1); }, {a, b});
  gradcheck1([](const variable_list& in) { return cat({in[0], in[1]}, 0); }, {a, c});
  gradcheck1([](const variable_list& in) { return stack({in[0], in[1], in[0]}, 1); }, {a, c});
  gradcheck1([](const variable_list& in) { return stack({in[0], in[1]}, -1); }, {a, c});
  // Only the inputs that require grad get one.
  Tensor plain = randn({2, 3}, kFloat64);
  gradcheck1([plain](const variable_list& in) { return cat({plain, in[0]}, 0); }, {a});
}

BOOST_AUTO_TEST_CASE(double_backward_through_scatters) {
  // d/dx of sum(grad_x(sum(x.slice**2))) exercises the slice/select/index_select scatter ops.
  using autograd::variable_list;
  Tensor x = leaf64({3, 4});
  Tensor idx = tensor({1, 1, 3});
  gradcheck1(
      [idx](const variable_list& in) {
        AutoGradMode enable(true);  // gradcheck's finite differences run fn under NoGradGuard
        Tensor y = (in[0].slice(0, 1).select(1, 2).square().sum() + in[0].index_select(1, idx).square().sum());
        auto g = autograd::grad({y}, {in[0]}, {}, true, true);
        return g[0];
      },
      {x});
}

BOOST_AUTO_TEST_SUITE_END()

// ---- as_strided / _reshape_alias (reference: the end of tests/reference/shape.py) ---------------

BOOST_AUTO_TEST_SUITE(as_strided_views)

BOOST_AUTO_TEST_CASE(views_of_the_storage) {
  Tensor x = arange(9, kFloat32).view({3, 3});
  Tensor a = as_strided(x, {2, 2}, {1, 2});
  check_sizes(a, {2, 2});
  check_strides(a, {1, 2});
  check_values(a, {0, 2, 1, 3});
  BOOST_CHECK(shares_storage(a, x));
  check_values(x.as_strided({2, 2}, {1, 2}, 3), {3, 5, 4, 6});
  // The offset defaults to the tensor's own: as_strided of x[1] starts at element 3.
  check_values(x.index({1}).as_strided({2}, {2}), {3, 5});
  // Overlapping elements are allowed (stride 0).
  check_values(as_strided(x, {2, 3}, {0, 1}), {0, 1, 2, 0, 1, 2});
  // A write through the view reaches the base.
  a.index_put_({0, 1}, 100.0);
  check_values(x, {0, 1, 100, 3, 4, 5, 6, 7, 8});
  BOOST_CHECK_EQUAL(grad_fn_name(as_strided(leaf64({3}), {2}, {1})), "AsStridedBackward0");

  // _reshape_alias: the reshape view; equal to as_strided and to view (LibTorch's ReshapeAlias test).
  Tensor r = randn({3, 3});
  BOOST_CHECK(_reshape_alias(r, {2, 2}, {1, 2}).equal(as_strided(r, {2, 2}, {1, 2})));
  BOOST_CHECK(_reshape_alias(r, {9}, {1}).equal(r.view({-1})));
  BOOST_CHECK(shares_storage(_reshape_alias(r, {9}, {1}), r));
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_the_geometry) {
  using xgrad::testing::contains;
  using xgrad::testing::what_of;
  Tensor x = arange(9, kFloat32).view({3, 3});
  BOOST_CHECK_NO_THROW(as_strided(x, {2, 2}, {3, 4}));  // reaches element 7 of 9
  const std::string far = what_of([&] { as_strided(x, {3, 3}, {3, 2}); });
  BOOST_CHECK(contains(far, "as_strided: sizes [3, 3], strides [3, 2], storage offset 0, and itemsize 4 requiring a "
                            "storage size of 44 are out of bounds for storage of size 36"));
  BOOST_CHECK_THROW(as_strided(x, {3, 3}, {3, 2}), ValueError);
  BOOST_CHECK_THROW(as_strided(x, {2}, {1}, 8), ValueError);
  BOOST_CHECK_NO_THROW(as_strided(x, {1}, {1}, 8));
  BOOST_CHECK_THROW(as_strided(x, {2, 2}, {1}), ShapeError);
  BOOST_CHECK_THROW(as_strided(x, {2}, {-1}), ValueError);
  BOOST_CHECK_THROW(as_strided(x, {-2}, {1}), ValueError);
  BOOST_CHECK_THROW(as_strided(x, {1}, {1}, -1), ValueError);
  BOOST_CHECK_THROW(as_strided(Tensor(), {1}, {1}), ValueError);
  BOOST_CHECK(contains(what_of([&] { _reshape_alias(x, {10}, {1}); }), "_reshape_alias:"));
  // An empty view needs no storage.
  check_sizes(as_strided(x, {0, 5}, {100, 100}, 100), {0, 5});
}

BOOST_AUTO_TEST_CASE(gradients) {
  // grad of as_strided(w, [2, 2], [1, 1]) weighted [[1, 2], [3, 4]]: storage element 1 is read twice.
  Tensor w = arange(9, kFloat32).view({3, 3}).detach().requires_grad_();
  (as_strided(w, {2, 2}, {1, 1}) * tensor({{1.f, 2.f}, {3.f, 4.f}})).sum().backward();
  check_values(w.grad(), {1, 5, 4, 0, 0, 0, 0, 0, 0});
  // Through an expanded (self-overlapping) input: each copy gets its share.
  Tensor v = arange(3, kFloat32).detach().requires_grad_();
  (as_strided(v.expand({2, 3}), {3}, {1}) * tensor({1.f, 10.f, 100.f})).sum().backward();
  check_values(v.grad(), {1, 10, 100});
  // _reshape_alias(y * y, [9], [1]) weighted arange(9): 2 y arange(9).
  Tensor y = arange(9, kFloat32).view({3, 3}).detach().requires_grad_();
  Tensor ra = _reshape_alias(y * y, {9}, {1});
  BOOST_CHECK_EQUAL(grad_fn_name(ra), "ReshapeAliasBackward0");
  (ra * arange(9, kFloat32)).sum().backward();
  check_values(y.grad(), {0, 2, 8, 18, 32, 50, 72, 98, 128});
  // LibTorch's check: the same gradient as view(-1).
  Tensor p = randn({3, 3}, requires_grad());
  Tensor q = p.detach().clone().requires_grad_();
  (p * p).view({-1}).mean().backward();
  _reshape_alias(q * q, {9}, {1}).mean().backward();
  BOOST_CHECK(p.grad().equal(q.grad()));

  Tensor a = leaf64({3, 4});
  gradcheck1([](const autograd::variable_list& in) { return as_strided(in[0], {2, 3}, {1, 2}, 1); }, {a});
  gradcheck1([](const autograd::variable_list& in) { return as_strided(in[0], {3, 3}, {1, 1}); }, {a});
  gradcheck1([](const autograd::variable_list& in) { return as_strided(in[0].t(), {4}, {1}); }, {a});
  gradcheck1([](const autograd::variable_list& in) { return _reshape_alias(in[0], {2, 6}, {6, 1}); }, {a});
  // Twice differentiable: the backward is made of differentiable ops.
  gradcheck1(
      [](const autograd::variable_list& in) {
        AutoGradMode enable(true);
        Tensor s = as_strided(in[0], {2, 2}, {1, 1}).square().sum();
        return autograd::grad({s}, {in[0]}, {}, true, true)[0];
      },
      {a});
}

BOOST_AUTO_TEST_SUITE_END()

// ---- unbind / chunk / split / split_with_sizes / diagonal / pow_ -------------------------------
// Reference: tests/reference/split_ops.py (PyTorch 1.13, float64).

BOOST_AUTO_TEST_SUITE(split_ops)

namespace {

using autograd::variable_list;
using xgrad::testing::contains;
using xgrad::testing::what_of;

// 0, 1, ..., 29 as a [2, 5, 3] float64 leaf (the script's x).
Tensor x30() { return arange(30, kFloat64).view({2, 5, 3}).detach().requires_grad_(); }

// 1, 2, 3, ... in t's shape (the script's weights()).
Tensor weights(const Tensor& t) { return arange(1, t.numel() + 1, kFloat64).view(t.sizes()); }

// d/dx of sum over `used` of (outs[i] * weights(outs[i])).sum(); the other outputs get no gradient.
Tensor grad_of(const Tensor& x, const std::vector<Tensor>& outs, const std::vector<size_t>& used) {
  Tensor loss = zeros({}, kFloat64);
  for (size_t i : used) loss = loss + (outs[i] * weights(outs[i])).sum();
  return autograd::grad({loss}, {x})[0];
}

void check_piece(const Tensor& t, const std::vector<int64_t>& sizes, int64_t offset, const std::vector<double>& values) {
  check_sizes(t, sizes);
  BOOST_CHECK_EQUAL(t.storage_offset(), offset);
  check_values(t, values, 0.0, 0.0);
}

// The outputs of `fn` concatenated into one tensor, so that gradcheck/gradgradcheck see every output.
std::function<Tensor(const variable_list&)> joined(std::function<std::vector<Tensor>(const Tensor&)> fn) {
  return [fn](const variable_list& in) {
    std::vector<Tensor> flat;
    for (const auto& t : fn(in[0])) flat.push_back(t.reshape({-1}));
    return cat(flat);
  };
}

}  // namespace

BOOST_AUTO_TEST_CASE(unbind_values_views_and_gradients) {
  Tensor x = x30();
  auto u = x.unbind(1);
  BOOST_REQUIRE_EQUAL(u.size(), 5u);
  check_piece(u[0], {2, 3}, 0, {0, 1, 2, 15, 16, 17});
  check_piece(u[3], {2, 3}, 9, {9, 10, 11, 24, 25, 26});
  check_strides(u[4], {15, 1});
  BOOST_CHECK_EQUAL(grad_fn_name(u[0]), "UnbindBackward0");
  BOOST_CHECK(u[2].is_view());
  BOOST_CHECK(u[2]._base().is_same(x));
  BOOST_CHECK(shares_storage(u[2], x));
  // Outputs 0 and 3 used; the others contribute zeros.
  check_values(grad_of(x, u, {0, 3}), {1, 2, 3, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0,
                                       4, 5, 6, 0, 0, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0}, 0.0, 0.0);
  auto v = xgrad::unbind(x, -1);
  BOOST_REQUIRE_EQUAL(v.size(), 3u);
  check_piece(v[1], {2, 5}, 1, {1, 4, 7, 10, 13, 16, 19, 22, 25, 28});
  check_strides(v[1], {15, 3});
  check_values(grad_of(x, v, {2}), {0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5,
                                    0, 0, 6, 0, 0, 7, 0, 0, 8, 0, 0, 9, 0, 0, 10}, 0.0, 0.0);
  // A 0-size dim gives no tensors; a 1-D tensor gives 0-D ones.
  BOOST_CHECK(zeros({0, 3}).unbind().empty());
  auto s = arange(3, kFloat32).unbind();
  BOOST_REQUIRE_EQUAL(s.size(), 3u);
  check_sizes(s[2], {});
  BOOST_CHECK_EQUAL(s[2].item<float>(), 2.f);
}

BOOST_AUTO_TEST_CASE(chunk_uneven_and_fewer_pieces) {
  Tensor x = x30();
  auto c = x.chunk(3, 1);  // 5 into 3: 2, 2, 1
  BOOST_REQUIRE_EQUAL(c.size(), 3u);
  check_piece(c[0], {2, 2, 3}, 0, {0, 1, 2, 3, 4, 5, 15, 16, 17, 18, 19, 20});
  check_piece(c[1], {2, 2, 3}, 6, {6, 7, 8, 9, 10, 11, 21, 22, 23, 24, 25, 26});
  check_piece(c[2], {2, 1, 3}, 12, {12, 13, 14, 27, 28, 29});
  check_strides(c[2], {15, 3, 1});
  BOOST_CHECK_EQUAL(grad_fn_name(c[0]), "SplitBackward0");
  BOOST_CHECK(c[1].is_view() && c[1]._base().is_same(x));
  check_values(grad_of(x, c, {0, 2}), {1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 1, 2, 3,
                                       7, 8, 9, 10, 11, 12, 0, 0, 0, 0, 0, 0, 4, 5, 6}, 0.0, 0.0);
  // 5 into 4 with a negative dim: ceil(5 / 4) = 2 elements each, so only 3 pieces.
  auto d = xgrad::chunk(x, 4, -2);
  BOOST_REQUIRE_EQUAL(d.size(), 3u);
  check_piece(d[2], {2, 1, 3}, 12, {12, 13, 14, 27, 28, 29});
  auto e = arange(6, kFloat32).chunk(4);
  BOOST_REQUIRE_EQUAL(e.size(), 3u);
  check_piece(e[2], {2}, 4, {4, 5});
  // An empty dim: `chunks` empty pieces.
  auto z = zeros({2, 0}).chunk(3, 1);
  BOOST_REQUIRE_EQUAL(z.size(), 3u);
  for (const auto& t : z) check_sizes(t, {2, 0});
  // More chunks than elements: one element each.
  BOOST_CHECK_EQUAL(arange(5, kFloat32).chunk(10).size(), 5u);
}

BOOST_AUTO_TEST_CASE(split_by_size_and_by_sizes) {
  Tensor x = x30();
  auto s = x.split(2, -1);  // 3 by 2: 2, 1
  BOOST_REQUIRE_EQUAL(s.size(), 2u);
  check_piece(s[0], {2, 5, 2}, 0, {0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22, 24, 25, 27, 28});
  check_piece(s[1], {2, 5, 1}, 2, {2, 5, 8, 11, 14, 17, 20, 23, 26, 29});
  check_strides(s[1], {15, 3, 1});
  BOOST_CHECK_EQUAL(grad_fn_name(s[0]), "SplitBackward0");
  check_values(grad_of(x, s, {1}), {0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5,
                                    0, 0, 6, 0, 0, 7, 0, 0, 8, 0, 0, 9, 0, 0, 10}, 0.0, 0.0);
  auto w = x.split({1, 3, 1}, 1);
  BOOST_REQUIRE_EQUAL(w.size(), 3u);
  check_piece(w[0], {2, 1, 3}, 0, {0, 1, 2, 15, 16, 17});
  check_piece(w[1], {2, 3, 3}, 3, {3, 4, 5, 6, 7, 8, 9, 10, 11, 18, 19, 20, 21, 22, 23, 24, 25, 26});
  check_piece(w[2], {2, 1, 3}, 12, {12, 13, 14, 27, 28, 29});
  BOOST_CHECK_EQUAL(grad_fn_name(w[0]), "SplitWithSizesBackward0");
  BOOST_CHECK(w[1].is_view() && w[1]._base().is_same(x));
  check_values(grad_of(x, w, {1, 2}), {0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3,
                                       0, 0, 0, 10, 11, 12, 13, 14, 15, 16, 17, 18, 4, 5, 6}, 0.0, 0.0);
  // The free functions and split_with_sizes are the same op.
  auto f = xgrad::split_with_sizes(x, {0, 2}, 0);
  BOOST_REQUIRE_EQUAL(f.size(), 2u);
  check_sizes(f[0], {0, 5, 3});
  check_piece(f[1], {2, 5, 3}, 0, x.detach().to_vector<double>());
  BOOST_CHECK_EQUAL(grad_fn_name(f[0]), "SplitWithSizesBackward0");
  BOOST_CHECK_EQUAL(xgrad::split(x, std::vector<int64_t>{4, 1}, 1)[1].storage_offset(), 12);
  BOOST_CHECK_EQUAL(x.split_with_sizes({2, 3}, -2)[1].size(1), 3);
  // A size past the end gives one piece; a 0 size splits a 0-size dim into one empty piece.
  auto one = xgrad::split(x, 7, 1);
  BOOST_REQUIRE_EQUAL(one.size(), 1u);
  check_sizes(one[0], {2, 5, 3});
  BOOST_CHECK_EQUAL(grad_fn_name(one[0]), "SplitBackward0");
  auto empty = zeros({0, 3}).split(0);
  BOOST_REQUIRE_EQUAL(empty.size(), 1u);
  check_sizes(empty[0], {0, 3});
}

BOOST_AUTO_TEST_CASE(views_of_a_view_have_its_base) {
  Tensor y = randn({3, 4}, kFloat64).requires_grad_().clone();
  Tensor v = y.slice(0, 1);
  BOOST_CHECK(v.unbind(1)[0]._base().is_same(y));
  BOOST_CHECK(v.chunk(2, 1)[1]._base().is_same(y));
  BOOST_CHECK(v.diagonal()._base().is_same(y));
  // Without autograd too.
  Tensor p = zeros({3, 4});
  BOOST_CHECK(p.split(2)[1].is_view() && p.split(2)[1]._base().is_same(p));
  // A write through an output reaches the base when nothing requires grad (as PyTorch).
  p.unbind()[1].add_(5);
  check_values(p, {0, 0, 0, 0, 5, 5, 5, 5, 0, 0, 0, 0}, 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(diagonal_offsets_on_non_square_and_non_contiguous) {
  Tensor m = arange(15, kFloat64).view({3, 5}).detach().requires_grad_();
  check_piece(m.diagonal(), {3}, 0, {0, 6, 12});
  check_strides(m.diagonal(), {6});
  check_piece(m.diagonal(2), {3}, 2, {2, 8, 14});
  check_piece(m.diagonal(-1), {2}, 5, {5, 11});
  check_piece(m.diagonal(4), {1}, 4, {4});
  // Past the edge: empty, at the tensor's own offset.
  check_piece(m.diagonal(5), {0}, 0, {});
  check_piece(m.diagonal(-3), {0}, 0, {});
  check_piece(xgrad::diagonal(m, -7), {0}, 0, {});
  BOOST_CHECK_EQUAL(grad_fn_name(m.diagonal()), "DiagonalBackward0");
  BOOST_CHECK(m.diagonal(1).is_view() && m.diagonal(1)._base().is_same(m));
  Tensor d = m.diagonal(1);
  check_values(autograd::grad({(d * weights(d)).sum()}, {m})[0], {0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0}, 0.0,
               0.0);
  d = m.diagonal(-2);
  check_values(autograd::grad({(d * weights(d)).sum()}, {m})[0], {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 0.0,
               0.0);

  // arange(60).view(4, 3, 5).transpose(0, 2): [5, 3, 4], strides [1, 5, 15].
  Tensor t = arange(60, kFloat64).view({4, 3, 5}).transpose(0, 2).detach().requires_grad_();
  BOOST_CHECK(!t.is_contiguous());
  Tensor a = t.diagonal(1, -1, 0);
  check_piece(a, {3, 4}, 1, {1, 17, 33, 49, 6, 22, 38, 54, 11, 27, 43, 59});
  check_strides(a, {5, 16});
  check_values(autograd::grad({(a * weights(a)).sum()}, {t})[0],
               {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 9, 0, 0, 0, 0, 2, 0, 0, 0, 6,
                0, 0, 0, 10, 0, 0, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, 11, 0, 0, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0, 12},
               0.0, 0.0);
  Tensor b = t.diagonal(-1, 1, 2);
  check_piece(b, {5, 2}, 5, {5, 25, 6, 26, 7, 27, 8, 28, 9, 29});
  check_strides(b, {1, 20});
  check_values(autograd::grad({(b * weights(b)).sum()}, {t})[0],
               {0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 5, 0,
                0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 10, 0, 0},
               0.0, 0.0);
  // diagonal is an ordinary view: writing into it is recorded (CopySlices on the base).
  Tensor y = arange(12, kFloat64).view({3, 4}).detach().requires_grad_().clone();
  y.diagonal(1).mul_(10);
  check_values(y, {0, 10, 2, 3, 4, 5, 60, 7, 8, 9, 10, 110}, 0.0, 0.0);
  BOOST_CHECK_EQUAL(grad_fn_name(y), "CopySlices");
}

BOOST_AUTO_TEST_CASE(gradcheck_and_gradgradcheck) {
  Tensor x = leaf64({2, 5, 3});
  Tensor nc = randn({3, 5, 2}, kFloat64).transpose(0, 2).detach().requires_grad_();  // [2, 5, 3], strided
  const std::vector<std::function<std::vector<Tensor>(const Tensor&)>> ops = {
      [](const Tensor& t) { return t.unbind(1); },
      [](const Tensor& t) { return t.unbind(-1); },
      [](const Tensor& t) { return t.chunk(3, 1); },
      [](const Tensor& t) { return t.chunk(2, 0); },
      [](const Tensor& t) { return t.split(2, -1); },
      [](const Tensor& t) { return t.split({1, 3, 1}, 1); },
      [](const Tensor& t) { return t.split_with_sizes({0, 2}, 0); },
      [](const Tensor& t) { return std::vector<Tensor>{t.diagonal()}; },
      [](const Tensor& t) { return std::vector<Tensor>{t.diagonal(1, 2, 1)}; },
      [](const Tensor& t) { return std::vector<Tensor>{t.diagonal(-2, -2, -1)}; },
      [](const Tensor& t) { return std::vector<Tensor>{t.diagonal(2, 0, 2)}; },
  };
  for (const auto& op : ops)
    for (const Tensor& in : {x, nc}) {
      BOOST_CHECK(autograd::gradcheck(joined(op), {in}));
      BOOST_CHECK(autograd::gradgradcheck(joined(op), {in}));
    }
  // Only some outputs used: the unused ones contribute zeros (first and second order).
  const auto first_and_last = [](const variable_list& in) {
    auto s = in[0].split(2, 1);
    return (s.front() * s.front()).sum() + s.back().sum();
  };
  BOOST_CHECK(autograd::gradcheck(first_and_last, {x}));
  BOOST_CHECK(autograd::gradgradcheck(first_and_last, {x}));
  const auto one_of_unbind = [](const variable_list& in) { return in[0].unbind(2)[1].pow(2); };
  BOOST_CHECK(autograd::gradcheck(one_of_unbind, {nc}));
  BOOST_CHECK(autograd::gradgradcheck(one_of_unbind, {nc}));
}

BOOST_AUTO_TEST_CASE(outputs_of_multi_output_ops_refuse_in_place_ops) {
  const std::string multi =
      "This view is the output of a function that returns multiple views. Such functions do not allow the output "
      "views to be modified inplace. You should replace the inplace operation by an out-of-place one.";
  {
    Tensor y = randn({3, 4}, kFloat64).requires_grad_().clone();
    const std::string msg = what_of([&] { y.unbind()[0].mul_(2); });
    BOOST_CHECK_MESSAGE(contains(msg, "Output 0 of UnbindBackward0 is a view and is being modified inplace. " + multi),
                        msg);
    BOOST_CHECK_THROW(y.unbind()[2].add_(1), AutogradError);
    BOOST_CHECK_THROW(y.split({1, 2})[1].zero_(), AutogradError);
    BOOST_CHECK_THROW(y.chunk(2)[1].pow_(2), AutogradError);
    BOOST_CHECK_MESSAGE(
        contains(what_of([&] { y.split(2)[1].copy_(zeros({1, 4}, kFloat64)); }), "Output 1 of SplitBackward0"),
        what_of([&] { y.split(2)[1].copy_(zeros({1, 4}, kFloat64)); }));
  }
  {
    // A single output is refused too (PyTorch marks every output of these ops).
    Tensor y = randn({3, 4}, kFloat64).requires_grad_().clone();
    const std::string msg = what_of([&] { y.split(3)[0].add_(1); });
    BOOST_CHECK_MESSAGE(contains(msg, "Output 0 of SplitBackward0 is a view and is being modified inplace. " + multi),
                        msg);
  }
  {
    // The base modified in place after the split: using an output's history is refused.
    Tensor y = randn({3, 4}, kFloat64).requires_grad_().clone();
    auto s = y.split(2);
    y.add_(1);
    const std::string msg = what_of([&] { (void)s[0].grad_fn(); });
    BOOST_CHECK_MESSAGE(contains(msg, "Output 0 of SplitBackward0 is a view and its base or another view of its base "
                                      "has been modified inplace. " + multi),
                        msg);
  }
  {
    // A base that does not require grad, written from an operand that does.
    Tensor z = randn({3, 4}, kFloat64);
    Tensor w = randn({4}, kFloat64).requires_grad_();
    const std::string msg = what_of([&] { z.chunk(2)[1].mul_(w); });
    BOOST_CHECK_MESSAGE(contains(msg, "A view was created in no_grad mode and is being modified inplace with grad mode "
                                      "enabled. " + multi),
                        msg);
  }
  {
    // Made under NoGradGuard: a no_grad view, refused with that message.
    Tensor y = randn({3, 4}, kFloat64).requires_grad_().clone();
    Tensor a;
    {
      NoGradGuard g;
      a = y.unbind()[0];
    }
    const std::string msg = what_of([&] { a.mul_(2); });
    BOOST_CHECK_MESSAGE(contains(msg, "A view was created in no_grad mode and is being modified inplace with grad mode "
                                      "enabled. Given that this use case is ambiguous"),
                        msg);
  }
  {
    // Outside autograd they may be written (values checked in views_of_a_view_have_its_base).
    Tensor y = randn({3, 4}, kFloat64).requires_grad_().clone();
    NoGradGuard g;
    BOOST_CHECK_NO_THROW(y.unbind()[0].mul_(2));
  }
}

BOOST_AUTO_TEST_CASE(pow_in_place_values_and_gradients) {
  Tensor p = tensor({0.5, 1.5, 2.0, 3.0}, kFloat64).requires_grad_();
  Tensor e = tensor({2.0, -1.0, 0.5, 3.0}, kFloat64).requires_grad_();
  Tensor q = p * 1.0;
  Tensor& r = q.pow_(e);
  BOOST_CHECK(r.is_same(q));
  check_values(q, {0.25, 0.66666666666666663, 1.4142135623730951, 27}, 1e-15, 1e-15);
  BOOST_CHECK_EQUAL(grad_fn_name(q), "PowBackward1");
  auto g = autograd::grad({(q * weights(q)).sum()}, {p, e});
  check_values(g[0], {1, -0.88888888888888884, 1.0606601717798214, 108}, 1e-14, 1e-14);
  check_values(g[1], {-0.17328679513998632, 0.54062014414421911, 2.9407744304056416, 118.65012717615586}, 1e-14,
               1e-14);
  q = p * 1.0;
  q.pow_(3);
  BOOST_CHECK_EQUAL(grad_fn_name(q), "PowBackward0");
  check_values(q, {0.125, 3.375, 8, 27}, 1e-15, 1e-15);
  check_values(autograd::grad({(q * weights(q)).sum()}, {p})[0], {0.75, 13.5, 36, 108}, 1e-14, 1e-14);
  // Broadcast exponent, integer powers, float32 from a float64 exponent.
  Tensor a = arange(6, kFloat64).view({2, 3});
  a.pow_(tensor({0.0, 1.0, 2.0}, kFloat64));
  check_values(a, {1, 1, 4, 1, 4, 25}, 0.0, 0.0);
  Tensor i = tensor({2, 3, -2});
  i.pow_(3);
  xgrad::testing::check_exact(i, kInt64, {8, 27, -8});
  Tensor j = tensor({2, 3, -2, 1});
  j.pow_(tensor({2, -1, 3, -5}));
  xgrad::testing::check_exact(j, kInt64, {4, 0, -8, 1});
  Tensor f = tensor({1.5, 2.5}, kFloat32);
  f.pow_(tensor({2.0, 0.5}, kFloat64));
  xgrad::testing::check_exact(f, kFloat32, {2.25, 1.5811388492584229});
  // x.pow_(x) reads x before writing it.
  Tensor s = tensor({2.0, 3.0}, kFloat64);
  s.pow_(s);
  check_values(s, {4, 27}, 0.0, 0.0);
  // The version is bumped: a node that saved the old values refuses to run.
  Tensor l = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor m = l * 2.0;
  Tensor n = m.sin();  // saves m
  m.pow_(2);
  BOOST_CHECK_THROW(n.sum().backward(), AutogradError);
  // Gradients through pow_ on a view of a non-leaf (CopySlices), and finite differences.
  const auto on_view = [](const variable_list& in) {
    Tensor y = in[0] * 1.0;
    y.narrow(0, 1, 2).pow_(in[1]);
    return y;
  };
  Tensor base = (rand({4}, kFloat64) + 0.5).detach().requires_grad_();
  Tensor ex = randn({2}, kFloat64).requires_grad_();
  BOOST_CHECK(autograd::gradcheck(on_view, {base, ex}));
  BOOST_CHECK(autograd::gradgradcheck(on_view, {base, ex}));
  const auto scalar_pow = [](const variable_list& in) { return (in[0] * 1.0).pow_(2.5); };
  BOOST_CHECK(autograd::gradcheck(scalar_pow, {base}));
  BOOST_CHECK(autograd::gradgradcheck(scalar_pow, {base}));
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_the_values) {
  Tensor x = zeros({3, 4});
  BOOST_CHECK_THROW(x.unbind(2), IndexError);
  BOOST_CHECK(contains(what_of([&] { x.unbind(2); }), "unbind: dimension 2 out of range"));
  BOOST_CHECK(contains(what_of([&] { zeros({}).unbind(); }), "Dimension specified as 0 but tensor has no dimensions"));
  BOOST_CHECK_THROW(zeros({}).unbind(), IndexError);
  BOOST_CHECK_THROW(x.chunk(0), ValueError);
  BOOST_CHECK(contains(what_of([&] { x.chunk(-1); }), "chunk: expects `chunks` to be greater than 0, got: -1"));
  BOOST_CHECK_THROW(zeros({}).chunk(1), IndexError);
  BOOST_CHECK(contains(what_of([&] { zeros({}).chunk(1); }), "chunk: expects at least a 1-dimensional tensor"));
  BOOST_CHECK_THROW(x.chunk(2, -3), IndexError);
  BOOST_CHECK_THROW(x.split(-1), ValueError);
  BOOST_CHECK(contains(what_of([&] { x.split(-1); }), "split: expects split_size to be non-negative, but got "
                                                      "split_size=-1"));
  BOOST_CHECK(contains(what_of([&] { x.split(0); }), "split: split_size can only be 0 if dimension size is 0, but "
                                                     "got dimension size of 3"));
  BOOST_CHECK_THROW(x.split(0), ValueError);
  BOOST_CHECK_THROW(zeros({}).split(1), IndexError);
  BOOST_CHECK_THROW(x.split(1, 2), IndexError);
  BOOST_CHECK_THROW(x.split({1, 1}), ValueError);
  BOOST_CHECK(contains(what_of([&] { x.split({1, 1}); }), "split: expects split_sizes to sum exactly to 3 (input "
                                                          "tensor's size at dimension 0), but got split_sizes=[1, 1]"));
  BOOST_CHECK(contains(what_of([&] { x.split_with_sizes({4, -1}); }),
                       "split_with_sizes: expects split_sizes to have only non-negative entries, but got "
                       "split_sizes=[4, -1]"));
  BOOST_CHECK_THROW(x.split_with_sizes({2, 3}, 1), ValueError);
  BOOST_CHECK_NO_THROW(x.split_with_sizes({2, 2}, 1));
  BOOST_CHECK_THROW(x.diagonal(0, 1, -1), ValueError);
  BOOST_CHECK(contains(what_of([&] { x.diagonal(0, 1, -1); }), "diagonal: diagonal dimensions cannot be identical 1, "
                                                               "-1"));
  BOOST_CHECK_THROW(x.diagonal(0, 0, 2), IndexError);
  BOOST_CHECK_THROW(zeros({3}).diagonal(), IndexError);
  BOOST_CHECK_THROW(Tensor().unbind(), ValueError);
  BOOST_CHECK_THROW(Tensor().split(1), ValueError);
  BOOST_CHECK_THROW(Tensor().diagonal(), ValueError);
  // pow_
  BOOST_CHECK_THROW(tensor({2}).pow_(0.5), TypeError);
  BOOST_CHECK(contains(what_of([&] { tensor({2}).pow_(0.5); }), "pow_: result type"));
  BOOST_CHECK_THROW(tensor({2}).pow_(tensor({0.5})), TypeError);
  BOOST_CHECK_THROW(tensor({2}).pow_(-1), ValueError);
  BOOST_CHECK(contains(what_of([&] { tensor({2}).pow_(-1); }), "pow_: Integers to negative integer powers are not "
                                                               "allowed"));
  BOOST_CHECK_THROW(zeros({3}).pow_(zeros({2, 3})), ShapeError);
  BOOST_CHECK(contains(what_of([&] { zeros({3}).pow_(zeros({2, 3})); }), "pow_: output with shape [3] doesn't match "
                                                                         "the broadcast shape [2, 3]"));
  BOOST_CHECK_THROW(zeros({3}, requires_grad()).pow_(2), AutogradError);
  BOOST_CHECK_THROW(zeros({3}).pow_(Tensor()), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
