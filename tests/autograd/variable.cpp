// Tests of src/autograd/variable.cpp (make_variable) and Tensor::tensor_data, which it uses.
#define BOOST_TEST_MODULE autograd_variable
#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"
#include "support/testing.hpp"

using namespace xgrad;
using xgrad::testing::check_values;
using xgrad::testing::expect_error;

BOOST_AUTO_TEST_CASE(tensor_data_shares_storage_and_version_without_history) {
  auto leaf = tensor({1.0f, 2.0f, 3.0f, 4.0f}).requires_grad_();
  auto y = (leaf * 2.0).reshape({2, 2}).transpose(0, 1);
  auto d = y.tensor_data();
  BOOST_TEST(!d.requires_grad());
  BOOST_TEST(d.is_leaf());
  BOOST_TEST(!d.grad_fn());
  BOOST_TEST(d.sizes() == y.sizes());
  BOOST_TEST(d.strides() == y.strides());
  BOOST_TEST(d.storage_offset() == y.storage_offset());
  check_values(d, {2.0, 6.0, 4.0, 8.0});
  // Same storage and version counter: a change through d is seen through y, and bumps its version.
  const auto before = y._version();
  d.mul_(10.0);
  check_values(y, {20.0, 60.0, 40.0, 80.0});
  BOOST_TEST(y._version() == before + 1);
  BOOST_TEST(leaf.tensor_data().data_ptr() == leaf.data_ptr());
  BOOST_TEST(leaf.variable_data().data_ptr() == leaf.data_ptr());
  expect_error<ValueError>([] { Tensor().tensor_data(); }, {"tensor_data", "undefined"});
}

BOOST_AUTO_TEST_CASE(make_variable_makes_a_leaf_on_the_same_storage) {
  auto base = tensor({1.0, 2.0}).requires_grad_();
  auto nonleaf = base * 3.0;
  auto v = autograd::make_variable(nonleaf, true);
  BOOST_TEST(v.is_leaf());
  BOOST_TEST(v.requires_grad());
  BOOST_TEST(v.data_ptr() == nonleaf.data_ptr());
  (v * v).sum().backward();
  check_values(v.grad(), {6.0, 12.0});
  BOOST_TEST(!base.grad().defined());  // v's gradients never reach the graph nonleaf came from
  auto plain = autograd::make_variable(nonleaf);
  BOOST_TEST(!plain.requires_grad());
  BOOST_TEST(!autograd::make_variable(Tensor(), true).defined());
  expect_error<TypeError>([] { autograd::make_variable(tensor({1, 2}), true); }, {"requires_grad_", "floating"});
}

BOOST_AUTO_TEST_CASE(creation_meta_has_libtorch_values) {
  // Same enumerators, same order as LibTorch's torch::autograd::CreationMeta.
  using autograd::CreationMeta;
  BOOST_TEST(static_cast<int>(CreationMeta::DEFAULT) == 0);
  BOOST_TEST(static_cast<int>(CreationMeta::IN_CUSTOM_FUNCTION) == 1);
  BOOST_TEST(static_cast<int>(CreationMeta::MULTI_OUTPUT_NODE) == 2);
  BOOST_TEST(static_cast<int>(CreationMeta::NO_GRAD_MODE) == 3);
  BOOST_TEST(static_cast<int>(CreationMeta::INFERENCE_MODE) == 4);
}
