#define BOOST_TEST_MODULE factories
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <cmath>
#include <limits>

// Reference values: tests/reference/factories.py (PyTorch 1.13).

// A failed huge allocation must reach operator new's std::bad_alloc (and become an
// OutOfMemoryError) under ASan too, instead of ASan's allocation-size-too-big abort.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

using namespace xgrad;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;

namespace {
// Exact comparison, for values PyTorch produces bit for bit.
void check_exact(const Tensor& t, const std::vector<double>& expected) { check_values(t, expected, 0.0, 0.0); }
}  // namespace

// ---- constant fills --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(zeros_ones_full_values_and_dtypes) {
  const Tensor z = zeros({2, 3});
  check_sizes(z, {2, 3});
  BOOST_TEST((z.dtype() == kFloat32));
  BOOST_TEST(z.is_contiguous());
  check_exact(z, {0, 0, 0, 0, 0, 0});
  check_exact(ones({4}, kInt64), {1, 1, 1, 1});
  BOOST_TEST((ones({4}, kInt64).dtype() == kInt64));
  check_exact(full({2, 2}, 2.5), {2.5, 2.5, 2.5, 2.5});
  check_exact(full({3}, 1.0 / 3.0, kFloat64), {1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0});
  // torch.full((2,), 7.9, dtype=torch.int64) truncates towards zero.
  check_exact(full({2}, 7.9, kInt64), {7, 7});
  check_exact(full({2}, -7.9, kInt64), {-7, -7});
  check_exact(full({2}, 0.5, kBool), {1, 1});
  check_exact(zeros({2}, kBool), {0, 0});
  BOOST_TEST(std::isnan(full({1}, std::nan("")).item<double>()));
  BOOST_TEST(std::isinf(full({1}, -INFINITY).item<double>()));
}

BOOST_AUTO_TEST_CASE(scalar_and_empty_sizes) {
  const Tensor s = zeros({});
  BOOST_TEST(s.dim() == 0);
  BOOST_TEST(s.numel() == 1);
  BOOST_TEST(ones(std::vector<int64_t>{}).item<float>() == 1.0f);
  const Tensor e = zeros({0, 3});
  check_sizes(e, {0, 3});
  BOOST_TEST(e.numel() == 0);
  BOOST_TEST(full({5, 0}, 3.0).numel() == 0);
  BOOST_TEST(empty({3, 4}, kFloat64).numel() == 12);
  BOOST_TEST((empty({3, 4}, kFloat64).dtype() == kFloat64));
  check_sizes(ones(5), {5});
}

BOOST_AUTO_TEST_CASE(requires_grad_option_makes_a_leaf) {
  const Tensor w = zeros({3}, requires_grad());
  BOOST_TEST(w.requires_grad());
  BOOST_TEST(w.is_leaf());
  BOOST_TEST(!zeros({3}).requires_grad());
  BOOST_TEST(full({2}, 1.0, TensorOptions(kFloat64).requires_grad(true)).requires_grad());
  // Only floating tensors can require gradients (as PyTorch).
  BOOST_CHECK_THROW(zeros({3}, TensorOptions(kInt64).requires_grad(true)), TypeError);
  BOOST_CHECK_THROW(ones({3}, TensorOptions(kBool).requires_grad(true)), TypeError);
}

BOOST_AUTO_TEST_CASE(bad_sizes_and_unrepresentable_values_throw) {
  BOOST_CHECK_THROW(zeros({2, -1}), ValueError);
  BOOST_CHECK_THROW(ones({-3}), ValueError);
  BOOST_CHECK_THROW(empty({-1}), ValueError);
  BOOST_CHECK_THROW(full({-1}, 1.0), ValueError);
  // 2^60 elements fit int64 and their bytes fit 2^63: the allocation fails (PyTorch: "not enough
  // memory"); sizes whose counts overflow are ValueErrors (tests/core/bad_input.cpp).
#ifndef __SANITIZE_ADDRESS__  // ASan aborts on this request instead of failing it
  BOOST_CHECK_THROW(zeros({int64_t{1} << 30, int64_t{1} << 30}), OutOfMemoryError);
#endif
  // torch: "value cannot be converted to type int64_t without overflow"
  BOOST_CHECK_THROW(full({2}, std::nan(""), kInt64), ValueError);
  BOOST_CHECK_THROW(full({2}, 1e30, kInt64), ValueError);
  BOOST_CHECK_THROW(full({2}, 1e300, kFloat32), ValueError);
  // Infinity is a float32 value.
  BOOST_CHECK_NO_THROW(full({2}, INFINITY, kFloat32));
}

