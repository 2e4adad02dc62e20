// The integer storage dtypes (int32, uint8, int8, int16), complex64/complex128 (stored, with
// few ops), the named-only ones (float16, bfloat16) and the default dtype. Expected values and dtypes are PyTorch 1.13's,
// printed by tests/reference/dtypes.py.
#define BOOST_TEST_MODULE core_dtypes
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace xgrad;
using xgrad::testing::check_exact;
using xgrad::testing::check_values;

namespace {

template <typename E, typename F>
void check_throws_with(F&& f, const std::string& fragment) {
  try {
    f();
  } catch (const E& e) {
    BOOST_TEST_INFO("message: " << e.what());
    BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos);
    return;
  }
  BOOST_FAIL("expected an exception with '" << fragment << "'");
}

struct Capture : WarningHandler {
  std::vector<std::string> seen;
  void process(const SourceLocation&, const std::string& msg, bool) override { seen.push_back(msg); }
};

// Restores the default dtype however a test ends.
struct DefaultDtypeGuard {
  ScalarType prev = typeMetaToScalarType(get_default_dtype());
  ~DefaultDtypeGuard() { set_default_dtype(scalarTypeToTypeMeta(prev)); }
};
}  // namespace

// ---- names and metadata ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(names_sizes_and_signedness) {
  BOOST_TEST((kInt == kInt32 && kInt == ScalarType::Int));
  BOOST_TEST((kByte == kUInt8 && kChar == kInt8 && kShort == kInt16 && kHalf == kFloat16));
  BOOST_TEST((scalar_type_of<int32_t>() == kInt32 && scalar_type_of<uint8_t>() == kUInt8 &&
              scalar_type_of<int8_t>() == kInt8 && scalar_type_of<int16_t>() == kInt16));
  const std::vector<std::pair<ScalarType, std::string>> names = {
      {kInt32, "int32"},     {kUInt8, "uint8"},         {kInt8, "int8"},           {kInt16, "int16"},
      {kFloat16, "float16"}, {kBFloat16, "bfloat16"}, {kComplexFloat, "complex64"}, {kComplexDouble, "complex128"}};
  for (const auto& [t, name] : names) BOOST_TEST(dtype_name(t) == name);
  BOOST_TEST(xgrad::str(kInt32) == "torch.int32");
  BOOST_TEST(element_size(kInt32) == 4u);
  BOOST_TEST(element_size(kInt16) == 2u);
  BOOST_TEST(element_size(kInt8) == 1u);
  BOOST_TEST(element_size(kUInt8) == 1u);
  BOOST_TEST(zeros({2}, kInt16).element_size() == 2u);
  // is_signed, as LibTorch's Tensor::is_signed(): uint8 and bool are unsigned.
  BOOST_TEST(zeros({1}, kInt8).is_signed());
  BOOST_TEST(zeros({1}, kInt32).is_signed());
  BOOST_TEST(zeros({1}, kFloat32).is_signed());
  BOOST_TEST(!zeros({1}, kUInt8).is_signed());
  BOOST_TEST(!zeros({1}, kBool).is_signed());
  BOOST_TEST(!zeros({1}, kInt32).is_floating_point());
}

// ---- promotion -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(promote_types_matches_pytorch_table) {
  // torch.promote_types(a, b), printed by tests/reference/dtypes.py.
  const std::vector<ScalarType> order = {kFloat32, kFloat64, kInt64, kBool, kInt32, kUInt8, kInt8, kInt16};
  const std::vector<std::vector<ScalarType>> table = {
      {kFloat32, kFloat64, kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat32},
      {kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64},
      {kFloat32, kFloat64, kInt64, kInt64, kInt64, kInt64, kInt64, kInt64},
      {kFloat32, kFloat64, kInt64, kBool, kInt32, kUInt8, kInt8, kInt16},
      {kFloat32, kFloat64, kInt64, kInt32, kInt32, kInt32, kInt32, kInt32},
      {kFloat32, kFloat64, kInt64, kUInt8, kInt32, kUInt8, kInt16, kInt16},
      {kFloat32, kFloat64, kInt64, kInt8, kInt32, kInt16, kInt8, kInt16},
      {kFloat32, kFloat64, kInt64, kInt16, kInt32, kInt16, kInt16, kInt16},
  };
  for (size_t i = 0; i < order.size(); ++i)
    for (size_t j = 0; j < order.size(); ++j) {
      BOOST_TEST_INFO(dtype_name(order[i]) << " with " << dtype_name(order[j]));
      BOOST_TEST(dtype_name(promote_types(order[i], order[j])) == dtype_name(table[i][j]));
      // The same through a binary op on 1-D tensors (bool - bool is refused, so add).
      const Tensor r = ones({2}, order[i]) + ones({2}, order[j]);
      BOOST_TEST(dtype_name(r.dtype()) == dtype_name(table[i][j]));
    }
  BOOST_CHECK_THROW(promote_types(kInt32, kHalf), TypeError);
}

