#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// Tensor attributes LibTorch programs ask for (src/core/storage.cpp): layout(), get_device(),
// storage() and is_alias_of(). Values worked by hand from the tensors' sizes and dtypes.

using namespace xgrad;
using xgrad::testing::contains;
using xgrad::testing::what_of;

BOOST_AUTO_TEST_CASE(layout_and_device) {
  Tensor x = zeros({3, 4});
  BOOST_CHECK(x.layout() == kStrided);
  BOOST_CHECK(x.to(kInt32).layout() == kStrided);
  BOOST_CHECK(x.t().layout() == kStrided);
  BOOST_CHECK_EQUAL(str(x.layout()), "Strided");
  BOOST_CHECK_EQUAL(x.get_device(), -1);
  BOOST_CHECK(x.device().index() == -1);
  BOOST_CHECK(contains(what_of([] { Tensor().layout(); }), "layout"));
  BOOST_CHECK_THROW(Tensor().get_device(), ValueError);
  // Options from a device's arguments (LibTorch's `to({kCUDA, index})`): only the CPU exists.
  BOOST_CHECK(x.to(TensorOptions(kCPU, -1)).is_same(x));
  BOOST_CHECK_THROW(x.to({kCUDA, 0}), ValueError);
  BOOST_CHECK_THROW(TensorOptions(kCPU, 300), ValueError);
}

BOOST_AUTO_TEST_CASE(storage_is_shared_by_views) {
  Tensor x = arange(12, kFloat32).view({3, 4});
  StorageHandle s = x.storage();
  BOOST_CHECK(s.defined());
  BOOST_CHECK_EQUAL(s.nbytes(), 48u);
  BOOST_CHECK(s.data() == x.data_ptr());
  BOOST_CHECK(s.data_ptr().get() == x.data_ptr());
  BOOST_CHECK(s.data_ptr().get_context() != nullptr);  // xgrad frees what it allocated
  BOOST_CHECK(s.device() == Device(kCPU));
  // A view's storage is the base's, whole: nbytes is the storage's, data the storage's start.
  Tensor row = x.index({2});
  BOOST_CHECK(row.storage().is_alias_of(s));
  BOOST_CHECK_EQUAL(row.storage().nbytes(), 48u);
  BOOST_CHECK(row.storage().data() == x.data_ptr());
  BOOST_CHECK(static_cast<char*>(row.data_ptr()) == static_cast<char*>(s.data()) + 8 * sizeof(float));
  BOOST_CHECK(row.is_alias_of(x));
  BOOST_CHECK(!x.clone().is_alias_of(x));
  BOOST_CHECK(!x.clone().storage().is_alias_of(s));
  BOOST_CHECK(!Tensor().is_alias_of(x));
  BOOST_CHECK(!x.is_alias_of(Tensor()));
  // The handle keeps the memory alive after the tensors are gone.
  const long owners = s.use_count();
  BOOST_CHECK(owners >= 2);
  {
    StorageHandle again = x.storage();
    BOOST_CHECK_EQUAL(s.use_count(), owners + 1);
  }
  x = Tensor();
  row = Tensor();
  BOOST_CHECK(s.unique());
  BOOST_CHECK_EQUAL(static_cast<float*>(s.data())[11], 11.f);
  // The storage of an undefined tensor is an error, as LibTorch; a default handle is empty.
  BOOST_CHECK_THROW(Tensor().storage(), ValueError);
  StorageHandle empty_handle;
  BOOST_CHECK(!empty_handle.defined());
  BOOST_CHECK_EQUAL(empty_handle.nbytes(), 0u);
  BOOST_CHECK(!empty_handle.data_ptr());
  BOOST_CHECK(!empty_handle.is_alias_of(empty_handle));
}

BOOST_AUTO_TEST_CASE(storage_of_borrowed_memory) {
  std::vector<double> v = {1.0, 2.0, 3.0};
  Tensor t = from_blob(v.data(), {3}, TensorOptions(kFloat64).requires_grad(true));
  BOOST_CHECK(t.requires_grad());
  BOOST_CHECK_EQUAL(t.storage().nbytes(), 24u);
  BOOST_CHECK(t.storage().data() == v.data());
  BOOST_CHECK(t.storage().data_ptr().get_context() == nullptr);  // nobody frees the caller's memory
}
