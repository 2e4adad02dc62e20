#define BOOST_TEST_MODULE tensor
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// A failed huge allocation must reach operator new's std::bad_alloc (and become an
// OutOfMemoryError) under ASan too, instead of ASan's allocation-size-too-big abort.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

using namespace xgrad;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

BOOST_AUTO_TEST_CASE(metadata) {
  auto x = zeros({2, 3, 4});
  BOOST_TEST(x.dim() == 3);
  BOOST_TEST(x.numel() == 24);
  BOOST_TEST(x.size(0) == 2);
  BOOST_TEST(x.size(-1) == 4);
  BOOST_TEST(x.size(-3) == 2);
  BOOST_CHECK_THROW(x.size(3), IndexError);
  BOOST_CHECK_THROW(x.size(-4), IndexError);
  BOOST_TEST(x.strides().vec() == std::vector<int64_t>({12, 4, 1}), boost::test_tools::per_element());
  BOOST_TEST(x.is_contiguous());
  BOOST_TEST(x.dtype() == kFloat32);
  BOOST_TEST(x.element_size() == 4u);
  BOOST_TEST(x.is_leaf());
  BOOST_TEST(!x.requires_grad());
}

BOOST_AUTO_TEST_CASE(copies_share_storage) {
  auto x = zeros({3});
  Tensor y = x;  // a handle copy, like torch::Tensor
  y.fill_(2.0);
  check_values(x, {2.0, 2.0, 2.0});
  BOOST_TEST(x.is_same(y));
}