BOOST_AUTO_TEST_CASE(arithmetic_with_promotion) {
  const Tensor i32 = tensor({1, 2, 7}, kInt32);
  const Tensor u8 = tensor({1, 200}, kUInt8);
  check_exact(i32 * 2, kInt32, {2, 4, 14});
  check_exact(i32 * 2.5, kFloat32, {2.5, 5.0, 17.5});
  check_exact(i32 / tensor({2, 4, 2}, kInt32), kFloat32, {0.5, 0.5, 3.5});
  check_exact(i32 + tensor({10, 20, 30}), kInt64, {11, 22, 37});
  check_exact(u8 + tensor({-1, -100}, kInt8), kInt16, {0, 100});
  check_exact(i32 + tensor({0.5, 0.5, 0.5}), kFloat32, {1.5, 2.5, 7.5});
  // A 0-dim operand of a higher category takes part with its own dtype.
  check_exact(i32 + tensor(0.25, kFloat64), kFloat64, {1.25, 2.25, 7.25});
  // ... and one of the same category does not: int8 stays int8 and wraps.
  check_exact(tensor({1, 2}, kInt8) + tensor(int64_t{1000}), kInt8, {-23, -22});
  check_exact(tensor({1, 2}, kInt8) + 1000, kInt8, {-23, -22});
}

BOOST_AUTO_TEST_CASE(integer_arithmetic_wraps_as_pytorch) {
  const Tensor u8 = tensor({1, 200}, kUInt8);
  check_exact(tensor({std::numeric_limits<int32_t>::max()}, kInt32) + 1, kInt32, {-2147483648.0});
  check_exact(u8 * 2, kUInt8, {2, 144});
  check_exact(u8 - 2, kUInt8, {255, 198});
  check_exact(-u8, kUInt8, {255, 56});
  check_exact(u8 + 300, kUInt8, {45, 244});
  check_exact(u8 + u8, kUInt8, {2, 144});
  check_exact(tensor({300}, kInt16) * tensor({300}, kInt16), kInt16, {24464});
  check_exact(tensor({3, 300}, kInt16).pow(2), kInt16, {9, 24464});
}

// ---- conversions ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(conversions_truncate_and_wrap) {
  check_exact(tensor({3.7, -3.7, 0.5, -0.5, 2147483647.0}, kFloat64).to(kInt32), kInt32, {3, -3, 0, 0, 2147483647});
  check_exact(tensor({300, -1, 255}).to(kUInt8), kUInt8, {44, 255, 255});
  check_exact(tensor({200, -129}).to(kInt8), kInt8, {-56, 127});
  check_exact(tensor({1, 200}, kUInt8).to(kFloat32), kFloat32, {1, 200});
  check_exact(tensor({true, false}).to(kInt32), kInt32, {1, 0});
  check_exact(tensor({-5, 7}, kInt16).to(kInt64), kInt64, {-5, 7});
  // to(other): other's dtype.
  check_exact(tensor({1.9, -2.9}).to(zeros({1}, kInt8)), kInt8, {1, -2});
  // A floating value with no value in the integer type is refused, not cast (undefined in C++,
  // platform-dependent in PyTorch).
  BOOST_CHECK_THROW(tensor({3e9}).to(kInt32), ValueError);
  BOOST_CHECK_THROW(tensor({256.0}).to(kUInt8), ValueError);
  BOOST_CHECK_THROW(tensor({-1.0}).to(kUInt8), ValueError);
  BOOST_CHECK_THROW(tensor({std::nan("")}).to(kInt8), ValueError);
  check_exact(tensor({255.9, -0.9}).to(kUInt8), kUInt8, {255, 0});
  // Factories refuse values their dtype cannot hold, as PyTorch.
  check_throws_with<ValueError>([] { full({2}, 300, kUInt8); }, "cannot be converted to uint8");
  check_throws_with<ValueError>([] { tensor({300}, kUInt8); }, "cannot be converted to uint8");
  check_throws_with<ValueError>([] { tensor({5}, kInt8).clamp(-1000, 1000); }, "cannot be converted to type int8");
  check_throws_with<ValueError>([] { zeros({2}, kInt16).fill_(40000); }, "cannot be converted to type int16");
  // item<T>() of the new types.
  BOOST_TEST(tensor({-7}, kInt32).item<int32_t>() == -7);
  BOOST_TEST(tensor({250}, kUInt8).item<int>() == 250);
  BOOST_TEST(tensor({-100}, kInt8).item<double>() == -100.0);
  BOOST_TEST(tensor({-3}, kInt16).item().toLong() == -3);
  BOOST_CHECK_THROW(tensor({300}, kInt16).item<int8_t>(), ValueError);
}

