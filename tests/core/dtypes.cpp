// The integer storage dtypes (int32, uint8, int8, int16), the named-only ones (float16,
// bfloat16, complex) and the default dtype. Expected values and dtypes are PyTorch 1.13's,
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

BOOST_AUTO_TEST_CASE(half_bfloat16_and_complex_throw_type_error) {
  check_throws_with<TypeError>([] { zeros({2}, kFloat16); },
                               "float16 tensors are not supported by xgrad; use kFloat32");
  check_throws_with<TypeError>([] { ones({2}, kBFloat16); }, "bfloat16 tensors are not supported by xgrad");
  check_throws_with<TypeError>([] { empty({2}, kComplexFloat); }, "complex64 tensors are not supported");
  check_throws_with<TypeError>([] { tensor({1.0}, kComplexDouble); }, "complex128 tensors are not supported");
  check_throws_with<TypeError>([] { tensor({1.0, 2.0}).to(kHalf); }, "float16 tensors are not supported");
  check_throws_with<TypeError>([] { randn({2}, kBFloat16); }, "bfloat16");
  check_throws_with<TypeError>([] { arange(0, 3, kHalf); }, "float16");
  BOOST_TEST(element_size(kComplexDouble) == 16u);
  BOOST_TEST(is_floating_point(kHalf));
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