BOOST_AUTO_TEST_CASE(like_factories_keep_sizes_and_dtype) {
  const Tensor d = full({2, 3}, 4.0, kFloat64);
  const Tensor z = zeros_like(d);
  check_sizes(z, {2, 3});
  BOOST_TEST((z.dtype() == kFloat64));
  check_exact(z, {0, 0, 0, 0, 0, 0});
  check_exact(ones_like(d), {1, 1, 1, 1, 1, 1});
  check_exact(full_like(d, -2.0), {-2, -2, -2, -2, -2, -2});
  BOOST_TEST((empty_like(d).dtype() == kFloat64));
  check_sizes(empty_like(d), {2, 3});
  // Options override the dtype only when they name one.
  BOOST_TEST((zeros_like(d, kInt64).dtype() == kInt64));
  const Tensor g = ones_like(d, requires_grad());
  BOOST_TEST((g.dtype() == kFloat64));
  BOOST_TEST(g.requires_grad());
  // The source's requires_grad is not inherited (torch.zeros_like on a parameter).
  const Tensor p = ones({2}, requires_grad());
  BOOST_TEST(!zeros_like(p).requires_grad());
  // A strided source gives a fresh contiguous result of the same sizes.
  const Tensor base = from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, std::vector<int64_t>{2, 3});
  const Tensor view = make_view(base, {3, 2}, {1, 3}, 0);
  const Tensor ol = ones_like(view);
  check_sizes(ol, {3, 2});
  BOOST_TEST(ol.is_contiguous());
  BOOST_CHECK_THROW(zeros_like(Tensor()), ValueError);
}

// ---- ranges ----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(arange_matches_pytorch) {
  // torch.arange(5): int64 [0, 1, 2, 3, 4]
  const Tensor a = arange(5);
  BOOST_TEST((a.dtype() == kInt64));
  check_exact(a, {0, 1, 2, 3, 4});
  check_exact(arange(1, 4), {1, 2, 3});
  BOOST_TEST((arange(1, 4).dtype() == kInt64));
  // torch.arange(0, 1, 0.1): float32, 10 elements
  const Tensor f = arange(0, 1, 0.1);
  BOOST_TEST((f.dtype() == kFloat32));
  check_exact(f, {0.0, 0.10000000149011612, 0.20000000298023224, 0.30000001192092896, 0.4000000059604645, 0.5,
                  0.6000000238418579, 0.699999988079071, 0.800000011920929, 0.8999999761581421});
  check_exact(arange(1, 2.5, 0.5), {1.0, 1.5, 2.0});
  check_exact(arange(10, 0, -3), {10, 7, 4, 1});
  BOOST_TEST((arange(10, 0, -3).dtype() == kInt64));
  const Tensor d = arange(0, 1, 0.3, kFloat64);
  BOOST_TEST((d.dtype() == kFloat64));
  check_exact(d, {0.0, 0.3, 0.6, 0.8999999999999999});
  check_exact(arange(-2.5, 2.5), {-2.5, -1.5, -0.5, 0.5, 1.5});
  const Tensor f3 = arange(0, 10, 3, kFloat32);
  BOOST_TEST((f3.dtype() == kFloat32));
  check_exact(f3, {0, 3, 6, 9});
  // PyTorch's SIMD chunking and fused multiply-adds are reproduced bit for bit:
  // torch.arange(-3.5, 20.2, 0.7) has -2.2204e-16 (not 0) at index 5.
  check_exact(arange(-3.5, 20.2, 0.7),
              {-3.5, -2.799999952316284, -2.0999999046325684, -1.399999976158142, -0.699999988079071,
               -2.220446049250313e-16, 0.699999988079071, 1.399999976158142, 2.0999999046325684, 2.799999952316284,
               3.5, 4.199999809265137, 4.900000095367432, 5.599999904632568, 6.299999713897705, 7.0,
               7.699999809265137, 8.399999618530273, 9.09999942779541, 9.800000190734863, 10.5, 11.199999809265137,
               11.899999618530273, 12.59999942779541, 13.300000190734863, 14.0, 14.699999809265137,
               15.40000057220459, 16.100000381469727, 16.799999237060547, 17.5, 18.200000762939453,
               18.899999618530273, 19.600000381469727});
  check_exact(arange(-1.1, 2.0, 0.3, kFloat64),
              {-1.1, -0.8, -0.5000000000000001, -0.20000000000000012, 0.09999999999999987, 0.39999999999999986,
               0.6999999999999998, 0.9999999999999998, 1.2999999999999998, 1.5999999999999999, 1.9});
  check_sizes(arange(0), {0});
  check_sizes(arange(3, 3), {0});
  BOOST_TEST(arange(5, TensorOptions(kFloat32).requires_grad(true)).requires_grad());
  // Large integer ranges stay exact beyond 2^53.
  const int64_t big = (int64_t{1} << 60);
  const Tensor b = arange(big, big + 768, 256);
  BOOST_TEST(b.dtype() == kInt64);
  // Floating arguments give float32, as torch.arange(5.) does.
  BOOST_TEST(arange(5.0).dtype() == kFloat32);
  BOOST_TEST(arange(0, 5.0).dtype() == kFloat32);
  BOOST_TEST(arange(5).dtype() == kInt64);
  BOOST_TEST(full({2}, 3).dtype() == kInt64);
  BOOST_TEST(full({2}, 3.0).dtype() == kFloat32);
  BOOST_REQUIRE(b.numel() == 3);
  BOOST_TEST(b.to_vector<int64_t>()[2] == big + 512);
}