BOOST_AUTO_TEST_CASE(factories_of_integer_dtypes) {
  check_exact(zeros({2}, kInt8), kInt8, {0, 0});
  check_exact(ones({2}, kUInt8), kUInt8, {1, 1});
  check_exact(full({2}, -3, kInt16), kInt16, {-3, -3});
  BOOST_TEST((empty({3}, kInt32).dtype() == kInt32));
  check_exact(arange(1, 4, kInt32), kInt32, {1, 2, 3});
  check_exact(tensor({{1, 2}, {3, 4}}, kInt32), kInt32, {1, 2, 3, 4});
  // PyTorch wraps the values past 127 silently; xgrad refuses a bound the dtype cannot hold.
  BOOST_CHECK_THROW(arange(0, 300, kInt8), ValueError);
  const Tensor r = randint(0, 10, {50}, kUInt8);
  BOOST_TEST((r.dtype() == kUInt8));
  BOOST_TEST(r.min().item<int>() >= 0);
  BOOST_TEST(r.max().item<int>() < 10);
  BOOST_CHECK_THROW(randint(0, 300, {2}, kInt8), ValueError);
}

// ---- reductions and unary ops ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sums_are_int64_and_extremes_keep_the_dtype) {
  check_exact(tensor({200, 200, 100}, kUInt8).sum(), kInt64, {500});
  check_exact(tensor({-100, -100, -100}, kInt8).sum(), kInt64, {-300});
  check_exact(tensor({{1, 2}, {3, 4}}, kInt32).sum({0}), kInt64, {4, 6});
  check_exact(tensor({30000, 30000}, kInt16).cumsum(0), kInt64, {30000, 60000});
  check_exact(tensor({3, 250, 7}, kUInt8).max(), kUInt8, {250});
  check_exact(tensor({3, -128, 7}, kInt8).min(), kInt8, {-128});
  BOOST_TEST(tensor({3, 250, 7}, kUInt8).max().item<double>() == 250.0);
  // mean of an integer tensor has no dtype to infer, as PyTorch.
  BOOST_CHECK_THROW(tensor({1, 2}, kInt32).mean(), TypeError);
}

BOOST_AUTO_TEST_CASE(abs_neg_sign_and_comparisons) {
  check_exact(tensor({-3, -128, 7}, kInt8).abs(), kInt8, {3, -128, 7});
  check_exact(-tensor({-3, 0, 7}, kInt32), kInt32, {3, 0, -7});
  check_exact(tensor({-3, 0, 7}, kInt8).sign(), kInt8, {-1, 0, 1});
  check_exact(tensor({0, 9}, kUInt8).sign(), kUInt8, {0, 1});
  check_exact(sign(tensor({std::nan(""), -2.0, 0.0, 3.0})), kFloat32, {0, -1, 0, 1});
  check_exact(tensor({1, 2}, kInt32) == tensor({1.0, 3.0}), kBool, {1, 0});
  check_exact(tensor({50, 200}, kUInt8) < 100, kBool, {1, 0});
  BOOST_TEST(equal(tensor({1, 2}, kInt32), tensor({1, 2}, kInt32)));
  BOOST_TEST(!equal(tensor({1, 2}, kInt32), tensor({1, 3}, kInt32)));
  // Floating functions of integers compute in the default dtype, as PyTorch.
  check_values(tensor({0, 1}, kInt32).exp(), {1.0, 2.7182817459106445});
  BOOST_TEST((tensor({0, 1}, kInt32).exp().dtype() == kFloat32));
}

