#define BOOST_TEST_MODULE tensor_idioms
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

// LibTorch idioms of Tensor (issue 9, item 3): untyped item() and data_ptr(), autograd::Variable,
// to(TensorOptions), resize_, set_data, tensor(ArrayRef / std::vector), in-place methods on
// const handles, mixed braced literals, views made under NoGradGuard and backward's arguments.
// Expected behaviour is LibTorch 1.13's (tests/compat/tensor_idioms.cpp runs the same idioms
// against LibTorch and stores its output) or worked by hand.

using namespace xgrad;
using xgrad::testing::contains;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

namespace {
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

BOOST_AUTO_TEST_CASE(untyped_item_returns_a_scalar_of_the_tensor_kind) {
  const Scalar f = tensor({0.5, 1.5, -2.25}).sum().item();
  BOOST_TEST(f.isFloatingPoint());
  BOOST_TEST(f.toDouble() == -0.25);
  BOOST_TEST(f.toFloat() == -0.25f);
  const Scalar d = tensor({0.1, 0.2}, kFloat64)[1].item();
  BOOST_TEST(d.toDouble() == 0.2);  // float64 kept exactly
  const Scalar i = tensor({int64_t{1} << 60}).sum().item();
  BOOST_TEST(i.isIntegral(false));
  BOOST_TEST(i.toLong() == int64_t{1} << 60);
  const Scalar b = tensor({true, false})[0].item();
  BOOST_TEST(b.isBoolean());
  BOOST_TEST(b.toBool());
  // A one-element view at an offset reads its own element.
  BOOST_TEST(arange(10).slice(0, 7, 8).item().toLong() == 7);
  BOOST_TEST(arange(6).reshape({2, 3}).t()[2][1].item().toLong() == 5);
  // Typed item<T>() stays.
  BOOST_TEST(tensor({2.5}).item<double>() == 2.5);
  BOOST_CHECK_THROW(tensor({1.0, 2.0}).item(), ValueError);
  BOOST_CHECK_THROW(Tensor().item(), ValueError);
}

BOOST_AUTO_TEST_CASE(variable_is_tensor) {
  static_assert(std::is_same_v<autograd::Variable, Tensor>);
  autograd::Variable v = ones({2}, requires_grad());
  (v * 3).sum().backward();
  check_values(v.grad(), {3, 3}, 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(untyped_data_ptr) {
  Tensor f = tensor({1.0, 2.0, 3.0});
  void* p = f.data_ptr();
  BOOST_TEST(p == static_cast<void*>(f.data_ptr<float>()));
  // A view points at its first element.
  BOOST_TEST(f.slice(0, 1).data_ptr() == static_cast<void*>(f.data_ptr<float>() + 1));
  static_cast<float*>(p)[2] = 7.0f;
  check_values(f, {1, 2, 7}, 0.0, 0.0);
  BOOST_CHECK_THROW(Tensor().data_ptr(), ValueError);
}

BOOST_AUTO_TEST_CASE(to_tensor_options) {
  const Tensor f = tensor({0.5, 1.5, -2.25});
  const Tensor d = f.to(TensorOptions().dtype(kFloat64));
  BOOST_TEST((d.dtype() == kFloat64));
  check_values(d, {0.5, 1.5, -2.25}, 0.0, 0.0);
  const Tensor l = f.to(dtype(kInt64));
  BOOST_TEST((l.dtype() == kInt64));
  check_values(l, {0, 1, -2}, 0.0, 0.0);
  // No dtype, or the same one: the tensor itself (as LibTorch); copy=true always copies.
  BOOST_TEST(f.to(TensorOptions()).is_same(f));
  BOOST_TEST(f.to(f.options()).is_same(f));
  BOOST_TEST(!f.to(f.options(), /*non_blocking=*/false, /*copy=*/true).is_same(f));
  BOOST_TEST(!f.to(kFloat32, /*non_blocking=*/true, /*copy=*/true).is_same(f));
  BOOST_TEST(f.to(kFloat32, /*non_blocking=*/true).is_same(f));
  BOOST_TEST(f.to(TensorOptions().requires_grad(false)).is_same(f));
  BOOST_CHECK_THROW(f.to(TensorOptions().requires_grad(true)), ValueError);
  // Differentiable, as to(dtype).
  const Tensor x = tensor({1.0, 2.0}, requires_grad());
  (x.to(TensorOptions(kFloat64)) * 2).sum().backward();
  check_values(x.grad(), {2, 2}, 0.0, 0.0);
  BOOST_TEST((x.grad().dtype() == kFloat32));
}

BOOST_AUTO_TEST_CASE(tensor_from_array_refs_and_vectors) {
  const std::vector<double> vd = {0.1, 0.2};
  const std::vector<int> vi = {6, 7};
  const std::vector<int64_t> vl = {4, 5};
  const std::vector<float> vf = {1.5f, 2.5f};
  // LibTorch 1.13 gives the default dtype (float32) for double data too.
  const Tensor td = tensor(vd);
  BOOST_TEST((td.dtype() == kFloat32));
  check_values(td, {0.1f, 0.2f}, 0.0, 0.0);
  BOOST_TEST((tensor(ArrayRef<double>(vd)).dtype() == kFloat32));
  BOOST_TEST((tensor(vd, kFloat64).dtype() == kFloat64));
  check_values(tensor(vd, kFloat64), {0.1, 0.2}, 0.0, 0.0);
  BOOST_TEST((tensor(ArrayRef<int>(vi)).dtype() == kInt64));
  check_values(tensor(ArrayRef<int>(vi)), {6, 7}, 0.0, 0.0);
  check_values(tensor(ArrayRef<int64_t>(vl)), {4, 5}, 0.0, 0.0);
  check_values(tensor(ArrayRef<float>(vf)), {1.5, 2.5}, 0.0, 0.0);
  const bool bools[] = {true, false, true};
  const Tensor tb = tensor(ArrayRef<bool>(bools, 3));
  BOOST_TEST((tb.dtype() == kBool));
  check_values(tb, {1, 0, 1}, 0.0, 0.0);
  check_sizes(tensor(ArrayRef<double>()), {0});
  const Tensor w = tensor(vd, requires_grad());
  BOOST_TEST(w.requires_grad());
}

BOOST_AUTO_TEST_CASE(mixed_braced_literals_are_type_errors) {
  // LibTorch: "Expected all elements of the tensor to have the same scalar type: Int, but got
  // element of scalar type: Double".
  const std::string m = message_of([] { tensor({1, 2.0}); });
  BOOST_TEST(contains(m, "Expected all elements of the tensor to have the same scalar type: Int, but got element of "
                        "scalar type: Double"),
             m);
  const std::string b = message_of([] { tensor({{true}, {2}}); });
  BOOST_TEST(contains(b, "same scalar type: Bool, but got element of scalar type: Int"), b);
  BOOST_CHECK_THROW(tensor({1, 2.0}), TypeError);
  BOOST_CHECK_THROW(tensor({true, 1}), TypeError);
  BOOST_CHECK_THROW(tensor({1.0f, 2.0}), TypeError);
  BOOST_CHECK_THROW(tensor({1, int64_t{2}}), TypeError);  // int and int64_t differ, as in LibTorch
  BOOST_CHECK_THROW(tensor({{1, 2}, {3.0, 4.0}}), TypeError);
  const std::vector<float> r0 = {1, 2};
  const std::vector<double> r1 = {3, 4};
  BOOST_CHECK_THROW(tensor({r0, r1}), TypeError);
  // One type throughout is fine, and empty sub-lists take part in no type check.
  check_values(tensor({{1., 2.}, {3., 4.}}), {1, 2, 3, 4}, 0.0, 0.0);
  check_sizes(tensor({{}, {}}), {2, 0});
  BOOST_TEST((tensor({int64_t{1}, int64_t{2}}).dtype() == kInt64));
}

BOOST_AUTO_TEST_CASE(resize_keeps_elements_and_grows_shared_storage) {
  Tensor r = arange(6);
  const Tensor old_view = r.view({2, 3});
  r.resize_({2, 2});
  check_sizes(r, {2, 2});
  BOOST_TEST(r.is_contiguous());
  check_values(r, {0, 1, 2, 3}, 0.0, 0.0);
  r.resize_({3, 3});
  check_sizes(r, {3, 3});
  check_values(r.reshape({-1}).slice(0, 0, 6), {0, 1, 2, 3, 4, 5}, 0.0, 0.0);
  // The storage grew in place: a view made before still shares it (as PyTorch).
  BOOST_TEST(old_view.data_ptr() == r.data_ptr());
  old_view.fill_(9);
  check_values(r.reshape({-1}).slice(0, 0, 6), {9, 9, 9, 9, 9, 9}, 0.0, 0.0);
  // A view at an offset resizes from its own first element.
  Tensor base = arange(10, kFloat64);
  Tensor tail = base.slice(0, 4);
  tail.resize_({2});
  check_values(tail, {4, 5}, 0.0, 0.0);
  tail.resize_({8});  // needs 12 elements of storage
  check_values(tail.slice(0, 0, 6), {4, 5, 6, 7, 8, 9}, 0.0, 0.0);
  r.resize_({0});
  BOOST_TEST(r.numel() == 0);
  BOOST_CHECK_THROW(r.resize_({-1}), ValueError);
  const std::string m = message_of([] { ones({3}, requires_grad()).resize_({2}); });
  BOOST_TEST(contains(m, "cannot resize variables that require grad"), m);
  BOOST_CHECK_THROW(ones({3}, requires_grad()).resize_({2}), AutogradError);
  float blob[4] = {1, 2, 3, 4};
  Tensor borrowed = from_blob(blob, {4});
  borrowed.resize_({2});  // shrinking borrowed memory is fine
  BOOST_CHECK_THROW(borrowed.resize_({8}), ValueError);
}

BOOST_AUTO_TEST_CASE(set_data_swaps_the_data_and_keeps_the_autograd_identity) {
  Tensor x = ones({2}, requires_grad());
  const Tensor alias = x;  // another handle to the same tensor
  const Tensor y = tensor({4.0, 5.0, 6.0});
  x.set_data(y);
  check_values(alias, {4, 5, 6}, 0.0, 0.0);
  BOOST_TEST(x.data_ptr() == y.data_ptr());
  BOOST_TEST(x.requires_grad());
  BOOST_TEST(x.is_leaf());
  (x * x).sum().backward();
  check_values(x.grad(), {8, 10, 12}, 0.0, 0.0);
  // A new dtype is allowed (LibTorch: x.set_data(double tensor) gives a double x).
  Tensor z = ones({2}, requires_grad());
  z.set_data(zeros({3}, kFloat64));
  BOOST_TEST((z.dtype() == kFloat64));
  (z * 2).sum().backward();
  check_values(z.grad(), {2, 2, 2}, 0.0, 0.0);
  BOOST_TEST((z.grad().dtype() == kFloat64));
  BOOST_CHECK_THROW(z.set_data(Tensor()), ValueError);
}

BOOST_AUTO_TEST_CASE(in_place_methods_work_on_const_handles) {
  Tensor w = ones({3}, requires_grad());
  (w * w).sum().backward();
  check_values(w.grad(), {2, 2, 2}, 0.0, 0.0);
  w.grad().zero_();  // grad() returns const Tensor&
  check_values(w.grad(), {0, 0, 0}, 0.0, 0.0);
  const Tensor t = zeros({3});
  Tensor& r = t.add_(1);
  BOOST_TEST(&r == &t);
  t.mul_(tensor({1.0, 2.0, 3.0})).sub_(0.5).div_(2);
  check_values(t, {0.25, 0.75, 1.25}, 0.0, 0.0);
  t.fill_(2).clamp_(0, 1);
  check_values(t, {1, 1, 1}, 0.0, 0.0);
  t.copy_(tensor({3.0, 4.0, 5.0}));
  t.index_put_({0}, 7);
  t.uniform_(0, 1).normal_().bernoulli_(1.0).random_(1, 2);
  check_values(t, {1, 1, 1}, 0.0, 0.0);
  const Tensor leaf = zeros({2});
  leaf.requires_grad_();
  BOOST_TEST(leaf.requires_grad());
  const Tensor y = leaf * 2;
  y.detach_();
  BOOST_TEST(!y.requires_grad());
  const Tensor rr = arange(4);
  rr.resize_({2});
  check_sizes(rr, {2});
}

BOOST_AUTO_TEST_CASE(views_made_under_no_grad_report_requires_grad) {
  // PyTorch: with torch.no_grad(): v = x[0] -> v.requires_grad is True, v.is_leaf is True,
  // v.grad_fn is None; x.detach() and index_select (a copy) do not require grad.
  const Tensor x = ones({3}, requires_grad());
  Tensor v, u, n, sel, det, prod;
  {
    NoGradGuard guard;
    v = x[0];
    u = x.unsqueeze(0).t();
    n = x.narrow(0, 0, 2);
    sel = x.index_select(0, tensor({int64_t{0}}));
    det = x.detach();
    prod = x * 2;
  }
  BOOST_TEST(v.requires_grad());
  BOOST_TEST(v.is_leaf());
  BOOST_TEST(!v.grad_fn());
  BOOST_TEST(u.requires_grad());
  BOOST_TEST(n.requires_grad());
  BOOST_TEST(!sel.requires_grad());
  BOOST_TEST(!det.requires_grad());
  BOOST_TEST(!prod.requires_grad());
  // A view of a tensor that does not require grad does not.
  {
    NoGradGuard guard;
    BOOST_TEST(!zeros({3})[0].requires_grad());
  }
  // Backward through such a view runs and fills nothing (no gradient edge), as PyTorch.
  const Tensor y = v * 2;
  BOOST_TEST(y.requires_grad());
  y.backward();
  BOOST_TEST(!x.grad().defined());
  BOOST_TEST(!v.grad().defined());
  // In-place on it with grad mode on is refused; under NoGradGuard it writes the base.
  const std::string m = message_of([&] { v.mul_(2); });
  BOOST_TEST(contains(m, "created in no_grad mode"), m);
  BOOST_CHECK_THROW(v.mul_(2), AutogradError);
  {
    NoGradGuard guard;
    v.mul_(5);
  }
  check_values(x, {5, 1, 1}, 0.0, 0.0);
  // detach_() makes it a plain tensor.
  v.detach_();
  BOOST_TEST(!v.requires_grad());
}

BOOST_AUTO_TEST_CASE(backward_arguments) {
  Tensor a = tensor({1.0, 2.0}, requires_grad());
  const Tensor c = tensor({3.0, 4.0}, requires_grad());
  const Tensor y = (a * c).sum();
  y.backward({}, /*retain_graph=*/true, /*create_graph=*/false, std::vector<Tensor>{a});
  check_values(a.grad(), {3, 4}, 0.0, 0.0);
  BOOST_TEST(!c.grad().defined());  // only the listed inputs
  y.backward(tensor(2.0), true);
  check_values(a.grad(), {9, 12}, 0.0, 0.0);
  check_values(c.grad(), {2, 4}, 0.0, 0.0);
  const Tensor z = (a * a * a).sum();
  z.backward({}, true, /*create_graph=*/true);
  check_values(a.grad(), {12, 24}, 0.0, 0.0);
  BOOST_TEST(a.grad().requires_grad());
  // create_graph makes a.grad() hold a graph that holds a: break the cycle, as PyTorch advises.
  a.mutable_grad() = Tensor();
  BOOST_CHECK_THROW(y.backward({}, true, false, std::vector<Tensor>{}), ValueError);
}