BOOST_AUTO_TEST_CASE(arange_rejects_bad_steps) {
  BOOST_CHECK_THROW(arange(0, 1, 0), ValueError);  // torch: step must be nonzero
  BOOST_CHECK_THROW(arange(1, 0, 1), ValueError);  // inconsistent with step sign
  BOOST_CHECK_THROW(arange(0, 1, -0.5), ValueError);
  BOOST_CHECK_THROW(arange(0, INFINITY), ValueError);
  BOOST_CHECK_THROW(arange(std::nan("")), ValueError);
  BOOST_CHECK_THROW(arange(0, 1, std::nan("")), ValueError);
  BOOST_CHECK_THROW(arange(0, 1e300, 1e-300), ValueError);
  BOOST_CHECK_THROW(arange(3, kBool), TypeError);
}

BOOST_AUTO_TEST_CASE(linspace_matches_pytorch) {
  // PyTorch's float32 values depend on its SIMD chunking; xgrad agrees to an ulp or so.
  check_values(linspace(0, 1, 5), {0.0, 0.25, 0.5, 0.75, 1.0}, 0, 0);
  check_values(linspace(-1, 1, 7), {-1.0, -0.6666666269302368, -0.3333333134651184, -2.9802322387695312e-08,
                                    0.3333333134651184, 0.6666666269302368, 1.0}, 1e-7, 1e-7);
  check_values(linspace(0, 10, 4), {0.0, 3.3333332538604736, 6.6666669845581055, 10.0}, 0, 1e-7);
  check_exact(linspace(3, 3, 1), {3.0});
  check_sizes(linspace(0, 1, 0), {0});
  BOOST_TEST((linspace(0, 1, 5).dtype() == kFloat32));
  // Endpoints are exact whatever the step.
  const auto l = linspace(-3.7, 11.3, 1001).to_vector<double>();
  BOOST_TEST(l.front() == static_cast<double>(-3.7f));
  BOOST_TEST(l.back() == static_cast<double>(11.3f));
  const Tensor d = linspace(0, 1, 10, kFloat64);
  BOOST_TEST((d.dtype() == kFloat64));
  check_values(d, {0.0, 0.1111111111111111, 0.2222222222222222, 0.3333333333333333, 0.4444444444444444,
                   0.5555555555555556, 0.6666666666666666, 0.7777777777777777, 0.8888888888888888, 1.0}, 1e-16, 1e-15);
  check_exact(linspace(0, 10, 5, kInt64), {0, 2, 5, 7, 10});
  BOOST_CHECK_THROW(linspace(0, 1, -1), ValueError);
  BOOST_CHECK_THROW(linspace(0, INFINITY, 3), ValueError);
  BOOST_CHECK_THROW(linspace(0, 1, 3, kBool), TypeError);
}