BOOST_AUTO_TEST_CASE(integer_tensors_cannot_require_grad) {
  check_throws_with<TypeError>([] { tensor({1}, kInt32).requires_grad_(); },
                               "Only Tensors of floating point and complex dtype can require gradients");
  check_throws_with<TypeError>([] { zeros({1}, TensorOptions(kUInt8).requires_grad(true)); }, "floating");
  // A gradient cannot flow into an integer conversion of a float tensor that requires grad.
  const Tensor x = tensor({1.5}).requires_grad_();
  BOOST_CHECK_THROW(x.to(kInt16), TypeError);
}

// ---- indexing --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(uint8_masks_and_int32_positions) {
  using namespace xgrad::indexing;
  const Tensor x = tensor({10, 20, 30});
  Capture capture;
  {
    Warning::WarningHandlerGuard guard(&capture);
    check_exact(x.index({tensor({1, 0, 1}, kUInt8)}), kInt64, {10, 30});
  }
  BOOST_REQUIRE(capture.seen.size() == 1u);
  BOOST_TEST(capture.seen[0].find("indexing with dtype torch.uint8 is now deprecated") != std::string::npos);
  // int32 positions are taken as int64 ones (PyTorch 2; 1.13 refused them).
  check_exact(x.index({tensor({2, 0}, kInt32)}), kInt64, {30, 10});
  // Other integer dtypes are refused, as PyTorch.
  check_throws_with<IndexError>([&] { x.index({tensor({1}, kInt8)}); }, "tensors used as indices");
  // index_put_ with a uint8 mask.
  Tensor y = tensor({1.0, 2.0, 3.0});
  {
    Warning::WarningHandlerGuard guard(&capture);
    y.index_put_({tensor({0, 1, 1}, kUInt8)}, 0);
  }
  check_exact(y, kFloat32, {1, 0, 0});
  // Indexing an int32 tensor and writing into it.
  Tensor z = tensor({5, 6, 7}, kInt32);
  z.index_put_({z > 5}, -1);
  check_exact(z, kInt32, {5, -1, -1});
  check_exact(z.index({Slice(1, None)}), kInt32, {-1, -1});
}

// ---- printing ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(printing_names_the_integer_dtypes) {
  BOOST_TEST(tensor({1, 2}, kInt32).to_string() == "tensor([1, 2], dtype=torch.int32)");
  BOOST_TEST(empty({0}, kUInt8).to_string() == "tensor([], dtype=torch.uint8)");
  BOOST_TEST(tensor({-1, 5}, kInt8).to_string() == "tensor([-1,  5], dtype=torch.int8)");
}

// ---- named-only dtypes ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(half_and_bfloat16_throw_type_error) {
  check_throws_with<TypeError>([] { zeros({2}, kFloat16); },
                               "float16 tensors are not supported by xgrad; use kFloat32");
  check_throws_with<TypeError>([] { ones({2}, kBFloat16); }, "bfloat16 tensors are not supported by xgrad");
  check_throws_with<TypeError>([] { tensor({1.0, 2.0}).to(kHalf); }, "float16 tensors are not supported");
  check_throws_with<TypeError>([] { randn({2}, kBFloat16); }, "bfloat16");
  check_throws_with<TypeError>([] { arange(0, 3, kHalf); }, "float16");
  BOOST_TEST(element_size(kComplexDouble) == 16u);
  BOOST_TEST(is_floating_point(kHalf));
}

// ---- complex64 / complex128: stored, with few ops (tests/reference/complex.py) ----------------------

