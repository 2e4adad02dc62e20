#define BOOST_TEST_MODULE indexing
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// Reference values: tests/reference/indexing.py (PyTorch 1.13).

using namespace xgrad;
using namespace xgrad::indexing;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

namespace {

Tensor x24() { return arange(24, kFloat32).view({2, 3, 4}); }
Tensor y12() { return arange(12, kFloat32).view({3, 4}); }

bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl()->storage == b.impl()->storage; }

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "None"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(tensor_index)

BOOST_AUTO_TEST_CASE(index_kinds_construct) {
  BOOST_CHECK(TensorIndex(None).is_none());
  BOOST_CHECK(TensorIndex(Ellipsis).is_ellipsis());
  BOOST_CHECK(TensorIndex("...").is_ellipsis());
  BOOST_CHECK(TensorIndex(3).is_integer());
  BOOST_CHECK(TensorIndex(int64_t{-2}).integer() == -2);
  BOOST_CHECK(TensorIndex(true).is_boolean());
  BOOST_CHECK(TensorIndex(Slice(2, 6)).is_slice());
  BOOST_CHECK(TensorIndex(tensor({1, 2})).is_tensor());
  BOOST_CHECK_THROW(TensorIndex("..x"), ValueError);
  Slice s(None, 3);
  BOOST_CHECK_EQUAL(s.start(), 0);
  BOOST_CHECK_EQUAL(s.stop(), 3);
  BOOST_CHECK_EQUAL(s.step(), 1);
  BOOST_CHECK_EQUAL(indexing::to_string(Slice(1, None, 2)), "1::2");
  BOOST_CHECK_EQUAL(indexing::to_string(Slice()), ":");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(basic)

BOOST_AUTO_TEST_CASE(integers_slices_none_ellipsis_give_views) {
  Tensor x = x24();
  Tensor a = x.index({1, Slice(), Slice(2, None)});
  check_sizes(a, {3, 2});
  check_values(a, {14, 15, 18, 19, 22, 23});
  BOOST_CHECK(shares_storage(a, x));

  Tensor b = x.index({"...", 1});
  check_sizes(b, {2, 3});
  check_values(b, {1, 5, 9, 13, 17, 21});
  check_values(x.index({Ellipsis, 1}), {1, 5, 9, 13, 17, 21});

  Tensor c = x.index({None, 0, Slice(None, None, 2)});
  check_sizes(c, {1, 2, 4});
  check_values(c, {0, 1, 2, 3, 8, 9, 10, 11});

  check_sizes(x.index({Slice(), true}), {2, 1, 3, 4});
  check_sizes(x.index({false}), {0, 2, 3, 4});
  Tensor d = x.index({-1, -1, None, -1});
  check_sizes(d, {1});
  check_values(d, {23});
  check_values(x.index({"...", tensor(2)}), {2, 6, 10, 14, 18, 22});
  check_sizes(x.index({"..."}), {2, 3, 4});
  check_sizes(x.index({Slice(), Slice(), Slice(), None}), {2, 3, 4, 1});
  check_sizes(x.index({Slice(5, 9)}), {0, 3, 4});
}

BOOST_AUTO_TEST_CASE(errors_name_the_index) {
  Tensor x = x24();
  BOOST_CHECK_THROW(x.index({5}), IndexError);
  BOOST_CHECK_THROW(x.index({0, -4}), IndexError);
  BOOST_CHECK_THROW(x.index({0, 0, 0, 0}), IndexError);
  BOOST_CHECK_THROW(x.index({"...", 0, "..."}), IndexError);
  BOOST_CHECK_THROW(x.index({Slice(None, None, -1)}), ValueError);
  BOOST_CHECK_THROW(x.index({Slice(None, None, 0)}), ValueError);
  BOOST_CHECK_THROW(x.index({tensor({7})}), IndexError);
  BOOST_CHECK_THROW(x.index({tensor({0.f})}), IndexError);
  BOOST_CHECK_THROW(x.index({x.view({-1}) > 0}), IndexError);
  BOOST_CHECK_THROW(x.index({tensor({0, 1}), tensor({0, 1, 2})}), IndexError);
  BOOST_CHECK_THROW(x.index({Tensor()}), ValueError);
  try {
    x.index({0, 0, 0, 0});
  } catch (const IndexError& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("too many indices") != std::string::npos);
    BOOST_TEST(msg.find("[2, 3, 4]") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(libtorch_index_rules_and_wording) {
  const auto what_of = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no exception)");
  };
  const auto contains = [](const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; };
  Tensor x = x24();
  // An empty index list is refused, as LibTorch (C++ has no spelling of Python's x[()]).
  BOOST_CHECK_THROW(x.index({}), IndexError);
  const std::vector<TensorIndex> none;
  std::string m = what_of([&] { x.index(none); });
  BOOST_TEST(contains(m, "Passing an empty index list to Tensor::index() is not valid syntax"), m);
  m = what_of([&] { x.index_put_({}, 1); });
  BOOST_TEST(contains(m, "Passing an empty index list to Tensor::index_put_() is not valid syntax"), m);
  m = what_of([&] { x.index_put_(none, ones({2, 3, 4})); });
  BOOST_TEST(contains(m, "Passing an empty index list to Tensor::index_put_() is not valid syntax"), m);
  BOOST_CHECK_THROW(x.index_put_(none, 1), IndexError);
  check_values(x.index({0, 0}), {0, 1, 2, 3});  // unchanged
  // A 0-dim tensor has nothing to index (PyTorch: "invalid index of a 0-dim tensor").
  Tensor s = tensor(10);
  m = what_of([&] { s.index({0}); });
  BOOST_TEST(contains(m, "invalid index of a 0-dim tensor"), m);
  BOOST_CHECK_THROW(s.index({Slice()}), IndexError);
  BOOST_CHECK_THROW(s.index({tensor(int64_t{0})}), IndexError);
  BOOST_CHECK_THROW(s.index_put_({0}, 1), IndexError);
  // ... but None, "..." and booleans, which take no dimension, still work on it.
  check_sizes(s.index({None}), {1});
  check_sizes(s.index({"..."}), {});
  check_sizes(s.index({true}), {1});
  // An empty slice is contiguous (no elements, any strides), with NumPy's strides.
  Tensor e = randn({2, 3, 4, 5}).index({Slice(), Slice(), Slice(), 1}).index({Slice(), Slice(1, 1), Slice()});
  check_sizes(e, {2, 0, 4});
  BOOST_TEST(e.strides() == IntArrayRef({60, 20, 5}), boost::test_tools::per_element());
  BOOST_TEST(e.is_contiguous());
  BOOST_TEST(!x.index({Slice(), Slice(), Slice(None, None, 2)}).is_contiguous());
  // A value that does not broadcast to the indexed part: PyTorch's "shape mismatch".
  Tensor a = arange(4, kInt64);
  m = what_of([&] { a.index_put_({a > -1}, tensor(std::vector<int64_t>{})); });
  BOOST_TEST(contains(m, "shape mismatch: value tensor of shape [0] cannot be broadcast to indexing result of shape "
                         "[4]"),
             m);
  m = what_of([&] { a.index_put_({a > -1}, tensor({1, 2, 3})); });
  BOOST_TEST(contains(m, "shape mismatch"), m);
  BOOST_CHECK_THROW(a.index_put_({Slice(None, 1)}, tensor({1, 2, 3})), ShapeError);
  a.index_put_({a > 1}, tensor({7}));  // [1] broadcasts
  check_values(a, {0, 1, 7, 7});
}

BOOST_AUTO_TEST_CASE(grad_fn_names_follow_pytorch) {
  Tensor w = arange(6, kFloat32).view({2, 3}).detach().requires_grad_();
  BOOST_CHECK_EQUAL(grad_fn_name(w.index({w > 2})), "IndexBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(w.index({tensor({1})})), "IndexBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(w.index({Slice(1, None), 0})), "SelectBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(w.index({"...", 0})), "SelectBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(w.index({None})), "UnsqueezeBackward0");
  BOOST_CHECK_EQUAL(grad_fn_name(w.index({"..."})), "AliasBackward0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(advanced)

BOOST_AUTO_TEST_CASE(integer_tensors) {
  Tensor x = x24();
  Tensor i = tensor({1, 0, 1});
  Tensor j = tensor({0, 1});
  Tensor a = x.index({i});
  check_sizes(a, {3, 3, 4});
  check_values(a, {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23});
  BOOST_CHECK(!shares_storage(a, x));
  check_values(x.index({Slice(), tensor({2, 0})}), {8, 9, 10, 11, 0, 1, 2, 3, 20, 21, 22, 23, 12, 13, 14, 15});
  // Non-adjacent index tensors put their dimension first, adjacent ones keep its place.
  Tensor b = x.index({j, Slice(), j});
  check_sizes(b, {2, 3});
  check_values(b, {0, 4, 8, 13, 17, 21});
  check_values(x.index({j, 0, j}), {0, 13});
  Tensor c = x.index({0, Slice(), j});
  check_sizes(c, {3, 2});
  check_values(c, {0, 1, 4, 5, 8, 9});
  // Index tensors broadcast together.
  Tensor d = x.index({tensor({{0}, {1}}), tensor({{0, 1, 2}})});
  check_sizes(d, {2, 3, 4});
  check_values(d, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23});
  Tensor e = x.index({j.unsqueeze(1), Slice(1, None), j});
  check_sizes(e, {2, 2, 2});
  check_values(e, {4, 8, 5, 9, 16, 20, 17, 21});
  // Strided input.
  check_values(x.transpose(0, 2).index({tensor({3, -4})}), {3, 15, 7, 19, 11, 23, 0, 12, 4, 16, 8, 20});
}

BOOST_AUTO_TEST_CASE(boolean_masks) {
  Tensor x = x24();
  Tensor a = x.index({x > 10});
  check_sizes(a, {13});
  check_values(a, {11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23});
  Tensor m2 = tensor({{true, false, false, true}, {false, true, false, false}, {false, false, false, true}});
  check_values(x[0].index({m2}), {0, 3, 5, 11});
  Tensor b = x.index({Slice(), m2});
  check_sizes(b, {2, 4});
  check_values(b, {0, 3, 5, 11, 12, 15, 17, 23});
  Tensor c = x.index({Slice(), tensor({true, false, true})});
  check_sizes(c, {2, 2, 4});
  check_values(c, {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23});
  check_sizes(x.index({x > 100}), {0});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(index_put)

BOOST_AUTO_TEST_CASE(chapter_edge_image) {
  // X = torch.ones(6, 8); X[:, 2:6] = 0
  Tensor X = ones({6, 8});
  const auto v0 = X._version();
  X.index_put_({Slice(), Slice(2, 6)}, 0);
  BOOST_CHECK_GT(X._version(), v0);
  check_values(X, {1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1,
                   1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1});
}

BOOST_AUTO_TEST_CASE(basic_and_advanced_writes) {
  Tensor y = y12();
  y.index_put_({tensor({{true, false, false, true}, {false, false, true, false}, {false, true, false, false}})}, -1);
  check_values(y, {-1, 1, 2, -1, 4, 5, -1, 7, 8, -1, 10, 11});

  y = y12();
  y.index_put_({tensor({0, 2}), Slice(1, 3)}, tensor({{10.f, 11.f}, {12.f, 13.f}}));
  check_values(y, {0, 10, 11, 3, 4, 5, 6, 7, 8, 12, 13, 11});

  y = y12();
  y.index_put_({Slice(), tensor({1, 3})}, 5);
  check_values(y, {0, 5, 2, 5, 4, 5, 6, 5, 8, 5, 10, 5});

  y = y12();
  y.index_put_({1}, tensor({9.f, 8.f, 7.f, 6.f}));
  y.index_put_({"...", -1}, tensor({-1.f, -2.f, -3.f}));
  check_values(y, {0, 1, 2, -1, 9, 8, 7, -2, 8, 9, 10, -3});

  // Writes through a transposed view land in the base.
  Tensor base = y12();
  Tensor yt = base.t();
  yt.index_put_({yt > 6}, tensor({100.f, 200.f, 300.f, 400.f, 500.f}));
  check_values(base, {0, 1, 2, 3, 4, 5, 6, 400, 100, 200, 300, 500});

  // int64 and bool targets; a double value is converted.
  Tensor l = arange(4);
  l.index_put_({tensor({0, 3})}, 7.9);
  check_values(l, {7, 1, 2, 7});
  Tensor bo = zeros({3}, kBool);
  bo.index_put_({1}, 1);
  check_values(bo, {0, 1, 0});
}

BOOST_AUTO_TEST_CASE(index_put_errors) {
  Tensor y = y12();
  BOOST_CHECK_THROW(y.index_put_({Slice(), tensor({1, 3})}, tensor({1.f, 2.f, 3.f})), ShapeError);
  BOOST_CHECK_THROW(y.index_put_({0}, tensor({1.f, 2.f})), ShapeError);
  BOOST_CHECK_THROW(y.index_put_({3}, 1), IndexError);
  BOOST_CHECK_THROW(y.index_put_({tensor({4})}, 1), IndexError);
  // In place on a tensor that requires grad is refused (outside NoGradGuard).
  Tensor w = zeros({3}, requires_grad());
  BOOST_CHECK_THROW(w.index_put_({0}, 1), AutogradError);
  {
    NoGradGuard g;
    w.index_put_({0}, 1);
    w.index_put_({tensor({2})}, 3);
  }
  check_values(w, {1, 0, 3});
  // A value that requires grad would be silently cut from the graph.
  BOOST_CHECK_THROW(y.index_put_({tensor({0})}, ones({4}, requires_grad())), AutogradError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradients)

BOOST_AUTO_TEST_CASE(repeated_indices_accumulate) {
  Tensor w = arange(6, kFloat32).view({2, 3}).detach().requires_grad_();
  (w.index({Slice(), tensor({0, 2, 0, 0})}) * arange(8, kFloat32).view({2, 4})).sum().backward();
  check_values(w.grad(), {5, 0, 1, 17, 0, 5});
}

BOOST_AUTO_TEST_CASE(mask_gradient) {
  Tensor w = arange(6, kFloat32).view({2, 3}).detach().requires_grad_();
  (w.index({w > 2}) * tensor({1.f, 2.f, 3.f})).sum().backward();
  check_values(w.grad(), {0, 0, 0, 1, 2, 3});
}

BOOST_AUTO_TEST_CASE(gradcheck_every_index_kind) {
  using autograd::variable_list;
  Tensor x = randn({2, 3, 4}, kFloat64).requires_grad_();
  auto gc = [&](std::function<Tensor(const variable_list&)> f) { BOOST_CHECK(autograd::gradcheck(f, {x})); };
  gc([](const variable_list& in) { return in[0].index({1, Slice(), Slice(2, None)}); });
  gc([](const variable_list& in) { return in[0].index({None, "...", Slice(None, None, 3)}); });
  gc([](const variable_list& in) { return in[0].index({"..."}); });
  gc([](const variable_list& in) { return in[0].index({tensor({1, 0, 1, 1})}); });
  gc([](const variable_list& in) { return in[0].index({tensor({0, 1}), Slice(), tensor({3, 3})}); });
  gc([](const variable_list& in) { return in[0].index({Slice(), tensor({{2, 2}, {0, 1}})}); });
  Tensor mask = tensor({{true, false, true, true}, {false, false, true, false}, {true, true, true, false}});
  gc([mask](const variable_list& in) { return in[0].index({Slice(), mask}); });
  gc([](const variable_list& in) { return in[0].index({in[0].detach() > 0}); });
  // Double backward through the scatter of IndexBackward0.
  gc([](const variable_list& in) {
    AutoGradMode enable(true);  // gradcheck's finite differences run fn under NoGradGuard
    Tensor y = in[0].index({tensor({1, 1}), 2}).square().sum();
    return autograd::grad({y}, {in[0]}, {}, true, true)[0];
  });
}

BOOST_AUTO_TEST_SUITE_END()

// PyTorch: boolean scalars are tensor indices ([0] or []), so several fold into one dimension
// and the result is a copy. Shapes from torch 1.13 on x = arange(6).reshape(2, 3).
BOOST_AUTO_TEST_CASE(boolean_scalars_fold_into_one_dimension) {
  Tensor x = arange(6, kFloat32).reshape({2, 3});
  check_sizes(x.index({true}), {1, 2, 3});
  check_sizes(x.index({true, true}), {1, 2, 3});
  check_sizes(x.index({true, false}), {0, 2, 3});
  check_sizes(x.index({None, true}), {1, 1, 2, 3});
  check_sizes(x.index({true, None, true}), {1, 1, 2, 3});
  check_sizes(x.index({0, true}), {1, 3});
  check_sizes(x.index({true, 0, true}), {1, 3});
  check_sizes(x.index({true, Slice(), 1}), {1, 2});
  check_values(x.index({true, Slice(), 1}), {1, 4});
  check_sizes(x.index({tensor(true), tensor(true)}), {1, 2, 3});
  // A copy, not a view (as PyTorch).
  Tensor y = x.index({true});
  y.fill_(7.0);
  check_values(x, {0, 1, 2, 3, 4, 5});
}

// The dimension named is the index's position in the index list (torch 1.13's messages).
BOOST_AUTO_TEST_CASE(out_of_bounds_names_the_dimension_of_the_index_list) {
  Tensor x = arange(6, kFloat32).reshape({2, 3});
  auto message = [&](std::initializer_list<TensorIndex> idx) {
    try {
      x.index(idx);
    } catch (const IndexError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  BOOST_TEST(message({0, 5}).find("index 5 is out of bounds for dimension 1 with size 3") != std::string::npos);
  BOOST_TEST(message({None, 0, 5}).find("index 5 is out of bounds for dimension 2 with size 3") != std::string::npos);
  BOOST_TEST(message({5}).find("index 5 is out of bounds for dimension 0 with size 2") != std::string::npos);
  BOOST_TEST(message({None, 5}).find("index 5 is out of bounds for dimension 1 with size 2") != std::string::npos);
  BOOST_TEST(message({Ellipsis, 5}).find("index 5 is out of bounds for dimension 1 with size 3") != std::string::npos);
  BOOST_TEST(message({0, None, 5}).find("index 5 is out of bounds for dimension 2 with size 3") != std::string::npos);
  BOOST_TEST(message({tensor(0), 5}).find("index 5 is out of bounds for dimension 1 with size 3") != std::string::npos);
}

// ---- LibTorch parity (reference values: the "LibTorch parity" part of tests/reference/indexing.py) --

BOOST_AUTO_TEST_SUITE(libtorch_parity)

using xgrad::testing::contains;
using xgrad::testing::what_of;

BOOST_AUTO_TEST_CASE(slice_bounds_resolve_and_print_as_libtorch) {
  const Slice s(1, 2, 3);
  BOOST_CHECK_EQUAL(str(s), "1:2:3");
  // Omitted bounds: 0 / INDEX_MAX forwards, INDEX_MAX / INDEX_MIN backwards.
  BOOST_CHECK_EQUAL(Slice().start(), 0);
  BOOST_CHECK_EQUAL(Slice().stop(), INDEX_MAX);
  BOOST_CHECK_EQUAL(Slice(None, None, -1).start(), INDEX_MAX);
  BOOST_CHECK_EQUAL(Slice(None, None, -1).stop(), INDEX_MIN);
  BOOST_CHECK_EQUAL(str(Slice(1, None, -1)), "1:-9223372036854775808:-1");
  BOOST_CHECK_EQUAL(str(Slice(None, 3)), "0:3:1");
  BOOST_CHECK_EQUAL(str(Slice()), "0:9223372036854775807:1");
  // The step closest to -2^63 is clamped so that negating it stays defined.
  BOOST_CHECK_EQUAL(Slice(None, None, INDEX_MIN).step(), -INDEX_MAX);
  BOOST_CHECK(contains(what_of([] { Slice(0, 1, 0); }), "slice step cannot be zero"));
  BOOST_CHECK_THROW(Slice(0, 1, 0), ValueError);
  // Messages keep Python's short spelling.
  BOOST_CHECK_EQUAL(indexing::to_string(Slice(None, None, -1)), "::-1");
  BOOST_CHECK_EQUAL(indexing::to_string(Slice(2, 5)), "2:5");
  // A backward slice is refused when applied, as LibTorch.
  BOOST_CHECK(contains(what_of([] { arange(4).index({Slice(None, None, -1)}); }), "step must be greater than zero"));
}

BOOST_AUTO_TEST_CASE(tensor_index_prints_as_libtorch) {
  const std::vector<TensorIndex> indices = {None, "...", Ellipsis, 0, true, Slice(1, None, 2)};
  BOOST_CHECK_EQUAL(str(indices), "(None, ..., ..., 0, true, 1:9223372036854775807:2)");
  BOOST_CHECK_EQUAL(str(TensorIndex(false)), "false");
  BOOST_CHECK_EQUAL(str(TensorIndex(-3)), "-3");
  BOOST_CHECK_EQUAL(str(std::vector<TensorIndex>{}), "()");
  const Tensor t = tensor({1, 2});
  BOOST_CHECK_EQUAL(str(TensorIndex(t)), str(t));
  const std::string msg = what_of([] { TensorIndex(".."); });
  BOOST_CHECK(contains(msg, "Expected \"...\" to represent an ellipsis index, but got \"..\""));
}

BOOST_AUTO_TEST_CASE(zero_dim_integer_tensors_of_any_width_are_integer_indices) {
  Tensor x = arange(12, kFloat32).view({3, 4});
  // x[int16 2] and x[:, int8 -1]: views, as torch 1.13.
  Tensor r = x.index({tensor(2, kInt16)});
  check_sizes(r, {4});
  check_values(r, {8, 9, 10, 11});
  BOOST_CHECK(r.data_ptr() == x.index({2}).data_ptr());
  check_values(x.index({Slice(), tensor(-1, kInt8)}), {3, 7, 11});
  BOOST_CHECK(x.index({tensor(1, kInt32)}).data_ptr() == x.index({1}).data_ptr());
  BOOST_CHECK(x.index({tensor(1, kInt64), tensor(2, kInt16)}).data_ptr() == x.index({1, 2}).data_ptr());
  // A 0-dim uint8 tensor is a boolean (a new dimension), as a 0-dim bool one.
  check_sizes(x.index({tensor(1, kUInt8)}), {1, 3, 4});
  check_sizes(x.index({tensor(0, kUInt8)}), {0, 3, 4});
  BOOST_CHECK_THROW(x.index({tensor(3, kInt16)}), IndexError);
  BOOST_CHECK_THROW(tensor(1.0).index({tensor(0, kInt16)}), IndexError);  // a 0-dim tensor has no dimension
  // A 1-D int16 index tensor is still refused, as in torch 1.13.
  BOOST_CHECK(contains(what_of([&] { x.index({tensor({0, 1}, kInt16)}); }),
                       "tensors used as indices must be long, int, byte or bool tensors"));
  x.index_put_({tensor(1, kInt16)}, 0);
  check_values(x, {0, 1, 2, 3, 0, 0, 0, 0, 8, 9, 10, 11});
}

BOOST_AUTO_TEST_CASE(index_into_a_dimension_of_size_0_names_it) {
  Tensor x = empty({10, 0});
  check_sizes(x.index({tensor({1, 2})}), {2, 0});
  check_sizes(x.index({tensor(std::vector<int64_t>{}), tensor(std::vector<int64_t>{})}), {0});
  const std::string msg = what_of([&] { x.index({Slice(), tensor({0, 1})}); });
  BOOST_CHECK(contains(msg, "index: index is out of bounds for dimension with size 0"));
  BOOST_CHECK(contains(msg, "[10, 0]"));
  BOOST_CHECK_THROW(x.index({Slice(), tensor({0, 1})}), IndexError);
  BOOST_CHECK_THROW(x.index_put_({Slice(), tensor({0})}, 1.0), IndexError);
  // An empty index into it is fine: nothing is selected.
  check_sizes(x.index({Slice(), tensor(std::vector<int64_t>{})}), {10, 0});
}

BOOST_AUTO_TEST_CASE(setitem_drops_the_values_leading_ones) {
  // a[1] = [[[9, 8, 7]]]; a[[0]] = [[[-1, -2, -3]]]  (PyTorch: {-1, -2, -3, 9, 8, 7})
  Tensor a = arange(6, kFloat32).view({2, 3});
  a.index_put_({1}, tensor({{{9.f, 8.f, 7.f}}}));
  a.index_put_({tensor({0})}, tensor({{{-1.f, -2.f, -3.f}}}));
  check_values(a, {-1, -2, -3, 9, 8, 7});
  // b[None] = [[5.]] on a 0-dim b.
  Tensor b = tensor(3.f);
  b.index_put_({None}, tensor({{5.f}}));
  check_values(b, {5});
  b.index_put_({"..."}, ones({1, 1, 1}) * 4);
  check_values(b, {4});
  b.index_put_({true}, ones({1, 1}) * 2);
  check_values(b, {2});
  // Only leading ones go: [1, 2, 3] is [2, 3], which a row of 3 cannot take.
  const std::string msg = what_of([&] { a.index_put_({0}, ones({1, 2, 3})); });
  BOOST_CHECK(contains(msg, "shape mismatch: value tensor of shape [2, 3] cannot be broadcast to indexing result "
                            "of shape [3]"));
  BOOST_CHECK_THROW(a.index_put_({0}, ones({1, 2, 3})), ShapeError);
  BOOST_CHECK_THROW(b.index_put_({Slice()}, ones({1, 1})), IndexError);
  check_values(a, {-1, -2, -3, 9, 8, 7});
}

BOOST_AUTO_TEST_CASE(aten_index_takes_one_optional_tensor_per_dimension) {
  Tensor x = arange(12, kFloat32).view({3, 4});
  BOOST_CHECK(xgrad::index(x, {tensor({0, 2})}).equal(x.index({tensor({0, 2})})));
  Tensor cols = xgrad::index(x, {std::nullopt, tensor({3, 0})});
  check_sizes(cols, {3, 2});
  check_values(cols, {3, 0, 7, 4, 11, 8});
  // A 0-dim index is advanced indexing here: a copy.
  Tensor row = xgrad::index(x, {tensor(1)});
  check_values(row, {4, 5, 6, 7});
  BOOST_CHECK(!row.is_alias_of(x));
  check_values(xgrad::index(x, {x > 8}), {9, 10, 11});
  BOOST_CHECK(contains(what_of([&] { xgrad::index(x, {std::nullopt}); }), "expected at least one defined index"));
  BOOST_CHECK_THROW(xgrad::index(x, {tensor(true)}), IndexError);
  BOOST_CHECK_THROW(xgrad::index(x, {tensor({0}), tensor({0}), tensor({0})}), IndexError);
  BOOST_CHECK_THROW(xgrad::index(x, {tensor({0.5})}), IndexError);
}

BOOST_AUTO_TEST_CASE(index_put_accumulate_adds_repeated_indices) {
  Tensor rows = tensor({{1.f, 2.f, 3.f, 4.f}, {10.f, 20.f, 30.f, 40.f}, {100.f, 200.f, 300.f, 400.f}});
  Tensor y = arange(12, kFloat32).view({3, 4});
  y.index_put_({tensor({0, 2, 0})}, rows, /*accumulate=*/true);
  check_values(y, {101, 203, 305, 407, 4, 5, 6, 7, 18, 29, 40, 51});
  y = arange(12, kFloat32).view({3, 4});
  y.index_put_({tensor({1, 1}), tensor({3, 3})}, tensor(0.5f), true);
  check_values(y, {0, 1, 2, 3, 4, 5, 6, 8, 8, 9, 10, 11});
  Tensor yi = arange(12).view({3, 4});
  Tensor mask = tensor({{true, false, false, true}, {false, false, false, false}, {true, true, true, true}});
  yi.index_put_({mask}, tensor(7), true);
  xgrad::testing::check_exact(yi, kInt64, {7, 1, 2, 10, 4, 5, 6, 7, 15, 16, 17, 18});
  // Without accumulate the ATen form writes.
  y = arange(12, kFloat32).view({3, 4});
  xgrad::index_put_(y, {tensor({1})}, zeros({4}));
  check_values(y, {0, 1, 2, 3, 0, 0, 0, 0, 8, 9, 10, 11});
  // An all-false mask selects nothing: nothing changes (LibTorch's TestBoolIndicesAccumulate).
  Tensor o = ones({10, 10});
  Tensor none = zeros({10}, kBool);
  o.index_put_({none}, o.index({none}), true);
  BOOST_CHECK(o.equal(ones({10, 10})));
  // Through a non-contiguous view, into the base.
  Tensor base = zeros({3, 2});
  base.t().index_put_({tensor({1, 1})}, tensor({1.f, 2.f, 3.f}), true);
  check_values(base, {0, 2, 0, 4, 0, 6});
}

BOOST_AUTO_TEST_CASE(index_put_aten_errors) {
  Tensor y = zeros({3, 4});
  BOOST_CHECK(contains(what_of([&] { y.index_put_({tensor({0})}, zeros({4}, kFloat64), true); }),
                       "Index put requires the source and destination dtypes match, got float32 for the destination "
                       "and float64 for the source"));
  BOOST_CHECK_THROW(y.index_put_({tensor({0})}, zeros({4}, kFloat64), true), TypeError);
  BOOST_CHECK(contains(what_of([&] { y.index_put_({tensor({0})}, zeros({5}), true); }), "shape mismatch"));
  BOOST_CHECK_THROW(y.index_put_({tensor({3})}, zeros({4}), true), IndexError);
  Tensor leaf = zeros({3}, requires_grad());
  BOOST_CHECK_THROW(leaf.index_put_({tensor({0})}, zeros({1}), true), AutogradError);
  BOOST_CHECK_THROW(y.index_put_({tensor({0})}, zeros({4}, requires_grad()), true), AutogradError);
  check_values(y, std::vector<double>(12, 0.0));
}

BOOST_AUTO_TEST_CASE(index_put_out_of_place_gradients) {
  // index_put(s, ([1, 1, 0],), v, accumulate=True) and its gradients for weights arange(6).
  Tensor s = arange(6, kFloat32).view({2, 3}).detach().requires_grad_();
  Tensor v = tensor({{1.f, 2.f, 3.f}}, requires_grad());
  Tensor out = xgrad::index_put(s, {tensor({1, 1, 0})}, v, true);
  check_values(out, {1, 3, 5, 5, 8, 11});
  BOOST_CHECK_EQUAL(grad_fn_name(out), "IndexPutBackward0");
  (out * arange(6, kFloat32).view({2, 3})).sum().backward();
  check_values(s.grad(), {0, 1, 2, 3, 4, 5});
  check_values(v.grad(), {6, 9, 12});
  // index_put(s, ([0, 1], [2, 0]), v) writes: the written positions pass no gradient to s.
  s = arange(6, kFloat32).view({2, 3}).detach().requires_grad_();
  v = tensor({7.f, 8.f}, requires_grad());
  out = s.index_put({tensor({0, 1}), tensor({2, 0})}, v);
  check_values(out, {0, 1, 7, 8, 4, 5});
  (out * arange(6, kFloat32).view({2, 3})).sum().backward();
  check_values(s.grad(), {0, 1, 0, 0, 4, 5});
  check_values(v.grad(), {2, 3});
  // s itself is unchanged.
  check_values(s, {0, 1, 2, 3, 4, 5});

  using autograd::variable_list;
  Tensor a = randn({3, 4}, kFloat64).requires_grad_();
  Tensor b = randn({4}, kFloat64).requires_grad_();
  BOOST_CHECK(autograd::gradcheck(
      [](const variable_list& in) { return xgrad::index_put(in[0], {tensor({2, 0, 2})}, in[1], true); }, {a, b}));
  // Written (not accumulated) positions must be distinct for a gradient to exist: with a repeated
  // one only the last write lands, yet values' gradient counts each (as PyTorch's).
  BOOST_CHECK(autograd::gradcheck(
      [](const variable_list& in) { return xgrad::index_put(in[0], {tensor({2, 0})}, in[1], false); }, {a, b}));
  BOOST_CHECK(autograd::gradcheck(
      [](const variable_list& in) {
        AutoGradMode enable(true);
        Tensor y = xgrad::index_put(in[0], {tensor({1, 1})}, in[1], true).square().sum();
        return autograd::grad({y}, {in[0], in[1]}, {}, true, true)[1];
      },
      {a, b}));
}

BOOST_AUTO_TEST_SUITE_END()