BOOST_AUTO_TEST_CASE(eye_square_and_rectangular) {
  const Tensor e = eye(3);
  check_sizes(e, {3, 3});
  check_exact(e, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  check_exact(eye(2, 3), {1, 0, 0, 0, 1, 0});
  const Tensor ei = eye(3, 2, kInt64);
  BOOST_TEST((ei.dtype() == kInt64));
  check_sizes(ei, {3, 2});
  check_exact(ei, {1, 0, 0, 1, 0, 0});
  check_sizes(eye(0), {0, 0});
  BOOST_TEST(eye(2, requires_grad()).requires_grad());
  BOOST_CHECK_THROW(eye(-1), ValueError);
  BOOST_CHECK_THROW(eye(2, -1), ValueError);
}

// ---- user memory -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(from_blob_borrows_memory) {
  float data[6] = {0, 1, 2, 3, 4, 5};
  {
    Tensor t = from_blob(data, {2, 3});
    check_sizes(t, {2, 3});
    BOOST_TEST((t.dtype() == kFloat32));
    BOOST_TEST(t.data_ptr<float>() == data);
    check_exact(t, {0, 1, 2, 3, 4, 5});
    // Writes through the tensor reach the caller's array, and the other way round.
    data[4] = 40;
    BOOST_TEST(t.to_vector<float>()[4] == 40.0f);
    t.data_ptr<float>()[0] = -1;
  }
  // The tensor is gone and did not free `data` (the array is on the stack; a free would crash).
  BOOST_TEST(data[0] == -1.0f);

  // Strided: a transposed view of the same memory.
  const Tensor tt = from_blob(data, {3, 2}, {1, 3});
  check_exact(tt, {-1, 3, 1, 40, 2, 5});
  BOOST_TEST(!tt.is_contiguous());

  double dd[2] = {1.5, 2.5};
  const Tensor td = from_blob(dd, {2}, TensorOptions(kFloat64).requires_grad(true));
  BOOST_TEST(td.requires_grad());
  check_exact(td, {1.5, 2.5});
  int64_t ii[3] = {7, 8, 9};
  check_exact(from_blob(ii, {3}, kInt64), {7, 8, 9});
}

BOOST_AUTO_TEST_CASE(from_blob_validates) {
  float data[4] = {};
  BOOST_CHECK_THROW(from_blob(data, {2, 2}, {1}), ShapeError);
  BOOST_CHECK_THROW(from_blob(data, {2, -2}), ValueError);
  BOOST_CHECK_THROW(from_blob(data, {2, 2}, {-2, 1}), ValueError);
  BOOST_CHECK_THROW(from_blob(nullptr, {2}), ValueError);
  BOOST_CHECK_NO_THROW(from_blob(nullptr, {0}));
  BOOST_CHECK_THROW(from_blob(data, {4}, TensorOptions(kInt64).requires_grad(true)), TypeError);
}