BOOST_AUTO_TEST_CASE(complex_tensors_from_literals_vectors_and_real_values) {
  auto t = tensor(complex<float>(1.5f, 0.15f));
  BOOST_TEST((t.dtype() == kComplexFloat && t.dim() == 0 && t.element_size() == 8u));
  BOOST_TEST(std::abs(t.item<complex<float>>() - complex<float>(1.5f, 0.15f)) == 0.0f);
  t = tensor({complex<double>(1.5, 0.15), complex<double>(3.125, 0.3125)});
  BOOST_TEST((t.dtype() == kComplexDouble && t.sizes() == IntArrayRef({2})));
  BOOST_TEST((t[1].item<complex<double>>() == complex<double>(3.125, 0.3125)));
  const std::vector<complex<double>> v = {{1.1, -1.1}, {2.2, -2.2}, {3.3, -3.3}};
  t = tensor(v);
  BOOST_TEST((t.dtype() == kComplexDouble && t.numel() == 3));
  for (int64_t i = 0; i < 3; ++i) BOOST_TEST((t[i].item<complex<double>>() == v[static_cast<size_t>(i)]));
  BOOST_TEST((tensor(std::vector<complex<float>>{{1.f, 2.f}}).dtype() == kComplexFloat));
  // Real values into a complex dtype get imaginary part 0; a complex literal into another
  // complex dtype is rounded part by part.
  t = tensor(std::vector<double>{1.5, 2.5, 3.5}, kComplexDouble);
  BOOST_TEST((t.dtype() == kComplexDouble && t[2].item<complex<double>>() == complex<double>(3.5, 0)));
  BOOST_TEST((tensor({1, 2}, kComplexFloat)[1].item<complex<double>>() == complex<double>(2, 0)));
  BOOST_TEST((tensor(1.5, kComplexDouble).item<complex<double>>() == complex<double>(1.5, 0)));
  t = tensor(complex<float>(1.0f, 2.0f), kComplexDouble);
  BOOST_TEST((t.dtype() == kComplexDouble && t.item<complex<double>>() == complex<double>(1, 2)));
  // Factories and views work on the stored values.
  BOOST_TEST((zeros({2}, kComplexFloat).to_vector<complex<float>>() == std::vector<complex<float>>(2)));
  BOOST_TEST((full({2}, 2.5, kComplexDouble).to_vector<complex<double>>() ==
              std::vector<complex<double>>(2, complex<double>(2.5, 0))));
  const auto m = tensor({complex<double>(1, 2), complex<double>(3, 4), complex<double>(5, 6), complex<double>(7, 8)})
                     .reshape({2, 2});
  BOOST_TEST((m.t().contiguous().to_vector<complex<double>>() ==
              std::vector<complex<double>>{{1, 2}, {5, 6}, {3, 4}, {7, 8}}));
  BOOST_TEST((m.index({indexing::Slice(), 1}).clone().to_vector<complex<double>>() ==
              std::vector<complex<double>>{{3, 4}, {7, 8}}));
  BOOST_TEST((m.data_ptr<complex<double>>()[3] == complex<double>(7, 8)));
}

BOOST_AUTO_TEST_CASE(complex_to_real_follows_libtorch) {
  // A complex literal converts to a real dtype only with imaginary part 0; a complex vector
  // never (LibTorch's two messages).
  check_throws_with<ValueError>([] { tensor(complex<float>(0.1f, 0.2f), kFloat); },
                                "value cannot be converted to type float without overflow");
  check_throws_with<ValueError>([] { tensor({complex<float>(0.1f, 0.2f), complex<float>(0.3f, 0.4f)}, kFloat); },
                                "value cannot be converted to type float without overflow");
  check_throws_with<ValueError>([] { tensor(std::vector<complex<float>>{{0.1f, 0.2f}}, kFloat); },
                                "can not do xgrad::tensor(complex, dtype=non-complex)");
  check_exact(tensor(complex<double>(2.5, 0), kFloat64), kFloat64, {2.5});
  // Converting complex values to a real dtype is refused (PyTorch keeps the real part with a
  // warning; xgrad's ops convert integer inputs with to(), where that would be a wrong value).
  const auto c = tensor({complex<float>(1.5f, 2.f), complex<float>(-3.25f, -1.f)});
  check_throws_with<TypeError>([&] { (void)c.to(kFloat64); },
                               "to: converting complex64 to float64 would discard the imaginary part");
  check_throws_with<TypeError>([&] { (void)c.to(kBool); }, "discard the imaginary part");
  check_throws_with<TypeError>([&] { zeros({2}).copy_(c); }, "copy_: converting complex64 to float32");
  check_throws_with<TypeError>([&] { (void)c.sigmoid(); }, "complex64");
  check_throws_with<TypeError>([&] { (void)logsumexp(c, {0}); }, "discard the imaginary part");
  BOOST_TEST((c.to(kComplexDouble).to(kComplexFloat).to_vector<complex<float>>() ==
              std::vector<complex<float>>{{1.5f, 2.f}, {-3.25f, -1.f}}));
  BOOST_TEST((zeros({2}, kComplexDouble).copy_(tensor({1, 2})).to_vector<complex<double>>() ==
              std::vector<complex<double>>{{1, 0}, {2, 0}}));
  // item() without a complex type reads a real value only.
  check_throws_with<ValueError>([] { (void)tensor(complex<double>(1, 2)).item<double>(); },
                                "value cannot be converted to type double without overflow");
  BOOST_TEST(tensor(complex<double>(4, 0)).item<double>() == 4.0);
  check_throws_with<TypeError>([] { (void)tensor(complex<double>(1, 2)).item(); }, "Scalar holds no complex");
}

