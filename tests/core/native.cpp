// Tests of src/core/native.cpp: at::native names (is_nonzero), against Python's bool(t).
#define BOOST_TEST_MODULE core_native
#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

#include <limits>

using namespace xgrad;
using xgrad::testing::expect_error;

BOOST_AUTO_TEST_CASE(is_nonzero_is_the_truth_value_of_one_element) {
  // PyTorch: bool(torch.tensor([0.])) False, bool(torch.tensor(-0.)) False, bool(torch.tensor([[2]]))
  // True, bool(torch.tensor(float('nan'))) True, bool(torch.tensor([True])) True.
  BOOST_TEST(!native::is_nonzero(tensor({0.0f})));
  BOOST_TEST(!native::is_nonzero(tensor({-0.0})));
  BOOST_TEST(native::is_nonzero(tensor({1e-30f})));
  BOOST_TEST(native::is_nonzero(tensor({{int64_t{2}}})));
  BOOST_TEST(!native::is_nonzero(tensor({int64_t{0}})));
  BOOST_TEST(native::is_nonzero(tensor({std::numeric_limits<double>::quiet_NaN()})));
  BOOST_TEST(native::is_nonzero(tensor({true})));
  BOOST_TEST(!native::is_nonzero(tensor({false})));
  BOOST_TEST(native::is_nonzero(ones({}) * 3.0));
}

BOOST_AUTO_TEST_CASE(is_nonzero_refuses_ambiguous_tensors) {
  expect_error<ValueError>([] { native::is_nonzero(ones({2})); }, {"is_nonzero", "more than one value", "[2]"});
  expect_error<ValueError>([] { native::is_nonzero(ones({0})); }, {"is_nonzero", "no values"});
  expect_error<ValueError>([] { native::is_nonzero(Tensor()); }, {"is_nonzero", "undefined"});
}