BOOST_AUTO_TEST_CASE(from_vector_copies_and_checks_counts) {
  std::vector<float> v = {1, 2, 3, 4, 5, 6};
  const Tensor a = from_vector(v, std::vector<int64_t>{2, 3});
  check_sizes(a, {2, 3});
  BOOST_TEST((a.dtype() == kFloat32));
  v[0] = 100;  // a copy: the tensor does not change
  check_exact(a, {1, 2, 3, 4, 5, 6});
  check_sizes(from_vector(v), {6});

  const Tensor d = from_vector(std::vector<double>{0.1, 0.2});
  BOOST_TEST((d.dtype() == kFloat64));
  check_exact(d, {0.1, 0.2});
  const Tensor i = from_vector(std::vector<int64_t>{-5, 1LL << 62});
  BOOST_TEST((i.dtype() == kInt64));
  BOOST_TEST(i.to_vector<int64_t>()[1] == (int64_t{1} << 62));
  // A dtype in the options converts; options without one keep the vector's type.
  const Tensor f = from_vector(std::vector<double>{0.1, 2.0}, std::nullopt, kFloat32);
  BOOST_TEST((f.dtype() == kFloat32));
  check_exact(f, {0.10000000149011612, 2.0});
  BOOST_TEST((from_vector(std::vector<double>{1.0}, std::nullopt, requires_grad()).dtype() == kFloat64));
  BOOST_TEST(from_vector(std::vector<double>{1.0}, std::nullopt, requires_grad()).requires_grad());
  check_exact(from_vector(std::vector<int64_t>{1, 2}, std::nullopt, kFloat64), {1, 2});
  check_sizes(from_vector(std::vector<float>{}), {0});
  check_sizes(from_vector(std::vector<float>{3}, std::vector<int64_t>{}), {});

  BOOST_CHECK_THROW(from_vector(std::vector<float>{1, 2, 3}, std::vector<int64_t>{2, 2}), ShapeError);
  BOOST_CHECK_THROW(from_vector(std::vector<float>{1, 2}, std::vector<int64_t>{-1, -2}), ValueError);
  BOOST_CHECK_THROW(from_vector(std::vector<double>{std::nan("")}, std::nullopt, kInt64), ValueError);
}

// ---- xgrad::tensor ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tensor_from_nested_lists) {
  const Tensor x = tensor({{0., 1., 2.}, {3., 4., 5.}, {6., 7., 8.}});
  check_sizes(x, {3, 3});
  BOOST_TEST((x.dtype() == kFloat32));
  check_exact(x, {0, 1, 2, 3, 4, 5, 6, 7, 8});

  const Tensor k3 = tensor({{{0., 1.}, {2., 3.}}, {{1., 2.}, {3., 4.}}});
  check_sizes(k3, {2, 2, 2});
  check_exact(k3, {0, 1, 2, 3, 1, 2, 3, 4});
  const Tensor deep = tensor({{{{1.5}}}});
  check_sizes(deep, {1, 1, 1, 1});

  const Tensor i = tensor({1, 2});
  BOOST_TEST((i.dtype() == kInt64));
  check_exact(i, {1, 2});
  const Tensor b = tensor({true, false});
  BOOST_TEST((b.dtype() == kBool));
  check_exact(b, {1, 0});
  // Mixed literals are a TypeError, as in LibTorch (Python's torch.tensor would promote); the
  // details are in tests/core/tensor_idioms.cpp.
  BOOST_CHECK_THROW(tensor({true, 2}), TypeError);
  BOOST_CHECK_THROW(tensor({1, 2.5}), TypeError);
  BOOST_TEST((tensor({1.f, 2.f}).dtype() == kFloat32));
  BOOST_TEST((tensor({int64_t{1}, int64_t{3}}).dtype() == kInt64));
  BOOST_TEST(tensor({int64_t{1} << 62}).to_vector<int64_t>()[0] == int64_t{1} << 62);
}

BOOST_AUTO_TEST_CASE(tensor_scalars_and_empty_lists) {
  const Tensor s = tensor(3.);
  BOOST_TEST(s.dim() == 0);
  BOOST_TEST((s.dtype() == kFloat32));
  BOOST_TEST(s.item<float>() == 3.0f);
  BOOST_TEST((tensor(7).dtype() == kInt64));
  BOOST_TEST((tensor(true).dtype() == kBool));
  const Tensor e = tensor({});
  check_sizes(e, {0});
  BOOST_TEST((e.dtype() == kFloat32));
  const Tensor e2 = tensor({{}, {}});
  check_sizes(e2, {2, 0});
  BOOST_TEST((e2.dtype() == kFloat32));
  BOOST_TEST((tensor({}, kInt64).dtype() == kInt64));
}