BOOST_AUTO_TEST_CASE(complex_promotion_comparison_and_other_ops) {
  BOOST_TEST((promote_types(kComplexFloat, kFloat64) == kComplexDouble));
  BOOST_TEST((promote_types(kComplexFloat, kFloat32) == kComplexFloat));
  BOOST_TEST((promote_types(kComplexFloat, kInt64) == kComplexFloat));
  BOOST_TEST((promote_types(kComplexDouble, kFloat32) == kComplexDouble));
  BOOST_TEST((promote_types(kComplexFloat, kComplexDouble) == kComplexDouble));
  BOOST_TEST((promote_types(kBool, kComplexFloat) == kComplexFloat));
  // Close by the modulus of the difference: 1e-6 is within atol 1e-8 + rtol 1e-5 * |y|, 1e-3 is not.
  const auto x = tensor({complex<float>(1, 1), complex<float>(2, -1)});
  BOOST_TEST(allclose(x, tensor({complex<float>(1, 1.000001f), complex<float>(2, -1)})));
  BOOST_TEST(!allclose(x, tensor({complex<float>(1, 1.001f), complex<float>(2, -1)})));
  BOOST_TEST(!allclose(x, tensor({complex<float>(1, 1), complex<float>(2, 1)})));
  BOOST_TEST(equal(x, x.clone()));
  BOOST_TEST(!equal(x, tensor({complex<float>(1, 1), complex<float>(2, 1)})));
  // Any other op refuses complex tensors with a TypeError naming the op and the dtype.
  check_throws_with<TypeError>([&] { (void)(x + 1); }, "not implemented for complex64 tensors");
  check_throws_with<TypeError>([&] { (void)x.sum(); }, "complex64");
  check_throws_with<TypeError>([&] { (void)x.exp(); }, "complex64");
  check_throws_with<TypeError>([&] { x.requires_grad_(true); }, "complex64");
  check_throws_with<TypeError>([] { tensor({complex<double>(1, 2)}, TensorOptions().requires_grad(true)); },
                               "complex128");
}

BOOST_AUTO_TEST_CASE(complex_printing_matches_pytorch) {
  BOOST_TEST(tensor(complex<float>(1.5f, 0.15f)).to_string() == "tensor(1.5000+0.1500j)");
  BOOST_TEST(tensor({complex<double>(1.5, 0.15), complex<double>(1.5, 0.15), complex<double>(3.125, 0.3125)})
                 .to_string() ==
             "tensor([1.5000+0.1500j, 1.5000+0.1500j, 3.1250+0.3125j],\n       dtype=torch.complex128)");
  BOOST_TEST(tensor(std::vector<double>{1.5, 2.5, 3.5}, kComplexDouble).to_string() ==
             "tensor([1.5000+0.j, 2.5000+0.j, 3.5000+0.j], dtype=torch.complex128)");
  BOOST_TEST(tensor({{complex<float>(1, -2), complex<float>(-0.5f, 0)}, {complex<float>(0, 1e-5f), complex<float>(1000, 3)}})
                 .to_string() ==
             "tensor([[ 1.0000e+00-2.0000e+00j, -5.0000e-01+0.0000e+00j],\n"
             "        [ 0.0000e+00+1.0000e-05j,  1.0000e+03+3.0000e+00j]])");
  BOOST_TEST(tensor({complex<float>(1, 2), complex<float>(3, -4)}).to_string() == "tensor([1.+2.j, 3.-4.j])");
  BOOST_TEST(zeros({2}, kComplexFloat).to_string() == "tensor([0.+0.j, 0.+0.j])");
  BOOST_TEST(ones({2}, kComplexDouble).to_string() == "tensor([1.+0.j, 1.+0.j], dtype=torch.complex128)");
  BOOST_TEST(empty({0}, kComplexFloat).to_string() == "tensor([], dtype=torch.complex64)");
}