BOOST_AUTO_TEST_CASE(item_and_to_vector) {
  auto x = tensor({{1.5, 2.5}, {3.5, 4.5}});
  BOOST_TEST(x.to_vector<float>() == std::vector<float>({1.5f, 2.5f, 3.5f, 4.5f}), boost::test_tools::per_element());
  BOOST_TEST(x.sum().item<float>() == 12.0f);
  BOOST_TEST(x.sum().item<double>() == 12.0);
  BOOST_CHECK_THROW(x.item<float>(), ValueError);
  // to_vector of a transposed view follows logical (row-major) order.
  BOOST_TEST(x.t().to_vector<double>() == std::vector<double>({1.5, 3.5, 2.5, 4.5}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(data_ptr_checks_the_type) {
  auto x = zeros({2});
  BOOST_CHECK_NO_THROW(x.data_ptr<float>());
  BOOST_CHECK_THROW(x.data_ptr<double>(), TypeError);
  BOOST_CHECK_THROW(Tensor().data_ptr<float>(), ValueError);
  // Fresh storage is aligned for SIMD loads.
  BOOST_TEST(reinterpret_cast<uintptr_t>(zeros({5}).data_ptr<float>()) % 64 == 0u);
}

BOOST_AUTO_TEST_CASE(dtype_conversion) {
  auto x = tensor({1.7, -2.2, 3.0});
  auto d = x.to(kFloat64);
  BOOST_TEST(d.dtype() == kFloat64);
  check_values(d, {1.7, -2.2, 3.0}, 1e-6);
  auto i = x.to(kInt64);
  BOOST_TEST(i.dtype() == kInt64);
  BOOST_TEST(i.to_vector<int64_t>() == std::vector<int64_t>({1, -2, 3}), boost::test_tools::per_element());
  BOOST_TEST(x.to(kFloat32).is_same(x));           // no copy when nothing changes
  BOOST_TEST(!x.to(kFloat32, /*non_blocking=*/false, /*copy=*/true).is_same(x));    // unless asked
}

BOOST_AUTO_TEST_CASE(to_is_differentiable) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = x.to(kFloat64);
  BOOST_TEST(y.grad_fn()->name() == "ToCopyBackward0");
  (y * y).sum().backward();
  BOOST_TEST(x.grad().dtype() == kFloat32);
  check_values(x.grad(), {2.0, 4.0});
  BOOST_CHECK_THROW(x.to(kInt64), TypeError);
}

BOOST_AUTO_TEST_CASE(contiguous_copies_only_when_needed) {
  auto x = arange(6.0, kFloat32).reshape({2, 3});
  BOOST_TEST(x.contiguous().is_same(x));
  auto t = x.t();
  BOOST_TEST(!t.is_contiguous());
  auto c = t.contiguous();
  BOOST_TEST(c.is_contiguous());
  BOOST_TEST(c.data_ptr<float>() != x.data_ptr<float>());
  check_values(c, {0, 3, 1, 4, 2, 5});
}

BOOST_AUTO_TEST_CASE(clone_is_independent_and_differentiable) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto c = x.clone();
  BOOST_TEST(c.grad_fn()->name() == "CloneBackward0");
  {
    NoGradGuard g;
    c.fill_(0.0);
  }
  check_values(x, {1.0, 2.0});
  (x.clone() * 3.0).sum().backward();
  check_values(x.grad(), {3.0, 3.0});
}

BOOST_AUTO_TEST_CASE(copy_broadcasts_and_converts) {
  auto x = zeros({2, 3}, kFloat64);
  x.copy_(tensor({1, 2, 3}));
  check_values(x, {1, 2, 3, 1, 2, 3});
  BOOST_CHECK_THROW(x.copy_(tensor({1.0, 2.0})), ShapeError);
  // Overlapping source and destination.
  auto y = arange(4.0, kFloat32);
  y.slice(0, 1, 4).copy_(y.slice(0, 0, 3));
  check_values(y, {0, 0, 1, 2});
}

BOOST_AUTO_TEST_CASE(requires_grad_rules) {
  BOOST_CHECK_THROW(zeros({2}, kInt64).requires_grad_(), TypeError);
  auto x = zeros({2}).requires_grad_();
  auto y = x * 2.0;
  BOOST_CHECK_THROW(y.requires_grad_(false), AutogradError);
  BOOST_TEST(y.requires_grad());
  x.requires_grad_(false);
  BOOST_TEST(!x.requires_grad());
}

BOOST_AUTO_TEST_CASE(version_counts_inplace_writes_through_views) {
  auto x = zeros({4});
  const auto v0 = x._version();
  x.slice(0, 0, 2).fill_(1.0);
  BOOST_TEST(x._version() > v0);
  check_values(x, {1, 1, 0, 0});
}

BOOST_AUTO_TEST_CASE(undefined_tensor_errors) {
  Tensor t;
  BOOST_TEST(!t.defined());
  BOOST_CHECK_THROW(t.dim(), ValueError);
  BOOST_CHECK_THROW(t.sizes(), ValueError);
  BOOST_CHECK_THROW(t.backward(), ValueError);
}

BOOST_AUTO_TEST_CASE(huge_or_negative_sizes_are_rejected) {
  BOOST_CHECK_THROW(empty({-1, 2}), ValueError);
  // 2^60 elements fit int64 and their bytes fit 2^63: the allocation fails (PyTorch: "not enough
  // memory"); sizes whose counts overflow are ValueErrors (tests/core/bad_input.cpp).
#ifndef __SANITIZE_ADDRESS__  // ASan aborts on this request instead of failing it
  BOOST_CHECK_THROW(empty({int64_t{1} << 30, int64_t{1} << 30}), OutOfMemoryError);
#endif
  check_sizes(empty({0, 3}), {0, 3});
  BOOST_TEST(empty({0, 3}).numel() == 0);
}

// LibTorch: assigning to a temporary view writes through it (Tensor::operator= &&).
BOOST_AUTO_TEST_CASE(assigning_to_a_view_writes_into_the_tensor) {
  auto x = zeros({3, 2});
  x[0] = ones({2});
  x[1] = 2.5;
  x.index({indexing::Slice(), 1}) = tensor({7.0f, 8.0f, 9.0f});
  x[2][0] = 4;
  check_values(x, {1, 7, 2.5, 8, 4, 9});
  x.select(1, 0) = tensor({-1.0f});  // broadcast
  check_values(x, {-1, 7, -1, 8, -1, 9});
}

BOOST_AUTO_TEST_CASE(assigning_to_a_named_tensor_rebinds_it) {
  auto x = zeros({2});
  Tensor y = x;
  y = ones({3});
  check_values(x, {0, 0});
  check_values(y, {1, 1, 1});
  Tensor z;
  z = x;  // both handles now share one tensor
  z[0] = 5.0;
  check_values(x, {5, 0});
}

BOOST_AUTO_TEST_CASE(assigning_to_a_view_is_checked) {
  auto x = zeros({3, 2});
  BOOST_CHECK_THROW(x[0] = ones({3}), ShapeError);
  auto w = zeros({2}, requires_grad());
  BOOST_CHECK_THROW(w[0] = 1.0, AutogradError);  // in-place on a leaf that requires grad
  // PyTorch's wording, which LibTorch code matches ("a leaf Variable that requires grad ...").
  try {
    w.fill_(1.0);
    BOOST_FAIL("fill_ on a leaf that requires grad must throw");
  } catch (const AutogradError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("fill_: a leaf Variable that requires grad is being used in an in-place operation") !=
                   std::string::npos,
               what);
  }
  {
    NoGradGuard no_grad;  // the way to initialise a parameter
    w.fill_(1.0);
  }
  check_values(w, {1, 1});
  // Indexing with a tensor makes a copy: the write does not reach x (as LibTorch).
  x.index({tensor(std::vector<int64_t>{0, 1})}) = 3.0;
  check_values(x, {0, 0, 0, 0, 0, 0});
  // copy_ from a tensor that requires grad into a view: recorded in x's history (CopySlices).
  auto t = tensor({2.0f, 3.0f}, requires_grad());
  x[0] = t;
  check_values(x, {2, 3, 0, 0, 0, 0});
  BOOST_TEST(x.grad_fn()->name() == "CopySlices");
  (x * arange(6.0).reshape({3, 2})).sum().backward();
  check_values(t.grad(), {0, 1});
}