BOOST_AUTO_TEST_CASE(tensor_options) {
  const Tensor d = tensor({1, 2}, kFloat64);
  BOOST_TEST((d.dtype() == kFloat64));
  check_exact(d, {1, 2});
  const Tensor w = tensor({0.5, -0.5}, requires_grad());
  BOOST_TEST(w.requires_grad());
  BOOST_TEST(w.is_leaf());
  BOOST_TEST((w.dtype() == kFloat32));
  // torch.tensor([1.5, -2.7], dtype=torch.int64) -> [1, -2]; ([0.0, 0.5, -1.0], dtype=bool) -> [F, T, T]
  check_exact(tensor({1.5, -2.7}, kInt64), {1, -2});
  check_exact(tensor({0.0, 0.5, -1.0}, kBool), {0, 1, 1});
  BOOST_CHECK_THROW(tensor({1, 2}, requires_grad()), TypeError);
  BOOST_CHECK_THROW(tensor({std::nan("")}, kInt64), ValueError);
}

BOOST_AUTO_TEST_CASE(tensor_from_std_vectors) {
  const Tensor f = tensor(std::vector<float>{1.5f, 2.5f});
  BOOST_TEST((f.dtype() == kFloat32));
  check_exact(f, {1.5, 2.5});
  // As LibTorch 1.13: a std::vector<double> gives the default dtype, float32 (checked against
  // LibTorch by tests/compat/tensor_idioms.cpp); ask for kFloat64 to keep double precision.
  const Tensor d = tensor(std::vector<double>{0.1, 0.2});
  BOOST_TEST((d.dtype() == kFloat32));
  check_exact(d, {0.1f, 0.2f});
  check_exact(tensor(std::vector<double>{0.1, 0.2}, kFloat64), {0.1, 0.2});
  const Tensor i = tensor(std::vector<int64_t>{4, 5, 6});
  BOOST_TEST((i.dtype() == kInt64));
  check_exact(i, {4, 5, 6});
  check_exact(tensor(std::vector<double>{1, 2}, kFloat32), {1, 2});
  BOOST_TEST((tensor(std::vector<double>{1, 2}, kFloat32).dtype() == kFloat32));
  // Vectors nest inside lists like any other row.
  const std::vector<float> r0 = {1, 2}, r1 = {3, 4};
  const Tensor m = tensor({r0, r1});
  check_sizes(m, {2, 2});
  check_exact(m, {1, 2, 3, 4});
  check_sizes(tensor(std::vector<float>{}), {0});
}

BOOST_AUTO_TEST_CASE(ragged_lists_name_the_dimension) {
  const auto contains = [](const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; };
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // LibTorch's message (its TensorDataContainer checks every list against its first element,
  // innermost list first), plus the dim of the sub-lists that disagree (torch's Python message
  // names the same dim).
  const auto m1 = message([] { tensor({{1, 2}, {3}}); });
  BOOST_TEST(contains(m1, "at dim 1: Expected all sub-lists to have sizes: 2 (e.g. {1, 2}), but got sub-list {3} "
                          "with sizes: 1"),
             m1);
  const auto m2 = message([] { tensor({{{1}, {2}}, {{3}, {4, 5}}}); });
  BOOST_TEST(contains(m2, "at dim 2: Expected all sub-lists to have sizes: 1 (e.g. {3}), but got sub-list {4, 5} "
                          "with sizes: 2"),
             m2);
  // The innermost ragged list is reported first, as LibTorch.
  const auto m6 = message([] { tensor({{{2, 3, 4}, {{5, 6}, {7}}}}); });
  BOOST_TEST(contains(m6, "Expected all sub-lists to have sizes: 2 (e.g. {5, 6}), but got sub-list {7} with sizes: 1"),
             m6);
  // Multi-dimensional sizes are separated by spaces; floats print shortest.
  const auto m7 = message([] { tensor({{{1.5, 2.}, {3., 4.}}, {{5., 6.}}}); });
  BOOST_TEST(contains(m7, "sizes: 2 2 (e.g. {{1.5, 2}, {3, 4}}), but got sub-list {{5, 6}} with sizes: 1 2"), m7);
  const auto m3 = message([] { tensor({{1, 2}, 3}); });
  BOOST_TEST(contains(m3, "at dim 1: Expected all sub-lists to have sizes: 2 (e.g. {1, 2}), but got sub-list 3 "
                          "with sizes: ;"),
             m3);
  const auto m4 = message([] { tensor({1, {2, 3}}); });
  BOOST_TEST(contains(m4, "but got sub-list {2, 3} with sizes: 2"), m4);
  const auto m5 = message([] { tensor({{}, {1.}}); });
  BOOST_TEST(contains(m5, "sizes: 0 (e.g. {}), but got sub-list {1} with sizes: 1"), m5);
  const std::vector<float> r0 = {1, 2}, r1 = {3};
  BOOST_CHECK_THROW(tensor({r0, r1}), ValueError);
}