// ---- the default dtype --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(default_dtype_drives_untyped_factories) {
  DefaultDtypeGuard restore;
  BOOST_TEST((typeMetaToScalarType(get_default_dtype()) == kFloat32));
  set_default_dtype(scalarTypeToTypeMeta(kFloat64));
  BOOST_TEST((get_default_dtype() == scalarTypeToTypeMeta(kFloat64)));
  check_exact(tensor({1.5}), kFloat64, {1.5});
  check_exact(tensor({1.5f}), kFloat64, {1.5});
  check_exact(tensor({1}) / tensor({4}), kFloat64, {0.25});
  check_exact(tensor({1}) * 0.5, kFloat64, {0.5});
  BOOST_TEST((zeros({2}).dtype() == kFloat64));
  BOOST_TEST((ones({2}).dtype() == kFloat64));
  BOOST_TEST((rand({2}).dtype() == kFloat64));
  BOOST_TEST((arange(0.0, 1.0, 0.5).dtype() == kFloat64));
  BOOST_TEST((arange(3).dtype() == kInt64));
  BOOST_TEST((tensor({1, 2}).dtype() == kInt64));
  BOOST_TEST(tensor({1.5}).to_string() == "tensor([1.5000])");
  BOOST_TEST(tensor({1.5}, kFloat32).to_string() == "tensor([1.5000], dtype=torch.float32)");
  // Only floating types, as PyTorch ("only floating-point types are supported as the default type").
  check_throws_with<TypeError>([] { set_default_dtype(scalarTypeToTypeMeta(kInt32)); },
                               "only floating-point types are supported as the default type");
  BOOST_CHECK_THROW(set_default_dtype(scalarTypeToTypeMeta(kHalf)), TypeError);
  BOOST_TEST((get_default_dtype() == kFloat64));
  set_default_dtype(scalarTypeToTypeMeta(kFloat32));
  BOOST_TEST((zeros({2}).dtype() == kFloat32));
  BOOST_TEST((tensor({1.5}).dtype() == kFloat32));
}

BOOST_AUTO_TEST_CASE(torch_check_throws_error_with_concatenated_message) {
  check_throws_with<Error>([] { TORCH_CHECK(1 + 1 == 3, "sum was ", 1 + 1, " not ", 3); }, "sum was 2 not 3");
  check_throws_with<Error>([] { TORCH_CHECK(false); }, "Expected false to be true");
  TORCH_CHECK(true, "never thrown");
}

// Integer dtype, non-integral arguments: values from trunc(start) by trunc(step); int64 counts
// from the truncated bounds, narrower types from the given ones (tests/reference/dtypes.py).
BOOST_AUTO_TEST_CASE(arange_with_integer_dtype_truncates_as_pytorch) {
  check_exact(arange(0, 5, 1.5, kInt64), kInt64, {0, 1, 2, 3, 4});
  check_exact(arange(0, 5, 1.5, kInt32), kInt32, {0, 1, 2, 3});
  check_exact(arange(0.7, 5.2, 1.0, kInt64), kInt64, {0, 1, 2, 3, 4});
  check_exact(arange(0.7, 5.2, 1.0, kInt32), kInt32, {0, 1, 2, 3, 4});
  check_exact(arange(0, 7, 2.5, kInt64), kInt64, {0, 2, 4, 6});
  check_exact(arange(0, 7, 2.5, kUInt8), kUInt8, {0, 2, 4});
  check_exact(arange(1.9, 9, 2.9, kInt64), kInt64, {1, 3, 5, 7});
  check_exact(arange(1.9, 9, 2.9, kInt32), kInt32, {1, 3, 5});
  for (ScalarType t : {kInt64, kInt32, kUInt8}) {
    try {
      arange(0, 5, 0.5, t);
      BOOST_FAIL("a step truncating to 0 must throw");
    } catch (const ValueError& e) {
      BOOST_TEST(std::string(e.what()).find("step must be nonzero") != std::string::npos);
    }
  }
}