// ---- from_blob with a deleter ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(from_blob_calls_the_deleter_when_the_last_owner_dies) {
  std::vector<int32_t> v = {1, 2, 3};
  int calls = 0;
  void* freed = nullptr;
  auto deleter = [&](void* p) {
    ++calls;
    freed = p;
  };
  {
    Tensor t = from_blob(v.data(), v.size(), deleter, kInt32);
    check_exact(t, {1, 2, 3});
    BOOST_CHECK(t.storage().data_ptr().get_context() != nullptr);  // something frees this memory
    Tensor view = t.slice(0, 1);
    StorageHandle handle = t.storage();
    t = Tensor();
    view = Tensor();
    BOOST_CHECK_EQUAL(calls, 0);  // the handle still owns it
    BOOST_CHECK(handle.data() == v.data());
  }
  BOOST_CHECK_EQUAL(calls, 1);
  BOOST_CHECK(freed == v.data());
  // With strides, too.
  {
    Tensor s = from_blob(v.data(), {3}, {1}, deleter, kInt32);
    check_exact(s, {1, 2, 3});
  }
  BOOST_CHECK_EQUAL(calls, 2);
  // Without a deleter nothing frees the memory: LibTorch's null deleter context.
  BOOST_CHECK(from_blob(v.data(), {3}, kInt32).storage().data_ptr().get_context() == nullptr);
}

BOOST_AUTO_TEST_CASE(from_blob_that_throws_leaves_the_memory_to_the_caller) {
  std::vector<int32_t> v = {1, 2, 3};
  int calls = 0;
  auto deleter = [&](void*) { ++calls; };
  BOOST_CHECK_THROW(from_blob(v.data(), {2, -1}, deleter, kInt32), ValueError);
  BOOST_CHECK_THROW(from_blob(nullptr, {3}, deleter, kInt32), ValueError);
  // requires_grad on an integer dtype is refused after the storage exists: still not freed.
  BOOST_CHECK_THROW(from_blob(v.data(), {3}, deleter, TensorOptions(kInt32).requires_grad(true)), Error);
  BOOST_CHECK_EQUAL(calls, 0);
}

// ---- TensorDataContainer: LibTorch's accessors and printing --------------------------------------

BOOST_AUTO_TEST_CASE(tensor_data_container_accessors) {
  using detail::TensorDataContainer;
  using xgrad::testing::contains;
  using xgrad::testing::what_of;
  const TensorDataContainer scalar(1.5);
  BOOST_CHECK(scalar.is_scalar());
  BOOST_CHECK(!scalar.is_init_list() && !scalar.is_tensor());
  BOOST_CHECK_EQUAL(scalar.scalar().toDouble(), 1.5);
  BOOST_CHECK(scalar.scalar_type() == kFloat64);
  BOOST_CHECK(TensorDataContainer(true).scalar().isBoolean());
  BOOST_CHECK_EQUAL(TensorDataContainer(int64_t{-7}).scalar().toLong(), -7);
  BOOST_CHECK(TensorDataContainer(1.5f).scalar_type() == kFloat32);
  BOOST_CHECK(TensorDataContainer(int16_t{2}).scalar_type() == kInt16);

  const TensorDataContainer list({{1, 2}, {3, 4}});
  BOOST_CHECK(list.is_init_list());
  BOOST_REQUIRE_EQUAL(list.init_list().size(), 2u);
  BOOST_CHECK(list.init_list()[1].is_init_list());
  BOOST_CHECK_EQUAL(list.init_list()[1].init_list()[0].scalar().toLong(), 3);
  BOOST_CHECK(list.scalar_type() == kInt32);  // `int` literals

  const TensorDataContainer vec(std::vector<double>{1.25, 2.5});
  BOOST_CHECK(vec.is_tensor());
  const Tensor t = vec.tensor();
  BOOST_CHECK(t.dtype() == kFloat64);  // the literal type, as LibTorch holds it
  check_exact(t, {1.25, 2.5});
  BOOST_CHECK(TensorDataContainer(std::vector<int>{4, 5}).tensor().dtype() == kInt32);
  BOOST_CHECK(TensorDataContainer(std::vector<bool>{true}).tensor().dtype() == kBool);
  check_exact(TensorDataContainer(ArrayRef<float>({0.5f})).tensor(), {0.5});

  // Wrong accessor: ValueError with LibTorch's wording.
  const auto init_msg = what_of([] { TensorDataContainer(1.1).init_list(); });
  BOOST_CHECK(contains(init_msg,
                       "Can only call `init_list()` on a TensorDataContainer that has `is_init_list() == true`"));
  BOOST_CHECK(contains(what_of([] { TensorDataContainer(1.1).tensor(); }),
                       "Can only call `tensor()` on a TensorDataContainer that has `is_tensor() == true`"));
  BOOST_CHECK(contains(what_of([] { TensorDataContainer({1.1, 2.2}).scalar(); }),
                       "Can only call `scalar()` on a TensorDataContainer that has `is_scalar() == true`"));
  BOOST_CHECK(contains(what_of([] { TensorDataContainer(std::vector<double>{1.1}).init_list(); }),
                       "Can only call `init_list()`"));
  BOOST_CHECK_THROW(TensorDataContainer({1, 2}).tensor(), ValueError);
}

BOOST_AUTO_TEST_CASE(tensor_data_container_prints_as_libtorch) {
  using detail::TensorDataContainer;
  BOOST_CHECK_EQUAL(str(TensorDataContainer(1.1)), "1.1");
  BOOST_CHECK_EQUAL(str(TensorDataContainer(1.1f)), "1.1");
  BOOST_CHECK_EQUAL(str(TensorDataContainer(true)), "1");
  BOOST_CHECK_EQUAL(str(TensorDataContainer({1.1, 2.2})), "{1.1, 2.2}");
  BOOST_CHECK_EQUAL(str(TensorDataContainer({{1, 2}, {3, 4}})), "{{1, 2}, {3, 4}}");
  BOOST_CHECK_EQUAL(str(TensorDataContainer({{{{{{{{{{}}}}}}}}}})), "{{{{{{{{{{}}}}}}}}}}");
  BOOST_CHECK_EQUAL(str(TensorDataContainer({{{1.5}}, {{2.5}}})), "{{{1.5}}, {{2.5}}}");
  BOOST_CHECK_EQUAL(str(TensorDataContainer(std::vector<double>{1.1, 2.2})), "{1.1, 2.2}");
  BOOST_CHECK_EQUAL(str(TensorDataContainer(ArrayRef<double>({1.1, 2.2}))), "{1.1, 2.2}");
  BOOST_CHECK_EQUAL(str(TensorDataContainer(std::vector<int64_t>{-3, 4})), "{-3, 4}");
  BOOST_CHECK_EQUAL(str(TensorDataContainer(std::vector<bool>{true, false})), "{1, 0}");
  BOOST_CHECK_EQUAL(str(TensorDataContainer(std::vector<float>{})), "{}");
  // The stream's precision applies, as to any value written to it.
  std::ostringstream os;
  os.precision(3);
  os << TensorDataContainer({3.14159, 2.0});
  BOOST_CHECK_EQUAL(os.str(), "{3.14, 2}");
}
